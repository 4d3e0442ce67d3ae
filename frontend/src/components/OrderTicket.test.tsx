import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { order } from "../test/fixtures";
import { renderWithSession } from "../test/harness";
import { OrderBook } from "./OrderBook";
import { OrderTicket } from "./OrderTicket";

function withBook(store: ReturnType<typeof renderWithSession>["store"]): void {
  act(() => {
    store.applyBook({
      symbol: "BTC-USDT",
      seq: 1,
      snapshot: true,
      bids: [["59999.5", "0.4"], ["59999", "1.2"]],
      asks: [["60000.25", "0.3"]],
    });
  });
}

describe("OrderTicket", () => {
  it("validates the price against the tick size while typing", async () => {
    renderWithSession(<OrderTicket />);
    await userEvent.type(screen.getByLabelText(/^Price/), "60000.001");
    expect(screen.getByRole("alert")).toHaveTextContent("The price must be a multiple of the tick size 0.01.");
    expect(screen.getByLabelText(/^Price/)).toHaveAttribute("aria-invalid", "true");
  });

  it("a click on a book level sets the ticket's price", async () => {
    const { store } = renderWithSession(
      <>
        <OrderBook />
        <OrderTicket />
      </>,
    );
    withBook(store);
    await userEvent.click(screen.getByRole("button", { name: "Use price 59,999.50" }));
    expect(screen.getByLabelText(/^Price/)).toHaveValue("59999.5");
  });

  it("sends a valid limit order and shows it as sent", async () => {
    const { api, store } = renderWithSession(<OrderTicket />);
    api.placeOrder.mockResolvedValue(order({ status: "PENDING_NEW", seq: 1 }));
    await userEvent.type(screen.getByLabelText(/^Price/), "58000");
    await userEvent.type(screen.getByLabelText(/^Quantity/), "0.01{Enter}");
    await waitFor(() => expect(api.placeOrder).toHaveBeenCalledTimes(1));
    expect(api.placeOrder).toHaveBeenCalledWith({
      symbol: "BTC-USDT",
      side: "BUY",
      type: "LIMIT",
      quantity: "0.01",
      price: "58000",
      timeInForce: "GTC",
    });
    expect(store.getState().orders["383968994580758528"]?.status).toBe("PENDING_NEW");
  });

  it("does not send an invalid order", async () => {
    const { api } = renderWithSession(<OrderTicket />);
    await userEvent.type(screen.getByLabelText(/^Quantity/), "0.01");
    await userEvent.click(screen.getByRole("button", { name: "Buy BTC" }));
    expect(screen.getByText("Enter a price.")).toBeInTheDocument();
    expect(api.placeOrder).not.toHaveBeenCalled();
  });

  it("asks for confirmation before a large order, and Escape cancels it", async () => {
    const { api } = renderWithSession(<OrderTicket confirmAbove="100000" />);
    await userEvent.click(screen.getByRole("button", { name: "Sell" }));
    await userEvent.type(screen.getByLabelText(/^Price/), "60000");
    await userEvent.type(screen.getByLabelText(/^Quantity/), "2{Enter}");
    const dialog = screen.getByRole("dialog", { name: "Confirm a large order" });
    expect(dialog).toHaveTextContent("SELL 2 BTC @ 60,000.00 BTC-USDT");
    expect(dialog).toHaveTextContent("Order value 120,000.00 USDT");
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(api.placeOrder).not.toHaveBeenCalled();

    api.placeOrder.mockResolvedValue(order({ side: "SELL", quantity: "2", status: "PENDING_NEW", seq: 1 }));
    await userEvent.click(screen.getByRole("button", { name: "Sell BTC" }));
    await userEvent.click(screen.getByRole("button", { name: "Confirm sell" }));
    await waitFor(() => expect(api.placeOrder).toHaveBeenCalledTimes(1));
  });

  it("switches side with Alt+S and Alt+B", () => {
    renderWithSession(<OrderTicket />);
    fireEvent.keyDown(window, { key: "s", altKey: true });
    expect(screen.getByRole("button", { name: "Sell" })).toHaveAttribute("aria-pressed", "true");
    fireEvent.keyDown(window, { key: "b", altKey: true });
    expect(screen.getByRole("button", { name: "Buy" })).toHaveAttribute("aria-pressed", "true");
  });

  it("shows post-only as GTX and an API refusal in words", async () => {
    const { api } = renderWithSession(<OrderTicket />);
    const { ApiError } = await import("../api/client");
    api.placeOrder.mockRejectedValue(new ApiError(503, "BUS_UNAVAILABLE", "bus down"));
    await userEvent.click(screen.getByLabelText("Post only"));
    await userEvent.type(screen.getByLabelText(/^Price/), "58000");
    await userEvent.type(screen.getByLabelText(/^Quantity/), "0.01{Enter}");
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("The OMS is busy; try again."));
    expect(api.placeOrder.mock.calls[0]?.[0]).toMatchObject({ timeInForce: "GTX" });
  });
});
