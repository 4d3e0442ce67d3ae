/**
 * Which venues make up a level of the consolidated book. The stream carries consolidated levels
 * only, so the split comes from `GET /v1/markets/{symbol}/book?venues=true`, asked for when a
 * trader rests on a level and kept about a second per symbol: moving across the ladder reuses
 * one answer instead of asking again for every level.
 */

import { ApiError, type BookByVenue } from "../api/client";
import { parseDec, toPlain } from "../lib/decimal";

export type BookSide = "bid" | "ask";

export interface VenueQuantity {
  venue: string;
  /** A decimal string, never zero. */
  quantity: string;
}

/** What the ladder shows for one level. */
export type LevelVenues =
  | { status: "split"; venues: VenueQuantity[] }
  /** The fetched book has no such price (it moved since) or carries no split. */
  | { status: "unavailable" }
  | { status: "error"; message: string };

/** One answer of the endpoint as lookups: price (shortest exact form) → the venues quoting it. */
export interface VenueSplit {
  bids: Map<string, VenueQuantity[]>;
  asks: Map<string, VenueQuantity[]>;
}

/** "60000.50" and "60000.5" are one level. */
function priceKey(price: string): string | null {
  const d = parseDec(price);
  return d === null ? null : toPlain(d);
}

/** `levels` are `[price, quantity]`; `rows[i]` splits `levels[i]` in `venues` order. */
function sideSplit(levels: string[][], rows: string[][] | null | undefined, venues: string[]): Map<string, VenueQuantity[]> {
  const byPrice = new Map<string, VenueQuantity[]>();
  levels.forEach(([price], i) => {
    const row = rows?.[i];
    const key = price === undefined ? null : priceKey(price);
    if (row === undefined || key === null) return;
    const shares: VenueQuantity[] = [];
    venues.forEach((venue, j) => {
      const quantity = row[j];
      const q = quantity === undefined ? null : parseDec(quantity);
      if (quantity !== undefined && q !== null && q.units !== 0n) shares.push({ venue, quantity });
    });
    if (shares.length > 0) byPrice.set(key, shares);
  });
  return byPrice;
}

/** The split of a book answer; empty when the answer carries none (`venues` absent or null). */
export function venueSplitOf(book: BookByVenue): VenueSplit {
  const venues = book.venues ?? [];
  return { bids: sideSplit(book.bids, book.bidsByVenue, venues), asks: sideSplit(book.asks, book.asksByVenue, venues) };
}

/** The venues quoting `price` on `side`, in the server's venue order; null when the level is not there. */
export function venuesAt(split: VenueSplit, side: BookSide, price: string): VenueQuantity[] | null {
  const key = priceKey(price);
  if (key === null) return null;
  return (side === "bid" ? split.bids : split.asks).get(key) ?? null;
}

function failureMessage(error: unknown): string {
  const reason = error instanceof ApiError ? error.code : error instanceof Error ? error.message : "unknown error";
  return `Venue split failed (${reason})`;
}

type Answer = { split: VenueSplit } | { failed: string };

interface Entry {
  answer: Promise<Answer>;
  /** The answer and when it arrived, for lookups that cannot wait (`peek`); null while it is
   * on its way (then it is shared, never repeated). */
  settled: { answer: Answer; at: number } | null;
  /** Fetched because a level was missing from the previous answer: not fetched again for a miss. */
  retry: boolean;
  /** The one refetch a miss on this entry triggers, shared by every lookup that misses. */
  next: Entry | null;
}

export interface VenueSplitOptions {
  /** Levels a side to ask for: more than the ladder shows, so a level the book moved past is still found. */
  depth?: number;
  /** How long an answer (or a failure) serves lookups. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Per-venue quantities of book levels, fetched on demand and cached `ttlMs` per symbol. A lookup
 * never rejects: a failure is a short message, and a failure is cached like an answer so a
 * struggling server is not asked again for every level. A price missing from a cached answer
 * (the book moved) refetches once; missing from a fresh answer too, it is "unavailable".
 */
export class VenueSplitCache {
  private readonly entries = new Map<string, Entry>();
  private readonly depth: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly fetchBook: (symbol: string, depth: number) => Promise<BookByVenue>,
    options: VenueSplitOptions = {},
  ) {
    this.depth = options.depth ?? 20;
    this.ttlMs = options.ttlMs ?? 1000;
    this.now = options.now ?? (() => Date.now());
  }

  async venuesAt(symbol: string, side: BookSide, price: string): Promise<LevelVenues> {
    const cached = this.freshEntry(symbol);
    // Only an answer that was already there can be older than the book on screen.
    const older = cached !== null && cached.settled !== null && !cached.retry;
    const entry = cached ?? this.fetch(symbol, false);
    const found = this.levelIn(await entry.answer, side, price);
    if (found.status !== "unavailable" || !older) return found;
    entry.next ??= this.fetch(symbol, true);
    return this.levelIn(await entry.next.answer, side, price);
  }

  /**
   * The level from an answer already here and fresh, without waiting: a ladder that moves
   * faster than a pointer rests shows the split of whichever level is under it at once. Null
   * when there is no such answer, or it lacks the price (then `venuesAt` asks).
   */
  peek(symbol: string, side: BookSide, price: string): LevelVenues | null {
    const entry = this.freshEntry(symbol);
    if (entry === null || entry.settled === null) return null;
    const found = this.levelIn(entry.settled.answer, side, price);
    return found.status === "unavailable" ? null : found;
  }

  private levelIn(answer: Answer, side: BookSide, price: string): LevelVenues {
    if ("failed" in answer) return { status: "error", message: answer.failed };
    const venues = venuesAt(answer.split, side, price);
    return venues === null ? { status: "unavailable" } : { status: "split", venues };
  }

  private freshEntry(symbol: string): Entry | null {
    const entry = this.entries.get(symbol);
    if (entry === undefined) return null;
    return entry.settled === null || this.now() - entry.settled.at < this.ttlMs ? entry : null;
  }

  private fetch(symbol: string, retry: boolean): Entry {
    // Called inside `then`, so even a fetch that throws at once becomes a failed answer.
    const answer = Promise.resolve()
      .then(() => this.fetchBook(symbol, this.depth))
      .then(
        (book): Answer => ({ split: venueSplitOf(book) }),
        (error: unknown): Answer => ({ failed: failureMessage(error) }),
      );
    const entry: Entry = { answer, settled: null, retry, next: null };
    void answer.then((settled) => {
      entry.settled = { answer: settled, at: this.now() };
    });
    this.entries.set(symbol, entry);
    return entry;
  }
}
