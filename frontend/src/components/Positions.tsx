import { useFormats } from "../hooks/useMarketFormat";
import { useTrading } from "../hooks/useTrading";
import { add, dec, div, parseDec, toPlain } from "../lib/decimal";
import { direction, formatSigned } from "../lib/format";
import { MarginRatioBar } from "./MarginRatioBar";
import type { Position } from "../api/types";

/** A position's own margin ratio: maintenance ÷ (initial margin + unrealized PnL). */
export function positionMarginRatio(p: Position): string | null {
  const balance = add(dec(p.initialMargin), dec(p.unrealizedPnl));
  if (balance.units <= 0n) return p.quantity === "0" ? null : "1";
  const ratio = div(dec(p.maintenanceMargin), balance, 6);
  return ratio === null ? null : toPlain(ratio);
}

/** Perpetual positions: size, entry, mark, PnL, margin, liquidation price, margin ratio. */
export function Positions() {
  const positions = useTrading((s) => s.positions);
  const formats = useFormats();
  const shown = positions.filter((p) => parseDec(p.quantity)?.units !== 0n || p.realizedPnl !== "0");
  return (
    <table aria-label="Positions">
      <thead>
        <tr>
          <th scope="col">Market</th>
          <th scope="col" className="num">Size</th>
          <th scope="col" className="num">Entry</th>
          <th scope="col" className="num">Mark</th>
          <th scope="col" className="num">Unrealized PnL</th>
          <th scope="col" className="num">Realized PnL</th>
          <th scope="col" className="num">Margin</th>
          <th scope="col" className="num">Leverage</th>
          <th scope="col" className="num">Liq. price</th>
          <th scope="col">Margin ratio</th>
        </tr>
      </thead>
      <tbody>
        {shown.length === 0 && (
          <tr>
            <td colSpan={10} className="empty">
              No positions
            </td>
          </tr>
        )}
        {shown.map((p) => {
          const f = formats(p.symbol);
          return (
            <tr key={p.symbol} data-symbol={p.symbol}>
              <td>{p.symbol}</td>
              <td className={`num ${direction(p.quantity)}`} data-testid="position-size">
                {f.qty(p.quantity)}
              </td>
              <td className="num">{f.price(p.entryPrice)}</td>
              <td className="num">{f.price(p.markPrice)}</td>
              <td className={`num ${direction(p.unrealizedPnl)}`}>{formatSigned(p.unrealizedPnl, 2)}</td>
              <td className={`num ${direction(p.realizedPnl)}`}>{formatSigned(p.realizedPnl, 2)}</td>
              <td className="num">{f.quote(p.initialMargin)}</td>
              <td className="num">{p.leverage}x</td>
              <td className="num">{f.price(p.liquidationPrice)}</td>
              <td>
                <MarginRatioBar ratio={positionMarginRatio(p)} label={`${p.symbol} margin ratio`} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
