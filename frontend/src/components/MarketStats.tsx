import { useMarketFormat } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { direction, formatDecimal } from "../lib/format";

/** The selected market's last, mark, 24 h change, high, low and volume. */
export function MarketStats() {
  const symbol = useTrading((s) => s.symbol);
  const ticker = useTrading((s) => s.tickers[s.symbol]);
  const fmt = useMarketFormat(symbol);
  const change = ticker?.changePct24h ?? null;
  return (
    <dl className="market-stats" aria-label={`${symbol} statistics`}>
      <div>
        <dt>Last</dt>
        <dd className={`num big ${direction(change)}`} data-testid="last-price">
          {fmt.price(ticker?.last)}
        </dd>
      </div>
      <div>
        <dt>Mark</dt>
        <dd className="num">{fmt.price(ticker?.mark)}</dd>
      </div>
      <div>
        <dt>24h change</dt>
        <dd className={`num ${direction(change)}`}>{change === null ? "—" : `${formatDecimal(change, 2)}%`}</dd>
      </div>
      <div>
        <dt>24h high</dt>
        <dd className="num">{fmt.price(ticker?.high24h)}</dd>
      </div>
      <div>
        <dt>24h low</dt>
        <dd className="num">{fmt.price(ticker?.low24h)}</dd>
      </div>
      <div>
        <dt>24h volume</dt>
        <dd className="num">{fmt.qty(ticker?.volume24h)}</dd>
      </div>
    </dl>
  );
}
