//! Exact decimal text ⇄ fixed-point integers.
//!
//! Every amount in the core is an integer count of "atoms" at a known number of decimals
//! (prices at the instrument's price decimals, sizes at its quantity decimals, money at
//! [`MONEY_DECIMALS`]). Conversion never rounds: a value with more precision than the target
//! scale is an error, so nothing is ever lost silently.

use crate::error::{OmsError, Result};

/// Decimals of every balance, fee, margin and PnL amount (1e-8: one satoshi for BTC).
pub const MONEY_DECIMALS: u32 = 8;
/// Decimals of every rate (fees, maintenance margin rates, price bands).
pub const RATE_DECIMALS: u32 = 8;
/// `10^RATE_DECIMALS`, the integer that stands for a rate of 1.
pub const RATE_ONE: i128 = 100_000_000;

/// A decimal number as an exact `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// An exponent as i64, saturating far beyond any meaningful scale; `None` if not an integer.
fn parse_exponent(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits
        .parse::<i64>()
        .unwrap_or(i64::MAX / 4)
        .min(i64::MAX / 4);
    Some(if negative { -magnitude } else { magnitude })
}

pub fn pow10(n: u32) -> i128 {
    10i128.pow(n)
}

fn pow10_checked(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

impl Decimal {
    /// Parses plain (`-12.50`) and scientific (`1.5E-3`) decimal text exactly.
    ///
    /// A value finer than 38 significant digits can resolve is kept as [`Decimal::TOO_PRECISE`]:
    /// it is in range but off every grid, so conversions report it as such, not as overflow.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || OmsError::InvalidNumber(format!("{text:?} is not a decimal number"));
        let too_big = || OmsError::NumberOverflow(format!("{text:?} is out of range"));
        let s = text.trim();
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (digits, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], parse_exponent(&rest[i + 1..]).ok_or_else(bad)?),
            None => (rest, 0),
        };
        let (int_part, frac_part) = match digits.find('.') {
            Some(i) => (&digits[..i], &digits[i + 1..]),
            None => (digits, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|c| c.is_ascii_digit());
        if int_part.is_empty() && frac_part.is_empty()
            || !all_digits(int_part)
            || !all_digits(frac_part)
        {
            return Err(bad());
        }
        let frac = frac_part.trim_end_matches('0');
        let significant: String = format!("{int_part}{frac}")
            .trim_start_matches('0')
            .to_owned();
        if significant.is_empty() {
            return Ok(Decimal {
                mantissa: 0,
                scale: 0,
            });
        }
        // Value = significant × 10^-scale.
        let digits = |s: &str| i64::try_from(s.len()).map_err(|_| too_big());
        let scale = digits(frac)?.saturating_sub(exponent);
        let int_digits = digits(&significant)? - scale;
        if int_digits > 38 {
            return Err(too_big());
        }
        if significant.len() > 38 || scale > i64::from(u32::MAX / 2) {
            return Ok(Self::TOO_PRECISE);
        }
        let mut mantissa: i128 = significant.parse().map_err(|_| bad())?;
        if scale < 0 {
            // At most 38 digits in all, so this cannot overflow.
            mantissa *= pow10(u32::try_from(-scale).map_err(|_| too_big())?);
        }
        let mut d = Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: u32::try_from(scale.max(0)).map_err(|_| too_big())?,
        };
        d.normalize();
        Ok(d)
    }

    /// Stands for a value finer than any grid (more precision than 128 bits can carry).
    pub const TOO_PRECISE: Decimal = Decimal {
        mantissa: 1,
        scale: u32::MAX,
    };

    fn normalize(&mut self) {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        if self.mantissa == 0 {
            self.scale = 0;
        }
    }

    /// The value as an integer count of `10^-decimals` units, if it is exactly representable.
    pub fn to_atoms(self, decimals: u32) -> Option<i128> {
        if self.scale > decimals {
            return None;
        }
        pow10_checked(decimals - self.scale).and_then(|p| self.mantissa.checked_mul(p))
    }
}

/// Parses decimal text into atoms at `decimals`; `what` names the value in error messages.
///
/// Fails with `InvalidNumber` for junk, `NumberOverflow` beyond i64 and `InvalidNumber` when
/// the text carries more precision than `decimals` (the caller maps that to its grid error).
pub fn parse_atoms(text: &str, decimals: u32) -> Result<i64> {
    let d = Decimal::parse(text)?;
    let atoms = d.to_atoms(decimals).ok_or_else(|| {
        OmsError::InvalidNumber(format!("{text:?} has more than {decimals} decimals"))
    })?;
    i64::try_from(atoms).map_err(|_| OmsError::NumberOverflow(format!("{text:?} is out of range")))
}

/// Parses a rate such as `"0.0004"` into integer units of `10^-RATE_DECIMALS`.
pub fn parse_rate(text: &str) -> Result<i64> {
    parse_atoms(text, RATE_DECIMALS)
}

