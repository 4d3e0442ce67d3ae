/** Fixed decimals per instrument: prices to the tick, quantities to the lot, money to cents. */

import { useMemo } from "react";
import type { Market } from "../api/types";
import { decimalsOf } from "../lib/decimal";
import { formatDecimal } from "../lib/format";
import { useTrading } from "./useTrading";

export interface MarketFormat {
  priceDecimals: number;
  qtyDecimals: number;
  quoteDecimals: number;
  price(value: string | null | undefined): string;
  qty(value: string | null | undefined): string;
  quote(value: string | null | undefined): string;
}

export function marketFormat(market: Market | undefined): MarketFormat {
  const priceDecimals = market ? decimalsOf(market.tickSize) : 2;
  const qtyDecimals = market ? decimalsOf(market.lotSize) : 4;
  const quoteDecimals = 2;
  return {
    priceDecimals,
    qtyDecimals,
    quoteDecimals,
    price: (v) => formatDecimal(v, priceDecimals),
    qty: (v) => formatDecimal(v, qtyDecimals),
    quote: (v) => formatDecimal(v, quoteDecimals),
  };
}

/** The format of a market by symbol (defaults until the markets are loaded). */
export function useMarketFormat(symbol: string): MarketFormat {
  const markets = useTrading((s) => s.markets);
  return useMemo(() => marketFormat(markets.find((m) => m.symbol === symbol)), [markets, symbol]);
}

/** A lookup of formats for every market (tables that mix symbols). */
export function useFormats(): (symbol: string) => MarketFormat {
  const markets = useTrading((s) => s.markets);
  return useMemo(() => {
    const bySymbol = new Map(markets.map((m) => [m.symbol, marketFormat(m)]));
    const fallback = marketFormat(undefined);
    return (symbol: string) => bySymbol.get(symbol) ?? fallback;
  }, [markets]);
}
