/** Reject reasons and API error codes, said in plain words for a trader. */

const REJECT_REASONS: Record<string, string> = {
  UNKNOWN_ACCOUNT: "This account is not known to the risk engine.",
  DUPLICATE_ORDER_ID: "An order with this id already exists.",
  TRADING_HALTED: "Trading is halted (kill switch): no new orders are accepted.",
  UNKNOWN_INSTRUMENT: "This market is not traded here.",
  INVALID_QUANTITY: "The quantity is not valid for this market.",
  INVALID_PRICE: "The price is not valid for this market.",
  QTY_BELOW_MIN: "The quantity is below the market's minimum.",
  QTY_ABOVE_MAX: "The quantity is above the market's maximum.",
  NOTIONAL_BELOW_MIN: "The order value is below the market's minimum notional.",
  NOTIONAL_ABOVE_MAX: "The order value is above your maximum order size.",
  NO_MARK_PRICE: "There is no mark price for this market yet; try again in a moment.",
  PRICE_OUTSIDE_BAND: "The price is too far from the mark price (outside the allowed price band).",
  TOO_MANY_OPEN_ORDERS: "You have too many open orders; cancel some first.",
  RATE_LIMITED: "Too many orders in one second; slow down.",
  TRADING_REDUCE_ONLY: "Your account may only reduce positions right now.",
  REDUCE_ONLY_WOULD_INCREASE: "A reduce-only order may not increase the position.",
  MAX_POSITION_EXCEEDED: "The order would take the position over your maximum position size.",
  LEVERAGE_BRACKET_EXCEEDED: "The position would be too large for its leverage bracket.",
  INSUFFICIENT_BALANCE: "Not enough balance to pay for this order.",
  INSUFFICIENT_MARGIN: "Not enough available margin for this order.",
  DRAWDOWN_LIMIT: "Your account hit its drawdown limit: only reducing orders are accepted.",
  POST_ONLY_WOULD_TAKE: "Post-only order would have traded immediately, so it was rejected.",
  VENUE_REJECTED: "The venue rejected the order.",
};

const ERROR_CODES: Record<string, string> = {
  AUTH_REQUIRED: "Sign in first.",
  INVALID_API_KEY: "No account has this API key.",
  INVALID_SIGNATURE: "The secret does not match this API key.",
  TIMESTAMP_EXPIRED: "Your computer's clock is too far from the server's.",
  REPLAYED_SIGNATURE: "This exact request was already sent; it was not repeated.",
  TOO_MANY_REQUESTS: "Too many requests; wait a moment and try again.",
  TOO_MANY_CONNECTIONS: "Too many open dashboards for this key; close one.",
  TOO_MANY_SUBSCRIPTIONS: "Too many live subscriptions on one connection.",
  FORBIDDEN: "This key may not do that.",
  ORDER_NOT_FOUND: "The order was not found.",
  ORDER_NOT_OPEN: "The order is already closed.",
  DUPLICATE_CLIENT_ORDER_ID: "That client order id was already used for another order.",
  BUS_UNAVAILABLE: "The OMS is busy; try again.",
  STORE_UNAVAILABLE: "The OMS is busy; try again.",
  IDEMPOTENCY_UNAVAILABLE: "The OMS is busy; try again.",
  NOT_READY: "The OMS is starting; try again in a moment.",
};

/** A reject reason in plain words; an unknown code is shown as words made from the code. */
export function describeReject(reason: string | null | undefined): string {
  if (reason === null || reason === undefined || reason === "") return "";
  return REJECT_REASONS[reason] ?? humanize(reason);
}

/** An API error for a person: known codes get a sentence, others the server's message. */
export function describeError(code: string, message: string): string {
  return ERROR_CODES[code] ?? (message !== "" ? message : humanize(code));
}

function humanize(code: string): string {
  const words = code.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1) + ".";
}
