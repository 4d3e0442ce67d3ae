import { useEffect } from "react";
import { useSession, useTrading } from "../hooks/useTrading";

const LIFETIME_MS = 8000;

/** Transient messages (order sent, filled, rejected with its reason), read out by screen readers. */
export function Notices() {
  const { store } = useSession();
  const notices = useTrading((s) => s.notices);
  useEffect(() => {
    const timers = notices.map((n) => setTimeout(() => store.dismiss(n.id), LIFETIME_MS));
    return () => timers.forEach(clearTimeout);
  }, [notices, store]);
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.tone}`} role={n.tone === "error" ? "alert" : "status"}>
          <span>{n.text}</span>
          <button type="button" aria-label="Dismiss" onClick={() => store.dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
