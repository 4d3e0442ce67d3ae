/**
 * Live validation and preview of the order ticket against the market's filters: tick and lot
 * grid, min/max quantity, min notional; cost (spot) or initial margin (perpetuals) and fee.
 */

import type { Market, OrderSide, OrderType } from "../api/types";
import { type Dec, cmp, dec, decimalsOf, div, isMultipleOf, isZero, mul, parseDec, toPlain } from "./decimal";
import { formatDecimal } from "./format";

export interface Ticket {
  side: OrderSide;
  type: OrderType;
  quantity: string;
  price: string;
  stopPrice: string;
}

export interface TicketCheck {
  /** Field name → what is wrong with it, in plain words. */
  errors: Partial<Record<"quantity" | "price" | "stopPrice" | "notional", string>>;
  /** Order value in the quote asset (price × quantity, at the reference price for market types). */
  notional: string | null;
  /** Spot: what a buy reserves in quote (or a sell in base); perpetual: initial margin. */
  cost: string | null;
  costAsset: string | null;
  fee: string | null;
  leverage: number | null;
  valid: boolean;
}

export const needsPrice = (type: OrderType): boolean => type === "LIMIT" || type === "STOP_LIMIT";
export const needsStop = (type: OrderType): boolean => type === "STOP_LIMIT" || type === "STOP_MARKET";
export const isPerpetual = (market: Market): boolean => market.kind === "perpetual";

function checkPrice(text: string, market: Market, label: string): [Dec | null, string | undefined] {
  if (text.trim() === "") return [null, `Enter a ${label}.`];
  const value = parseDec(text);
  if (value === null || value.units <= 0n) return [null, `The ${label} must be a positive number.`];
  if (!isMultipleOf(value, dec(market.tickSize))) {
    return [null, `The ${label} must be a multiple of the tick size ${market.tickSize}.`];
  }
  return [value, undefined];
}

/**
 * Check a ticket. `referencePrice` values market orders (best ask for a buy, best bid for a
 * sell); `leverage` is the position's (perpetuals).
 */
export function checkTicket(
  ticket: Ticket,
  market: Market,
  referencePrice: string | null,
  leverage: number,
): TicketCheck {
  const errors: TicketCheck["errors"] = {};
  let qty: Dec | null = null;
  if (ticket.quantity.trim() === "") {
    errors.quantity = "Enter a quantity.";
  } else {
    const q = parseDec(ticket.quantity);
    if (q === null || q.units <= 0n) errors.quantity = "The quantity must be a positive number.";
    else if (!isMultipleOf(q, dec(market.lotSize)))
      errors.quantity = `The quantity must be a multiple of the lot size ${market.lotSize}.`;
    else if (cmp(q, dec(market.minQty)) < 0) errors.quantity = `The minimum quantity is ${market.minQty}.`;
    else if (cmp(q, dec(market.maxQty)) > 0) errors.quantity = `The maximum quantity is ${market.maxQty}.`;
    else qty = q;
  }
  let price: Dec | null = null;
  if (needsPrice(ticket.type)) {
    const [p, error] = checkPrice(ticket.price, market, "price");
    price = p;
    if (error !== undefined) errors.price = error;
  } else if (referencePrice !== null) {
    price = parseDec(referencePrice);
  }
  if (needsStop(ticket.type)) {
    const [, error] = checkPrice(ticket.stopPrice, market, "stop price");
    if (error !== undefined) errors.stopPrice = error;
    if (ticket.type === "STOP_MARKET" && error === undefined) price = parseDec(ticket.stopPrice);
  }
  let notional: Dec | null = null;
  if (qty !== null && price !== null) {
    notional = mul(qty, price);
    if (cmp(notional, dec(market.minNotional)) < 0) {
      errors.notional = `The order value must be at least ${market.minNotional} ${market.quote}.`;
    }
  }
  const quoteDecimals = Math.max(2, decimalsOf(market.tickSize));
  let cost: string | null = null;
  let costAsset: string | null = null;
  let fee: string | null = null;
  const perp = isPerpetual(market);
  if (notional !== null && qty !== null) {
    fee = toPlain(mul(notional, dec(market.takerFee)));
    if (perp) {
      const margin = div(notional, dec(String(leverage)), quoteDecimals);
      cost = margin !== null ? toPlain(margin) : null;
      costAsset = market.quote;
    } else if (ticket.side === "BUY") {
      cost = toPlain(notional);
      costAsset = market.quote;
    } else {
      cost = toPlain(qty);
      costAsset = market.base;
    }
  }
  return {
    errors,
    notional: notional !== null && !isZero(notional) ? toPlain(notional) : null,
    cost,
    costAsset,
    fee,
    leverage: perp ? leverage : null,
    valid: Object.keys(errors).length === 0,
  };
}

/** Is this order large enough to ask the trader to confirm it first? */
export function needsConfirmation(notional: string | null, threshold: string): boolean {
  if (notional === null) return false;
  const n = parseDec(notional);
  return n !== null && cmp(n, dec(threshold)) >= 0;
}

/** One line describing an order for the confirmation dialog. */
export function describeTicket(ticket: Ticket, market: Market): string {
  const priceDecimals = decimalsOf(market.tickSize);
  const at = needsPrice(ticket.type) ? ` @ ${formatDecimal(ticket.price, priceDecimals)}` : " at market";
  const stop = needsStop(ticket.type) ? ` (stop ${formatDecimal(ticket.stopPrice, priceDecimals)})` : "";
  return `${ticket.side} ${ticket.quantity} ${market.base}${at}${stop} ${market.symbol}`;
}
