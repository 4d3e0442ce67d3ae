import { type IChartApi, type ISeriesApi, type UTCTimestamp, ColorType, createChart } from "lightweight-charts";
import { useEffect, useMemo, useRef, useState } from "react";
import { useMarketFormat } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { buildCandles } from "../lib/candles";

const INTERVALS = [
  { label: "5s", seconds: 5 },
  { label: "15s", seconds: 15 },
  { label: "1m", seconds: 60 },
];

/** Candles built from the live trades (TradingView's lightweight-charts). */
export function PriceChart() {
  const symbol = useTrading((s) => s.symbol);
  const trades = useTrading((s) => s.trades);
  const fmt = useMarketFormat(symbol);
  const [seconds, setSeconds] = useState(5);
  const container = useRef<HTMLDivElement | null>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<"Candlestick"> | null>(null);
  const candles = useMemo(() => buildCandles(trades, seconds), [trades, seconds]);

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    const instance = createChart(element, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: "transparent" }, textColor: "#8b95a7", fontSize: 11 },
      grid: { vertLines: { color: "#1c2230" }, horzLines: { color: "#1c2230" } },
      rightPriceScale: { borderColor: "#2a3142" },
      timeScale: { borderColor: "#2a3142", timeVisible: true, secondsVisible: true },
      crosshair: { mode: 0 },
    });
    series.current = instance.addCandlestickSeries({
      upColor: "#16c784",
      downColor: "#ea3943",
      borderVisible: false,
      wickUpColor: "#16c784",
      wickDownColor: "#ea3943",
    });
    chart.current = instance;
    return () => {
      instance.remove();
      chart.current = null;
      series.current = null;
    };
  }, []);

  useEffect(() => {
    series.current?.applyOptions({
      priceFormat: { type: "price", precision: fmt.priceDecimals, minMove: 10 ** -fmt.priceDecimals },
    });
  }, [fmt.priceDecimals]);

  useEffect(() => {
    series.current?.setData(candles.map((c) => ({ ...c, time: c.time as UTCTimestamp })));
  }, [candles]);

  return (
    <section className="panel chart" aria-label="Price chart">
      <header className="panel-head">
        <h2>{symbol}</h2>
        <div className="segmented" role="group" aria-label="Candle interval">
          {INTERVALS.map((i) => (
            <button key={i.label} type="button" aria-pressed={seconds === i.seconds} onClick={() => setSeconds(i.seconds)}>
              {i.label}
            </button>
          ))}
        </div>
      </header>
      <div className="chart-area" ref={container} />
    </section>
  );
}
