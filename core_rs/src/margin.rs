//! Margin math for perpetuals with tiered maintenance brackets (one-way positions).
//!
//! A position is `qty` lots (signed: long > 0) and `cost`, the signed sum of its fills'
//! notional in money atoms, so entry price = cost / qty exactly and no rounding accumulates.
//! Requirements round up (they must never be understated); PnL is exact.

use crate::fixed::{mul_div_ceil, pow10, MONEY_DECIMALS, RATE_ONE};
use crate::instrument::Instrument;

/// Notional in money atoms of `lots` (signed) at `ticks`, for sizes bounded by the instrument.
pub fn notional(inst: &Instrument, lots: i64, ticks: i64) -> i128 {
    inst.notional(ticks * inst.tick_size, lots * inst.lot_size)
}

/// [`notional`] for unbounded input; `None` beyond 128 bits.
pub fn checked_notional(inst: &Instrument, lots: i64, ticks: i64) -> Option<i128> {
    let price = i128::from(ticks) * i128::from(inst.tick_size);
    let qty = i128::from(lots) * i128::from(inst.lot_size);
    price.checked_mul(qty)?.checked_mul(inst.notional_scale())
}

/// Initial margin of a notional at a leverage: `|notional| / leverage`, rounded up.
pub fn initial_margin(notional: i128, leverage: u32) -> i128 {
    mul_div_ceil(notional.abs(), 1, i128::from(leverage.max(1)))
}

/// Maintenance margin: `|notional| × mmr − maintenance_amount` of the bracket the notional
/// falls in, with the product rounded up. Zero for spot instruments.
pub fn maintenance_margin(inst: &Instrument, notional: i128) -> i128 {
    let n = notional.abs();
    inst.bracket_for(n).map_or(0, |b| {
        (mul_div_ceil(n, i128::from(b.mmr), RATE_ONE) - b.maintenance_amount).max(0)
    })
}

/// Unrealized PnL in money atoms of a position marked at `mark` ticks.
pub fn unrealized_pnl(inst: &Instrument, qty: i64, cost: i128, mark: i64) -> i128 {
    notional(inst, qty, mark) - cost
}

/// Margin ratio `maintenance / margin_balance` in rate units (`RATE_ONE` = 100%: liquidation).
/// `None` when the margin balance is not positive (already past liquidation).
pub fn margin_ratio(maintenance: i128, margin_balance: i128) -> Option<i128> {
    (margin_balance > 0).then(|| mul_div_ceil(maintenance, RATE_ONE, margin_balance))
}

/// An exact price in real units: `num × 10^exp / den` (den > 0). The power of ten is kept
/// apart so that large positions cannot overflow the numerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceFraction {
    pub num: i128,
    pub den: i128,
    pub exp: u32,
}

impl PriceFraction {
    /// The price in atoms at `decimals`, rounded up (`up`) or down; `None` if it does not
    /// fit in 128 bits. Long division digit by digit, so no intermediate product overflows.
    pub fn to_atoms(self, decimals: u32, up: bool) -> Option<i128> {
        let (mut value, mut rem) = (self.num.div_euclid(self.den), self.num.rem_euclid(self.den));
        for _ in 0..self.exp + decimals {
            rem *= 10;
            value = value.checked_mul(10)?.checked_add(rem / self.den)?;
            rem %= self.den;
        }
        if up && rem > 0 {
            value = value.checked_add(1)?;
        }
        Some(value)
    }
}

/// Where the position is liquidated: the mark at which margin balance meets maintenance.
///
/// `collateral` is what backs the position, in money atoms: for an isolated position its
/// isolated margin; for cross, the wallet balance minus the other positions' maintenance
/// margin plus their unrealized PnL. Follows the usual one-way formula
/// `LP = (collateral + maintenance_amount − cost) / (|qty| × mmr − qty)`, trying each bracket
/// and keeping the one the liquidation notional falls in. `None` for a flat position or one
/// that cannot be liquidated (e.g. a long backed by more than its notional).
pub fn liquidation_price(
    inst: &Instrument,
    qty: i64,
    cost: i128,
    collateral: i128,
) -> Option<PriceFraction> {
    if qty == 0 || inst.brackets.is_empty() {
        return None;
    }
    let q_atoms = i128::from(qty) * i128::from(inst.lot_size);
    let side = q_atoms.signum();
    let candidate = |b: &crate::instrument::MarginBracket| {
        let num = collateral
            .checked_add(b.maintenance_amount)?
            .checked_sub(cost)?;
        let den = q_atoms
            .abs()
            .checked_mul(i128::from(b.mmr) - side * RATE_ONE)?;
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let exp = inst.qty_decimals;
        (den != 0 && num > 0).then_some(PriceFraction { num, den, exp })
    };
    let notional_at = |p: PriceFraction| {
        // |qty| × price in money atoms = |q_atoms| × 10^8 × num / den (as exp = qty decimals),
        // rounded down; beyond 128 bits it is above every tier.
        let units = q_atoms.abs() * pow10(MONEY_DECIMALS);
        let (whole, rem) = (p.num / p.den, p.num % p.den);
        // The fractional part, exact: below `units`, whatever the sizes.
        let frac = mul_div_floor(units, rem, p.den);
        units
            .checked_mul(whole)
            .and_then(|n| n.checked_add(frac))
            .unwrap_or(i128::MAX)
    };
    let brackets = &inst.brackets;
    let fitting = brackets.iter().enumerate().find_map(|(i, b)| {
        let p = candidate(b)?;
        let n = notional_at(p);
        let upper = brackets
            .get(i + 1)
            .map_or(i128::MAX, |next| next.notional_floor);
        (n >= b.notional_floor && n < upper).then_some(p)
    });
    fitting.or_else(|| {
        let current = cost.abs();
        inst.bracket_for(current).and_then(candidate)
    })
}

