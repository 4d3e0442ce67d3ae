import type { MarketFormat } from "../hooks/useMarketFormat";
import { useLevelVenues } from "../hooks/useLevelVenues";
import type { BookSide, LevelVenues, VenueSplitCache } from "../stream/venueSplit";

interface Props {
  id: string;
  cache: VenueSplitCache;
  symbol: string;
  side: BookSide;
  price: string;
  fmt: MarketFormat;
}

function tipText(venues: LevelVenues | null, fmt: MarketFormat): { text: string; tone: string } {
  if (venues === null) return { text: "Venues…", tone: "muted" };
  switch (venues.status) {
    case "split":
      return { text: venues.venues.map((v) => `${v.venue} ${fmt.qty(v.quantity)}`).join(" · "), tone: "" };
    case "unavailable":
      return { text: "Venue split unavailable", tone: "muted" };
    case "error":
      return { text: venues.message, tone: "error" };
  }
}

/** Which venues make up a book level's size ("BINANCE 1.00000 · OKX 0.50000"), under the level. */
export function LevelVenuesTip({ id, cache, symbol, side, price, fmt }: Props) {
  const { text, tone } = tipText(useLevelVenues(cache, symbol, side, price), fmt);
  return (
    <span id={id} role="tooltip" aria-live="polite" className={tone === "" ? "venue-tip" : `venue-tip ${tone}`}>
      {text}
    </span>
  );
}
