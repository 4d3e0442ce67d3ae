/**
 * The signed REST client: openapi-fetch over the generated `paths`, with a middleware that signs
 * every request (timestamp + METHOD + path with query + body) using WebCrypto.
 */

import createClient, { type Middleware } from "openapi-fetch";
import { signRequest, timestampNow } from "../lib/signing";
import type { paths } from "./schema";
import type {
  Account,
  Book,
  DemoLogin,
  ErrorBody,
  Execution,
  Market,
  Order,
  OrderStatus,
  PlaceOrderRequest,
  Position,
  PublicTrade,
  Ticker,
} from "./types";

export interface Credentials {
  key: string;
  secret: string;
}

/** An error answer of the API: `code` is stable, `message` for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * Signs every request. Timestamps only grow (a millisecond apart at least), so two identical
 * requests in one millisecond (a double click) are two signatures, not a replay the server refuses.
 */
export function signingMiddleware(credentials: Credentials): Middleware {
  let last = 0;
  return {
    async onRequest({ request }) {
      const body = request.body === null ? "" : await request.clone().text();
      const url = new URL(request.url);
      last = Math.max(Number(timestampNow()), last + 1);
      const timestamp = String(last);
      const signature = await signRequest(credentials.secret, timestamp, request.method, url.pathname + url.search, body);
      request.headers.set("X-OMS-KEY", credentials.key);
      request.headers.set("X-OMS-TIMESTAMP", timestamp);
      request.headers.set("X-OMS-SIGNATURE", signature);
      return request;
    },
  };
}

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

function unwrap<T>(result: Result<T>): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const body = result.error as Partial<ErrorBody> | undefined;
  throw new ApiError(
    result.response.status,
    body?.code ?? `HTTP_${result.response.status}`,
    body?.message ?? result.response.statusText,
    body?.field ?? null,
  );
}

/**
 * The book with each level's quantity split by venue (`venues=true`). openapi-fetch reads the
 * `[price, quantity]` levels as plain arrays; the generated type says the venue keys are null by
 * default, but the server leaves them out when not asked, so both are possible.
 */
export type BookByVenue = Pick<Book, "symbol" | "seq"> & {
  bids: string[][];
  asks: string[][];
  venues?: string[] | null;
  bidsByVenue?: string[][] | null;
  asksByVenue?: string[][] | null;
};

export type NewOrder = Pick<PlaceOrderRequest, "symbol" | "side" | "type" | "quantity"> &
  Partial<Pick<PlaceOrderRequest, "timeInForce" | "price" | "stopPrice" | "reduceOnly" | "clientOrderId">>;

/** Every call the dashboard makes; public ones work without credentials. */
export class OmsApi {
  private readonly client: ReturnType<typeof createClient<paths>>;

  constructor(baseUrl: string, credentials: Credentials | null, fetchImpl?: typeof fetch) {
    this.client = createClient<paths>({ baseUrl, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    if (credentials !== null) this.client.use(signingMiddleware(credentials));
  }

  async markets(): Promise<Market[]> {
    return unwrap(await this.client.GET("/v1/markets")).markets;
  }

  async ticker(symbol: string): Promise<Ticker> {
    return unwrap(await this.client.GET("/v1/markets/{symbol}/ticker", { params: { path: { symbol } } }));
  }

  async trades(symbol: string, limit = 500): Promise<PublicTrade[]> {
    return unwrap(await this.client.GET("/v1/markets/{symbol}/trades", { params: { path: { symbol }, query: { limit } } }))
      .trades;
  }

  /** The top `depth` levels a side and, for each, every venue's quantity (src/stream/venueSplit.ts). */
  async bookByVenue(symbol: string, depth: number): Promise<BookByVenue> {
    return unwrap(
      await this.client.GET("/v1/markets/{symbol}/book", { params: { path: { symbol }, query: { depth, venues: true } } }),
    );
  }

  async account(): Promise<Account> {
    return unwrap(await this.client.GET("/v1/account"));
  }

  async positions(): Promise<Position[]> {
    return unwrap(await this.client.GET("/v1/positions")).positions;
  }

  async orders(statuses: readonly OrderStatus[] | null, limit = 100): Promise<Order[]> {
    const query = statuses === null ? { limit } : { status: statuses.join(","), limit };
    return unwrap(await this.client.GET("/v1/orders", { params: { query } })).orders;
  }

  async order(orderId: string): Promise<Order> {
    return unwrap(await this.client.GET("/v1/orders/{orderId}", { params: { path: { orderId } } }));
  }

  async executions(limit = 100): Promise<Execution[]> {
    return unwrap(await this.client.GET("/v1/executions", { params: { query: { limit } } })).executions;
  }

  async placeOrder(order: NewOrder): Promise<Order> {
    const body = { ...order, respType: "ACK" } as PlaceOrderRequest;
    return unwrap(await this.client.POST("/v1/orders", { body }));
  }

  async amendOrder(orderId: string, change: { quantity?: string; price?: string }): Promise<Order> {
    const body = change as { quantity: string | null; price: string | null };
    return unwrap(await this.client.PATCH("/v1/orders/{orderId}", { params: { path: { orderId } }, body }));
  }

  async cancelOrder(orderId: string): Promise<Order> {
    return unwrap(await this.client.DELETE("/v1/orders/{orderId}", { params: { path: { orderId } } }));
  }

  async cancelAll(symbol?: string): Promise<void> {
    const query = symbol === undefined ? {} : { symbol };
    unwrap(await this.client.DELETE("/v1/orders", { params: { query } }));
  }

  /** The demo trader's key when the server offers the one-click demo sign-in, else null. */
  async demoLogin(): Promise<DemoLogin | null> {
    const result = await this.client.GET("/v1/demo/login");
    return result.response.ok && result.data !== undefined ? result.data : null;
  }
}
