//! Python face of [`crate::risk`] and [`crate::margin`].
//!
//! Hot calls (`check`, `check_batch`, `on_fill`) take ticks and lots as ints; set-up and views
//! take and return exact numbers (str, int or Decimal in; Decimal out).

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt};

use super::convert;
use super::enums::{OrderType, Side, TradingState};
use super::instrument::{Instrument, InstrumentRegistry};
use crate::account::Limits;
use crate::error::OmsError;
use crate::fixed::{MONEY_DECIMALS, RATE_DECIMALS};
use crate::margin;
use crate::order;
use crate::risk::{self as domain, OrderCheck, RejectReason};

/// Reject reason names by code (`REJECT_REASONS[0] == "ACCEPTED"`).
pub fn reject_reasons() -> Vec<&'static str> {
    RejectReason::ALL.iter().map(|r| r.as_str()).collect()
}

fn money(obj: &Bound<'_, PyAny>) -> PyResult<i128> {
    convert::atoms(obj, MONEY_DECIMALS).map(i128::from)
}

fn positive<T: PartialOrd + Default>(value: T, name: &str) -> PyResult<T> {
    if value <= T::default() {
        return Err(OmsError::InvalidConfig(format!("{name} must be positive")).into());
    }
    Ok(value)
}

/// Applies keyword overrides to `limits`; unknown keys are an error.
fn update_limits(limits: &mut Limits, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let Some(kwargs) = kwargs else { return Ok(()) };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "max_order_notional" => {
                limits.max_order_notional = positive(money(&value)?, &key)?;
            }
            "max_position_notional" => {
                limits.max_position_notional = positive(money(&value)?, &key)?;
            }
            "price_band" => limits.price_band = positive(convert::rate(&value)?, &key)?,
            "max_drawdown" => limits.max_drawdown = positive(convert::rate(&value)?, &key)?,
            "max_open_orders" => limits.max_open_orders = count_limit(&value, &key, 0)?,
            "max_orders_per_second" => limits.max_orders_per_second = count_limit(&value, &key, 0)?,
            "default_leverage" => limits.default_leverage = count_limit(&value, &key, 1)?,
            _ => return Err(OmsError::InvalidConfig(format!("unknown limit {key:?}")).into()),
        }
    }
    Ok(())
}

fn decimal(py: Python<'_>, atoms: i128) -> PyResult<Bound<'_, PyAny>> {
    convert::to_decimal(py, atoms, MONEY_DECIMALS)
}

/// A derived price (entry, liquidation) as a Decimal with 8 decimals.
fn price_decimal(
    py: Python<'_>,
    price: margin::PriceFraction,
    up: bool,
) -> PyResult<Bound<'_, PyAny>> {
    let atoms = price
        .to_atoms(MONEY_DECIMALS, up)
        .ok_or_else(|| OmsError::NumberOverflow("price out of range".into()))?;
    convert::to_decimal(py, atoms, MONEY_DECIMALS)
}

/// An integer limit of at least `min`; anything else is an `InvalidConfig` naming the limit.
fn count_limit(value: &Bound<'_, PyAny>, name: &str, min: u32) -> PyResult<u32> {
    let bad = || OmsError::InvalidConfig(format!("{name} must be an integer of at least {min}"));
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(bad().into());
    }
    let n: i64 = value.extract().map_err(|_| bad())?;
    u32::try_from(n)
        .ok()
        .filter(|&n| n >= min)
        .ok_or_else(|| bad().into())
}

/// Pre-trade risk, reservations and post-trade booking for many accounts.
#[pyclass(name = "RiskEngine", module = "oms_core")]
pub struct RiskEngine {
    inner: domain::RiskEngine,
}

impl RiskEngine {
    fn asset(&self, asset: &str) -> PyResult<u16> {
        Ok(self.inner.asset_index(asset)?)
    }
}

#[pymethods]
impl RiskEngine {
    #[new]
    #[pyo3(signature = (registry, settlement = "USDT"))]
    fn new(registry: &InstrumentRegistry, settlement: &str) -> PyResult<Self> {
        Ok(Self {
            inner: domain::RiskEngine::new(&registry.inner, settlement)?,
        })
    }

    /// Opens an account and returns its index. Limits not given keep their defaults:
    /// max_order_notional, max_position_notional (money), price_band, max_drawdown (rates),
    /// max_open_orders, max_orders_per_second, default_leverage (ints).
    #[pyo3(signature = (name, **limits))]
    fn add_account(&mut self, name: &str, limits: Option<&Bound<'_, PyDict>>) -> PyResult<u32> {
        let mut l = Limits::default();
        update_limits(&mut l, limits)?;
        Ok(self.inner.add_account(name, l)?)
    }

