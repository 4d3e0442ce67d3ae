/** Short names for the API's generated types (src/api/schema.d.ts, from api/openapi.json). */

import type { components } from "./schema";

type Schemas = components["schemas"];

export type Account = Schemas["Account"];
export type Balance = Schemas["Balance"];
export type Book = Schemas["Book"];
export type ErrorBody = Schemas["ErrorBody"];
export type Execution = Schemas["Execution"];
export type Market = Schemas["Market"];
export type Order = Schemas["Order"];
export type OrderSide = Order["side"];
export type OrderStatus = Order["status"];
export type OrderType = Order["type"];
export type TimeInForce = Order["timeInForce"];
export type PlaceOrderRequest = Schemas["PlaceOrderRequest"];
export type Position = Schemas["Position"];
export type PublicTrade = Schemas["PublicTrade"];
export type Ticker = Schemas["Ticker"];
export type TradingState = Account["tradingState"];
export type DemoLogin = Schemas["DemoLogin"];

/** A price level as the API sends it: [price, quantity]. */
export type Level = [string, string];

export const OPEN_STATUSES: readonly OrderStatus[] = [
  "PENDING_NEW",
  "NEW",
  "PARTIALLY_FILLED",
  "PENDING_CANCEL",
  "PENDING_REPLACE",
];

export const isOpen = (order: Order): boolean => OPEN_STATUSES.includes(order.status);
