/** The venue split of one book level, for a tip that is shown while the level is hovered or focused. */

import { useEffect, useState } from "react";
import type { BookSide, LevelVenues, VenueSplitCache } from "../stream/venueSplit";

/** A pointer passing over the ladder asks for nothing; one that rests this long does. */
export const REST_MS = 120;

/**
 * The split of `price` on `side` (null until it is known): at once from a fresh answer already
 * fetched, else looked up once the level has been shown `REST_MS`.
 */
export function useLevelVenues(cache: VenueSplitCache, symbol: string, side: BookSide, price: string): LevelVenues | null {
  const level = `${symbol} ${side} ${price}`;
  const [shown, setShown] = useState<{ level: string; venues: LevelVenues } | null>(null);
  const known = cache.peek(symbol, side, price);

  useEffect(() => {
    if (known !== null) return undefined;
    let current = true;
    const timer = setTimeout(() => {
      void cache.venuesAt(symbol, side, price).then((venues) => {
        if (current) setShown({ level, venues });
      });
    }, REST_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [cache, level, symbol, side, price, known]);

  if (known !== null) return known;
  return shown !== null && shown.level === level ? shown.venues : null;
}
