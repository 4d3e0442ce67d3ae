import { act, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Ticker } from "../api/types";
import { renderWithSession } from "../test/harness";
import { MarketSelector } from "./MarketSelector";
import { MarketStats } from "./MarketStats";
import { TradingStateBadge } from "./TradingStateBadge";

const ticker = (symbol: string, last: string, mark: string, change: string): Ticker => ({
  symbol, bid: null, bidQty: null, ask: null, askQty: null, last, mark,
  open24h: null, high24h: null, low24h: null, volume24h: "12.5", changePct24h: change, time: 1,
});

describe("MarketSelector", () => {
  it("groups spot and perpetuals, shows last and change, and switches the market", async () => {
    const { store } = renderWithSession(
      <>
        <MarketSelector />
        <MarketStats />
      </>,
    );
    act(() => {
      store.setTicker(ticker("BTC-USDT", "60000.5", "60001", "-1.25"));
      store.setTicker(ticker("BTC-USDT-PERP", "60010.4", "60011.2", "2.5"));
    });
    const perps = screen.getByRole("group", { name: "Perpetuals" });
    const perp = within(perps).getByRole("button", { name: /BTC-USDT-PERP/ });
    expect(perp).toHaveTextContent("60,010.4");
    expect(within(perp).getByText("2.50%")).toHaveClass("up");
    expect(within(screen.getByRole("group", { name: "Spot" })).getByText("-1.25%")).toHaveClass("down");
    expect(perp).toHaveAttribute("title", "BTC-USDT-PERP: last 60,010.4, mark 60,011.2");

    await userEvent.click(perp);
    expect(store.getState().symbol).toBe("BTC-USDT-PERP");
    expect(perp).toHaveAttribute("aria-pressed", "true");
    expect(screen.getByTestId("last-price")).toHaveTextContent("60,010.4");
  });

  it("shows the kill-switch state of the account", () => {
    const { store } = renderWithSession(<TradingStateBadge />);
    act(() =>
      store.setAccount({
        account: "demo", tradingState: "HALTED", balances: [], positions: [], equity: "0", initialMargin: "0",
        maintenanceMargin: "0", availableMargin: "0", marginRatio: null, unrealizedPnl: "0", updatedAt: 1,
      }),
    );
    expect(screen.getByLabelText("Kill switch: Trading halted")).toHaveAttribute(
      "title",
      "Kill switch: no new orders are accepted.",
    );
  });
});
