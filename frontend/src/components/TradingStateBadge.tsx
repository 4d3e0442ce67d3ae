import { useTrading } from "../hooks/useTrading";
import type { TradingState } from "../api/types";

const TEXT: Record<TradingState, string> = {
  ACTIVE: "Trading active",
  REDUCING: "Reduce only",
  HALTED: "Trading halted",
};

const HELP: Record<TradingState, string> = {
  ACTIVE: "Orders are accepted.",
  REDUCING: "Kill switch: only orders that reduce a position are accepted.",
  HALTED: "Kill switch: no new orders are accepted.",
};

/** The account's kill-switch state, always visible. */
export function TradingStateBadge() {
  const state = useTrading((s) => s.account?.tradingState ?? null);
  if (state === null) return null;
  return (
    <span className={`badge state-${state.toLowerCase()}`} title={HELP[state]} aria-label={`Kill switch: ${TEXT[state]}`}>
      {TEXT[state]}
    </span>
  );
}
