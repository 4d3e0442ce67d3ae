import { type FormEvent, useEffect, useMemo, useState } from "react";
import { ApiError, type NewOrder } from "../api/client";
import type { OrderSide, OrderType, TimeInForce } from "../api/types";
import { useMarketFormat } from "../hooks/useMarketFormat";
import { NO_BALANCES, useSelectedMarket, useSession, useTrading } from "../hooks/useTrading";
import { topLevels } from "../stream/book";
import {
  type Ticket,
  checkTicket,
  describeTicket,
  isPerpetual,
  needsConfirmation,
  needsPrice,
  needsStop,
} from "../lib/orderForm";
import { describeError } from "../lib/reasons";
import { ConfirmDialog } from "./ConfirmDialog";

const TYPES: { value: OrderType; label: string }[] = [
  { value: "LIMIT", label: "Limit" },
  { value: "MARKET", label: "Market" },
  { value: "STOP_LIMIT", label: "Stop limit" },
  { value: "STOP_MARKET", label: "Stop market" },
];

const TIFS: { value: TimeInForce; label: string }[] = [
  { value: "GTC", label: "GTC · good till canceled" },
  { value: "IOC", label: "IOC · immediate or cancel" },
  { value: "FOK", label: "FOK · fill or kill" },
];

interface Props {
  /** Orders worth at least this much (quote asset) ask for a confirmation first. */
  confirmAbove?: string;
}

