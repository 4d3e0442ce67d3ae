import { describe, expect, it } from "vitest";
import { signRequest, streamAuth } from "./signing";

// Vectors computed with Python's hmac (hmac.new(secret, ts + METHOD + path + body, sha256)).
const SECRET = "demo-secret-0123456789abcdef0123456789abcdef";
const TS = "1700000000000";

describe("signRequest", () => {
  it("matches Python's hmac for a POST with a body", async () => {
    const body = '{"symbol":"BTC-USDT","side":"BUY","type":"LIMIT","quantity":"0.01","price":"60000"}';
    expect(await signRequest(SECRET, TS, "POST", "/v1/orders", body)).toBe(
      "91bfd48926fcf9f680e87f538a9dc46ba7fc4ed2358a09633102561b2f58421a",
    );
  });

  it("signs the path with its query string exactly as sent", async () => {
    expect(await signRequest(SECRET, TS, "get", "/v1/orders?status=NEW&limit=5")).toBe(
      "8e1fee86070f47af97281db17061506af82e66c719ef6d351a2b105365b56374",
    );
  });

  it("encodes a non-ASCII secret as UTF-8", async () => {
    expect(await signRequest("clé-ünïcode-secret", TS, "DELETE", "/v1/orders/383968994580758528")).toBe(
      "eea95222d6849acf71f7ac092eff81b61b960ab99cf3549ad5edf14b39079569",
    );
  });

  it("builds the stream's auth message over timestamp + GET/v1/stream", async () => {
    expect(await streamAuth("demo-key", SECRET, TS)).toEqual({
      op: "auth",
      key: "demo-key",
      timestamp: TS,
      signature: "824e6e0ef98c57daa8f7e40d6c8386ca4c70e437ca92d9be5b25da38f97bb986",
    });
  });
});
