//! Instruments and their registry: what can be traded, on which price and size grid.
//!
//! Prices are integer atoms at the instrument's `price_decimals`, sizes integer atoms at its
//! `qty_decimals`, and money at [`MONEY_DECIMALS`]. The registry refuses instruments whose
//! notional (price × qty) would not be exact in money atoms, so notional never rounds.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::{OmsError, Result};
use crate::fixed::{self, pow10, Decimal, MONEY_DECIMALS, RATE_ONE};

/// The registry shipped with the project (`core_rs/data/instruments.json`).
pub const DEFAULT_REGISTRY_JSON: &str = include_str!("../data/instruments.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstrumentKind {
    Spot,
    Perpetual,
}

impl InstrumentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spot => "spot",
            Self::Perpetual => "perpetual",
        }
    }
}

/// One tier of a tiered maintenance-margin schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarginBracket {
    /// Position notional (money atoms) from which this tier applies.
    pub notional_floor: i128,
    /// Maintenance margin rate in rate units (`RATE_ONE` = 100%).
    pub mmr: i64,
    /// Amount (money atoms) subtracted so the schedule is continuous across tiers.
    pub maintenance_amount: i128,
    pub max_leverage: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    pub symbol: String,
    pub kind: InstrumentKind,
    pub base: String,
    pub quote: String,
    pub price_decimals: u32,
    pub qty_decimals: u32,
    /// Tick size in price atoms.
    pub tick_size: i64,
    /// Lot size in quantity atoms.
    pub lot_size: i64,
    pub min_qty: i64,
    pub max_qty: i64,
    /// Minimum order notional in money atoms.
    pub min_notional: i128,
    pub maker_fee: i64,
    pub taker_fee: i64,
    /// Empty for spot instruments.
    pub brackets: Vec<MarginBracket>,
}

impl Instrument {
    /// Largest leverage any position may use (the first bracket's), 1 for spot.
    pub fn max_leverage(&self) -> u32 {
        self.brackets.first().map_or(1, |b| b.max_leverage)
    }

    /// Multiplier from `price atoms × qty atoms` to money atoms.
    pub fn notional_scale(&self) -> i128 {
        pow10(MONEY_DECIMALS - self.price_decimals - self.qty_decimals)
    }

    /// Exact notional in money atoms of `qty` atoms at `price` atoms. Callers bound `qty` (by
    /// the instrument's max quantity); [`Instrument::checked_notional`] takes any input.
    pub fn notional(&self, price: i64, qty: i64) -> i128 {
        i128::from(price) * i128::from(qty) * self.notional_scale()
    }

    /// [`Instrument::notional`] for unbounded input: `NumberOverflow` beyond 128 bits.
    pub fn checked_notional(&self, price: i64, qty: i64) -> Result<i128> {
        (i128::from(price) * i128::from(qty))
            .checked_mul(self.notional_scale())
            .ok_or_else(|| OmsError::NumberOverflow(format!("notional of {}", self.symbol)))
    }

    /// Price atoms → ticks, or `InvalidPrice` if not a positive multiple of the tick size.
    pub fn check_price(&self, price: i64) -> Result<i64> {
        if price <= 0 || price % self.tick_size != 0 {
            return Err(OmsError::InvalidPrice(format!(
                "{} is not a positive multiple of the tick size {} for {}",
                fixed::format_atoms(price.into(), self.price_decimals),
                fixed::format_atoms(self.tick_size.into(), self.price_decimals),
                self.symbol
            )));
        }
        Ok(price / self.tick_size)
    }

    /// Quantity atoms → lots, or `InvalidQuantity` if not a positive multiple of the lot size.
    pub fn check_qty(&self, qty: i64) -> Result<i64> {
        if qty <= 0 || qty % self.lot_size != 0 {
            return Err(OmsError::InvalidQuantity(format!(
                "{} is not a positive multiple of the lot size {} for {}",
                fixed::format_atoms(qty.into(), self.qty_decimals),
                fixed::format_atoms(self.lot_size.into(), self.qty_decimals),
                self.symbol
            )));
        }
        Ok(qty / self.lot_size)
    }