/// Formats atoms at `decimals` as plain decimal text with exactly `decimals` fraction digits.
pub fn format_atoms(atoms: i128, decimals: u32) -> String {
    let sign = if atoms < 0 { "-" } else { "" };
    let abs = atoms.unsigned_abs();
    if decimals == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u128.pow(decimals);
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = decimals as usize
    )
}

/// `a × b / d` for non-negative `a`, `b` and positive `d`, rounded up (fees and margins must
/// never be understated).
#[inline]
pub fn mul_div_ceil(a: i128, b: i128, d: i128) -> i128 {
    if let Some((p, d)) = small_product(a, b, d) {
        return i128::from(p.div_ceil(d));
    }
    (a * b + d - 1).div_euclid(d)
}

/// `a × b / d` for non-negative `a`, `b` and positive `d`, rounded down.
#[inline]
pub fn mul_div_floor(a: i128, b: i128, d: i128) -> i128 {
    if let Some((p, d)) = small_product(a, b, d) {
        return i128::from(p / d);
    }
    (a * b).div_euclid(d)
}

/// The product and divisor as `u64` when they fit: 128-bit division is a slow library call,
/// and nearly every product on the hot paths (notional × rate) fits in 64 bits.
#[inline]
fn small_product(a: i128, b: i128, d: i128) -> Option<(u64, u64)> {
    let (a, b, d) = (
        u64::try_from(a).ok()?,
        u64::try_from(b).ok()?,
        u64::try_from(d).ok()?,
    );
    let p = u128::from(a) * u128::from(b);
    Some((u64::try_from(p).ok()?, d)).filter(|_| d > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_scientific_text_exactly() {
        assert_eq!(parse_atoms("50000.1", 2).unwrap(), 5_000_010);
        assert_eq!(parse_atoms("1.5E-3", 4).unwrap(), 15);
        assert_eq!(parse_atoms("1E+3", 0).unwrap(), 1000);
        assert_eq!(parse_atoms("-0.50", 2).unwrap(), -50);
        assert_eq!(parse_atoms("0.000", 0).unwrap(), 0);
        assert_eq!(parse_atoms(".5", 1).unwrap(), 5);
    }

    #[test]
    fn rejects_junk_nan_and_infinity() {
        for t in [
            "", "-", ".", "abc", "1.2.3", "NaN", "inf", "Infinity", "1e", "1x", "0x10",
        ] {
            assert_eq!(
                parse_atoms(t, 8).unwrap_err().code(),
                "INVALID_NUMBER",
                "{t}"
            );
        }
    }

    #[test]
    fn extreme_exponents_are_overflow_or_off_grid_never_junk() {
        assert_eq!(
            parse_atoms("1e999999999999", 0).unwrap_err().code(),
            "NUMBER_OVERFLOW"
        );
        assert_eq!(
            Decimal::parse("1e-999999999999").unwrap(),
            Decimal::TOO_PRECISE
        );
        assert_eq!(Decimal::parse("1e-31").unwrap().scale, 31);
        let fine = format!("0.{}1", "0".repeat(50));
        assert_eq!(Decimal::parse(&fine).unwrap().to_atoms(8), None);
        assert_eq!(Decimal::parse("0e999999").unwrap().mantissa, 0);
    }

    #[test]
    fn rejects_excess_precision_instead_of_rounding() {
        assert_eq!(
            parse_atoms("0.001", 2).unwrap_err().code(),
            "INVALID_NUMBER"
        );
    }

    #[test]
    fn rejects_values_beyond_i64() {
        assert_eq!(
            parse_atoms("1e30", 0).unwrap_err().code(),
            "NUMBER_OVERFLOW"
        );
        assert_eq!(
            parse_atoms("99999999999999999999999999999999999999999", 0)
                .unwrap_err()
                .code(),
            "NUMBER_OVERFLOW"
        );
    }

    #[test]
    fn formats_with_fixed_decimals() {
        assert_eq!(format_atoms(5_000_010, 2), "50000.10");
        assert_eq!(format_atoms(-5, 3), "-0.005");
        assert_eq!(format_atoms(7, 0), "7");
    }

    #[test]
    fn rounding_helpers_round_in_the_documented_direction() {
        assert_eq!(mul_div_ceil(10, 1, 3), 4);
        assert_eq!(mul_div_floor(10, 1, 3), 3);
        assert_eq!(mul_div_ceil(9, 1, 3), 3);
        // Beyond 64 bits the slow path gives the same answers.
        let big = i128::from(u64::MAX);
        assert_eq!(mul_div_ceil(big, 10, 3), (big * 10 + 2) / 3);
        assert_eq!(mul_div_floor(big, 10, 3), big * 10 / 3);
    }
}