/** The order ticket: validated live against the market's filters, with cost and fee preview. */
export function OrderTicket({ confirmAbove = "100000" }: Props) {
  const { api, store } = useSession();
  const market = useSelectedMarket();
  const symbol = useTrading((s) => s.symbol);
  const book = useTrading((s) => s.book);
  const ticker = useTrading((s) => s.tickers[s.symbol]);
  const picked = useTrading((s) => s.pickedPrice);
  const positions = useTrading((s) => s.positions);
  const balances = useTrading((s) => s.account?.balances ?? NO_BALANCES);
  const availableMargin = useTrading((s) => s.account?.availableMargin ?? null);
  const fmt = useMarketFormat(symbol);

  const [side, setSide] = useState<OrderSide>("BUY");
  const [type, setType] = useState<OrderType>("LIMIT");
  const [timeInForce, setTimeInForce] = useState<TimeInForce>("GTC");
  const [postOnly, setPostOnly] = useState(false);
  const [reduceOnly, setReduceOnly] = useState(false);
  const [quantity, setQuantity] = useState("");
  const [price, setPrice] = useState("");
  const [stopPrice, setStopPrice] = useState("");
  const [touched, setTouched] = useState(false);
  const [submitError, setSubmitError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState<NewOrder | null>(null);

  useEffect(() => {
    setPrice("");
    setStopPrice("");
    setQuantity("");
    setTouched(false);
    setSubmitError(null);
  }, [symbol]);

  useEffect(() => {
    if (picked === null) return;
    setPrice(picked.price);
    setType((t) => (needsPrice(t) ? t : "LIMIT"));
  }, [picked]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!event.altKey) return;
      if (event.key === "b" || event.key === "B") setSide("BUY");
      else if (event.key === "s" || event.key === "S") setSide("SELL");
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const referencePrice = useMemo(() => {
    if (book !== null) {
      const level = side === "BUY" ? topLevels(book.asks, false, 1)[0] : topLevels(book.bids, true, 1)[0];
      if (level !== undefined) return level[0];
    }
    return ticker?.last ?? ticker?.mark ?? null;
  }, [book, side, ticker]);

  if (market === null) return <section className="panel ticket" aria-label="Order entry" />;
  const perp = isPerpetual(market);
  const position = positions.find((p) => p.symbol === market.symbol);
  const leverage = position?.leverage ?? Math.min(10, market.maxLeverage);
  const ticket: Ticket = { side, type, quantity, price, stopPrice };
  const check = checkTicket(ticket, market, referencePrice, leverage);
  const tif: TimeInForce = type === "LIMIT" && postOnly ? "GTX" : timeInForce;
  const spendAsset = perp || side === "BUY" ? market.quote : market.base;
  const available = perp ? availableMargin : (balances.find((b) => b.asset === spendAsset)?.available ?? null);
  const showError = (field: keyof typeof check.errors): string | undefined =>
    touched || (field !== "notional" && ticket[field as keyof Ticket] !== "") ? check.errors[field] : undefined;

  function buildOrder(): NewOrder {
    const order: NewOrder = { symbol: market!.symbol, side, type, quantity: quantity.trim(), timeInForce: tif };
    if (needsPrice(type)) order.price = price.trim();
    if (needsStop(type)) order.stopPrice = stopPrice.trim();
    if (reduceOnly && perp) order.reduceOnly = true;
    return order;
  }

  async function send(order: NewOrder): Promise<void> {
    setBusy(true);
    setSubmitError(null);
    try {
      const placed = await api.placeOrder(order);
      store.applyOrder(placed);
      store.notify("info", `Order sent: ${describeTicket(ticket, market!)}`);
      setQuantity("");
      setTouched(false);
    } catch (e) {
      const text = e instanceof ApiError ? describeError(e.code, e.message) : "The OMS cannot be reached.";
      setSubmitError(text);
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent): void {
    event.preventDefault();
    setTouched(true);
    if (!check.valid || busy) return;
    const order = buildOrder();
    if (needsConfirmation(check.notional, confirmAbove)) setConfirming(order);
    else void send(order);
  }

  const errorId = (field: string): string => `ticket-${field}-error`;
  const fieldError = (field: "quantity" | "price" | "stopPrice" | "notional") => {
    const text = showError(field);
    return text === undefined ? null : (
      <span id={errorId(field)} className="field-error" role="alert">
        {text}
      </span>
    );
  };

  return (
    <section className="panel ticket" aria-label="Order entry">
      <form onSubmit={submit} noValidate>
        <div className="side-switch" role="group" aria-label="Side">
          <button
            type="button"
            className={`side buy ${side === "BUY" ? "active" : ""}`}
            aria-pressed={side === "BUY"}
            aria-keyshortcuts="Alt+B"
            onClick={() => setSide("BUY")}
          >
            Buy
          </button>
          <button
            type="button"
            className={`side sell ${side === "SELL" ? "active" : ""}`}
            aria-pressed={side === "SELL"}
            aria-keyshortcuts="Alt+S"
            onClick={() => setSide("SELL")}
          >
            Sell
          </button>
        </div>
        <div className="row2">
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.target.value as OrderType)}>
              {TYPES.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Time in force
            <select
              value={tif === "GTX" ? "GTC" : timeInForce}
              disabled={tif === "GTX" || type === "MARKET" || type === "STOP_MARKET"}
              onChange={(e) => setTimeInForce(e.target.value as TimeInForce)}
            >
              {TIFS.map((t) => (
                <option key={t.value} value={t.value}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        {needsStop(type) && (
          <label>
            Stop price ({market.quote})
            <input
              inputMode="decimal"
              value={stopPrice}
              onChange={(e) => setStopPrice(e.target.value)}
              aria-invalid={showError("stopPrice") !== undefined}
              aria-describedby={errorId("stopPrice")}
              placeholder={`tick ${market.tickSize}`}
            />
            {fieldError("stopPrice")}
          </label>
        )}
        {needsPrice(type) ? (
          <label>
            Price ({market.quote})
            <input
              inputMode="decimal"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
              aria-invalid={showError("price") !== undefined}
              aria-describedby={errorId("price")}
              placeholder={`tick ${market.tickSize}`}
            />
            {fieldError("price")}
          </label>
        ) : (
          <p className="muted small">
            Executes at the best available price (now {fmt.price(referencePrice)}).
          </p>
        )}
        <label>
          Quantity ({market.base})
          <input
            inputMode="decimal"
            value={quantity}
            onChange={(e) => setQuantity(e.target.value)}
            aria-invalid={showError("quantity") !== undefined}
            aria-describedby={errorId("quantity")}
            placeholder={`lot ${market.lotSize}, min ${market.minQty}`}
          />
          {fieldError("quantity")}
        </label>
        <div className="flags">
          {type === "LIMIT" && (
            <label className="check" title="GTX: rejected instead of trading immediately">
              <input type="checkbox" checked={postOnly} onChange={(e) => setPostOnly(e.target.checked)} />
              Post only
            </label>
          )}
          {perp && (
            <label className="check" title="May only reduce the position">
              <input type="checkbox" checked={reduceOnly} onChange={(e) => setReduceOnly(e.target.checked)} />
              Reduce only
            </label>
          )}
        </div>
        {fieldError("notional")}
        <dl className="preview" aria-label="Order preview">
          <div>
            <dt>Order value</dt>
            <dd className="num" data-testid="preview-notional">
              {fmt.quote(check.notional)} {market.quote}
            </dd>
          </div>
          <div>
            <dt>{perp ? `Margin at ${leverage}x` : "Cost"}</dt>
            <dd className="num">
              {check.costAsset === market.base ? fmt.qty(check.cost) : fmt.quote(check.cost)} {check.costAsset ?? ""}
            </dd>
          </div>
          <div>
            <dt>Fee (taker, at most)</dt>
            <dd className="num">
              {fmt.quote(check.fee)} {market.quote}
            </dd>
          </div>
          <div>
            <dt>{perp ? "Available margin" : "Available"}</dt>
            <dd className="num">
              {spendAsset === market.base ? fmt.qty(available) : fmt.quote(available)} {spendAsset}
            </dd>
          </div>
        </dl>
        {submitError !== null && (
          <p className="error" role="alert">
            {submitError}
          </p>
        )}
        <button type="submit" className={`btn btn-wide btn-${side === "BUY" ? "buy" : "sell"}`} disabled={busy}>
          {side === "BUY" ? "Buy" : "Sell"} {market.base}
        </button>
      </form>
      {confirming !== null && (
        <ConfirmDialog
          title="Confirm a large order"
          confirmLabel={`Confirm ${side === "BUY" ? "buy" : "sell"}`}
          tone={side === "BUY" ? "buy" : "sell"}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const order = confirming;
            setConfirming(null);
            void send(order);
          }}
        >
          <p>{describeTicket(ticket, market)}</p>
          <p className="num">
            Order value {fmt.quote(check.notional)} {market.quote}
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
