import { describe, expect, it, vi } from "vitest";
import { ApiError, type BookByVenue } from "../api/client";
import { VenueSplitCache, venueSplitOf, venuesAt } from "./venueSplit";

function book(overrides: Partial<BookByVenue> = {}): BookByVenue {
  return {
    symbol: "BTC-USDT",
    seq: 7,
    bids: [["59999.5", "1.5"], ["59999", "0.2"]],
    asks: [["60000.25", "0.3"]],
    venues: ["BINANCE", "OKX"],
    bidsByVenue: [["1", "0.5"], ["0", "0.2"]],
    asksByVenue: [["0.3", "0"]],
    ...overrides,
  };
}

/** A cache over a fake endpoint and a clock the test moves. */
function cacheOver(fetchBook: (symbol: string, depth: number) => Promise<BookByVenue>) {
  let now = 1_000;
  const fetched = vi.fn(fetchBook);
  const cache = new VenueSplitCache(fetched, { ttlMs: 1000, now: () => now });
  return { cache, fetched, advance: (ms: number) => (now += ms) };
}

describe("venueSplitOf", () => {
  it("maps each price to the venues quoting it, in venue order, without the empty ones", () => {
    const split = venueSplitOf(book());
    expect(venuesAt(split, "bid", "59999.5")).toEqual([
      { venue: "BINANCE", quantity: "1" },
      { venue: "OKX", quantity: "0.5" },
    ]);
    expect(venuesAt(split, "bid", "59999")).toEqual([{ venue: "OKX", quantity: "0.2" }]);
    expect(venuesAt(split, "ask", "60000.25")).toEqual([{ venue: "BINANCE", quantity: "0.3" }]);
  });

  it("finds a price however its trailing zeros are written, and only on its own side", () => {
    const split = venueSplitOf(book());
    expect(venuesAt(split, "bid", "59999.50")).toHaveLength(2);
    expect(venuesAt(split, "ask", "59999.5")).toBeNull();
    expect(venuesAt(split, "bid", "60000")).toBeNull();
  });

  it("is empty when the answer carries no split", () => {
    const split = venueSplitOf({ symbol: "BTC-USDT", seq: 7, bids: [["59999.5", "1.5"]], asks: [] });
    expect(venuesAt(split, "bid", "59999.5")).toBeNull();
    expect(venuesAt(venueSplitOf(book({ venues: null, bidsByVenue: null })), "bid", "59999.5")).toBeNull();
  });
});

describe("VenueSplitCache", () => {
  it("peeks without waiting once a fresh answer is here, and not before or after", async () => {
    const { cache, advance } = cacheOver(async () => book());
    expect(cache.peek("BTC-USDT", "bid", "59999")).toBeNull();
    await cache.venuesAt("BTC-USDT", "bid", "59999.5");
    // Another level of the same answer: a ladder that moved under a resting pointer.
    expect(cache.peek("BTC-USDT", "bid", "59999")).toEqual({
      status: "split",
      venues: [{ venue: "OKX", quantity: "0.2" }],
    });
    expect(cache.peek("BTC-USDT", "bid", "59998")).toBeNull(); // not in it: venuesAt asks
    advance(1000);
    expect(cache.peek("BTC-USDT", "bid", "59999")).toBeNull();
  });

  it("asks once per symbol while the answer is fresh, and again once it is not", async () => {
    const { cache, fetched, advance } = cacheOver(async () => book());
    await expect(cache.venuesAt("BTC-USDT", "bid", "59999.5")).resolves.toEqual({
      status: "split",
      venues: [
        { venue: "BINANCE", quantity: "1" },
        { venue: "OKX", quantity: "0.5" },
      ],
    });
    advance(900);
    await cache.venuesAt("BTC-USDT", "ask", "60000.25");
    expect(fetched).toHaveBeenCalledTimes(1);
    expect(fetched).toHaveBeenCalledWith("BTC-USDT", 20);

    advance(200);
    await cache.venuesAt("BTC-USDT", "bid", "59999");
    expect(fetched).toHaveBeenCalledTimes(2);
    await cache.venuesAt("ETH-USDT", "bid", "3000");
    expect(fetched).toHaveBeenLastCalledWith("ETH-USDT", 20);
  });

  it("shares one request between lookups made while it is on its way", async () => {
    const { cache, fetched } = cacheOver(async () => book());
    const [a, b] = await Promise.all([
      cache.venuesAt("BTC-USDT", "bid", "59999.5"),
      cache.venuesAt("BTC-USDT", "bid", "59999"),
    ]);
    expect(a.status).toBe("split");
    expect(b.status).toBe("split");
    expect(fetched).toHaveBeenCalledTimes(1);
  });

  it("refetches once for a price missing from a cached answer, the book having moved", async () => {
    const moved = book({ bids: [["60000", "0.7"]], bidsByVenue: [["0.7", "0"]] });
    let calls = 0;
    const { cache, fetched } = cacheOver(async () => (++calls === 1 ? book() : moved));
    await cache.venuesAt("BTC-USDT", "bid", "59999.5");
    await expect(cache.venuesAt("BTC-USDT", "bid", "60000")).resolves.toEqual({
      status: "split",
      venues: [{ venue: "BINANCE", quantity: "0.7" }],
    });
    expect(fetched).toHaveBeenCalledTimes(2);

    await expect(cache.venuesAt("BTC-USDT", "bid", "58000")).resolves.toEqual({ status: "unavailable" });
    expect(fetched).toHaveBeenCalledTimes(2);
  });

  it("calls a price missing from the answer it just fetched unavailable, without asking again", async () => {
    const { cache, fetched } = cacheOver(async () => book());
    await expect(cache.venuesAt("BTC-USDT", "ask", "61000")).resolves.toEqual({ status: "unavailable" });
    expect(fetched).toHaveBeenCalledTimes(1);
  });

  it("turns a failure into a short message, kept as briefly as an answer", async () => {
    const { cache, fetched, advance } = cacheOver(async () => {
      throw new ApiError(429, "RATE_LIMITED", "slow down");
    });
    await expect(cache.venuesAt("BTC-USDT", "bid", "59999.5")).resolves.toEqual({
      status: "error",
      message: "Venue split failed (RATE_LIMITED)",
    });
    await cache.venuesAt("BTC-USDT", "bid", "59999");
    expect(fetched).toHaveBeenCalledTimes(1);

    advance(1000);
    fetched.mockResolvedValueOnce(book());
    await expect(cache.venuesAt("BTC-USDT", "bid", "59999")).resolves.toMatchObject({ status: "split" });
  });

  it("never rejects, even when the request cannot be made at all", async () => {
    const cache = new VenueSplitCache(() => {
      throw new TypeError("Failed to fetch");
    });
    await expect(cache.venuesAt("BTC-USDT", "bid", "59999.5")).resolves.toEqual({
      status: "error",
      message: "Venue split failed (Failed to fetch)",
    });
  });
});
