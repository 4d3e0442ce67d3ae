import { useTrading } from "../hooks/useTrading";

/** When the stream refuses the key (revoked, or the accounts file changed), say so and offer to sign in again. */
export function SessionRefused({ onSignOut }: { onSignOut: () => void }) {
  const refused = useTrading((s) => s.connection === "unauthorized");
  if (!refused) return null;
  return (
    <div className="banner" role="alert">
      The server no longer accepts this API key; live updates have stopped.
      <button type="button" className="btn btn-small" onClick={onSignOut}>
        Sign in again
      </button>
    </div>
  );
}
