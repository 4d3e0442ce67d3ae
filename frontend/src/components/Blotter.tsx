import { type KeyboardEvent, useState } from "react";
import { isOpen } from "../api/types";
import { useTrading } from "../hooks/useTrading";
import { Balances } from "./Balances";
import { Executions } from "./Executions";
import { OpenOrders } from "./OpenOrders";
import { OrderHistory } from "./OrderHistory";
import { Positions } from "./Positions";

const TABS = ["Open orders", "Order history", "Executions", "Positions", "Balances"] as const;
type Tab = (typeof TABS)[number];

/** The bottom panel: orders, fills, positions and balances, as keyboard-navigable tabs. */
export function Blotter() {
  const [tab, setTab] = useState<Tab>("Open orders");
  const openCount = useTrading((s) => Object.values(s.orders).filter(isOpen).length);
  const positionCount = useTrading((s) => s.positions.filter((p) => p.quantity !== "0").length);
  const stale = useTrading((s) => s.stale);
  const onKey = (event: KeyboardEvent<HTMLDivElement>): void => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    const next = TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length]!;
    setTab(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  const count = (t: Tab): string =>
    t === "Open orders" && openCount > 0 ? ` (${openCount})` : t === "Positions" && positionCount > 0 ? ` (${positionCount})` : "";
  return (
    <section className={`panel blotter ${stale ? "stale" : ""}`} aria-label="Orders and positions">
      <div className="tabs" role="tablist" aria-label="Blotter" onKeyDown={onKey}>
        {TABS.map((t) => (
          <button
            key={t}
            id={`tab-${t}`}
            type="button"
            role="tab"
            aria-selected={tab === t}
            aria-controls="blotter-panel"
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
          >
            {t}
            {count(t)}
          </button>
        ))}
      </div>
      <div id="blotter-panel" role="tabpanel" aria-label={tab} className="scroll">
        {tab === "Open orders" && <OpenOrders />}
        {tab === "Order history" && <OrderHistory />}
        {tab === "Executions" && <Executions />}
        {tab === "Positions" && <Positions />}
        {tab === "Balances" && <Balances />}
      </div>
    </section>
  );
}
