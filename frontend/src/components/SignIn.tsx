import { type FormEvent, useEffect, useState } from "react";
import { ApiError, type Credentials, OmsApi } from "../api/client";
import { describeError } from "../lib/reasons";

export interface SignedIn {
  credentials: Credentials;
  account: string;
}

interface Props {
  onSignedIn: (session: SignedIn, remember: boolean) => void;
  /** Checks a key by a signed GET /v1/account (tests pass their own). */
  api?: (credentials: Credentials) => OmsApi;
}

const defaultApi = (credentials: Credentials | null): OmsApi => new OmsApi(window.location.origin, credentials);

/** API key and secret, checked with one signed request; or the one-click demo sign-in. */
export function SignIn({ onSignedIn, api = defaultApi }: Props) {
  const [key, setKey] = useState("");
  const [secret, setSecret] = useState("");
  const [remember, setRemember] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [demoOffered, setDemoOffered] = useState(false);

  useEffect(() => {
    let active = true;
    void defaultApi(null)
      .demoLogin()
      .then((demo) => active && setDemoOffered(demo !== null))
      .catch(() => undefined);
    return () => {
      active = false;
    };
  }, []);

  async function signIn(credentials: Credentials): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      const account = await api(credentials).account();
      onSignedIn({ credentials, account: account.account }, remember);
    } catch (e) {
      setError(e instanceof ApiError ? describeError(e.code, e.message) : "The OMS cannot be reached.");
    } finally {
      setBusy(false);
    }
  }

  async function signInDemo(): Promise<void> {
    const demo = await defaultApi(null).demoLogin();
    if (demo === null) {
      setDemoOffered(false);
      setError("The demo sign-in is not offered by this server.");
      return;
    }
    await signIn({ key: demo.apiKey, secret: demo.apiSecret });
  }

  function submit(event: FormEvent): void {
    event.preventDefault();
    void signIn({ key: key.trim(), secret: secret.trim() });
  }

  return (
    <main className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">OMS Trading</h1>
        <p className="muted">
          Sign in with an API key. Requests are signed in this browser; the secret is never sent.
        </p>
        {demoOffered && (
          <>
            <button type="button" className="btn btn-primary btn-wide" onClick={() => void signInDemo()} disabled={busy}>
              Try the demo account
            </button>
            <div className="divider">or use your key</div>
          </>
        )}
        <label>
          API key
          <input value={key} onChange={(e) => setKey(e.target.value)} autoComplete="username" required autoFocus />
        </label>
        <label>
          API secret
          <input
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            autoComplete="current-password"
            required
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Keep me signed in for this browser tab
        </label>
        {error !== null && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-wide" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p className="muted small">
          <code>oms up</code> prints its keys at start and keeps them in <code>var/oms/accounts.toml</code>.
        </p>
      </form>
    </main>
  );
}
