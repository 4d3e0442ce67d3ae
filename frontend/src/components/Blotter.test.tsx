import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { order } from "../test/fixtures";
import { renderWithSession } from "../test/harness";
import { Blotter } from "./Blotter";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { Positions } from "./Positions";

describe("Blotter", () => {
  it("amends an open order's price", async () => {
    const { api, store } = renderWithSession(<Blotter />);
    act(() => store.applyOrder(order()));
    api.amendOrder.mockResolvedValue(order({ status: "PENDING_REPLACE", seq: 3 }));
    const table = screen.getByRole("table", { name: "Open orders" });
    await userEvent.click(within(table).getByRole("button", { name: "Amend" }));
    const price = within(table).getByLabelText("New price");
    await userEvent.clear(price);
    await userEvent.type(price, "57500{Enter}");
    await waitFor(() => expect(api.amendOrder).toHaveBeenCalledWith("383968994580758528", { price: "57500" }));
    expect(within(table).getByText("Amending")).toBeInTheDocument();
  });

  it("cancels one order and all orders", async () => {
    const { api, store } = renderWithSession(<Blotter />);
    act(() => store.applyOrder(order()));
    api.cancelOrder.mockResolvedValue(order({ status: "PENDING_CANCEL", seq: 3 }));
    api.cancelAll.mockResolvedValue(undefined);
    await userEvent.click(screen.getByRole("button", { name: "Cancel order 383968994580758528" }));
    expect(api.cancelOrder).toHaveBeenCalledWith("383968994580758528");
    expect(await screen.findByText("Canceling")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Cancel all" }));
    expect(api.cancelAll).toHaveBeenCalledTimes(1);
  });

  it("history shows a rejected order's reason in plain words", async () => {
    const { store } = renderWithSession(<Blotter />);
    act(() => store.applyOrder(order({ status: "REJECTED", rejectReason: "PRICE_OUTSIDE_BAND", seq: 2 })));
    await userEvent.click(screen.getByRole("tab", { name: "Order history" }));
    const row = within(screen.getByRole("table", { name: "Order history" })).getByText("Rejected").closest("tr")!;
    expect(row).toHaveTextContent("The price is too far from the mark price (outside the allowed price band).");
  });

  it("tabs move with the arrow keys", async () => {
    renderWithSession(<Blotter />);
    screen.getByRole("tab", { name: "Open orders" }).focus();
    await userEvent.keyboard("{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Order history" })).toHaveAttribute("aria-selected", "true");
    expect(screen.getByRole("tab", { name: "Order history" })).toHaveFocus();
  });
});

describe("Positions and connection", () => {
  it("shows size, liquidation price and the margin ratio bar at the instrument's decimals", () => {
    const { store } = renderWithSession(<Positions />);
    act(() =>
      store.setPositions([
        {
          symbol: "BTC-USDT-PERP",
          quantity: "0.5",
          entryPrice: "60000",
          markPrice: "59000",
          notional: "29500",
          unrealizedPnl: "-500",
          realizedPnl: "12.5",
          initialMargin: "3000",
          maintenanceMargin: "125",
          leverage: 10,
          liquidationPrice: "54321.25",
        },
      ]),
    );
    const row = screen.getByText("BTC-USDT-PERP").closest("tr")!;
    expect(within(row).getByTestId("position-size")).toHaveTextContent("0.500");
    expect(row).toHaveTextContent("54,321.3");
    expect(row).toHaveTextContent("-500.00");
    expect(row).toHaveTextContent("+12.50");
    // 125 / (3000 - 500) = 5%
    expect(within(row).getByRole("meter", { name: "BTC-USDT-PERP margin ratio" })).toHaveAttribute("aria-valuetext", "5.00%");
  });

  it("the connection indicator says live with latency, resyncing while stale, reconnecting when down", () => {
    const { store } = renderWithSession(<ConnectionIndicator />);
    act(() => {
      store.setConnection("live");
      store.setLatency(12);
    });
    expect(screen.getByRole("status")).toHaveAccessibleName("Connection: Resyncing");
    act(() => store.markFresh());
    expect(screen.getByRole("status")).toHaveAccessibleName("Connection: Live");
    expect(screen.getByRole("status")).toHaveTextContent("12 ms");
    act(() => store.setConnection("reconnecting"));
    expect(screen.getByRole("status")).toHaveAccessibleName("Connection: Reconnecting");
  });
});

describe("SessionRefused", () => {
  it("offers to sign in again when the stream refuses the key", async () => {
    const { SessionRefused } = await import("./SessionRefused");
    let signedOut = false;
    const { store } = renderWithSession(<SessionRefused onSignOut={() => (signedOut = true)} />);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    act(() => store.setConnection("unauthorized"));
    await userEvent.click(screen.getByRole("button", { name: "Sign in again" }));
    expect(signedOut).toBe(true);
  });
});

describe("AmendRow", () => {
  it("checks the new price against the tick before it can be saved", async () => {
    const { api, store } = renderWithSession(<Blotter />);
    act(() => store.applyOrder(order()));
    const table = screen.getByRole("table", { name: "Open orders" });
    await userEvent.click(within(table).getByRole("button", { name: "Amend" }));
    const price = within(table).getByLabelText("New price");
    await userEvent.clear(price);
    await userEvent.type(price, "57500.005");
    expect(within(table).getByRole("alert")).toHaveTextContent("The price must be a multiple of the tick size 0.01.");
    expect(within(table).getByRole("button", { name: "Save" })).toBeDisabled();
    await userEvent.type(price, "{Enter}");
    expect(api.amendOrder).not.toHaveBeenCalled();
  });
});
