/**
 * A trader's session in a real browser against a real `oms up`: sign in, place, amend and cancel
 * a limit order, take liquidity and see the fill, position and balance, read a risk rejection in
 * plain words, see the kill switch, and come through a lost stream and a server restart with nothing stale on screen.
 */

import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Locator, type Page, type WebSocketRoute, expect, test } from "@playwright/test";
import { OmsServer } from "./omsServer";

const SCREENSHOTS = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "docs", "screenshots");

interface Ticker {
  bid: string | null;
  ask: string | null;
  mark: string | null;
}
interface Order {
  orderId: string;
  status: string;
}

let oms: OmsServer;

test.beforeAll(async () => {
  oms = await OmsServer.start();
});

test.afterAll(async () => {
  await oms?.stop();
});

/** A price `fraction` of the way from the mark, on BTC-USDT's 0.01 tick. */
async function priceFromMark(symbol: string, fraction: number): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const t = await oms.publicGet<Ticker>(`/v1/markets/${symbol}/ticker`);
    if (t.mark !== null) return (Math.round(Number(t.mark) * fraction * 100) / 100).toFixed(2);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no mark price for ${symbol}`);
}

function grouped(price: string): string {
  const [whole, frac] = price.split(".");
  return whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac !== undefined ? "." + frac : "");
}

/**
 * The page's stream passes through the test: it can lose the server's messages for a while
 * (`losing`) and drop the connection the way a network does (`drop`).
 */
async function interceptStream(page: Page) {
  const sockets: WebSocketRoute[] = [];
  const control = {
    losing: false,
    get connections(): number {
      return sockets.length;
    },
    async drop(): Promise<void> {
      await sockets.at(-1)?.close({ code: 4000, reason: "dropped by the test" });
    },
  };
  await page.routeWebSocket(/\/v1\/stream$/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      if (!control.losing) ws.send(message);
    });
    sockets.push(ws);
  });
  return control;
}

const ticket = (page: Page): Locator => page.getByRole("region", { name: "Order entry" });
const openOrders = (page: Page): Locator => page.getByRole("table", { name: "Open orders" });
const history = (page: Page): Locator => page.getByRole("table", { name: "Order history" });

async function showTab(page: Page, name: RegExp): Promise<void> {
  await page.getByRole("tab", { name }).click();
}

async function placeLimit(page: Page, side: "Buy" | "Sell", price: string, quantity: string): Promise<void> {
  const form = ticket(page);
  await form.getByRole("button", { name: side, exact: true }).click();
  await form.getByLabel("Type").selectOption("LIMIT");
  await form.getByLabel(/^Price/).fill(price);
  await form.getByLabel(/^Quantity/).fill(quantity);
  await form.getByRole("button", { name: new RegExp(`^${side} BTC$`) }).click();
}

test("a trader signs in, trades, and survives a reconnect with fresh data", async ({ page }) => {
  page.on("pageerror", (error) => {
    throw error;
  });

  const stream = await interceptStream(page);

  // Sign in with the one-click demo sign-in that `oms up` offers on this machine.
  await page.goto(oms.url);
  await page.getByRole("button", { name: "Try the demo account" }).click();
  await expect(page.getByRole("status", { name: "Connection: Live" })).toBeVisible();
  await expect(page.getByLabel("Signed in as")).toHaveText("demo");
  await expect(page.getByLabel("Kill switch: Trading active")).toBeVisible();
  await expect(page.getByTestId("bids").getByRole("row").first()).toBeVisible();

  // Live validation against the market's filters: off the tick grid is refused before sending.
  await ticket(page).getByLabel(/^Price/).fill("50000.001");
  await expect(ticket(page).getByText("must be a multiple of the tick size 0.01")).toBeVisible();

  // A resting limit buy 3% under the mark shows up in the blotter as Open.
  const restingPrice = await priceFromMark("BTC-USDT", 0.97);
  await placeLimit(page, "Buy", restingPrice, "0.01");
  const row = openOrders(page).getByRole("row").filter({ hasText: grouped(restingPrice) });
  await expect(row).toHaveCount(1);
  await expect(row.getByText("Open", { exact: true })).toBeVisible();
  await expect(page.getByTestId("balance-USDT").or(page.getByText(/1 open/))).toBeVisible();

  // Amend its price: the row shows the new price (and not the old one).
  const amendedPrice = await priceFromMark("BTC-USDT", 0.96);
  await row.getByRole("button", { name: "Amend" }).click();
  await openOrders(page).getByLabel("New price").fill(amendedPrice);
  await openOrders(page).getByRole("button", { name: "Save" }).click();
  const amended = openOrders(page).getByRole("row").filter({ hasText: grouped(amendedPrice) });
  await expect(amended.getByText("Open", { exact: true })).toBeVisible();
  await expect(openOrders(page).getByRole("row").filter({ hasText: grouped(restingPrice) })).toHaveCount(0);

  // Cancel it: it leaves the open orders and shows as Canceled in the history.
  await amended.getByRole("button", { name: /^Cancel order/ }).click();
  await expect(openOrders(page).getByText("No open orders")).toBeVisible();
  await showTab(page, /^Order history/);
  await expect(history(page).getByRole("row").filter({ hasText: grouped(amendedPrice) }).getByText("Canceled")).toBeVisible();

  // A marketable order on the perpetual: the fill, the position and the balance change.
  await showTab(page, /^Balances/);
  await page.getByRole("button", { name: /^BTC-USDT-PERP/ }).click();
  const usdtBefore = await page.getByTestId("balance-USDT").innerText();
  const form = ticket(page);
  await form.getByRole("button", { name: "Buy", exact: true }).click();
  await form.getByLabel("Type").selectOption("MARKET");
  await form.getByLabel(/^Quantity/).fill("0.010");
  await expect(form.getByTestId("preview-notional")).not.toHaveText(/^—/);
  await form.getByRole("button", { name: /^Buy BTC$/ }).click();
  await expect(page.getByText(/^Filled BUY 0\.01 BTC-USDT-PERP @ [0-9,]+\.[0-9]$/)).toBeVisible();
  await expect(page.getByTestId("balance-USDT")).not.toHaveText(usdtBefore);
  await showTab(page, /^Executions/);
  await expect(page.getByRole("table", { name: "Executions" }).getByRole("row").filter({ hasText: "BTC-USDT-PERP" })).not.toHaveCount(0);
  await showTab(page, /^Positions/);
  const position = page.getByRole("table", { name: "Positions" }).getByRole("row").filter({ hasText: "BTC-USDT-PERP" });
  await expect(position.getByTestId("position-size")).toHaveText("0.010");
  await expect(position.getByRole("meter", { name: "BTC-USDT-PERP margin ratio" })).toBeVisible();
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, "dashboard.png") });

  // A limit buy far below the mark breaks the price band: rejected, with the reason in words.
  await page.getByRole("button", { name: /^BTC-USDT\s/ }).click();
  const farPrice = await priceFromMark("BTC-USDT", 0.5);
  await placeLimit(page, "Buy", farPrice, "0.01");
  const reason = "The price is too far from the mark price (outside the allowed price band).";
  await expect(page.getByRole("alert").filter({ hasText: `Order rejected: ${reason}` })).toBeVisible();
  await showTab(page, /^Order history/);
  const rejected = history(page).getByRole("row").filter({ hasText: grouped(farPrice) });
  await expect(rejected.getByText("Rejected")).toBeVisible();
  await expect(rejected.getByText(reason)).toBeVisible();

  // The operator's kill switch: the badge turns, and an order is refused with the reason.
  await oms.signed("POST", "/v1/admin/trading-state", { account: "demo", state: "HALTED" }, "admin");
  await expect(page.getByLabel("Kill switch: Trading halted")).toBeVisible();
  const haltedPrice = await priceFromMark("BTC-USDT", 0.93);
  await placeLimit(page, "Buy", haltedPrice, "0.01");
  const halted = history(page).getByRole("row").filter({ hasText: grouped(haltedPrice) });
  await expect(halted.getByText("Trading is halted (kill switch): no new orders are accepted.")).toBeVisible();
  await oms.signed("POST", "/v1/admin/trading-state", { account: "demo", state: "ACTIVE" }, "admin");
  await expect(page.getByLabel("Kill switch: Trading active")).toBeVisible();

  // The stream loses messages, then drops: another client cancels one order and places another
  // meanwhile. After the reconnect the snapshot resync shows exactly the new one.
  const keptPrice = await priceFromMark("BTC-USDT", 0.95);
  await placeLimit(page, "Buy", keptPrice, "0.01");
  await showTab(page, /^Open orders/);
  const keptRow = openOrders(page).getByRole("row").filter({ hasText: grouped(keptPrice) });
  await expect(keptRow).toHaveCount(1);
  const kept = (await oms.signed<{ orders: Order[] }>("GET", "/v1/orders?status=NEW")).orders[0]!;

  stream.losing = true;
  const elsewherePrice = await priceFromMark("BTC-USDT", 0.94);
  await oms.signed("DELETE", `/v1/orders/${kept.orderId}`);
  await oms.signed("POST", "/v1/orders", {
    symbol: "BTC-USDT",
    side: "BUY",
    type: "LIMIT",
    quantity: "0.02",
    price: elsewherePrice,
  });
  const elsewhereRow = openOrders(page).getByRole("row").filter({ hasText: grouped(elsewherePrice) });
  await page.waitForTimeout(1000);
  await expect(keptRow).toHaveCount(1); // the lost updates never arrived
  await expect(elsewhereRow).toHaveCount(0);
  stream.losing = false;
  await stream.drop();
  await expect(page.getByRole("status", { name: "Connection: Live" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Orders and positions" })).not.toHaveClass(/stale/);
  await expect(elsewhereRow).toHaveCount(1);
  await expect(keptRow).toHaveCount(0);
  expect(stream.connections).toBeGreaterThanOrEqual(2);

  // The server restarts: the page says so, dims what it shows, and comes back live and right.
  await oms.down();
  await expect(page.getByRole("status", { name: "Connection: Reconnecting" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Orders and positions" })).toHaveClass(/stale/);
  await oms.up();
  await expect(page.getByRole("status", { name: "Connection: Live" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("region", { name: "Orders and positions" })).not.toHaveClass(/stale/);
  await expect(elsewhereRow).toHaveCount(1);
  await expect(page.getByTestId("bids").getByRole("row").first()).toBeVisible();

  // Cancel-all empties the blotter.
  await page.getByRole("button", { name: "Cancel all" }).click();
  await expect(openOrders(page).getByText("No open orders")).toBeVisible();
});
