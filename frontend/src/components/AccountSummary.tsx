import { useTrading } from "../hooks/useTrading";
import { dec, div, toPlain } from "../lib/decimal";
import { direction, formatDecimal, formatSigned } from "../lib/format";
import { MarginRatioBar } from "./MarginRatioBar";

/** Equity, available margin, margin usage and the account's margin ratio. */
export function AccountSummary() {
  const account = useTrading((s) => s.account);
  const stale = useTrading((s) => s.stale);
  if (account === null) return <section className="panel account" aria-label="Account" />;
  const usage = div(dec(account.initialMargin), dec(account.equity), 6);
  return (
    <section className={`panel account ${stale ? "stale" : ""}`} aria-label="Account">
      <header className="panel-head">
        <h2>Account</h2>
        <span className="muted">{account.account}</span>
      </header>
      <dl className="summary">
        <div>
          <dt>Equity</dt>
          <dd className="num" data-testid="equity">
            {formatDecimal(account.equity, 2)}
          </dd>
        </div>
        <div>
          <dt>Available margin</dt>
          <dd className="num">{formatDecimal(account.availableMargin, 2)}</dd>
        </div>
        <div>
          <dt>Initial margin</dt>
          <dd className="num">{formatDecimal(account.initialMargin, 2)}</dd>
        </div>
        <div>
          <dt>Unrealized PnL</dt>
          <dd className={`num ${direction(account.unrealizedPnl)}`}>{formatSigned(account.unrealizedPnl, 2)}</dd>
        </div>
      </dl>
      <div className="meter-row">
        <span className="muted small">Margin usage</span>
        <MarginRatioBar ratio={usage === null ? null : toPlain(usage)} label="Margin usage" />
      </div>
      <div className="meter-row">
        <span className="muted small">Margin ratio</span>
        <MarginRatioBar ratio={account.marginRatio} label="Account margin ratio" />
      </div>
    </section>
  );
}
