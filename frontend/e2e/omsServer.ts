/**
 * A real `python -m oms up` on a free loopback port with its own data directory, serving the
 * built dashboard; stoppable and restartable on the same port and files (reconnect tests).
 */

import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export class OmsServer {
  readonly dataDir = mkdtempSync(join(tmpdir(), "oms-e2e-"));
  private proc: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OmsServer> {
    const server = new OmsServer(await freePort());
    await server.up();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(timeoutMs = 90_000): Promise<void> {
    const python = process.env.OMS_PYTHON ?? join(REPO, ".venv", "bin", "python");
    const log = openSync(join(this.dataDir, "oms.log"), "a");
    const proc = spawn(python, ["-m", "oms", "up"], {
      cwd: REPO,
      env: {
        ...process.env,
        OMS_PORT: String(this.port),
        OMS_DATA_DIR: this.dataDir,
        OMS_DASHBOARD_DIR: join(REPO, "frontend", "dist"),
        OMS_SIM_INTERVAL_MS: "25",
        OMS_LOG_FORMAT: "json",
      },
      stdio: ["ignore", log, log],
    });
    this.proc = proc;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`oms up exited with ${proc.exitCode}:\n${this.log()}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`oms up not ready within ${timeoutMs} ms:\n${this.log()}`);
  }

  /** Ctrl-C and wait for the graceful shutdown (kill after 30 s). */
  async down(): Promise<void> {
    const proc = this.proc;
    if (proc === null || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    proc.kill("SIGINT");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
    this.proc = null;
  }

  async stop(): Promise<void> {
    await this.down();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(join(this.dataDir, "oms.log"), "utf8").slice(-4000);
    } catch {
      return "";
    }
  }

  /** An account's key from the accounts file `oms up` wrote ("demo" trader, "admin"). */
  credentials(account: string): { key: string; secret: string } {
    const text = readFileSync(join(this.dataDir, "accounts.toml"), "utf8");
    const block = text.split("[[accounts]]").find((b) => b.includes(`name = "${account}"`)) ?? "";
    const key = /api_key = "([^"]+)"/.exec(block)?.[1];
    const secret = /api_secret = "([^"]+)"/.exec(block)?.[1];
    if (key === undefined || secret === undefined) throw new Error(`no ${account} account in accounts.toml`);
    return { key, secret };
  }

  /** A signed REST call from the test itself (as a bot or an operator would make it). */
  async signed<T>(method: string, path: string, body?: object, account = "demo"): Promise<T> {
    const { key, secret } = this.credentials(account);
    const text = body === undefined ? "" : JSON.stringify(body);
    const timestamp = String(Date.now());
    const signature = createHmac("sha256", secret).update(timestamp + method + path + text).digest("hex");
    const response = await fetch(this.url + path, {
      method,
      headers: {
        "X-OMS-KEY": key,
        "X-OMS-TIMESTAMP": timestamp,
        "X-OMS-SIGNATURE": signature,
        "Content-Type": "application/json",
      },
      ...(body === undefined ? {} : { body: text }),
    });
    const answer = (await response.json()) as T;
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async publicGet<T>(path: string): Promise<T> {
    return (await (await fetch(this.url + path)).json()) as T;
  }
}
