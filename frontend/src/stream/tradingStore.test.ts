import { describe, expect, it } from "vitest";
import { order } from "../test/fixtures";
import { applyBookMessage, topLevels } from "./book";
import { TradingStore } from "./tradingStore";

describe("book", () => {
  const snapshot = {
    symbol: "BTC-USDT",
    seq: 10,
    snapshot: true,
    bids: [["100", "1"], ["99", "2"]] as [string, string][],
    asks: [["101", "1"], ["102", "3"]] as [string, string][],
  };

  it("applies diffs in sequence and removes zero levels", () => {
    const first = applyBookMessage(null, snapshot);
    if (!("book" in first)) throw new Error("snapshot refused");
    const next = applyBookMessage(first.book, { ...snapshot, seq: 11, snapshot: false, bids: [["100", "0"], ["100.5", "4"]], asks: [] });
    if (!("book" in next)) throw new Error("diff refused");
    expect(topLevels(next.book.bids, true, 5)).toEqual([["100.5", "4"], ["99", "2"]]);
    expect(topLevels(next.book.asks, false, 1)).toEqual([["101", "1"]]);
  });

  it("reports a gap instead of applying a diff out of sequence", () => {
    const first = applyBookMessage(null, snapshot);
    if (!("book" in first)) throw new Error("snapshot refused");
    expect(applyBookMessage(first.book, { ...snapshot, seq: 12, snapshot: false })).toEqual({ gap: true });
    expect(applyBookMessage(null, { ...snapshot, snapshot: false })).toEqual({ gap: true });
  });
});

describe("TradingStore", () => {
  it("keeps the newest version of an order by seq", () => {
    const store = new TradingStore();
    store.applyOrder(order({ seq: 5, status: "PARTIALLY_FILLED" }));
    store.applyOrder(order({ seq: 3, status: "NEW" }));
    expect(store.getState().orders["383968994580758528"]?.status).toBe("PARTIALLY_FILLED");
  });

  it("announces a rejection with its reason in words, once", () => {
    const store = new TradingStore();
    store.applyOrder(order({ seq: 1, status: "PENDING_NEW" }));
    store.applyOrder(order({ seq: 2, status: "REJECTED", rejectReason: "INSUFFICIENT_MARGIN" }));
    store.applyOrder(order({ seq: 2, status: "REJECTED", rejectReason: "INSUFFICIENT_MARGIN" }));
    expect(store.getState().notices.map((n) => n.text)).toEqual([
      "Order rejected: Not enough available margin for this order.",
    ]);
  });

  it("a snapshot after a reconnect never rolls an order back, and reports orders that ended unseen", () => {
    const store = new TradingStore();
    store.applyOrder(order({ orderId: "1", seq: 4, status: "NEW" }));
    store.applyOrder(order({ orderId: "2", seq: 7, status: "PARTIALLY_FILLED" }));
    const missing = store.applyOrderSnapshot([order({ orderId: "2", seq: 6, status: "NEW" })], []);
    expect(store.getState().orders["2"]?.status).toBe("PARTIALLY_FILLED");
    expect(missing).toEqual(["1"]);
  });

  it("marks the screen stale on a disconnect until the resync is done", () => {
    const store = new TradingStore();
    store.markFresh();
    store.setConnection("reconnecting");
    expect(store.getState().stale).toBe(true);
    store.setConnection("live");
    expect(store.getState().stale).toBe(true);
    store.markFresh();
    expect(store.getState().stale).toBe(false);
  });

  it("deduplicates executions by id, newest first", () => {
    const store = new TradingStore();
    const fill = { execId: "e1", orderId: "1", symbol: "BTC-USDT", side: "BUY" as const, quantity: "1", price: "1", fee: "0", liquidity: "TAKER" as const, venue: "sim-0", time: 1 };
    store.addExecutions([fill]);
    store.addExecutions([fill, { ...fill, execId: "e2", time: 2 }]);
    expect(store.getState().executions.map((e) => e.execId)).toEqual(["e2", "e1"]);
  });
});
