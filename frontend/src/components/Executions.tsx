import { useFormats } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { formatTime } from "../lib/format";

/** The account's fills, newest first. */
export function Executions() {
  const executions = useTrading((s) => s.executions);
  const formats = useFormats();
  return (
    <table aria-label="Executions">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Market</th>
          <th scope="col">Side</th>
          <th scope="col" className="num">Price</th>
          <th scope="col" className="num">Quantity</th>
          <th scope="col" className="num">Fee</th>
          <th scope="col">Role</th>
          <th scope="col">Venue</th>
        </tr>
      </thead>
      <tbody>
        {executions.length === 0 && (
          <tr>
            <td colSpan={8} className="empty">
              No fills yet
            </td>
          </tr>
        )}
        {executions.slice(0, 200).map((e) => {
          const f = formats(e.symbol);
          return (
            <tr key={e.execId}>
              <td className="num muted">{formatTime(e.time)}</td>
              <td>{e.symbol}</td>
              <td className={e.side === "BUY" ? "up" : "down"}>{e.side}</td>
              <td className="num">{f.price(e.price)}</td>
              <td className="num">{f.qty(e.quantity)}</td>
              <td className="num">{f.quote(e.fee)}</td>
              <td>{e.liquidity === "MAKER" ? "Maker" : "Taker"}</td>
              <td className="muted">{e.venue}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
