import { describe, expect, it } from "vitest";
import { BTC_PERP, BTC_SPOT } from "../test/fixtures";
import { type Ticket, checkTicket, needsConfirmation } from "./orderForm";
import { describeReject } from "./reasons";

const limit = (quantity: string, price: string, side: "BUY" | "SELL" = "BUY"): Ticket => ({
  side,
  type: "LIMIT",
  quantity,
  price,
  stopPrice: "",
});

describe("checkTicket", () => {
  it("accepts a ticket on the grid and previews its cost and fee", () => {
    const check = checkTicket(limit("0.01", "60000"), BTC_SPOT, null, 10);
    expect(check.valid).toBe(true);
    expect(check.notional).toBe("600");
    expect([check.cost, check.costAsset]).toEqual(["600", "USDT"]);
    expect(check.fee).toBe("0.3");
  });

  it("refuses a price off the tick and a quantity off the lot", () => {
    const check = checkTicket(limit("0.000001", "60000.001"), BTC_SPOT, null, 10);
    expect(check.errors.price).toMatch(/multiple of the tick size 0.01/);
    expect(check.errors.quantity).toMatch(/multiple of the lot size 0.00001/);
    expect(check.valid).toBe(false);
  });

  it("refuses an order below the minimum notional", () => {
    expect(checkTicket(limit("0.00001", "60000"), BTC_SPOT, null, 10).errors.notional).toBe(
      "The order value must be at least 5 USDT.",
    );
  });

  it("values a market order at the reference price and needs no price", () => {
    const ticket: Ticket = { side: "BUY", type: "MARKET", quantity: "0.5", price: "", stopPrice: "" };
    const check = checkTicket(ticket, BTC_PERP, "60000.1", 20);
    expect(check.errors).toEqual({});
    expect(check.notional).toBe("30000.05");
    expect([check.cost, check.leverage]).toEqual(["1500", 20]);
  });

  it("needs a stop price for stop orders", () => {
    const ticket: Ticket = { side: "SELL", type: "STOP_MARKET", quantity: "0.1", price: "", stopPrice: "" };
    expect(checkTicket(ticket, BTC_PERP, "60000", 10).errors.stopPrice).toBe("Enter a stop price.");
  });

  it("a spot sell costs base asset", () => {
    const check = checkTicket(limit("0.25", "60000", "SELL"), BTC_SPOT, null, 10);
    expect([check.cost, check.costAsset]).toEqual(["0.25", "BTC"]);
  });
});

describe("confirmation and reasons", () => {
  it("asks to confirm at or above the threshold only", () => {
    expect(needsConfirmation("100000", "100000")).toBe(true);
    expect(needsConfirmation("99999.99", "100000")).toBe(false);
    expect(needsConfirmation(null, "100000")).toBe(false);
  });

  it("says reject reasons in plain words", () => {
    expect(describeReject("INSUFFICIENT_BALANCE")).toBe("Not enough balance to pay for this order.");
    expect(describeReject("SOMETHING_NEW")).toBe("Something new.");
    expect(describeReject(null)).toBe("");
  });
});