/// `a × b / c` rounded down, for non-negative `a`, `b` and `c > b`, exactly: the product is
/// taken in 256 bits, so it may exceed 128 (the quotient, below `a`, never does).
fn mul_div_floor(a: i128, b: i128, c: i128) -> i128 {
    if let Some(product) = a.checked_mul(b) {
        return product / c;
    }
    let (a, b, c) = (a.unsigned_abs(), b.unsigned_abs(), c.unsigned_abs());
    // 128 × 128 → 256 bits as (hi, lo), from four 64-bit halves.
    let mask = u128::from(u64::MAX);
    let (a_hi, a_lo, b_hi, b_lo) = (a >> 64, a & mask, b >> 64, b & mask);
    let (ll, lh, hl, hh) = (a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi);
    let mid = (ll >> 64) + (lh & mask) + (hl & mask);
    let lo = (ll & mask) | (mid << 64);
    let hi = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    // Long division of (hi, lo) by c, one bit at a time; hi < c because the quotient fits.
    let (mut rem, mut quotient) = (hi, 0u128);
    for bit in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> bit) & 1);
        quotient <<= 1;
        if carry == 1 || rem >= c {
            rem = rem.wrapping_sub(c);
            quotient |= 1;
        }
    }
    i128::try_from(quotient).unwrap_or(i128::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instrument::InstrumentRegistry;

    #[test]
    fn mul_div_floor_is_exact_past_128_bits() {
        let big = i128::MAX / 3;
        assert_eq!(mul_div_floor(big, big - 1, big), big - 1);
        assert_eq!(mul_div_floor(7, 5, 9), 3);
        let a = 10_i128.pow(30);
        let (b, c) = (10_i128.pow(20) + 7, 10_i128.pow(20) + 11);
        // a × b / c = a − a × 4 / c, rounded down.
        assert_eq!(mul_div_floor(a, b, c), a - (a * 4).div_euclid(c) - 1);
    }

    const USDT: i128 = 100_000_000;

    fn btc_perp() -> Instrument {
        InstrumentRegistry::builtin()
            .get("BTC-USDT-PERP")
            .unwrap()
            .clone()
    }

    #[test]
    fn isolated_long_liquidation_matches_the_worked_example() {
        // Long 1 BTC at 50,000 with 5,000 isolated margin, mmr 0.4%, amount 0:
        // LP = (5000 − 50000) / (1 × 0.004 − 1) = 45,180.7228915…
        let inst = btc_perp();
        let qty = 1000; // lots of 0.001
        let cost = notional(&inst, qty, 500_000); // 50,000.0 in ticks of 0.1
        let lp = liquidation_price(&inst, qty, cost, 5_000 * USDT).unwrap();
        assert_eq!(lp.to_atoms(8, true), Some(4_518_072_289_157));
        assert_eq!(lp.to_atoms(1, true), Some(451_808));
    }

    #[test]
    fn isolated_short_liquidation_is_above_entry() {
        // Short 1 BTC at 50,000 with 5,000. In the first tier LP would be
        // (5000 + 50000) / (0.004 + 1) = 54,780.87, a notional past that tier's 50,000 cap, so
        // the second tier (0.5%, amount 50) applies: (5000 + 50 + 50000) / 1.005 = 54,776.119…
        let inst = btc_perp();
        let cost = notional(&inst, -1000, 500_000);
        let lp = liquidation_price(&inst, -1000, cost, 5_000 * USDT).unwrap();
        assert_eq!(lp.to_atoms(2, false), Some(5_477_611));
    }

    #[test]
    fn fully_backed_long_cannot_be_liquidated() {
        let inst = btc_perp();
        let cost = notional(&inst, 1000, 500_000);
        assert_eq!(liquidation_price(&inst, 1000, cost, 60_000 * USDT), None);
        assert_eq!(liquidation_price(&inst, 0, 0, 60_000 * USDT), None);
    }

    #[test]
    fn maintenance_margin_uses_the_tiered_bracket() {
        let inst = btc_perp();
        assert_eq!(maintenance_margin(&inst, 10_000 * USDT), 40 * USDT);
        // 100,000 notional is in the 0.5% tier with amount 50: 500 − 50 = 450.
        assert_eq!(maintenance_margin(&inst, -100_000 * USDT), 450 * USDT);
        // Continuous at the tier boundary.
        assert_eq!(maintenance_margin(&inst, 50_000 * USDT), 200 * USDT);
    }

    #[test]
    fn initial_margin_rounds_up() {
        assert_eq!(initial_margin(1001, 10), 101);
        assert_eq!(initial_margin(-1000, 10), 100);
    }

    #[test]
    fn unrealized_pnl_is_exact_for_longs_and_shorts() {
        let inst = btc_perp();
        let long_cost = notional(&inst, 1000, 500_000);
        assert_eq!(
            unrealized_pnl(&inst, 1000, long_cost, 510_000),
            1_000 * USDT
        );
        let short_cost = notional(&inst, -1000, 500_000);
        assert_eq!(
            unrealized_pnl(&inst, -1000, short_cost, 510_000),
            -1_000 * USDT
        );
    }

    #[test]
    fn margin_ratio_is_maintenance_over_balance() {
        assert_eq!(margin_ratio(50, 100), Some(RATE_ONE / 2));
        assert_eq!(margin_ratio(50, 0), None);
    }
}
