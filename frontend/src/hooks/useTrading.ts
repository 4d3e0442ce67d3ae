/** React access to the trading state: a context holding the session, and selector hooks. */

import { createContext, useContext, useSyncExternalStore } from "react";
import type { OmsApi } from "../api/client";
import type { Balance, Market } from "../api/types";
import type { StreamClient } from "../stream/StreamClient";
import type { TradingState, TradingStore } from "../stream/tradingStore";

export interface TradingSession {
  account: string;
  api: OmsApi;
  store: TradingStore;
  stream: StreamClient | null;
}

export const TradingContext = createContext<TradingSession | null>(null);

export function useSession(): TradingSession {
  const session = useContext(TradingContext);
  if (session === null) throw new Error("useSession outside <TradingContext.Provider>");
  return session;
}

/** A slice of the trading state; re-renders only when the selected value changes. */
export function useTrading<T>(select: (state: TradingState) => T): T {
  const { store } = useSession();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}

/** The selected market's definition (null until the markets are loaded). */
export function useSelectedMarket(): Market | null {
  const markets = useTrading((s) => s.markets);
  const symbol = useTrading((s) => s.symbol);
  return markets.find((m) => m.symbol === symbol) ?? null;
}

/** Selectors must return stable values: one shared empty list instead of a new `[]` per call. */
export const NO_BALANCES: readonly Balance[] = [];