    #[pyo3(signature = (account, **limits))]
    fn set_limits(&mut self, account: u32, limits: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        let mut l = self.inner.account(account)?.limits;
        update_limits(&mut l, limits)?;
        Ok(self.inner.set_limits(account, l)?)
    }

    /// The account's limits (money and rates as Decimal).
    fn limits<'py>(&self, py: Python<'py>, account: u32) -> PyResult<Bound<'py, PyDict>> {
        let l = self.inner.account(account)?.limits;
        let d = PyDict::new(py);
        d.set_item("max_order_notional", decimal(py, l.max_order_notional)?)?;
        d.set_item(
            "max_position_notional",
            decimal(py, l.max_position_notional)?,
        )?;
        d.set_item(
            "price_band",
            convert::to_decimal(py, l.price_band.into(), RATE_DECIMALS)?,
        )?;
        d.set_item(
            "max_drawdown",
            convert::to_decimal(py, l.max_drawdown.into(), RATE_DECIMALS)?,
        )?;
        d.set_item("max_open_orders", l.max_open_orders)?;
        d.set_item("max_orders_per_second", l.max_orders_per_second)?;
        d.set_item("default_leverage", l.default_leverage)?;
        Ok(d)
    }

    fn account_index(&self, name: &str) -> PyResult<u32> {
        Ok(self.inner.account_index(name)?)
    }

    /// Credits an asset (a negative amount debits it, never below what orders hold).
    fn deposit(&mut self, account: u32, asset: &str, amount: &Bound<'_, PyAny>) -> PyResult<()> {
        let asset = self.asset(asset)?;
        Ok(self.inner.deposit(account, asset, money(amount)?)?)
    }

    /// Sets a mark price in ticks (hot path for market data).
    fn set_mark(&mut self, instrument: u32, ticks: i64) -> PyResult<()> {
        Ok(self.inner.set_mark(instrument, ticks)?)
    }

    /// Sets a mark price from an exact number on the instrument's tick grid.
    fn set_mark_price(&mut self, instrument: u32, price: &Bound<'_, PyAny>) -> PyResult<()> {
        let inst = self.inner.instrument(instrument)?;
        let ticks = convert::price_atoms(inst, price)? / inst.tick_size;
        Ok(self.inner.set_mark(instrument, ticks)?)
    }

    fn set_leverage(&mut self, account: u32, instrument: u32, leverage: u32) -> PyResult<()> {
        Ok(self.inner.set_leverage(account, instrument, leverage)?)
    }

    /// Sets the kill switch of one account, or the global one when `account` is None.
    #[pyo3(signature = (state, account = None))]
    fn set_trading_state(&mut self, state: TradingState, account: Option<u32>) -> PyResult<()> {
        Ok(self.inner.set_trading_state(account, state.into())?)
    }

    #[pyo3(signature = (account = None))]
    fn trading_state(&self, account: Option<u32>) -> PyResult<TradingState> {
        Ok(match account {
            None => self.inner.global_state().into(),
            Some(a) => self.inner.account(a)?.state.into(),
        })
    }

    /// Checks one order (sizes in lots, prices in ticks). Returns a reason code, 0 when
    /// accepted (its funds or margin are then reserved under `order_id`).
    #[pyo3(signature = (order_id, account, instrument, side, order_type, qty, price = 0,
        stop_price = 0, reduce_only = false, now_ns = 0))]
    #[allow(clippy::too_many_arguments)]
    fn check(
        &mut self,
        order_id: u64,
        account: u32,
        instrument: u32,
        side: Side,
        order_type: OrderType,
        qty: i64,
        price: i64,
        stop_price: i64,
        reduce_only: bool,
        now_ns: i64,
    ) -> u8 {
        let o = OrderCheck {
            order_id,
            account,
            instrument,
            side: side.into(),
            order_type: order_type.into(),
            qty,
            price,
            stop_price,
            reduce_only,
            now_ns,
        };
        self.inner.check(&o) as u8
    }

    /// `check` over numpy columns, in order; returns one reason code per order (uint8).
    /// Sides and order types are their enum values.
    #[allow(clippy::too_many_arguments)]
    fn check_batch<'py>(
        &mut self,
        py: Python<'py>,
        order_ids: PyReadonlyArray1<'py, u64>,
        accounts: PyReadonlyArray1<'py, u32>,
        instruments: PyReadonlyArray1<'py, u32>,
        sides: PyReadonlyArray1<'py, u8>,
        order_types: PyReadonlyArray1<'py, u8>,
        qtys: PyReadonlyArray1<'py, i64>,
        prices: PyReadonlyArray1<'py, i64>,
        stop_prices: PyReadonlyArray1<'py, i64>,
        reduce_only: PyReadonlyArray1<'py, bool>,
        now_ns: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyArray1<u8>>> {
        let ids = order_ids.as_slice()?;
        let (accounts, instruments) = (accounts.as_slice()?, instruments.as_slice()?);
        let (sides, types) = (sides.as_slice()?, order_types.as_slice()?);
        let (qtys, prices, stops) = (
            qtys.as_slice()?,
            prices.as_slice()?,
            stop_prices.as_slice()?,
        );
        let (reduce, now) = (reduce_only.as_slice()?, now_ns.as_slice()?);
        let n = ids.len();
        let lens = [
            accounts.len(),
            instruments.len(),
            sides.len(),
            types.len(),
            qtys.len(),
        ];
        let lens2 = [prices.len(), stops.len(), reduce.len(), now.len()];
        if lens.iter().chain(&lens2).any(|&l| l != n) {
            return Err(OmsError::InvalidArgument("batch columns differ in length".into()).into());
        }
        let orders = (0..n)
            .map(|i| {
                Ok(OrderCheck {
                    order_id: ids[i],
                    account: accounts[i],
                    instrument: instruments[i],
                    side: order::Side::from_u8(sides[i])?,
                    order_type: order::OrderType::from_u8(types[i])?,
                    qty: qtys[i],
                    price: prices[i],
                    stop_price: stops[i],
                    reduce_only: reduce[i],
                    now_ns: now[i],
                })
            })
            .collect::<crate::Result<Vec<_>>>()?;
        let mut out = Vec::with_capacity(n);
        self.inner.check_batch(&orders, &mut out);
        let codes: Vec<u8> = out.into_iter().map(|r| r as u8).collect();
        Ok(PyArray1::from_vec(py, codes))
    }

    /// Checks an amend of an open order to `leaves` lots at `price` ticks; the reservation
    /// follows the new terms only if accepted. Returns a reason code.
    #[pyo3(signature = (order_id, order_type, leaves, price, now_ns = 0))]
    fn check_replace(
        &mut self,
        order_id: u64,
        order_type: OrderType,
        leaves: i64,
        price: i64,
        now_ns: i64,
    ) -> PyResult<u8> {
        Ok(self
            .inner
            .check_replace(order_id, order_type.into(), leaves, price, now_ns)? as u8)
    }

    /// Holds funds for an order accepted earlier, on its current terms (`qty` = lots still
    /// open), without re-checking limits: used to rebuild reservations after a restart and to
    /// put an amend's old terms back when the venue refuses it.
    #[pyo3(signature = (order_id, account, instrument, side, order_type, qty, price = 0,
        stop_price = 0, reduce_only = false))]
    #[allow(clippy::too_many_arguments)]
    fn restore_order(
        &mut self,
        order_id: u64,
        account: u32,
        instrument: u32,
        side: Side,
        order_type: OrderType,
        qty: i64,
        price: i64,
        stop_price: i64,
        reduce_only: bool,
    ) -> PyResult<()> {
        let o = OrderCheck {
            order_id,
            account,
            instrument,
            side: side.into(),
            order_type: order_type.into(),
            qty,
            price,
            stop_price,
            reduce_only,
            now_ns: 0,
        };
        Ok(self.inner.restore_order(&o)?)
    }

    /// Books a fill (lots, ticks, fee in money atoms of the quote asset) and releases that
    /// part of the order's reservation.
    #[pyo3(signature = (order_id, account, instrument, side, qty, price, fee = 0))]
    #[allow(clippy::too_many_arguments)]
    fn on_fill(
        &mut self,
        order_id: u64,
        account: u32,
        instrument: u32,
        side: Side,
        qty: i64,
        price: i64,
        fee: i64,
    ) -> PyResult<()> {
        Ok(self
            .inner
            .on_fill(order_id, account, instrument, side.into(), qty, price, fee)?)
    }

    /// Releases what an ended order still holds; False if it held nothing.
    fn on_order_done(&mut self, order_id: u64) -> bool {
        self.inner.on_order_done(order_id)
    }

    fn open_order_count(&self) -> usize {
        self.inner.open_order_count()
    }

    /// `(total, reserved, available)` of one asset, as Decimals.
    fn balance<'py>(
        &self,
        py: Python<'py>,
        account: u32,
        asset: &str,
    ) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let (total, reserved) = self.inner.balance(account, self.asset(asset)?)?;
        Ok((
            decimal(py, total)?,
            decimal(py, reserved)?,
            decimal(py, total - reserved)?,
        ))
    }

    /// A perpetual position: qty (signed), entry price, realized PnL, fees, and its cross
    /// liquidation price (None when flat or not liquidatable).
    fn position<'py>(
        &self,
        py: Python<'py>,
        account: u32,
        instrument: u32,
    ) -> PyResult<Bound<'py, PyDict>> {
        let inst = self.inner.instrument(instrument)?;
        let p = self.inner.position(account, instrument)?;
        let d = PyDict::new(py);
        let qty_atoms = i128::from(p.qty) * i128::from(inst.lot_size);
        d.set_item(
            "qty",
            convert::to_decimal(py, qty_atoms, inst.qty_decimals)?,
        )?;
        let entry = (p.qty != 0).then(|| margin::PriceFraction {
            num: p.cost,
            den: qty_atoms * crate::fixed::pow10(MONEY_DECIMALS),
            exp: inst.qty_decimals,
        });
        let entry_price = entry
            .map(|e| {
                let (num, den) = if e.den < 0 {
                    (-e.num, -e.den)
                } else {
                    (e.num, e.den)
                };
                price_decimal(py, margin::PriceFraction { num, den, ..e }, false)
            })
            .transpose()?;
        d.set_item("entry_price", entry_price)?;
        d.set_item("realized_pnl", decimal(py, p.realized_pnl)?)?;
        d.set_item("fees", decimal(py, p.fees)?)?;
        let lp = self.inner.liquidation_price(account, instrument)?;
        let lp = lp.map(|f| price_decimal(py, f, p.qty > 0)).transpose()?;
        d.set_item("liquidation_price", lp)?;
        Ok(d)
    }

    /// The account's margin picture: wallet, unrealized_pnl, margin_balance, equity,
    /// position_initial_margin, order_margin, maintenance_margin, margin_ratio (a fraction,
    /// None when the margin balance is not positive), available, state.
    fn summary<'py>(&self, py: Python<'py>, account: u32) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.summary(account)?;
        let d = PyDict::new(py);
        d.set_item("wallet", decimal(py, s.wallet)?)?;
        d.set_item("unrealized_pnl", decimal(py, s.unrealized_pnl)?)?;
        d.set_item("margin_balance", decimal(py, s.margin_balance)?)?;
        d.set_item("equity", decimal(py, s.equity)?)?;
        d.set_item("equity_peak", decimal(py, s.equity_peak)?)?;
        d.set_item(
            "position_initial_margin",
            decimal(py, s.position_initial_margin)?,
        )?;
        d.set_item("order_margin", decimal(py, s.order_margin)?)?;
        d.set_item("maintenance_margin", decimal(py, s.maintenance_margin)?)?;
        let ratio = s
            .margin_ratio
            .map(|r| convert::to_decimal(py, r, RATE_DECIMALS))
            .transpose()?;
        d.set_item("margin_ratio", ratio)?;
        d.set_item("available", decimal(py, s.available)?)?;
        d.set_item("state", TradingState::from(s.state))?;
        Ok(d)
    }
}

