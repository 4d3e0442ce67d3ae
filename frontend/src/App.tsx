import { useState } from "react";
import type { Credentials } from "./api/client";
import { SignIn, type SignedIn } from "./components/SignIn";
import { TradingScreen } from "./components/TradingScreen";
import { useLiveSession } from "./hooks/useLiveSession";
import { TradingContext } from "./hooks/useTrading";

const STORAGE_KEY = "oms.session";

/** The session survives a reload of the tab (sessionStorage), never the browser. */
function loadSession(): SignedIn | null {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    if (text === null) return null;
    const value = JSON.parse(text) as SignedIn;
    return typeof value.credentials?.key === "string" && typeof value.credentials.secret === "string" ? value : null;
  } catch {
    return null;
  }
}

export function App() {
  const [session, setSession] = useState<SignedIn | null>(loadSession);
  if (session === null) {
    return (
      <SignIn
        onSignedIn={(signedIn, remember) => {
          if (remember) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(signedIn));
          setSession(signedIn);
        }}
      />
    );
  }
  return (
    <LiveApp
      key={session.credentials.key}
      credentials={session.credentials}
      account={session.account}
      onSignOut={() => {
        sessionStorage.removeItem(STORAGE_KEY);
        setSession(null);
      }}
    />
  );
}

function LiveApp({ credentials, account, onSignOut }: { credentials: Credentials; account: string; onSignOut: () => void }) {
  const session = useLiveSession(credentials, account);
  return (
    <TradingContext.Provider value={session}>
      <TradingScreen onSignOut={onSignOut} />
    </TradingContext.Provider>
  );
}
