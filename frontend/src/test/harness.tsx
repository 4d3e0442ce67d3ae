import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { vi } from "vitest";
import type { OmsApi } from "../api/client";
import type { Market } from "../api/types";
import { TradingContext } from "../hooks/useTrading";
import { TradingStore } from "../stream/tradingStore";
import { BTC_PERP, BTC_SPOT } from "./fixtures";

export type FakeApi = { [K in keyof OmsApi]: ReturnType<typeof vi.fn> };

export function fakeApi(): FakeApi {
  const names = [
    "markets", "ticker", "trades", "account", "positions", "orders", "order", "executions",
    "placeOrder", "amendOrder", "cancelOrder", "cancelAll", "demoLogin", "bookByVenue",
  ] as const;
  return Object.fromEntries(names.map((n) => [n, vi.fn()])) as unknown as FakeApi;
}

/** Render a component inside a session with a real store and a fake API. */
export function renderWithSession(ui: ReactElement, markets: Market[] = [BTC_SPOT, BTC_PERP]) {
  const store = new TradingStore();
  store.setMarkets(markets);
  const api = fakeApi();
  const view = render(
    <TradingContext.Provider value={{ account: "demo", api: api as unknown as OmsApi, store, stream: null }}>
      {ui}
    </TradingContext.Provider>,
  );
  return { ...view, store, api };
}
