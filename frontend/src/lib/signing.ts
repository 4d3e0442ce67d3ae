/**
 * Request signing: HMAC-SHA256(secret, timestamp + METHOD + pathWithQuery + body) as lowercase
 * hex, computed in the browser with WebCrypto. The secret never leaves the page.
 */

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keyCache.set(secret, key);
  }
  return key;
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The lowercase hex signature of one request, exactly as the server computes it. */
export async function signRequest(
  secret: string,
  timestamp: string,
  method: string,
  pathWithQuery: string,
  body: string | Uint8Array = "",
): Promise<string> {
  const head = encoder.encode(timestamp + method.toUpperCase() + pathWithQuery);
  const tail = typeof body === "string" ? encoder.encode(body) : body;
  const message = new Uint8Array(head.length + tail.length);
  message.set(head, 0);
  message.set(tail, head.length);
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), message);
  return toHex(signature);
}

/** Milliseconds since the epoch, as the X-OMS-TIMESTAMP header wants it. */
export function timestampNow(clockOffsetMs = 0): string {
  return String(Math.round(Date.now() + clockOffsetMs));
}

/** The WebSocket auth message: the signed string is `timestamp + "GET/v1/stream"`. */
export async function streamAuth(
  key: string,
  secret: string,
  timestamp: string,
): Promise<{ op: "auth"; key: string; timestamp: string; signature: string }> {
  return { op: "auth", key, timestamp, signature: await signRequest(secret, timestamp, "GET", "/v1/stream") };
}
