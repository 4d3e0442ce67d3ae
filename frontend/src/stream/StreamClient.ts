/**
 * The WebSocket connection to `/v1/stream`: signs in with the first message, subscribes, keeps a
 * ping round-trip as the latency figure, and reconnects with backoff when the socket drops or
 * goes quiet. Each (re)authentication is announced so the app can resync its snapshots.
 */

import { streamAuth, timestampNow } from "../lib/signing";
import type { Credentials } from "../api/client";

export type ConnectionStatus = "connecting" | "live" | "reconnecting" | "unauthorized" | "closed";

export interface StreamMessage {
  type: string;
  channel?: string;
  data?: unknown;
}

export interface StreamEvents {
  onMessage(message: StreamMessage): void;
  onStatus(status: ConnectionStatus): void;
  onLatency(ms: number): void;
  /** Authenticated (first time or after a reconnect): refetch what may have been missed. */
  onLive(): void;
}

export interface StreamOptions {
  url: string;
  credentials: Credentials;
  pingIntervalMs?: number;
  /** Silence after which the socket is taken as dead (heartbeats come every 10 s). */
  idleTimeoutMs?: number;
  maxBackoffMs?: number;
  createSocket?: (url: string) => WebSocket;
}

export class StreamClient {
  private socket: WebSocket | null = null;
  private channels = new Set<string>();
  private stopped = false;
  private attempt = 0;
  private pingSentAt: number | null = null;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private authenticated = false;

  constructor(
    private readonly options: StreamOptions,
    private readonly events: StreamEvents,
  ) {}

  start(): void {
    this.stopped = false;
    this.open("connecting");
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000);
    this.socket = null;
    this.events.onStatus("closed");
  }

  /** Replace the subscribed channels (sent now when live, and again after each reconnect). */
  setChannels(channels: Iterable<string>): void {
    const next = new Set(channels);
    const added = [...next].filter((c) => !this.channels.has(c));
    const removed = [...this.channels].filter((c) => !next.has(c));
    this.channels = next;
    if (!this.authenticated) return;
    if (removed.length > 0) this.send({ op: "unsubscribe", channels: removed });
    if (added.length > 0) this.send({ op: "subscribe", channels: added });
  }

  /** Ask for a fresh book snapshot (after a sequence gap). */
  resync(channel: string): void {
    if (this.authenticated) this.send({ op: "resync", channel });
  }

  /** Drop the socket as if the network did (reconnects like any other loss). */
  dropConnection(): void {
    this.socket?.close(4000, "dropped by the client");
  }

  private open(status: ConnectionStatus): void {
    this.clearTimers();
    this.authenticated = false;
    this.events.onStatus(status);
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    const socket = create(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      void streamAuth(this.options.credentials.key, this.options.credentials.secret, timestampNow()).then((auth) => {
        if (this.socket === socket) this.send(auth);
      });
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      this.lastMessageAt = Date.now();
      let message: StreamMessage;
      try {
        message = JSON.parse(String(event.data)) as StreamMessage;
      } catch {
        return;
      }
      this.handle(message);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.authenticated = false;
      this.clearTimers();
      if (this.stopped) return;
      if (event.code === 4001) {
        this.events.onStatus("unauthorized");
        return;
      }
      this.scheduleReconnect();
    };
  }

  private handle(message: StreamMessage): void {
    if (message.type === "authenticated") {
      this.authenticated = true;
      this.attempt = 0;
      if (this.channels.size > 0) this.send({ op: "subscribe", channels: [...this.channels] });
      this.startPinging();
      this.events.onStatus("live");
      this.events.onLive();
      return;
    }
    if (message.type === "pong") {
      if (this.pingSentAt !== null) this.events.onLatency(Date.now() - this.pingSentAt);
      this.pingSentAt = null;
      return;
    }
    this.events.onMessage(message);
  }

  private startPinging(): void {
    const interval = this.options.pingIntervalMs ?? 3000;
    const idle = this.options.idleTimeoutMs ?? 25000;
    this.lastMessageAt = Date.now();
    const ping = (): void => {
      if (Date.now() - this.lastMessageAt > idle) {
        this.socket?.close(4000, "silent");
        return;
      }
      this.pingSentAt = Date.now();
      this.send({ op: "ping" });
    };
    ping();
    this.pingTimer = setInterval(ping, interval);
  }

  private scheduleReconnect(): void {
    this.events.onStatus("reconnecting");
    const max = this.options.maxBackoffMs ?? 5000;
    const delay = Math.min(max, 250 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.timers.push(setTimeout(() => this.open("reconnecting"), delay));
  }

  private send(message: object): void {
    if (this.socket !== null && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pingSentAt = null;
  }
}

/** ws(s)://host/v1/stream for the page's own origin. */
export function streamUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/stream`;
}
