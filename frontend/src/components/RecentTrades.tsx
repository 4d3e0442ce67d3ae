import { useMarketFormat } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { formatTime } from "../lib/format";

/** The latest prints across venues, newest first, coloured by the aggressor's side. */
export function RecentTrades() {
  const symbol = useTrading((s) => s.symbol);
  const trades = useTrading((s) => s.trades);
  const fmt = useMarketFormat(symbol);
  return (
    <section className="panel trades" aria-label="Recent trades">
      <header className="panel-head">
        <h2>Trades</h2>
      </header>
      <div className="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col" className="num">Price</th>
              <th scope="col" className="num">Size</th>
              <th scope="col" className="num">Time</th>
            </tr>
          </thead>
          <tbody>
            {trades.slice(0, 60).map((t, i) => (
              <tr key={`${t.time}-${t.venue}-${i}`} title={`Venue ${t.venue}`}>
                <td className={`num ${t.aggressor === "BUY" ? "up" : "down"}`}>{fmt.price(t.price)}</td>
                <td className="num">{fmt.qty(t.quantity)}</td>
                <td className="num muted">{formatTime(t.time)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
