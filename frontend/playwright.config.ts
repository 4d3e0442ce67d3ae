import { defineConfig } from "@playwright/test";

/**
 * Browser tests against a real `oms up` (started by the tests themselves, see e2e/omsServer.ts),
 * driven in Debian's Chromium: Playwright never downloads a browser here. Each launch gets a
 * fresh temporary profile (Playwright's default for `launch`).
 */
export default defineConfig({
  testDir: "e2e",
  timeout: 240_000,
  globalTimeout: 360_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    browserName: "chromium",
    headless: true,
    viewport: { width: 1440, height: 900 },
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
