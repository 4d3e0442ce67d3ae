import type { Market, Order } from "../api/types";

export const BTC_SPOT: Market = {
  symbol: "BTC-USDT",
  kind: "spot",
  base: "BTC",
  quote: "USDT",
  tickSize: "0.01",
  lotSize: "0.00001",
  minQty: "0.00001",
  maxQty: "1000",
  minNotional: "5",
  makerFee: "0.0002",
  takerFee: "0.0005",
  maxLeverage: 1,
  brackets: [],
};

export const BTC_PERP: Market = {
  ...BTC_SPOT,
  symbol: "BTC-USDT-PERP",
  kind: "perpetual",
  tickSize: "0.1",
  lotSize: "0.001",
  minQty: "0.001",
  minNotional: "100",
  maxLeverage: 125,
};

export function order(overrides: Partial<Order> = {}): Order {
  return {
    orderId: "383968994580758528",
    clientOrderId: "oms-383968994580758528",
    account: "demo",
    symbol: "BTC-USDT",
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: "0.01",
    price: "58000",
    stopPrice: null,
    reduceOnly: false,
    status: "NEW",
    cumQty: "0",
    leavesQty: "0.01",
    avgPx: null,
    cumQuote: "0",
    fee: "0",
    lastQty: "0",
    lastPx: null,
    rejectReason: null,
    triggered: false,
    seq: 2,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}
