import { type FormEvent, useState } from "react";
import { ApiError } from "../api/client";
import { type Order, isOpen } from "../api/types";
import { useFormats } from "../hooks/useMarketFormat";
import { useSession, useTrading } from "../hooks/useTrading";
import { formatTime } from "../lib/format";
import { checkTicket } from "../lib/orderForm";
import { describeError } from "../lib/reasons";
import { StatusLabel } from "./StatusLabel";

/** Working orders with amend (price, quantity), cancel, and cancel-all. */
export function OpenOrders() {
  const { api, store } = useSession();
  const orders = useTrading((s) => s.orders);
  const formats = useFormats();
  const [editing, setEditing] = useState<string | null>(null);
  const open = Object.values(orders)
    .filter(isOpen)
    .sort((a, b) => b.createdAt - a.createdAt);

  const act = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
    } catch (e) {
      store.notify("error", `${what} failed: ${e instanceof ApiError ? describeError(e.code, e.message) : String(e)}`);
    }
  };

  return (
    <div className="blotter-table">
      <div className="table-actions">
        <span className="muted">{open.length} open</span>
        <button
          type="button"
          className="btn btn-small"
          disabled={open.length === 0}
          onClick={() => void act("Cancel all", () => api.cancelAll())}
        >
          Cancel all
        </button>
      </div>
      <table aria-label="Open orders">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Market</th>
            <th scope="col">Side</th>
            <th scope="col">Type</th>
            <th scope="col" className="num">Price</th>
            <th scope="col" className="num">Quantity</th>
            <th scope="col" className="num">Filled</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {open.length === 0 && (
            <tr>
              <td colSpan={9} className="empty">
                No open orders
              </td>
            </tr>
          )}
          {open.map((order) =>
            editing === order.orderId ? (
              <AmendRow
                key={order.orderId}
                order={order}
                onDone={() => setEditing(null)}
                onSave={(change) => act("Amend", () => api.amendOrder(order.orderId, change).then((o) => store.applyOrder(o)))}
              />
            ) : (
              <tr key={order.orderId} data-order-id={order.orderId}>
                <td className="num muted">{formatTime(order.createdAt)}</td>
                <td>{order.symbol}</td>
                <td className={order.side === "BUY" ? "up" : "down"}>{order.side}</td>
                <td>{order.type.replace("_", " ")}</td>
                <td className="num">{formats(order.symbol).price(order.price ?? order.stopPrice)}</td>
                <td className="num">{formats(order.symbol).qty(order.quantity)}</td>
                <td className="num">{formats(order.symbol).qty(order.cumQty)}</td>
                <td>
                  <StatusLabel status={order.status} />
                </td>
                <td className="actions">
                  {order.type !== "MARKET" && (
                    <button type="button" className="btn btn-small" onClick={() => setEditing(order.orderId)}>
                      Amend
                    </button>
                  )}
                  <button
                    type="button"
                    className="btn btn-small"
                    aria-label={`Cancel order ${order.orderId}`}
                    onClick={() => void act("Cancel", () => api.cancelOrder(order.orderId).then((o) => store.applyOrder(o)))}
                  >
                    Cancel
                  </button>
                </td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

interface AmendProps {
  order: Order;
  onSave: (change: { price?: string; quantity?: string }) => Promise<void>;
  onDone: () => void;
}

function AmendRow({ order, onSave, onDone }: AmendProps) {
  const formats = useFormats();
  const market = useTrading((s) => s.markets.find((m) => m.symbol === order.symbol));
  const [price, setPrice] = useState(order.price ?? "");
  const [quantity, setQuantity] = useState(order.quantity);
  // The same live checks as the ticket: tick, lot, min/max quantity, min notional.
  const check =
    market === undefined
      ? null
      : checkTicket(
          { side: order.side, type: order.price !== null ? "LIMIT" : "MARKET", quantity, price, stopPrice: "" },
          market,
          order.stopPrice,
          1,
        );
  const problem = check === null ? undefined : (check.errors.price ?? check.errors.quantity ?? check.errors.notional);
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (problem !== undefined) return;
    const change: { price?: string; quantity?: string } = {};
    if (order.price !== null && price.trim() !== order.price) change.price = price.trim();
    if (quantity.trim() !== order.quantity) change.quantity = quantity.trim();
    if (Object.keys(change).length > 0) void onSave(change);
    onDone();
  };
  return (
    <tr className="editing" data-order-id={order.orderId}>
      <td colSpan={9}>
        <form className="amend" onSubmit={submit} onKeyDown={(e) => e.key === "Escape" && onDone()}>
          <span>
            Amend {order.side} {order.symbol} (filled {formats(order.symbol).qty(order.cumQty)})
          </span>
          {order.price !== null && (
            <label>
              New price
              <input inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} autoFocus />
            </label>
          )}
          <label>
            New quantity
            <input inputMode="decimal" value={quantity} onChange={(e) => setQuantity(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-small btn-primary" disabled={problem !== undefined}>
            Save
          </button>
          <button type="button" className="btn btn-small" onClick={onDone}>
            Discard
          </button>
          {problem !== undefined && (
            <span className="field-error" role="alert">
              {problem}
            </span>
          )}
        </form>
      </td>
    </tr>
  );
}
