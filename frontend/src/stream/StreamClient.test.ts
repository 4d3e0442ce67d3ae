import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ConnectionStatus, StreamClient, type StreamMessage, streamUrl } from "./StreamClient";

/** A WebSocket double: records what the client sends, lets the test play the server. */
class FakeSocket {
  static OPEN = 1;
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  constructor(readonly url: string) {}
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(code = 1000): void {
    this.readyState = 3;
    this.onclose?.({ code });
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

describe("StreamClient", () => {
  let sockets: FakeSocket[];
  let statuses: ConnectionStatus[];
  let messages: StreamMessage[];
  let lives: number;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal("WebSocket", FakeSocket);
    sockets = [];
    statuses = [];
    messages = [];
    lives = 0;
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  function client(): StreamClient {
    return new StreamClient(
      {
        url: "ws://oms/v1/stream",
        credentials: { key: "k", secret: "s" },
        createSocket: (url) => {
          const socket = new FakeSocket(url);
          sockets.push(socket);
          return socket as unknown as WebSocket;
        },
      },
      {
        onMessage: (m) => messages.push(m),
        onStatus: (s) => statuses.push(s),
        onLatency: () => undefined,
        onLive: () => (lives += 1),
      },
    );
  }

  async function authenticate(socket: FakeSocket): Promise<void> {
    socket.open();
    await vi.waitFor(() => expect(socket.sent[0]?.op).toBe("auth"));
    socket.receive({ type: "authenticated", data: { account: "demo" } });
  }

  it("signs in with the first message, then subscribes to its channels", async () => {
    const stream = client();
    stream.setChannels(["orders", "book:BTC-USDT"]);
    stream.start();
    await authenticate(sockets[0]!);
    expect(sockets[0]!.sent[0]).toMatchObject({ op: "auth", key: "k" });
    expect(sockets[0]!.sent[1]).toEqual({ op: "subscribe", channels: ["orders", "book:BTC-USDT"] });
    expect(statuses).toEqual(["connecting", "live"]);
    expect(lives).toBe(1);
    sockets[0]!.receive({ type: "order", channel: "orders", data: { orderId: "1" } });
    expect(messages).toEqual([{ type: "order", channel: "orders", data: { orderId: "1" } }]);
  });

  it("reconnects after a drop, resubscribes and announces the resync", async () => {
    const stream = client();
    stream.setChannels(["orders"]);
    stream.start();
    await authenticate(sockets[0]!);
    sockets[0]!.close(1006);
    expect(statuses.at(-1)).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1000);
    expect(sockets).toHaveLength(2);
    await authenticate(sockets[1]!);
    expect(sockets[1]!.sent[1]).toEqual({ op: "subscribe", channels: ["orders"] });
    expect(lives).toBe(2);
    expect(statuses.at(-1)).toBe("live");
  });

  it("changes subscriptions on a live connection by the difference", async () => {
    const stream = client();
    stream.setChannels(["orders", "book:BTC-USDT"]);
    stream.start();
    await authenticate(sockets[0]!);
    stream.setChannels(["orders", "book:ETH-USDT"]);
    // after auth, subscribe and the first ping
    expect(sockets[0]!.sent.slice(3)).toEqual([
      { op: "unsubscribe", channels: ["book:BTC-USDT"] },
      { op: "subscribe", channels: ["book:ETH-USDT"] },
    ]);
  });

  it("stops retrying when the server refuses the key (4001)", async () => {
    const stream = client();
    stream.start();
    sockets[0]!.open();
    sockets[0]!.close(4001);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(statuses.at(-1)).toBe("unauthorized");
  });

  it("takes a silent socket as dead and reconnects", async () => {
    const stream = client();
    stream.start();
    await authenticate(sockets[0]!);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  });

  it("measures latency from ping to pong", async () => {
    const latencies: number[] = [];
    const stream = new StreamClient(
      {
        url: "ws://oms/v1/stream",
        credentials: { key: "k", secret: "s" },
        createSocket: (url) => {
          const socket = new FakeSocket(url);
          sockets.push(socket);
          return socket as unknown as WebSocket;
        },
      },
      { onMessage: () => undefined, onStatus: () => undefined, onLatency: (ms) => latencies.push(ms), onLive: () => undefined },
    );
    stream.start();
    await authenticate(sockets[0]!);
    expect(sockets[0]!.sent.at(-1)).toEqual({ op: "ping" });
    await vi.advanceTimersByTimeAsync(40);
    sockets[0]!.receive({ type: "pong" });
    expect(latencies).toEqual([40]);
  });

  it("builds the stream URL from the page's origin", () => {
    expect(streamUrl({ protocol: "http:", host: "127.0.0.1:8000" })).toBe("ws://127.0.0.1:8000/v1/stream");
    expect(streamUrl({ protocol: "https:", host: "oms.example" })).toBe("wss://oms.example/v1/stream");
  });
});
