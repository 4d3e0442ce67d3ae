import { useId, useMemo, useState } from "react";
import type { Level } from "../api/types";
import { type MarketFormat, useMarketFormat } from "../hooks/useMarketFormat";
import { useSession, useTrading } from "../hooks/useTrading";
import { add, cmp, dec, div, mul, sub, toPlain } from "../lib/decimal";
import { topLevels } from "../stream/book";
import { type BookSide, VenueSplitCache } from "../stream/venueSplit";
import { LevelVenuesTip } from "./LevelVenuesTip";

const DEPTH = 9;

interface Row {
  price: string;
  quantity: string;
  cumulative: string;
  /** 0..1 of the largest cumulative quantity shown, for the depth bar. */
  share: number;
}

function withCumulative(levels: Level[]): Row[] {
  let total = dec("0");
  return levels.map(([price, quantity]) => {
    total = add(total, dec(quantity));
    return { price, quantity, cumulative: toPlain(total), share: 0 };
  });
}

function scale(rows: Row[], max: string): Row[] {
  const m = dec(max);
  return rows.map((r) => {
    const ratio = div(dec(r.cumulative), m, 4);
    return { ...r, share: ratio === null ? 0 : Number(toPlain(ratio)) };
  });
}

interface BookLevelProps {
  row: Row;
  side: BookSide;
  symbol: string;
  fmt: MarketFormat;
  venueSplits: VenueSplitCache;
  onPick: (price: string) => void;
}

/**
 * One level of the ladder. A click picks its price; hovering or focusing it shows the venues
 * behind its size (Escape hides that). The tip's state lives here, so it never re-renders the ladder.
 */
function BookLevel({ row, side, symbol, fmt, venueSplits, onPick }: BookLevelProps) {
  const [hovered, setHovered] = useState(false);
  const [focused, setFocused] = useState(false);
  const [dismissed, setDismissed] = useState(false);
  const tipId = useId();
  const open = (hovered || focused) && !dismissed;
  return (
    <tr
      className={`level ${side}`}
      onClick={() => onPick(row.price)}
      onMouseEnter={() => {
        setHovered(true);
        setDismissed(false);
      }}
      onMouseLeave={() => setHovered(false)}
      onFocus={() => {
        setFocused(true);
        setDismissed(false);
      }}
      onBlur={() => setFocused(false)}
      onKeyDown={(e) => {
        if (e.key === "Escape") setDismissed(true);
      }}
      title={`Total to this level: ${fmt.qty(row.cumulative)}. Click to use ${fmt.price(row.price)} as the order price.`}
    >
      <td className="num price">
        <button
          type="button"
          className="level-btn"
          aria-label={`Use price ${fmt.price(row.price)}`}
          aria-describedby={open ? tipId : undefined}
        >
          {fmt.price(row.price)}
        </button>
        {open && <LevelVenuesTip id={tipId} cache={venueSplits} symbol={symbol} side={side} price={row.price} fmt={fmt} />}
      </td>
      <td className="num">{fmt.qty(row.quantity)}</td>
      <td className="num muted">
        {fmt.qty(row.cumulative)}
        <span className="depth-bar" style={{ width: `${(row.share * 100).toFixed(1)}%` }} aria-hidden="true" />
      </td>
    </tr>
  );
}

/**
 * The consolidated ladder: asks above, spread, bids below; a click sets the ticket's price, and
 * resting on a level shows its split by venue (asked of the REST API, src/stream/venueSplit.ts).
 */
export function OrderBook() {
  const { api, store } = useSession();
  const symbol = useTrading((s) => s.symbol);
  const book = useTrading((s) => s.book);
  const stale = useTrading((s) => s.stale);
  const fmt = useMarketFormat(symbol);

  const { asks, bids, spread, spreadPct } = useMemo(() => {
    if (book === null) return { asks: [] as Row[], bids: [] as Row[], spread: null, spreadPct: null };
    const a = withCumulative(topLevels(book.asks, false, DEPTH));
    const b = withCumulative(topLevels(book.bids, true, DEPTH));
    const lastA = a[a.length - 1]?.cumulative ?? "0";
    const lastB = b[b.length - 1]?.cumulative ?? "0";
    const max = cmp(dec(lastA), dec(lastB)) > 0 ? lastA : lastB;
    const bestAsk = a[0]?.price;
    const bestBid = b[0]?.price;
    let spreadValue: string | null = null;
    let pct: string | null = null;
    if (bestAsk !== undefined && bestBid !== undefined) {
      const s = sub(dec(bestAsk), dec(bestBid));
      spreadValue = toPlain(s);
      const ratio = div(mul(s, dec("100")), dec(bestAsk), 3);
      pct = ratio === null ? null : toPlain(ratio);
    }
    return {
      asks: max === "0" ? a : scale(a, max).reverse(),
      bids: max === "0" ? b : scale(b, max),
      spread: spreadValue,
      spreadPct: pct,
    };
  }, [book]);

  const venueSplits = useMemo(() => new VenueSplitCache((s, depth) => api.bookByVenue(s, depth)), [api]);

  const level = (row: Row, side: BookSide) => (
    <BookLevel
      key={`${side}-${row.price}`}
      row={row}
      side={side}
      symbol={symbol}
      fmt={fmt}
      venueSplits={venueSplits}
      onPick={(price) => store.pickPrice(price)}
    />
  );

  return (
    <section className={`panel book ${stale ? "stale" : ""}`} aria-label="Order book">
      <header className="panel-head">
        <h2>Order book</h2>
        <span className="muted small">consolidated</span>
      </header>
      <table className="ladder">
        <thead>
          <tr>
            <th scope="col" className="num">Price</th>
            <th scope="col" className="num">Size</th>
            <th scope="col" className="num">Total</th>
          </tr>
        </thead>
        <tbody data-testid="asks">{asks.map((r) => level(r, "ask"))}</tbody>
        <tbody>
          <tr className="spread-row">
            <td colSpan={3}>
              Spread <span className="num">{spread === null ? "—" : fmt.price(spread)}</span>
              {spreadPct !== null && <span className="muted num"> ({spreadPct}%)</span>}
            </td>
          </tr>
        </tbody>
        <tbody data-testid="bids">{bids.map((r) => level(r, "bid"))}</tbody>
      </table>
    </section>
  );
}
