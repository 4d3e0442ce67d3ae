import { useTrading } from "../hooks/useTrading";
import type { ConnectionStatus } from "../stream/StreamClient";

const LABELS: Record<ConnectionStatus, string> = {
  connecting: "Connecting",
  live: "Live",
  reconnecting: "Reconnecting",
  unauthorized: "Signed out",
  closed: "Offline",
};

/** Stream state and ping round trip; "Resyncing" while snapshots are reloaded after a reconnect. */
export function ConnectionIndicator() {
  const connection = useTrading((s) => s.connection);
  const latency = useTrading((s) => s.latencyMs);
  const stale = useTrading((s) => s.stale);
  const label = connection === "live" && stale ? "Resyncing" : LABELS[connection];
  const tone = connection === "live" ? (stale ? "warn" : "ok") : connection === "connecting" ? "warn" : "bad";
  return (
    <div className={`connection ${tone}`} role="status" aria-label={`Connection: ${label}`} data-status={connection}>
      <span className="dot" aria-hidden="true" />
      <span>{label}</span>
      {connection === "live" && latency !== null && <span className="muted num">{latency} ms</span>}
    </div>
  );
}
