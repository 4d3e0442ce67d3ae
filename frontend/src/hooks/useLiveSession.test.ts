import { describe, expect, it, vi } from "vitest";
import type { OmsApi } from "../api/client";
import { BTC_SPOT, order } from "../test/fixtures";
import { fakeApi } from "../test/harness";
import { TradingStore } from "../stream/tradingStore";
import { channelsFor, dispatchMessage, resyncSnapshots } from "./useLiveSession";

const account = {
  account: "demo",
  tradingState: "ACTIVE" as const,
  balances: [{ asset: "USDT", total: "1000", reserved: "0", available: "1000" }],
  positions: [],
  equity: "1000",
  initialMargin: "0",
  maintenanceMargin: "0",
  availableMargin: "1000",
  marginRatio: null,
  unrealizedPnl: "0",
  updatedAt: 5,
};

describe("resyncSnapshots", () => {
  it("replaces what was missed while disconnected, including orders that ended unseen", async () => {
    const store = new TradingStore();
    store.setMarkets([BTC_SPOT]);
    store.applyOrder(order({ orderId: "gone", seq: 2, status: "NEW" }));
    store.setConnection("reconnecting");
    const api = fakeApi();
    api.orders.mockImplementation(async (statuses: unknown) =>
      statuses === null ? [] : [order({ orderId: "new-elsewhere", seq: 2, price: "57000" })],
    );
    api.order.mockResolvedValue(order({ orderId: "gone", seq: 4, status: "CANCELED" }));
    api.executions.mockResolvedValue([]);
    api.account.mockResolvedValue(account);
    api.trades.mockResolvedValue([]);
    api.ticker.mockResolvedValue({ symbol: "BTC-USDT", bid: null, bidQty: null, ask: null, askQty: null, last: "60000", mark: "60000", open24h: null, high24h: null, low24h: null, volume24h: "0", changePct24h: null, time: null });
    store.setConnection("live");
    expect(store.getState().stale).toBe(true);

    await resyncSnapshots(api as unknown as OmsApi, store);

    const orders = store.getState().orders;
    expect(orders["gone"]?.status).toBe("CANCELED");
    expect(orders["new-elsewhere"]?.status).toBe("NEW");
    expect(api.order).toHaveBeenCalledWith("gone");
    expect(store.getState().account?.balances[0]?.available).toBe("1000");
    expect(store.getState().tickers["BTC-USDT"]?.last).toBe("60000");
    expect(store.getState().stale).toBe(false);
  });
});

describe("dispatchMessage", () => {
  it("asks for a book resync on a sequence gap", () => {
    const store = new TradingStore();
    const stream = { resync: vi.fn() };
    dispatchMessage(store, stream, { type: "book", data: { symbol: "BTC-USDT", seq: 1, snapshot: true, bids: [], asks: [] } });
    dispatchMessage(store, stream, { type: "book", data: { symbol: "BTC-USDT", seq: 3, snapshot: false, bids: [], asks: [] } });
    expect(stream.resync).toHaveBeenCalledWith("book:BTC-USDT");
  });

  it("subscribes the private channels, every ticker, and the selected market's book and trades", () => {
    expect(channelsFor(["BTC-USDT", "ETH-USDT"], "ETH-USDT")).toEqual([
      "orders", "executions", "account", "positions", "ticker:BTC-USDT", "ticker:ETH-USDT", "book:ETH-USDT", "trades:ETH-USDT",
    ]);
  });
});