    /// Parses decimal price text into price atoms on the tick grid.
    pub fn parse_price(&self, text: &str) -> Result<i64> {
        let off_grid = || {
            OmsError::InvalidPrice(format!(
                "{text} is not a positive multiple of the tick size {} for {}",
                fixed::format_atoms(self.tick_size.into(), self.price_decimals),
                self.symbol
            ))
        };
        let atoms = parse_on_grid(text, self.price_decimals).ok_or_else(off_grid)??;
        self.check_price(atoms)?;
        Ok(atoms)
    }

    /// Parses decimal quantity text into quantity atoms on the lot grid.
    pub fn parse_qty(&self, text: &str) -> Result<i64> {
        let off_grid = || {
            OmsError::InvalidQuantity(format!(
                "{text} is not a positive multiple of the lot size {} for {}",
                fixed::format_atoms(self.lot_size.into(), self.qty_decimals),
                self.symbol
            ))
        };
        let atoms = parse_on_grid(text, self.qty_decimals).ok_or_else(off_grid)??;
        self.check_qty(atoms)?;
        Ok(atoms)
    }

    /// The maintenance bracket that applies to a position of `notional` money atoms.
    pub fn bracket_for(&self, notional: i128) -> Option<&MarginBracket> {
        self.brackets
            .iter()
            .rev()
            .find(|b| notional >= b.notional_floor)
    }
}

