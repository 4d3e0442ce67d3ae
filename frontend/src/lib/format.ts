/** Number display: fixed decimals per instrument, thousands separators, signs for PnL. */

import { dec, parseDec, toFixed } from "./decimal";

/** "1234567.5" at 2 places → "1,234,567.50"; null or junk → "—". */
export function formatDecimal(value: string | null | undefined, places: number): string {
  if (value === null || value === undefined) return "—";
  const d = parseDec(value);
  if (d === null) return "—";
  const fixed = toFixed(d, places);
  const negative = fixed.startsWith("-");
  const [whole = "0", frac] = (negative ? fixed.slice(1) : fixed).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + grouped + (frac !== undefined ? "." + frac : "");
}

/** As formatDecimal, with a leading "+" for positive values (PnL, changes). */
export function formatSigned(value: string | null | undefined, places: number): string {
  const text = formatDecimal(value, places);
  if (text === "—" || text.startsWith("-")) return text;
  return /[1-9]/.test(text) ? "+" + text : text;
}

/** "up", "down" or "flat": the colour class of a signed value. */
export function direction(value: string | null | undefined): "up" | "down" | "flat" {
  if (value === null || value === undefined) return "flat";
  const d = parseDec(value);
  if (d === null || d.units === 0n) return "flat";
  return d.units > 0n ? "up" : "down";
}

/** A fraction ("0.0123") as a percentage with two decimals ("1.23%"). */
export function formatPercentFraction(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const d = parseDec(value);
  if (d === null) return "—";
  return formatDecimal(toFixed({ units: d.units * 100n, scale: d.scale }, 2), 2) + "%";
}

/** HH:MM:SS of an epoch-milliseconds time, in the viewer's zone. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const t = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

export { dec };
