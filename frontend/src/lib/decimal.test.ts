import { describe, expect, it } from "vitest";
import { add, cmp, dec, decimalsOf, div, floorTo, isMultipleOf, mul, parseDec, sub, toFixed, toPlain } from "./decimal";
import { direction, formatDecimal, formatSigned } from "./format";

describe("decimal", () => {
  it("parses only plain decimal strings", () => {
    expect(parseDec("60000.5")).toEqual({ units: 600005n, scale: 1 });
    expect(parseDec("-0.01")).toEqual({ units: -1n, scale: 2 });
    for (const junk of ["", "1e5", "NaN", "1.2.3", "0x10", "Infinity", "."]) expect(parseDec(junk)).toBeNull();
  });

  it("adds, subtracts and multiplies exactly where floats would not", () => {
    expect(toPlain(add(dec("0.1"), dec("0.2")))).toBe("0.3");
    expect(toPlain(sub(dec("60000"), dec("0.01")))).toBe("59999.99");
    expect(toPlain(mul(dec("0.00001"), dec("60000.01")))).toBe("0.6000001");
  });

  it("divides rounding half away from zero", () => {
    expect(toPlain(div(dec("2"), dec("3"), 4)!)).toBe("0.6667");
    expect(toPlain(div(dec("-1"), dec("8"), 2)!)).toBe("-0.13");
    expect(div(dec("1"), dec("0"), 2)).toBeNull();
  });

  it("checks the tick and lot grid", () => {
    expect(isMultipleOf(dec("60000.01"), dec("0.01"))).toBe(true);
    expect(isMultipleOf(dec("60000.001"), dec("0.01"))).toBe(false);
    expect(isMultipleOf(dec("0.003"), dec("0.001"))).toBe(true);
    expect(toPlain(floorTo(dec("1.23456"), dec("0.001")))).toBe("1.234");
  });

  it("compares and prints fixed decimals", () => {
    expect(cmp(dec("1.10"), dec("1.1"))).toBe(0);
    expect(cmp(dec("-2"), dec("1"))).toBe(-1);
    expect(toFixed(dec("1.005"), 2)).toBe("1.01");
    expect(toFixed(dec("-0.004"), 2)).toBe("0.00");
    expect(toFixed(dec("7"), 3)).toBe("7.000");
    expect(decimalsOf("0.010")).toBe(2);
    expect(decimalsOf("10")).toBe(0);
  });
});

describe("format", () => {
  it("groups thousands at the instrument's decimals", () => {
    expect(formatDecimal("1234567.5", 2)).toBe("1,234,567.50");
    expect(formatDecimal("-1234.5678", 1)).toBe("-1,234.6");
    expect(formatDecimal(null, 2)).toBe("—");
  });

  it("signs PnL and colours by direction", () => {
    expect(formatSigned("12.3", 2)).toBe("+12.30");
    expect(formatSigned("-0.5", 2)).toBe("-0.50");
    expect(formatSigned("0", 2)).toBe("0.00");
    expect([direction("1"), direction("-1"), direction("0"), direction(null)]).toEqual(["up", "down", "flat", "flat"]);
  });
});
