/**
 * Wires one signed-in session: the REST client, the store and the WebSocket stream. On every
 * (re)connect it refetches the snapshots (orders, executions, account, positions, tickers,
 * trades) so nothing missed while disconnected stays wrong on screen.
 */

import { useEffect, useMemo, useState } from "react";
import { type Credentials, OmsApi } from "../api/client";
import type { Account, Execution, Order, Position, PublicTrade, Ticker } from "../api/types";
import { OPEN_STATUSES } from "../api/types";
import type { BookMessage } from "../stream/book";
import { StreamClient, type StreamMessage, streamUrl } from "../stream/StreamClient";
import { TradingStore } from "../stream/tradingStore";
import type { TradingSession } from "./useTrading";

const PRIVATE_CHANNELS = ["orders", "executions", "account", "positions"];

export function channelsFor(symbols: string[], selected: string): string[] {
  return [...PRIVATE_CHANNELS, ...symbols.map((s) => `ticker:${s}`), `book:${selected}`, `trades:${selected}`];
}

export function dispatchMessage(store: TradingStore, stream: Pick<StreamClient, "resync">, message: StreamMessage): void {
  switch (message.type) {
    case "order":
      store.applyOrder(message.data as Order);
      break;
    case "execution":
      store.addExecutions([message.data as Execution]);
      break;
    case "account":
      store.setAccount(message.data as Account);
      break;
    case "positions":
      store.setPositions((message.data as { positions: Position[] }).positions);
      break;
    case "book": {
      const book = message.data as BookMessage;
      if (!store.applyBook(book)) stream.resync(`book:${book.symbol}`);
      break;
    }
    case "ticker":
      store.setTicker(message.data as Ticker);
      break;
    case "trade":
      store.addTrade(message.data as PublicTrade);
      break;
    case "error": {
      const error = message.data as { message?: string } | undefined;
      store.notify("error", `Stream: ${error?.message ?? "error"}`);
      break;
    }
    default:
      break; // heartbeat, subscribed, unsubscribed
  }
}

/** Fetch every snapshot the screen shows; the store keeps whichever of REST and stream is newer. */
export async function resyncSnapshots(api: OmsApi, store: TradingStore): Promise<void> {
  const symbol = store.getState().symbol;
  const [open, recent, executions, account, trades] = await Promise.all([
    api.orders(OPEN_STATUSES, 500),
    api.orders(null, 200),
    api.executions(200),
    api.account(),
    api.trades(symbol, 500),
  ]);
  const ended = store.applyOrderSnapshot(open, recent);
  await Promise.all(ended.map(async (id) => store.applyOrder(await api.order(id))));
  store.addExecutions(executions);
  store.setAccount(account);
  store.setTrades(symbol, trades);
  const tickers = await Promise.all(store.getState().markets.map((m) => api.ticker(m.symbol)));
  for (const ticker of tickers) store.setTicker(ticker);
  store.markFresh();
}

export function useLiveSession(credentials: Credentials, account: string): TradingSession {
  const [session] = useState(() => {
    const api = new OmsApi(window.location.origin, credentials);
    const store = new TradingStore();
    return { account, api, store, stream: null as StreamClient | null };
  });
  const live = useMemo(() => session, [session]);

  useEffect(() => {
    const { api, store } = session;
    let cancelled = false;
    let resyncing: Promise<void> | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    // One resync at a time; a failed one (the server still starting, say) is retried while the
    // stream stays live, so the screen never stays stale, nor pretends to be fresh.
    const resync = (attempt = 0): void => {
      const run = async (): Promise<void> => {
        try {
          await resyncSnapshots(api, store);
        } catch (error) {
          if (cancelled || store.getState().connection !== "live") return;
          if (attempt === 2) store.notify("error", `Could not refresh: ${(error as Error).message}; retrying`);
          retry = setTimeout(() => resync(attempt + 1), Math.min(5000, 500 * 2 ** attempt));
        }
      };
      resyncing = (resyncing ?? Promise.resolve()).then(run);
    };
    const stream = new StreamClient(
      { url: streamUrl(window.location), credentials },
      {
        onMessage: (message) => dispatchMessage(store, stream, message),
        onStatus: (status) => store.setConnection(status),
        onLatency: (ms) => store.setLatency(ms),
        onLive: () => resync(),
      },
    );
    session.stream = stream;
    void api
      .markets()
      .then((markets) => {
        if (cancelled) return;
        store.setMarkets(markets);
        stream.setChannels(channelsFor(markets.map((m) => m.symbol), store.getState().symbol));
        stream.start();
      })
      .catch((error: Error) => store.notify("error", `Could not load the markets: ${error.message}`));
    let symbol = store.getState().symbol;
    const unsubscribe = store.subscribe(() => {
      const state = store.getState();
      if (state.symbol === symbol) return;
      symbol = state.symbol;
      stream.setChannels(channelsFor(state.markets.map((m) => m.symbol), symbol));
      void api.trades(symbol, 500).then((trades) => store.setTrades(symbol, trades));
    });
    return () => {
      cancelled = true;
      if (retry !== null) clearTimeout(retry);
      unsubscribe();
      stream.stop();
      session.stream = null;
    };
  }, [session, credentials]);

  return live;
}
