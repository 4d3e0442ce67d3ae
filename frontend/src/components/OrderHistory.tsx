import { isOpen } from "../api/types";
import { useFormats } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { formatTime } from "../lib/format";
import { describeReject } from "../lib/reasons";
import { StatusLabel } from "./StatusLabel";

/** Finished orders: status, fills, average price, fee, and why a rejected one was rejected. */
export function OrderHistory() {
  const orders = useTrading((s) => s.orders);
  const formats = useFormats();
  const done = Object.values(orders)
    .filter((o) => !isOpen(o))
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, 200);
  return (
    <table aria-label="Order history">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Market</th>
          <th scope="col">Side</th>
          <th scope="col">Type</th>
          <th scope="col" className="num">Price</th>
          <th scope="col" className="num">Quantity</th>
          <th scope="col" className="num">Filled</th>
          <th scope="col" className="num">Avg price</th>
          <th scope="col" className="num">Fee</th>
          <th scope="col">Status</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {done.length === 0 && (
          <tr>
            <td colSpan={11} className="empty">
              No finished orders yet
            </td>
          </tr>
        )}
        {done.map((o) => {
          const f = formats(o.symbol);
          return (
            <tr key={o.orderId} data-order-id={o.orderId}>
              <td className="num muted">{formatTime(o.updatedAt)}</td>
              <td>{o.symbol}</td>
              <td className={o.side === "BUY" ? "up" : "down"}>{o.side}</td>
              <td>{o.type.replace("_", " ")}</td>
              <td className="num">{f.price(o.price)}</td>
              <td className="num">{f.qty(o.quantity)}</td>
              <td className="num">{f.qty(o.cumQty)}</td>
              <td className="num">{f.price(o.avgPx)}</td>
              <td className="num">{f.quote(o.fee)}</td>
              <td>
                <StatusLabel status={o.status} />
              </td>
              <td className="reason">{describeReject(o.rejectReason)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
