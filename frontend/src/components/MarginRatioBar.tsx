import { parseDec, toFixed } from "../lib/decimal";

/** Maintenance margin over margin balance: 100% means liquidation. Green, amber, then red. */
export function MarginRatioBar({ ratio, label }: { ratio: string | null; label: string }) {
  const d = ratio === null ? null : parseDec(ratio);
  const percent = d === null ? null : Number(toFixed({ units: d.units * 100n, scale: d.scale }, 2));
  const tone = percent === null ? "flat" : percent >= 80 ? "danger" : percent >= 50 ? "warning" : "safe";
  const width = percent === null ? 0 : Math.min(100, Math.max(0, percent));
  return (
    <div className="ratio" title="Maintenance margin ÷ margin balance; liquidation at 100%">
      <div
        className={`ratio-bar ${tone}`}
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? 0}
        aria-valuetext={percent === null ? "none" : `${percent.toFixed(2)}%`}
      >
        <span style={{ width: `${width}%` }} />
      </div>
      <span className="num small">{percent === null ? "—" : `${percent.toFixed(2)}%`}</span>
    </div>
  );
}
