import { useSession, useTrading } from "../hooks/useTrading";
import { useFormats } from "../hooks/useMarketFormat";
import { direction, formatDecimal } from "../lib/format";

/** Spot and perpetual markets with last price and 24 h change; picks the traded market. */
export function MarketSelector() {
  const { store } = useSession();
  const markets = useTrading((s) => s.markets);
  const symbol = useTrading((s) => s.symbol);
  const tickers = useTrading((s) => s.tickers);
  const formats = useFormats();
  const groups = [
    { label: "Spot", items: markets.filter((m) => m.kind !== "perpetual") },
    { label: "Perpetuals", items: markets.filter((m) => m.kind === "perpetual") },
  ];
  return (
    <nav className="market-selector" aria-label="Markets">
      {groups.map((group) => (
        <div key={group.label} className="market-group" role="group" aria-label={group.label}>
          <span className="group-label">{group.label}</span>
          {group.items.map((m) => {
            const t = tickers[m.symbol];
            const change = t?.changePct24h ?? null;
            return (
              <button
                key={m.symbol}
                type="button"
                className={`market-tab ${m.symbol === symbol ? "active" : ""}`}
                aria-pressed={m.symbol === symbol}
                title={`${m.symbol}: last ${formats(m.symbol).price(t?.last ?? null)}, mark ${formats(m.symbol).price(t?.mark ?? null)}`}
                onClick={() => store.selectSymbol(m.symbol)}
              >
                <span className="sym">{m.symbol}</span>
                <span className="num">{formats(m.symbol).price(t?.last ?? t?.mark ?? null)}</span>
                <span className={`num ${direction(change)}`}>{change === null ? "" : `${formatDecimal(change, 2)}%`}</span>
              </button>
            );
          })}
        </div>
      ))}
    </nav>
  );
}
