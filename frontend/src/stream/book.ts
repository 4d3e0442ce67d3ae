/**
 * A local copy of one consolidated book from the stream: a snapshot, then diffs whose `seq`
 * grows by one. A gap means the copy can no longer be trusted: the caller asks for a resync.
 */

import type { Level } from "../api/types";
import { cmp, dec, parseDec } from "../lib/decimal";

export interface BookMessage {
  symbol: string;
  seq: number;
  snapshot: boolean;
  bids: Level[];
  asks: Level[];
}

export interface LocalBook {
  symbol: string;
  seq: number;
  /** price → quantity */
  bids: Map<string, string>;
  asks: Map<string, string>;
}

export type BookUpdate = { book: LocalBook } | { gap: true };

function applySide(side: Map<string, string>, levels: Level[]): Map<string, string> {
  const next = new Map(side);
  for (const [price, quantity] of levels) {
    const q = parseDec(quantity);
    if (q === null || q.units === 0n) next.delete(price);
    else next.set(price, quantity);
  }
  return next;
}

/** Apply a stream message to the book (null: none yet); a diff out of sequence is a gap. */
export function applyBookMessage(book: LocalBook | null, message: BookMessage): BookUpdate {
  if (message.snapshot) {
    return {
      book: {
        symbol: message.symbol,
        seq: message.seq,
        bids: applySide(new Map(), message.bids),
        asks: applySide(new Map(), message.asks),
      },
    };
  }
  if (book === null || message.seq !== book.seq + 1) return { gap: true };
  return {
    book: {
      symbol: book.symbol,
      seq: message.seq,
      bids: applySide(book.bids, message.bids),
      asks: applySide(book.asks, message.asks),
    },
  };
}

/** The best `depth` levels of a side: bids highest first, asks lowest first. */
export function topLevels(side: Map<string, string>, isBid: boolean, depth: number): Level[] {
  const levels = Array.from(side.entries()).map(([p, q]) => ({ p, q, d: dec(p) }));
  levels.sort((a, b) => (isBid ? cmp(b.d, a.d) : cmp(a.d, b.d)));
  return levels.slice(0, depth).map(({ p, q }) => [p, q]);
}
