/**
 * Exact decimal arithmetic on strings (BigInt underneath): prices, quantities and money never
 * pass through a binary float. Only what the dashboard needs: parse, compare, add, subtract,
 * multiply, divide to a scale, grid checks and fixed-decimal display.
 */

export interface Dec {
  /** value = units / 10**scale */
  readonly units: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

/** A decimal string, or null when it is not one ("", "1e5", "NaN", "1.2.3"). */
export function parseDec(text: string): Dec | null {
  const m = DECIMAL.exec(text.trim());
  if (m === null) return null;
  const frac = m[3] ?? "";
  const units = BigInt((m[2] ?? "0") + frac);
  return { units: m[1] === "-" ? -units : units, scale: frac.length };
}

export function dec(text: string): Dec {
  const d = parseDec(text);
  if (d === null) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  return d;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function rescale(d: Dec, scale: number): bigint {
  return d.units * pow10(scale - d.scale);
}

function aligned(a: Dec, b: Dec): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [rescale(a, scale), rescale(b, scale), scale];
}

export function add(a: Dec, b: Dec): Dec {
  const [x, y, scale] = aligned(a, b);
  return { units: x + y, scale };
}

export function sub(a: Dec, b: Dec): Dec {
  const [x, y, scale] = aligned(a, b);
  return { units: x - y, scale };
}

export function mul(a: Dec, b: Dec): Dec {
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

/** a / b rounded half away from zero to `scale` decimals; null when b is zero. */
export function div(a: Dec, b: Dec, scale: number): Dec | null {
  if (b.units === 0n) return null;
  // a/b = (a.units / 10^a.s) / (b.units / 10^b.s); shift so the quotient has `scale` decimals.
  const shift = scale + b.scale - a.scale;
  let num = a.units * (shift >= 0 ? pow10(shift) : 1n);
  let den = b.units * (shift < 0 ? pow10(-shift) : 1n);
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const q = num / den;
  const r = num % den;
  const roundAway = 2n * (r < 0n ? -r : r) >= den;
  return { units: roundAway ? q + (num < 0n ? -1n : 1n) : q, scale };
}

export function cmp(a: Dec, b: Dec): number {
  const [x, y] = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(a: Dec): boolean {
  return a.units === 0n;
}

export function abs(a: Dec): Dec {
  return a.units < 0n ? { units: -a.units, scale: a.scale } : a;
}

/** Is `value` a whole multiple of `step` (the tick or lot grid)? */
export function isMultipleOf(value: Dec, step: Dec): boolean {
  const [x, y] = aligned(value, step);
  return y !== 0n && x % y === 0n;
}

/** Decimals a step has once trailing zeros are dropped: "0.010" → 2, "1" → 0, "10" → 0. */
export function decimalsOf(step: string): number {
  const frac = step.split(".")[1] ?? "";
  return frac.replace(/0+$/, "").length;
}

/** Round half away from zero to `places` decimals and print exactly that many. */
export function toFixed(a: Dec, places: number): string {
  let units: bigint;
  if (a.scale <= places) {
    units = a.units * pow10(places - a.scale);
  } else {
    const factor = pow10(a.scale - places);
    const q = a.units / factor;
    const r = a.units % factor;
    const away = 2n * (r < 0n ? -r : r) >= factor;
    units = away ? q + (a.units < 0n ? -1n : 1n) : q;
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(places + 1, "0");
  const whole = digits.slice(0, digits.length - places);
  const frac = places > 0 ? "." + digits.slice(digits.length - places) : "";
  return (negative && units !== 0n ? "-" : "") + whole + frac;
}

/** The shortest exact string ("60000.5", "0.01", "-3"). */
export function toPlain(a: Dec): string {
  const text = toFixed(a, a.scale);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** Round down to a multiple of `step` (a grid value never larger than `value`). */
export function floorTo(value: Dec, step: Dec): Dec {
  const [x, y, scale] = aligned(value, step);
  if (y === 0n) return value;
  const q = x / y;
  const floored = x < 0n && x % y !== 0n ? q - 1n : q;
  return { units: floored * y, scale };
}
