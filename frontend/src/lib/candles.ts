/** Candles (open, high, low, close) from trades, for the price chart. */

import type { PublicTrade } from "../api/types";

export interface Candle {
  /** Start of the bucket, seconds since the epoch (what the chart library takes). */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Bucket trades (any order) into candles of `seconds`, oldest first. */
export function buildCandles(trades: readonly PublicTrade[], seconds: number): Candle[] {
  const sorted = [...trades].sort((a, b) => a.time - b.time);
  const candles: Candle[] = [];
  for (const trade of sorted) {
    const time = Math.floor(trade.time / 1000 / seconds) * seconds;
    const price = Number(trade.price); // display only: the chart library draws floats
    const last = candles[candles.length - 1];
    if (last !== undefined && last.time === time) {
      last.high = Math.max(last.high, price);
      last.low = Math.min(last.low, price);
      last.close = price;
    } else {
      candles.push({ time, open: price, high: price, low: price, close: price });
    }
  }
  return candles;
}