/// Parses text into atoms at `decimals`: `None` when it is finer than that (off the grid),
/// `Some(Err)` when it is not a number or out of range.
fn parse_on_grid(text: &str, decimals: u32) -> Option<Result<i64>> {
    let d = match Decimal::parse(text) {
        Ok(d) => d,
        Err(e) => return Some(Err(e)),
    };
    if d.scale > decimals {
        return None;
    }
    let overflow = || OmsError::NumberOverflow(format!("{text} is out of range"));
    let atoms = d.to_atoms(decimals).ok_or_else(overflow);
    Some(atoms.and_then(|a| i64::try_from(a).map_err(|_| overflow())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    instruments: Vec<InstrumentSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InstrumentSpec {
    symbol: String,
    kind: String,
    base: String,
    quote: String,
    tick_size: String,
    lot_size: String,
    min_qty: String,
    max_qty: String,
    min_notional: String,
    maker_fee: String,
    taker_fee: String,
    #[serde(default)]
    brackets: Vec<BracketSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BracketSpec {
    notional_floor: String,
    mmr: String,
    maintenance_amount: String,
    max_leverage: u32,
}

fn config_err(symbol: &str, what: impl std::fmt::Display) -> OmsError {
    OmsError::InvalidConfig(format!("{symbol}: {what}"))
}

impl InstrumentSpec {
    fn build(self) -> Result<Instrument> {
        let sym = self.symbol.clone();
        let kind = match self.kind.as_str() {
            "spot" => InstrumentKind::Spot,
            "perpetual" => InstrumentKind::Perpetual,
            other => return Err(config_err(&sym, format!("unknown kind {other:?}"))),
        };
        let grid = |t: &str| Decimal::parse(t).map_err(|e| config_err(&sym, e));
        let (tick, lot) = (grid(&self.tick_size)?, grid(&self.lot_size)?);
        let (pd, qd) = (tick.scale, lot.scale);
        if pd.saturating_add(qd) > MONEY_DECIMALS {
            return Err(config_err(
                &sym,
                "price and size decimals together exceed 8",
            ));
        }
        let atoms = |t: &str, d: u32| fixed::parse_atoms(t, d).map_err(|e| config_err(&sym, e));
        let money = |t: &str| atoms(t, MONEY_DECIMALS).map(i128::from);
        let rate = |t: &str| fixed::parse_rate(t).map_err(|e| config_err(&sym, e));
        let inst = Instrument {
            kind,
            base: self.base,
            quote: self.quote,
            price_decimals: pd,
            qty_decimals: qd,
            tick_size: atoms(&self.tick_size, pd)?,
            lot_size: atoms(&self.lot_size, qd)?,
            min_qty: atoms(&self.min_qty, qd)?,
            max_qty: atoms(&self.max_qty, qd)?,
            min_notional: money(&self.min_notional)?,
            maker_fee: rate(&self.maker_fee)?,
            taker_fee: rate(&self.taker_fee)?,
            brackets: self
                .brackets
                .iter()
                .map(|b| {
                    Ok(MarginBracket {
                        notional_floor: money(&b.notional_floor)?,
                        mmr: rate(&b.mmr)?,
                        maintenance_amount: money(&b.maintenance_amount)?,
                        max_leverage: b.max_leverage,
                    })
                })
                .collect::<Result<_>>()?,
            symbol: self.symbol,
        };
        validate(&inst)?;
        Ok(inst)
    }
}

fn validate(i: &Instrument) -> Result<()> {
    let s = &i.symbol;
    if i.tick_size <= 0 || i.lot_size <= 0 {
        return Err(config_err(s, "tick and lot sizes must be positive"));
    }
    if i.min_qty <= 0 || i.min_qty % i.lot_size != 0 || i.max_qty % i.lot_size != 0 {
        return Err(config_err(
            s,
            "min and max quantity must be positive multiples of the lot",
        ));
    }
    if i.max_qty < i.min_qty {
        return Err(config_err(s, "max quantity is below min quantity"));
    }
    match i.kind {
        InstrumentKind::Spot if !i.brackets.is_empty() => {
            return Err(config_err(s, "spot instruments have no margin brackets"))
        }
        InstrumentKind::Perpetual if i.brackets.is_empty() => {
            return Err(config_err(s, "perpetuals need margin brackets"))
        }
        _ => {}
    }
    if let Some(first) = i.brackets.first() {
        if first.notional_floor != 0 || first.maintenance_amount != 0 {
            return Err(config_err(
                s,
                "the first bracket starts at notional 0 with amount 0",
            ));
        }
    }
    for w in i.brackets.windows(2) {
        let (lo, hi) = (&w[0], &w[1]);
        if hi.notional_floor <= lo.notional_floor || hi.max_leverage > lo.max_leverage {
            return Err(config_err(
                s,
                "brackets must rise in notional and fall in leverage",
            ));
        }
        // Continuity: both tiers give the same maintenance margin at the boundary.
        let at = |b: &MarginBracket| hi.notional_floor * i128::from(b.mmr) / RATE_ONE;
        if at(lo) - lo.maintenance_amount != at(hi) - hi.maintenance_amount {
            return Err(config_err(
                s,
                "maintenance amounts make the schedule discontinuous",
            ));
        }
    }
    if i.brackets
        .iter()
        .any(|b| b.mmr <= 0 || i128::from(b.mmr) > RATE_ONE || b.max_leverage == 0)
    {
        return Err(config_err(
            s,
            "bracket rates must be in (0, 1] and leverage at least 1",
        ));
    }
    Ok(())
}

/// All tradable instruments, addressable by symbol or by dense index (for batch calls).
#[derive(Debug, Clone, Default)]
pub struct InstrumentRegistry {
    instruments: Vec<Instrument>,
    by_symbol: HashMap<String, usize>,
}

impl InstrumentRegistry {
    /// Loads a registry from JSON text in the format of `data/instruments.json`.
    pub fn from_json(text: &str) -> Result<Self> {
        let file: RegistryFile =
            serde_json::from_str(text).map_err(|e| OmsError::InvalidConfig(e.to_string()))?;
        let mut reg = Self::default();
        for spec in file.instruments {
            reg.add(spec.build()?)?;
        }
        Ok(reg)
    }

    /// The registry shipped with the project.
    pub fn builtin() -> Self {
        Self::from_json(DEFAULT_REGISTRY_JSON).expect("the shipped registry is valid")
    }

    pub fn add(&mut self, inst: Instrument) -> Result<usize> {
        validate(&inst)?;
        if self.by_symbol.contains_key(&inst.symbol) {
            return Err(OmsError::InvalidConfig(format!(
                "duplicate symbol {}",
                inst.symbol
            )));
        }
        let idx = self.instruments.len();
        self.by_symbol.insert(inst.symbol.clone(), idx);
        self.instruments.push(inst);
        Ok(idx)
    }

    pub fn index_of(&self, symbol: &str) -> Result<usize> {
        self.by_symbol
            .get(symbol)
            .copied()
            .ok_or_else(|| OmsError::UnknownInstrument(symbol.to_owned()))
    }

    pub fn get(&self, symbol: &str) -> Result<&Instrument> {
        self.index_of(symbol).map(|i| &self.instruments[i])
    }

    pub fn by_index(&self, idx: usize) -> Option<&Instrument> {
        self.instruments.get(idx)
    }

    pub fn len(&self) -> usize {
        self.instruments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.instruments.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.instruments.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_registry_has_the_five_markets() {
        let reg = InstrumentRegistry::builtin();
        for s in [
            "BTC-USDT",
            "ETH-USDT",
            "SOL-USDT",
            "BTC-USDT-PERP",
            "ETH-USDT-PERP",
        ] {
            assert!(reg.get(s).is_ok(), "{s}");
        }
        let perp = reg.get("BTC-USDT-PERP").unwrap();
        assert_eq!(perp.kind, InstrumentKind::Perpetual);
        assert_eq!(perp.max_leverage(), 125);
        assert_eq!(perp.tick_size, 1);
        assert_eq!(perp.price_decimals, 1);
    }

    #[test]
    fn prices_off_the_tick_grid_are_rejected_not_rounded() {
        let reg = InstrumentRegistry::builtin();
        let btc = reg.get("BTC-USDT-PERP").unwrap();
        assert_eq!(btc.parse_price("50000.1").unwrap(), 500_001);
        assert_eq!(
            btc.parse_price("50000.15").unwrap_err().code(),
            "INVALID_PRICE"
        );
        assert_eq!(btc.parse_price("-1").unwrap_err().code(), "INVALID_PRICE");
        assert_eq!(
            btc.parse_qty("0.0015").unwrap_err().code(),
            "INVALID_QUANTITY"
        );
        assert_eq!(btc.parse_qty("0").unwrap_err().code(), "INVALID_QUANTITY");
        assert_eq!(
            btc.parse_price("1e37").unwrap_err().code(),
            "NUMBER_OVERFLOW"
        );
        assert_eq!(btc.parse_price("nan").unwrap_err().code(), "INVALID_NUMBER");
    }

    #[test]
    fn notional_is_exact_in_money_atoms() {
        let reg = InstrumentRegistry::builtin();
        let btc = reg.get("BTC-USDT").unwrap();
        let px = btc.parse_price("50000.01").unwrap();
        let qty = btc.parse_qty("0.00003").unwrap();
        // 50000.01 × 0.00003 = 1.5000003 USDT
        assert_eq!(btc.notional(px, qty), 150_000_030);
    }

    #[test]
    fn brackets_are_found_by_notional() {
        let reg = InstrumentRegistry::builtin();
        let btc = reg.get("BTC-USDT-PERP").unwrap();
        let usdt = |v: i128| v * 100_000_000;
        assert_eq!(btc.bracket_for(usdt(10_000)).unwrap().max_leverage, 125);
        assert_eq!(btc.bracket_for(usdt(50_000)).unwrap().max_leverage, 100);
        assert_eq!(btc.bracket_for(usdt(400_000_000)).unwrap().max_leverage, 1);
    }

    #[test]
    fn discontinuous_brackets_are_refused() {
        let bad = DEFAULT_REGISTRY_JSON.replace(
            "\"maintenance_amount\": \"50\"",
            "\"maintenance_amount\": \"51\"",
        );
        assert_eq!(
            InstrumentRegistry::from_json(&bad).unwrap_err().code(),
            "INVALID_CONFIG"
        );
    }

    #[test]
    fn unknown_fields_and_symbols_are_errors() {
        let reg = InstrumentRegistry::builtin();
        assert_eq!(
            reg.get("DOGE-USDT").unwrap_err().code(),
            "UNKNOWN_INSTRUMENT"
        );
        assert!(InstrumentRegistry::from_json("{\"instruments\": [{\"x\": 1}]}").is_err());
    }
}
