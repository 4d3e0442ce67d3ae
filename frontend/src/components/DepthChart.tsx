import { useMemo } from "react";
import { useTrading } from "../hooks/useTrading";
import { topLevels } from "../stream/book";

const WIDTH = 400;
const HEIGHT = 120;

/** Cumulative bid and ask depth around the mid price (display only: floats are fine here). */
export function DepthChart() {
  const book = useTrading((s) => s.book);
  const paths = useMemo(() => {
    if (book === null) return null;
    const bids = topLevels(book.bids, true, 50).map(([p, q]) => [Number(p), Number(q)] as const);
    const asks = topLevels(book.asks, false, 50).map(([p, q]) => [Number(p), Number(q)] as const);
    if (bids.length === 0 || asks.length === 0) return null;
    const cumulative = (levels: (readonly [number, number])[]): [number, number][] => {
      let total = 0;
      return levels.map(([p, q]) => [p, (total += q)]);
    };
    const b = cumulative(bids);
    const a = cumulative(asks);
    const low = b[b.length - 1]![0];
    const high = a[a.length - 1]![0];
    const maxQty = Math.max(b[b.length - 1]![1], a[a.length - 1]![1]);
    const x = (p: number): number => ((p - low) / (high - low || 1)) * WIDTH;
    const y = (q: number): number => HEIGHT - (q / (maxQty || 1)) * (HEIGHT - 4);
    const area = (points: [number, number][]): string => {
      const first = points[0]!;
      let d = `M${x(first[0]).toFixed(1)},${HEIGHT} `;
      for (const [p, q] of points) d += `L${x(p).toFixed(1)},${y(q).toFixed(1)} `;
      return d + `L${x(points[points.length - 1]![0]).toFixed(1)},${HEIGHT} Z`;
    };
    return { bids: area(b), asks: area(a) };
  }, [book]);

  return (
    <section className="panel depth" aria-label="Depth chart">
      <header className="panel-head">
        <h2>Depth</h2>
      </header>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label="Cumulative depth">
        {paths !== null && (
          <>
            <path d={paths.bids} className="depth-bids" />
            <path d={paths.asks} className="depth-asks" />
          </>
        )}
      </svg>
    </section>
  );
}
