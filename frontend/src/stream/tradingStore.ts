/**
 * Everything the trading screen shows, in one immutable state with subscribers (React reads it
 * through useSyncExternalStore). Order updates are applied by `seq`, so a stale snapshot can
 * never overwrite a newer stream update, and a replayed update changes nothing.
 */

import type { Account, Execution, Market, Order, Position, PublicTrade, Ticker } from "../api/types";
import { isOpen } from "../api/types";
import { decimalsOf } from "../lib/decimal";
import { formatDecimal } from "../lib/format";
import { describeReject } from "../lib/reasons";
import { type BookMessage, type LocalBook, applyBookMessage } from "./book";
import type { ConnectionStatus } from "./StreamClient";

export interface Notice {
  id: number;
  tone: "info" | "success" | "error";
  text: string;
}

export interface TradingState {
  markets: Market[];
  symbol: string;
  tickers: Record<string, Ticker>;
  book: LocalBook | null;
  trades: PublicTrade[];
  orders: Record<string, Order>;
  executions: Execution[];
  account: Account | null;
  positions: Position[];
  connection: ConnectionStatus;
  latencyMs: number | null;
  /** True from a disconnect until the snapshots after the reconnect are in. */
  stale: boolean;
  notices: Notice[];
  /** Price picked from the book, for the order ticket (changes on every click). */
  pickedPrice: { price: string; at: number } | null;
}

const MAX_TRADES = 3000; // the chart's history: several minutes of simulated prints
const MAX_EXECUTIONS = 500;
const MAX_NOTICES = 4;

export function initialState(symbol = "BTC-USDT"): TradingState {
  return {
    markets: [],
    symbol,
    tickers: {},
    book: null,
    trades: [],
    orders: {},
    executions: [],
    account: null,
    positions: [],
    connection: "connecting",
    latencyMs: null,
    stale: true,
    notices: [],
    pickedPrice: null,
  };
}

type Listener = () => void;

export class TradingStore {
  private state: TradingState;
  private readonly listeners = new Set<Listener>();
  private noticeId = 0;

  constructor(state: TradingState = initialState()) {
    this.state = state;
  }

  getState = (): TradingState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<TradingState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }

  setMarkets(markets: Market[]): void {
    this.set({ markets });
  }

  selectSymbol(symbol: string): void {
    if (symbol === this.state.symbol) return;
    this.set({ symbol, book: null, trades: [], pickedPrice: null });
  }

  pickPrice(price: string): void {
    this.set({ pickedPrice: { price, at: Date.now() } });
  }

  setConnection(connection: ConnectionStatus): void {
    this.set(connection === "live" ? { connection } : { connection, stale: true, latencyMs: null });
  }

  setLatency(latencyMs: number): void {
    this.set({ latencyMs });
  }

  /** The snapshots after a (re)connect are in: the screen is current again. */
  markFresh(): void {
    this.set({ stale: false });
  }

  /** Apply a book message; returns false on a sequence gap (the caller asks for a resync). */
  applyBook(message: BookMessage): boolean {
    if (message.symbol !== this.state.symbol) return true;
    const update = applyBookMessage(this.state.book, message);
    if ("gap" in update) return false;
    this.set({ book: update.book });
    return true;
  }

  setTicker(ticker: Ticker): void {
    this.set({ tickers: { ...this.state.tickers, [ticker.symbol]: ticker } });
  }

  /** Trades from REST (newest first), replacing what was shown for the symbol. */
  setTrades(symbol: string, trades: PublicTrade[]): void {
    if (symbol !== this.state.symbol) return;
    this.set({ trades: trades.slice(0, MAX_TRADES) });
  }

  addTrade(trade: PublicTrade): void {
    if (trade.symbol !== this.state.symbol) return;
    this.set({ trades: [trade, ...this.state.trades].slice(0, MAX_TRADES) });
  }

  /** One order update (stream or REST answer): kept only if newer than what is shown. */
  applyOrder(order: Order): void {
    const previous = this.state.orders[order.orderId];
    if (previous !== undefined && previous.seq >= order.seq) return;
    this.set({ orders: { ...this.state.orders, [order.orderId]: order } });
    if (order.status === "REJECTED" && previous?.status !== "REJECTED") {
      this.notify("error", `Order rejected: ${describeReject(order.rejectReason)}`);
    } else if (order.status === "FILLED" && previous?.status !== "FILLED" && previous !== undefined) {
      const market = this.state.markets.find((m) => m.symbol === order.symbol);
      const avgPx = formatDecimal(order.avgPx, market === undefined ? 2 : decimalsOf(market.tickSize));
      this.notify("success", `Filled ${order.side} ${order.cumQty} ${order.symbol} @ ${avgPx}`);
    }
  }

  /**
   * Orders from REST after a (re)connect. Each is applied by seq; an order shown as open that
   * the snapshot of open orders no longer lists is returned so the caller can fetch its end.
   */
  applyOrderSnapshot(openOrders: Order[], recentOrders: Order[]): string[] {
    const orders = { ...this.state.orders };
    for (const order of [...recentOrders, ...openOrders]) {
      const previous = orders[order.orderId];
      if (previous === undefined || previous.seq < order.seq) orders[order.orderId] = order;
    }
    const stillOpen = new Set(openOrders.map((o) => o.orderId));
    const missing = Object.values(orders)
      .filter((o) => isOpen(o) && !stillOpen.has(o.orderId))
      .map((o) => o.orderId);
    this.set({ orders });
    return missing;
  }

  addExecutions(executions: Execution[]): void {
    const known = new Set(this.state.executions.map((e) => e.execId));
    const fresh = executions.filter((e) => !known.has(e.execId));
    if (fresh.length === 0) return;
    const merged = [...fresh, ...this.state.executions].sort((a, b) => b.time - a.time).slice(0, MAX_EXECUTIONS);
    this.set({ executions: merged });
  }

  setAccount(account: Account): void {
    const current = this.state.account;
    if (current?.updatedAt != null && account.updatedAt != null && account.updatedAt < current.updatedAt) return;
    this.set({ account, positions: account.positions });
  }

  setPositions(positions: Position[]): void {
    this.set({ positions });
  }

  notify(tone: Notice["tone"], text: string): void {
    this.noticeId += 1;
    this.set({ notices: [...this.state.notices, { id: this.noticeId, tone, text }].slice(-MAX_NOTICES) });
  }

  dismiss(id: number): void {
    this.set({ notices: this.state.notices.filter((n) => n.id !== id) });
  }
}
