import { describe, expect, it, vi } from "vitest";
import { signRequest } from "../lib/signing";
import { ApiError, OmsApi } from "./client";

describe("OmsApi", () => {
  it("signs each request over its method, path with query and exact body", async () => {
    const requests: Request[] = [];
    const fetchImpl = vi.fn(async (request: Request) => {
      requests.push(request.clone());
      return new Response(JSON.stringify({ orders: [], nextCursor: null }), { status: 200, headers: { "Content-Type": "application/json" } });
    });
    const api = new OmsApi("http://oms", { key: "k", secret: "s3cret" }, fetchImpl as unknown as typeof fetch);
    await api.orders(["NEW", "PARTIALLY_FILLED"], 5);
    const request = requests[0]!;
    const url = new URL(request.url);
    expect(url.pathname + url.search).toBe("/v1/orders?status=NEW%2CPARTIALLY_FILLED&limit=5");
    const timestamp = request.headers.get("X-OMS-TIMESTAMP")!;
    expect(request.headers.get("X-OMS-KEY")).toBe("k");
    expect(request.headers.get("X-OMS-SIGNATURE")).toBe(await signRequest("s3cret", timestamp, "GET", url.pathname + url.search));
  });

  it("signs a POST body byte for byte and raises API errors with their code", async () => {
    let signed = "";
    let body = "";
    const fetchImpl = vi.fn(async (request: Request) => {
      body = await request.clone().text();
      signed = request.headers.get("X-OMS-SIGNATURE")!;
      const ts = request.headers.get("X-OMS-TIMESTAMP")!;
      expect(signed).toBe(await signRequest("s3cret", ts, "POST", "/v1/orders", body));
      return new Response(JSON.stringify({ code: "INVALID_PRICE", message: "off tick", field: "price" }), {
        status: 400,
        headers: { "Content-Type": "application/json" },
      });
    });
    const api = new OmsApi("http://oms", { key: "k", secret: "s3cret" }, fetchImpl as unknown as typeof fetch);
    const placing = api.placeOrder({ symbol: "BTC-USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "1.001" });
    await expect(placing).rejects.toEqual(new ApiError(400, "INVALID_PRICE", "off tick", "price"));
    expect(JSON.parse(body)).toEqual({ symbol: "BTC-USDT", side: "BUY", type: "LIMIT", quantity: "0.01", price: "1.001", respType: "ACK" });
  });

  it("asks for the book split by venue, unsigned without credentials", async () => {
    const requests: Request[] = [];
    const answer = {
      symbol: "BTC-USDT",
      seq: 7,
      bids: [["59999.5", "1.5"]],
      asks: [],
      venues: ["BINANCE", "OKX"],
      bidsByVenue: [["1", "0.5"]],
      asksByVenue: [],
    };
    const fetchImpl = vi.fn(async (request: Request) => {
      requests.push(request.clone());
      return new Response(JSON.stringify(answer), { status: 200, headers: { "Content-Type": "application/json" } });
    });
    const api = new OmsApi("http://oms", null, fetchImpl as unknown as typeof fetch);
    await expect(api.bookByVenue("BTC-USDT", 20)).resolves.toEqual(answer);
    const url = new URL(requests[0]!.url);
    expect(url.pathname + url.search).toBe("/v1/markets/BTC-USDT/book?depth=20&venues=true");
    expect(requests[0]!.headers.get("X-OMS-SIGNATURE")).toBeNull();
  });
});

describe("signing timestamps", () => {
  it("two identical requests in one millisecond get different timestamps and signatures", async () => {
    vi.spyOn(Date, "now").mockReturnValue(1_700_000_000_000);
    const seen: [string, string][] = [];
    const fetchImpl = vi.fn(async (request: Request) => {
      seen.push([request.headers.get("X-OMS-TIMESTAMP")!, request.headers.get("X-OMS-SIGNATURE")!]);
      return new Response(JSON.stringify({ account: "demo", symbol: null }), { status: 202, headers: { "Content-Type": "application/json" } });
    });
    const api = new OmsApi("http://oms", { key: "k", secret: "s" }, fetchImpl as unknown as typeof fetch);
    await Promise.all([api.cancelAll(), api.cancelAll()]);
    vi.restoreAllMocks();
    expect(seen.map(([ts]) => ts).sort()).toEqual(["1700000000000", "1700000000001"]);
    expect(seen[0]![1]).not.toBe(seen[1]![1]);
  });
});