/// Isolated-margin liquidation price of a position of `qty` (signed: long > 0) entered at
/// `entry_price` with `collateral` of the quote asset; rounded toward the entry (a long is
/// rounded up, a short down) to 8 decimals. None when it cannot be liquidated.
#[pyfunction]
pub fn liquidation_price<'py>(
    py: Python<'py>,
    instrument: &Instrument,
    qty: &Bound<'py, PyAny>,
    entry_price: &Bound<'py, PyAny>,
    collateral: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let inst = &instrument.inner;
    let text = convert::number_text(qty)?;
    let (negative, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_ref()),
    };
    let lots = inst.parse_qty(magnitude)? / inst.lot_size;
    let lots = if negative { -lots } else { lots };
    let entry = convert::price_atoms(inst, entry_price)? / inst.tick_size;
    let cost = margin::checked_notional(inst, lots, entry)
        .ok_or_else(|| OmsError::NumberOverflow("position notional out of range".into()))?;
    let lp = margin::liquidation_price(inst, lots, cost, money(collateral)?);
    lp.map(|f| price_decimal(py, f, lots > 0)).transpose()
}

/// Maintenance margin of a position of `notional` (quote asset) under the tiered brackets.
#[pyfunction]
pub fn maintenance_margin<'py>(
    py: Python<'py>,
    instrument: &Instrument,
    notional: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    decimal(
        py,
        margin::maintenance_margin(&instrument.inner, money(notional)?),
    )
}
