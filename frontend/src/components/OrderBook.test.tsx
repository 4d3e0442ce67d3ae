import { act, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ApiError, type BookByVenue } from "../api/client";
import { renderWithSession } from "../test/harness";
import { OrderBook } from "./OrderBook";

const split: BookByVenue = {
  symbol: "BTC-USDT",
  seq: 1,
  bids: [["59999.5", "1.5"]],
  asks: [["60000.25", "0.3"]],
  venues: ["BINANCE", "OKX"],
  bidsByVenue: [["1", "0.5"]],
  asksByVenue: [["0", "0.3"]],
};

function renderBook() {
  const session = renderWithSession(<OrderBook />);
  act(() => {
    session.store.applyBook({
      symbol: "BTC-USDT",
      seq: 1,
      snapshot: true,
      bids: [["59999.5", "1.5"], ["59999", "0.2"]],
      asks: [["60000.25", "0.3"]],
    });
  });
  return session;
}

describe("OrderBook", () => {
  it("hovering a level shows the venues behind its size, leaving it hides them", async () => {
    const { api } = renderBook();
    api.bookByVenue.mockResolvedValue(split);
    const level = screen.getByRole("button", { name: "Use price 59,999.50" });

    await userEvent.hover(level);
    expect(await screen.findByText("BINANCE 1.00000 · OKX 0.50000")).toHaveAttribute("role", "tooltip");
    expect(level).toHaveAccessibleDescription("BINANCE 1.00000 · OKX 0.50000");
    expect(api.bookByVenue).toHaveBeenCalledWith("BTC-USDT", 20);

    await userEvent.unhover(level);
    expect(screen.queryByRole("tooltip")).not.toBeInTheDocument();
  });

  it("moving to another level reuses the answer; keyboard focus shows it too and Escape hides it", async () => {
    const user = userEvent.setup(); // one pointer, so moving on leaves the first level
    const { api } = renderBook();
    api.bookByVenue.mockResolvedValue(split);
    await user.hover(screen.getByRole("button", { name: "Use price 59,999.50" }));
    await screen.findByText("BINANCE 1.00000 · OKX 0.50000");
    await user.hover(screen.getByRole("button", { name: "Use price 60,000.25" }));
    expect(await screen.findByText("OKX 0.30000")).toBeInTheDocument();
    expect(screen.queryByText("BINANCE 1.00000 · OKX 0.50000")).not.toBeInTheDocument();
    expect(api.bookByVenue).toHaveBeenCalledTimes(1);
    await user.unhover(screen.getByRole("button", { name: "Use price 60,000.25" }));

    await user.tab();
    const ask = screen.getByRole("button", { name: "Use price 60,000.25" });
    expect(ask).toHaveFocus();
    expect(await screen.findByText("OKX 0.30000")).toHaveAttribute("role", "tooltip");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("tooltip")).not.toBeInTheDocument();
  });

  it("says so when the level is not in the split, after asking once more", async () => {
    const { api } = renderBook();
    api.bookByVenue.mockResolvedValue(split);
    await userEvent.hover(screen.getByRole("button", { name: "Use price 59,999.50" }));
    await screen.findByText("BINANCE 1.00000 · OKX 0.50000");

    await userEvent.hover(screen.getByRole("button", { name: "Use price 59,999.00" }));
    expect(await screen.findByText("Venue split unavailable")).toBeInTheDocument();
    expect(api.bookByVenue).toHaveBeenCalledTimes(2);
  });

  it("shows a short message when the split cannot be fetched, and a click still picks the price", async () => {
    const { api, store } = renderBook();
    api.bookByVenue.mockRejectedValue(new ApiError(500, "HTTP_500", "Internal Server Error"));
    const level = screen.getByRole("button", { name: "Use price 59,999.50" });

    await userEvent.hover(level);
    expect(await screen.findByText("Venue split failed (HTTP_500)")).toHaveClass("error");
    await userEvent.click(level);
    expect(store.getState().pickedPrice?.price).toBe("59999.5");
  });
});
