//! Pre-trade risk and post-trade booking.
//!
//! [`RiskEngine::check`] runs the checks below, in this order, and answers with the first
//! [`RejectReason`] that applies (or `Accepted`, reserving the order's funds or margin):
//!
//! 1. account known, order id not already reserved, trading not `HALTED` (global or account);
//! 2. instrument known; order shape (positive size, the prices its type needs);
//! 3. min / max quantity; 4. min notional; 5. max notional per order;
//! 6. price band: a limit price within `mark × (1 ± band)` (fat-finger protection); market
//!    orders are valued at the far edge of the band, and need a mark;
//! 7. max open orders; 8. orders admitted in any rolling second;
//! 9. trading state `REDUCING` (global or account): only orders that reduce exposure;
//! 10. reduce-only would increase the position;
//! 11. max position: worst case of position and same-side open orders (perpetuals), and
//!     the leverage bracket of that worst case;
//! 12. funds: spot buys need quote (notional + taker fee), spot sells need base, both net of
//!     reservations; perpetual orders need initial margin (notional / leverage + taker fee)
//!     from the available quote (wallet − reservations − positions' initial margin + losses);
//! 13. drawdown: equity more than `max_drawdown` below its peak switches the account to
//!     `REDUCING` and rejects the order unless it reduces exposure.
//!
//! Checks never change state, with three deliberate exceptions: the rate window counts every
//! order that reaches it, the equity peak follows the equity a check sees, and a drawdown
//! breach switches the account to `REDUCING`.
//!
//! Post-trade: [`RiskEngine::on_fill`] books a fill into balances or the position (realized
//! PnL, fees) and releases the matching part of the reservation;
//! [`RiskEngine::on_order_done`] releases what is left when an order ends.

use std::collections::HashMap;

use crate::account::{Account, Limits, OpenExposure, Position, TradingState, Valuation};
use crate::error::{OmsError, Result};
use crate::fixed::{mul_div_ceil, pow10, MONEY_DECIMALS, RATE_ONE};
use crate::instrument::{Instrument, InstrumentKind, InstrumentRegistry};
use crate::margin;
use crate::order::{OrderType, Side};

macro_rules! reasons {
    ($($variant:ident = $value:literal => $text:literal),+ $(,)?) => {
        /// Why an order was rejected: a stable code (its `u8` value in batch results).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum RejectReason { $($variant = $value),+ }

        impl RejectReason {
            pub const ALL: &'static [RejectReason] = &[$(RejectReason::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(RejectReason::$variant => $text),+ }
            }
        }
    };
}

reasons! {
    Accepted = 0 => "ACCEPTED",
    UnknownAccount = 1 => "UNKNOWN_ACCOUNT",
    DuplicateOrderId = 2 => "DUPLICATE_ORDER_ID",
    TradingHalted = 3 => "TRADING_HALTED",
    UnknownInstrument = 4 => "UNKNOWN_INSTRUMENT",
    InvalidQuantity = 5 => "INVALID_QUANTITY",
    InvalidPrice = 6 => "INVALID_PRICE",
    QtyBelowMin = 7 => "QTY_BELOW_MIN",
    QtyAboveMax = 8 => "QTY_ABOVE_MAX",
    NotionalBelowMin = 9 => "NOTIONAL_BELOW_MIN",
    NotionalAboveMax = 10 => "NOTIONAL_ABOVE_MAX",
    NoMarkPrice = 11 => "NO_MARK_PRICE",
    PriceOutsideBand = 12 => "PRICE_OUTSIDE_BAND",
    TooManyOpenOrders = 13 => "TOO_MANY_OPEN_ORDERS",
    RateLimited = 14 => "RATE_LIMITED",
    TradingReduceOnly = 15 => "TRADING_REDUCE_ONLY",
    ReduceOnlyWouldIncrease = 16 => "REDUCE_ONLY_WOULD_INCREASE",
    MaxPositionExceeded = 17 => "MAX_POSITION_EXCEEDED",
    LeverageBracketExceeded = 18 => "LEVERAGE_BRACKET_EXCEEDED",
    InsufficientBalance = 19 => "INSUFFICIENT_BALANCE",
    InsufficientMargin = 20 => "INSUFFICIENT_MARGIN",
    DrawdownLimit = 21 => "DRAWDOWN_LIMIT",
}

/// An order as risk sees it: sizes in lots, prices in ticks (0 where the type has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCheck {
    pub order_id: u64,
    pub account: u32,
    pub instrument: u32,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: i64,
    pub price: i64,
    pub stop_price: i64,
    pub reduce_only: bool,
    /// Monotonic clock for the rate limit.
    pub now_ns: i64,
}

/// What an accepted, still-open order holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub account: u32,
    pub instrument: u32,
    pub side: Side,
    pub reduce_only: bool,
    /// Trigger price of a stop order (ticks), kept so an amend re-checks the same order.
    pub stop_price: i64,
    /// Asset whose funds are held.
    pub asset: u16,
    pub leaves: i64,
    /// Money atoms of `asset` held.
    pub held: i128,
}

/// Per-instrument facts the checks need, precomputed.
#[derive(Debug, Clone)]
struct Market {
    inst: Instrument,
    base: u16,
    quote: u16,
    /// Money atoms of one lot at one tick.
    unit_notional: i128,
    /// Money atoms of one lot of the base asset.
    lot_atoms: i128,
    min_lots: i64,
    max_lots: i64,
}

/// An account's margin picture (money atoms; rates in rate units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// Wallet (quote asset) balance.
    pub wallet: i128,
    pub unrealized_pnl: i128,
    /// Wallet + unrealized PnL of perpetual positions.
    pub margin_balance: i128,
    /// All assets valued in the quote at their marks, plus unrealized PnL.
    pub equity: i128,
    pub position_initial_margin: i128,
    pub order_margin: i128,
    pub maintenance_margin: i128,
    pub margin_ratio: Option<i128>,
    pub available: i128,
    pub state: TradingState,
    pub equity_peak: i128,
}

pub struct RiskEngine {
    markets: Vec<Market>,
    assets: Vec<String>,
    asset_index: HashMap<String, u16>,
    /// For valuing spot holdings: the spot market of each asset against the settlement asset.
    valuation_market: Vec<Option<usize>>,
    settlement: u16,
    marks: Vec<i64>,
    accounts: Vec<Account>,
    account_index: HashMap<String, u32>,
    global_state: TradingState,
    open: hashbrown::HashMap<u64, Reservation>,
    /// Bumped on every mark change (invalidates account valuations).
    marks_version: u64,
}

fn money_of_lots(m: &Market, lots: i64) -> i128 {
    i128::from(lots) * m.lot_atoms
}

/// The asset an order's funds are held in: the base of a spot sell, else the quote.
fn held_asset(m: &Market, side: Side) -> u16 {
    if m.inst.kind == InstrumentKind::Spot && side == Side::Sell {
        m.base
    } else {
        m.quote
    }
}

/// What an order of `notional` money atoms holds: initial margin plus the taker fee for a
/// perpetual (nothing when reduce-only), the cost plus fee for a spot buy, the base for a sell.
fn hold(m: &Market, o: &OrderCheck, notional: i128, leverage: u32) -> i128 {
    let fee = || mul_div_ceil(notional, i128::from(m.inst.taker_fee), RATE_ONE);
    match (m.inst.kind, o.side) {
        (InstrumentKind::Perpetual, _) if o.reduce_only => 0,
        (InstrumentKind::Perpetual, _) => margin::initial_margin(notional, leverage) + fee(),
        (InstrumentKind::Spot, Side::Buy) => notional + fee(),
        (InstrumentKind::Spot, Side::Sell) => money_of_lots(m, o.qty),
    }
}

/// The edge of the price band around `px` on the side that costs more: market and stop-market
/// orders are valued there. Zero stays zero (no price).
fn band_edge(px: i64, price_band: i64, up: bool) -> i64 {
    if px <= 0 {
        return 0;
    }
    let delta = mul_div_ceil(i128::from(px), i128::from(price_band), RATE_ONE);
    let delta = i64::try_from(delta).unwrap_or(i64::MAX);
    if up {
        px.saturating_add(delta)
    } else {
        (px - delta).max(1)
    }
}

impl RiskEngine {
    /// An engine for every instrument of `registry`; money settles in `settlement` (e.g. USDT).
    pub fn new(registry: &InstrumentRegistry, settlement: &str) -> Result<Self> {
        let mut assets: Vec<String> = vec![settlement.to_owned()];
        let mut asset_index = HashMap::from([(settlement.to_owned(), 0u16)]);
        let mut intern = |name: &str| -> u16 {
            *asset_index.entry(name.to_owned()).or_insert_with(|| {
                assets.push(name.to_owned());
                u16::try_from(assets.len() - 1).expect("fewer than 65,536 assets")
            })
        };
        let markets: Vec<Market> = registry
            .iter()
            .map(|inst| Market {
                base: intern(&inst.base),
                quote: intern(&inst.quote),
                unit_notional: inst.notional(inst.tick_size, inst.lot_size),
                lot_atoms: i128::from(inst.lot_size) * pow10(MONEY_DECIMALS - inst.qty_decimals),
                min_lots: inst.min_qty / inst.lot_size,
                max_lots: inst.max_qty / inst.lot_size,
                inst: inst.clone(),
            })
            .collect();
        if let Some(m) = markets.iter().find(|m| m.quote != 0) {
            return Err(OmsError::InvalidConfig(format!(
                "{} does not settle in {settlement}",
                m.inst.symbol
            )));
        }
        let mut valuation_market = vec![None; assets.len()];
        for (i, m) in markets.iter().enumerate() {
            if m.inst.kind == InstrumentKind::Spot {
                valuation_market[usize::from(m.base)] = Some(i);
            }
        }
        Ok(Self {
            marks: vec![0; markets.len()],
            markets,
            assets,
            asset_index,
            valuation_market,
            settlement: 0,
            accounts: Vec::new(),
            account_index: HashMap::new(),
            global_state: TradingState::Active,
            open: hashbrown::HashMap::new(),
            marks_version: 0,
        })
    }

    // --- set-up and administration ---------------------------------------------------------

    pub fn add_account(&mut self, name: &str, limits: Limits) -> Result<u32> {
        if self.account_index.contains_key(name) {
            return Err(OmsError::InvalidArgument(format!(
                "account {name:?} exists"
            )));
        }
        if limits.default_leverage == 0 || limits.price_band < 0 || limits.max_drawdown < 0 {
            return Err(OmsError::InvalidConfig("limits must be positive".into()));
        }
        let max_lev: Vec<u32> = self.markets.iter().map(|m| m.inst.max_leverage()).collect();
        let idx = u32::try_from(self.accounts.len())
            .map_err(|_| OmsError::InvalidConfig("too many accounts".into()))?;
        self.accounts.push(Account::new(
            name.to_owned(),
            limits,
            self.assets.len(),
            &max_lev,
        ));
        self.account_index.insert(name.to_owned(), idx);
        Ok(idx)
    }

    pub fn account_index(&self, name: &str) -> Result<u32> {
        self.account_index
            .get(name)
            .copied()
            .ok_or_else(|| OmsError::UnknownAccount(name.to_owned()))
    }

    pub fn asset_index(&self, asset: &str) -> Result<u16> {
        self.asset_index
            .get(asset)
            .copied()
            .ok_or_else(|| OmsError::InvalidArgument(format!("unknown asset {asset:?}")))
    }

    pub fn assets(&self) -> &[String] {
        &self.assets
    }

    pub fn instrument(&self, idx: u32) -> Result<&Instrument> {
        self.markets
            .get(idx as usize)
            .map(|m| &m.inst)
            .ok_or_else(|| OmsError::UnknownInstrument(format!("index {idx}")))
    }

    fn account_mut(&mut self, idx: u32) -> Result<&mut Account> {
        self.accounts
            .get_mut(idx as usize)
            .ok_or_else(|| OmsError::UnknownAccount(format!("index {idx}")))
    }

    pub fn account(&self, idx: u32) -> Result<&Account> {
        self.accounts
            .get(idx as usize)
            .ok_or_else(|| OmsError::UnknownAccount(format!("index {idx}")))
    }

    /// Credits (or, negative, debits) an asset balance. A debit may not take the balance
    /// below what open orders hold.
    pub fn deposit(&mut self, account: u32, asset: u16, amount: i128) -> Result<()> {
        let acct = self.account(account)?;
        let a = usize::from(asset);
        if a >= acct.balances.len() {
            return Err(OmsError::InvalidArgument(format!("asset index {asset}")));
        }
        if amount < 0 {
            // A withdrawal may take neither funds held for orders nor margin held by positions.
            let available = if asset == self.settlement {
                let (upnl, im, _) = self.position_totals(acct);
                self.available_margin(acct, (upnl, im))
            } else {
                acct.balances[a] - acct.reserved[a]
            };
            if -amount > available {
                return Err(OmsError::InvalidArgument(
                    "withdrawal exceeds available balance".into(),
                ));
            }
        }
        let acct = self.account_mut(account)?;
        acct.balances[a] += amount;
        acct.book_version += 1;
        Ok(())
    }

    /// Sets an instrument's mark price in ticks (from market data).
    pub fn set_mark(&mut self, instrument: u32, ticks: i64) -> Result<()> {
        self.instrument(instrument)?;
        if ticks <= 0 {
            return Err(OmsError::InvalidPrice(format!("mark of {ticks} ticks")));
        }
        self.marks[instrument as usize] = ticks;
        self.marks_version += 1;
        Ok(())
    }

    pub fn mark(&self, instrument: u32) -> Option<i64> {
        self.marks
            .get(instrument as usize)
            .copied()
            .filter(|&m| m > 0)
    }

    pub fn set_leverage(&mut self, account: u32, instrument: u32, leverage: u32) -> Result<()> {
        let max = self.instrument(instrument)?.max_leverage();
        if self.instrument(instrument)?.kind == InstrumentKind::Spot {
            return Err(OmsError::InvalidLeverage(
                "spot instruments have no leverage".into(),
            ));
        }
        if leverage == 0 || leverage > max {
            return Err(OmsError::InvalidLeverage(format!(
                "{leverage}x; allowed 1x to {max}x"
            )));
        }
        let acct = self.account_mut(account)?;
        acct.leverage[instrument as usize] = leverage;
        acct.book_version += 1;
        Ok(())
    }

    pub fn set_limits(&mut self, account: u32, limits: Limits) -> Result<()> {
        self.account_mut(account)?.limits = limits;
        Ok(())
    }

    /// Sets the kill switch of one account, or of everything with `None`.
    pub fn set_trading_state(&mut self, account: Option<u32>, state: TradingState) -> Result<()> {
        match account {
            None => self.global_state = state,
            Some(a) => {
                let acct = self.account_mut(a)?;
                acct.state = state;
                if state == TradingState::Active {
                    // Re-arming after a drawdown stop starts a new peak.
                    acct.equity_peak = 0;
                }
            }
        }
        Ok(())
    }

    pub fn global_state(&self) -> TradingState {
        self.global_state
    }

    pub fn reservation(&self, order_id: u64) -> Option<&Reservation> {
        self.open.get(&order_id)
    }

    pub fn open_order_count(&self) -> usize {
        self.open.len()
    }

    // --- pre-trade -------------------------------------------------------------------------

    /// Checks one order; on `Accepted` its funds or margin are reserved under its order id.
    pub fn check(&mut self, o: &OrderCheck) -> RejectReason {
        match self.evaluate(o, true) {
            Ok(r) => {
                self.reserve(o, r);
                RejectReason::Accepted
            }
            Err(reason) => reason,
        }
    }

    /// Checks orders in sequence, as if `check` were called for each.
    pub fn check_batch(&mut self, orders: &[OrderCheck], out: &mut Vec<RejectReason>) {
        out.reserve(orders.len());
        self.open.reserve(orders.len());
        for o in orders {
            out.push(self.check(o));
        }
    }

    /// Checks an amend of an open order to `leaves` lots at `price` ticks. On acceptance the
    /// reservation follows the new terms; on rejection the old one stays.
    pub fn check_replace(
        &mut self,
        order_id: u64,
        order_type: OrderType,
        leaves: i64,
        price: i64,
        now_ns: i64,
    ) -> Result<RejectReason> {
        let old = *self
            .open
            .get(&order_id)
            .ok_or_else(|| OmsError::UnknownOrder(order_id.to_string()))?;
        self.release(order_id, i64::MAX);
        let o = OrderCheck {
            order_id,
            account: old.account,
            instrument: old.instrument,
            side: old.side,
            order_type,
            qty: leaves,
            price,
            stop_price: old.stop_price,
            reduce_only: old.reduce_only,
            now_ns,
        };
        let outcome = self.evaluate(&o, false);
        match outcome {
            Ok(held) => self.reserve(&o, held),
            Err(_) => self.restore(order_id, old),
        }
        Ok(outcome.err().unwrap_or(RejectReason::Accepted))
    }

    /// Holds funds for an order accepted earlier, on its current terms (`qty` = lots still
    /// open), without the checks: the order exists, so its funds are held whatever the limits
    /// say now. Used to rebuild reservations after a restart and to put an amend's old terms
    /// back when the venue refuses it. Replaces any reservation the order already has.
    pub fn restore_order(&mut self, o: &OrderCheck) -> Result<()> {
        let acct = self.account(o.account)?;
        let leverage = acct.leverage.get(o.instrument as usize).copied();
        let price_band = acct.limits.price_band;
        let m = self
            .markets
            .get(o.instrument as usize)
            .ok_or_else(|| OmsError::UnknownInstrument(format!("index {}", o.instrument)))?;
        if o.qty <= 0 || o.qty > m.max_lots {
            return Err(OmsError::InvalidQuantity(format!(
                "{} lots to restore",
                o.qty
            )));
        }
        let up = o.side == Side::Buy;
        let reference = match o.order_type {
            OrderType::Limit | OrderType::StopLimit => o.price,
            OrderType::Market => band_edge(self.marks[o.instrument as usize], price_band, up),
            OrderType::StopMarket => band_edge(o.stop_price, price_band, up),
        };
        if reference <= 0 {
            return Err(OmsError::InvalidPrice(format!(
                "no reference price to restore order {}",
                o.order_id
            )));
        }
        let notional = i128::from(reference) * i128::from(o.qty) * m.unit_notional;
        let held = hold(m, o, notional, leverage.unwrap_or(1));
        self.release(o.order_id, i64::MAX);
        self.reserve(o, held);
        Ok(())
    }

    /// The checks; `Ok` carries the amount to hold. `new_order` is false for amends, which
    /// skip the duplicate, open-order and rate checks.
    fn evaluate(
        &mut self,
        o: &OrderCheck,
        new_order: bool,
    ) -> std::result::Result<i128, RejectReason> {
        use RejectReason as R;
        let global = self.global_state;
        let Some(acct) = self.accounts.get(o.account as usize) else {
            return Err(R::UnknownAccount);
        };
        if new_order && self.open.contains_key(&o.order_id) {
            return Err(R::DuplicateOrderId);
        }
        if global == TradingState::Halted || acct.state == TradingState::Halted {
            return Err(R::TradingHalted);
        }
        let Some(m) = self.markets.get(o.instrument as usize) else {
            return Err(R::UnknownInstrument);
        };
        let idx = o.instrument as usize;
        check_shape(o)?;
        if o.qty < m.min_lots {
            return Err(R::QtyBelowMin);
        }
        if o.qty > m.max_lots {
            return Err(R::QtyAboveMax);
        }
        let limits = acct.limits;
        let mark = self.marks[idx];
        let buy = o.side == Side::Buy;
        let reference = match o.order_type {
            OrderType::Limit | OrderType::StopLimit => o.price,
            OrderType::Market if mark == 0 => return Err(R::NoMarkPrice),
            OrderType::Market => band_edge(mark, limits.price_band, buy),
            OrderType::StopMarket => band_edge(o.stop_price, limits.price_band, buy),
        };
        let notional = i128::from(reference) * i128::from(o.qty) * m.unit_notional;
        if notional < m.inst.min_notional {
            return Err(R::NotionalBelowMin);
        }
        if notional > limits.max_order_notional {
            return Err(R::NotionalAboveMax);
        }
        if o.order_type.has_limit_price() {
            if mark == 0 {
                return Err(R::NoMarkPrice);
            }
            let diff = i128::from((o.price - mark).abs()) * RATE_ONE;
            if diff > i128::from(mark) * i128::from(limits.price_band) {
                return Err(R::PriceOutsideBand);
            }
        }
        if new_order && acct.open_orders >= limits.max_open_orders {
            return Err(R::TooManyOpenOrders);
        }
        if new_order && !self.accounts[o.account as usize].admit_rate(o.now_ns) {
            return Err(R::RateLimited);
        }
        let valuation = self.valuation(&self.accounts[o.account as usize]);
        self.accounts[o.account as usize].valuation = Some(valuation);
        let acct = &self.accounts[o.account as usize];
        let perp = m.inst.kind == InstrumentKind::Perpetual;
        let pos = acct.positions[idx];
        let exposure = acct.exposure[idx];
        // Reduces exposure even if every open order on its side fills first.
        let reduces = if perp {
            let (open_same_side, opposite) = if buy {
                (exposure.buy + exposure.reduce_buy, pos.qty < 0)
            } else {
                (exposure.sell + exposure.reduce_sell, pos.qty > 0)
            };
            opposite && o.qty + open_same_side <= pos.qty.abs()
        } else {
            !buy
        };
        if (global == TradingState::Reducing || acct.state == TradingState::Reducing) && !reduces {
            return Err(R::TradingReduceOnly);
        }
        if o.reduce_only && !reduces {
            return Err(R::ReduceOnlyWouldIncrease);
        }
        let leverage = acct.leverage[idx];
        let totals = (valuation.upnl, valuation.initial_margin);
        let held = if perp {
            if !o.reduce_only {
                let worst = if buy {
                    pos.qty + exposure.buy + o.qty
                } else {
                    pos.qty - exposure.sell - o.qty
                };
                let worst_notional =
                    (i128::from(worst) * i128::from(reference) * m.unit_notional).abs();
                if worst_notional > limits.max_position_notional {
                    return Err(R::MaxPositionExceeded);
                }
                if m.inst
                    .bracket_for(worst_notional)
                    .is_some_and(|b| b.max_leverage < leverage)
                {
                    return Err(R::LeverageBracketExceeded);
                }
            }
            let need = hold(m, o, notional, leverage);
            // Reduce-only orders need nothing, so they pass even when the account is under water.
            if need > 0 && need > self.available_margin(acct, totals) {
                return Err(R::InsufficientMargin);
            }
            need
        } else {
            let asset = held_asset(m, o.side);
            let need = hold(m, o, notional, leverage);
            let a = usize::from(asset);
            let available = if asset == self.settlement {
                self.available_margin(acct, totals)
            } else {
                acct.balances[a] - acct.reserved[a]
            };
            if need > available {
                return Err(R::InsufficientBalance);
            }
            need
        };
        let equity = valuation.equity;
        let acct = &mut self.accounts[o.account as usize];
        acct.equity_peak = acct.equity_peak.max(equity);
        let peak = acct.equity_peak;
        // Breached when (peak − equity) / peak > max_drawdown, compared exactly.
        let breached =
            peak > 0 && (peak - equity) * RATE_ONE > peak * i128::from(limits.max_drawdown);
        if breached {
            acct.state = TradingState::Reducing;
            if !reduces {
                return Err(R::DrawdownLimit);
            }
        }
        Ok(held)
    }

    fn reserve(&mut self, o: &OrderCheck, held: i128) {
        let asset = held_asset(&self.markets[o.instrument as usize], o.side);
        let r = Reservation {
            account: o.account,
            instrument: o.instrument,
            side: o.side,
            reduce_only: o.reduce_only,
            stop_price: o.stop_price,
            asset,
            leaves: o.qty,
            held,
        };
        self.restore(o.order_id, r);
    }

    /// Puts a reservation (back) in place and counts its exposure.
    fn restore(&mut self, order_id: u64, r: Reservation) {
        let acct = &mut self.accounts[r.account as usize];
        acct.reserved[usize::from(r.asset)] += r.held;
        add_exposure(&mut acct.exposure[r.instrument as usize], &r, r.leaves);
        acct.open_orders += 1;
        self.open.insert(order_id, r);
    }

    /// Releases up to `qty` lots of an open order's reservation; drops it when nothing is left.
    fn release(&mut self, order_id: u64, qty: i64) -> bool {
        let Some(r) = self.open.get_mut(&order_id) else {
            return false;
        };
        let q = qty.min(r.leaves);
        let freed = if q == r.leaves {
            r.held
        } else {
            r.held * i128::from(q) / i128::from(r.leaves)
        };
        r.held -= freed;
        r.leaves -= q;
        let r = *r;
        let acct = &mut self.accounts[r.account as usize];
        acct.reserved[usize::from(r.asset)] -= freed;
        add_exposure(&mut acct.exposure[r.instrument as usize], &r, -q);
        if r.leaves == 0 {
            acct.open_orders -= 1;
            self.open.remove(&order_id);
        }
        true
    }

    // --- post-trade ------------------------------------------------------------------------

    /// Books a fill of `qty` lots at `price` ticks with `fee` money atoms of the quote asset,
    /// and releases that part of the order's reservation. A fill for an order without a
    /// reservation (a late fill after cancel) is booked all the same.
    #[allow(clippy::too_many_arguments)]
    pub fn on_fill(
        &mut self,
        order_id: u64,
        account: u32,
        instrument: u32,
        side: Side,
        qty: i64,
        price: i64,
        fee: i64,
    ) -> Result<()> {
        if qty <= 0 {
            return Err(OmsError::InvalidQuantity(format!("fill of {qty} lots")));
        }
        if price <= 0 {
            return Err(OmsError::InvalidPrice(format!("fill at {price} ticks")));
        }
        self.account(account)?;
        let m = self
            .markets
            .get(instrument as usize)
            .ok_or_else(|| OmsError::UnknownInstrument(format!("index {instrument}")))?;
        if qty > m.max_lots {
            return Err(OmsError::InvalidQuantity(format!(
                "fill of {qty} lots exceeds the max"
            )));
        }
        if let Some(r) = self.open.get(&order_id) {
            if (r.account, r.instrument, r.side) != (account, instrument, side) {
                return Err(OmsError::InvalidArgument(format!(
                    "fill does not match order {order_id}"
                )));
            }
        }
        let notional = i128::from(qty) * i128::from(price) * m.unit_notional;
        let (kind, base, quote) = (m.inst.kind, usize::from(m.base), usize::from(m.quote));
        let base_qty = money_of_lots(m, qty);
        self.release(order_id, qty);
        let acct = &mut self.accounts[account as usize];
        acct.book_version += 1;
        let fee = i128::from(fee);
        match (kind, side) {
            (InstrumentKind::Spot, Side::Buy) => {
                acct.balances[base] += base_qty;
                acct.balances[quote] -= notional + fee;
            }
            (InstrumentKind::Spot, Side::Sell) => {
                acct.balances[base] -= base_qty;
                acct.balances[quote] += notional - fee;
            }
            (InstrumentKind::Perpetual, _) => {
                let pos = &mut acct.positions[instrument as usize];
                let realized =
                    apply_to_position(pos, side.sign() * qty, i128::from(side.sign()) * notional);
                pos.realized_pnl += realized;
                pos.fees += fee;
                acct.balances[quote] += realized - fee;
            }
        }
        Ok(())
    }

    /// Releases whatever an ended order (filled, canceled, rejected, expired) still holds.
    /// Returns false if the order held nothing.
    pub fn on_order_done(&mut self, order_id: u64) -> bool {
        self.release(order_id, i64::MAX)
    }

    // --- views -----------------------------------------------------------------------------

    pub fn balance(&self, account: u32, asset: u16) -> Result<(i128, i128)> {
        let acct = self.account(account)?;
        let a = usize::from(asset);
        if a >= acct.balances.len() {
            return Err(OmsError::InvalidArgument(format!("asset index {asset}")));
        }
        Ok((acct.balances[a], acct.reserved[a]))
    }

    pub fn position(&self, account: u32, instrument: u32) -> Result<Position> {
        self.instrument(instrument)?;
        Ok(self.account(account)?.positions[instrument as usize])
    }

    /// Mark of an instrument, falling back to the position's entry when there is none.
    fn mark_or_entry(&self, idx: usize, pos: &Position) -> i64 {
        let mark = self.marks[idx];
        if mark > 0 || pos.qty == 0 {
            return mark;
        }
        let m = &self.markets[idx];
        i64::try_from(pos.cost / (i128::from(pos.qty) * m.unit_notional)).unwrap_or(0)
    }

    fn perp_positions<'a>(
        &'a self,
        acct: &'a Account,
    ) -> impl Iterator<Item = (usize, &'a Market, &'a Position)> + 'a {
        self.markets
            .iter()
            .enumerate()
            .filter(|(_, m)| m.inst.kind == InstrumentKind::Perpetual)
            .map(move |(i, m)| (i, m, &acct.positions[i]))
            .filter(|(_, _, p)| p.qty != 0)
    }

    /// (unrealized PnL, initial margin, maintenance margin) of all perpetual positions.
    fn position_totals(&self, acct: &Account) -> (i128, i128, i128) {
        self.perp_positions(acct)
            .fold((0, 0, 0), |(u, im, mm), (i, m, p)| {
                let mark = self.mark_or_entry(i, p);
                let n = margin::notional(&m.inst, p.qty, mark);
                (
                    u + margin::unrealized_pnl(&m.inst, p.qty, p.cost, mark),
                    im + margin::initial_margin(n, acct.leverage[i]),
                    mm + margin::maintenance_margin(&m.inst, n),
                )
            })
    }

    /// Quote available for new perpetual margin: wallet − reservations − positions' initial
    /// margin + unrealized losses (profits are not lent against).
    fn available_margin(&self, acct: &Account, (upnl, im): (i128, i128)) -> i128 {
        let s = usize::from(self.settlement);
        acct.balances[s] - acct.reserved[s] - im + upnl.min(0)
    }

    /// The account's valuation now; its cached one is reused when neither marks nor its book changed.
    fn valuation(&self, acct: &Account) -> Valuation {
        let current = |v: &Valuation| {
            v.marks_version == self.marks_version && v.book_version == acct.book_version
        };
        if let Some(v) = acct.valuation.filter(current) {
            return v;
        }
        let (upnl, initial_margin, _) = self.position_totals(acct);
        Valuation {
            marks_version: self.marks_version,
            book_version: acct.book_version,
            upnl,
            initial_margin,
            equity: self.equity(acct, upnl),
        }
    }

    /// Every asset valued in the settlement asset at its spot mark, plus unrealized PnL.
    fn equity(&self, acct: &Account, upnl: i128) -> i128 {
        let held: i128 = acct
            .balances
            .iter()
            .enumerate()
            .map(|(a, &bal)| {
                if a == usize::from(self.settlement) || bal == 0 {
                    return bal;
                }
                self.valuation_market[a].map_or(0, |i| {
                    let m = &self.markets[i];
                    let value = value_of_units(
                        bal.abs(),
                        i128::from(self.marks[i]) * m.unit_notional,
                        m.lot_atoms,
                    );
                    value * bal.signum()
                })
            })
            .fold(0, i128::saturating_add);
        held.saturating_add(upnl)
    }

    pub fn summary(&self, account: u32) -> Result<AccountSummary> {
        let acct = self.account(account)?;
        let s = usize::from(self.settlement);
        let (upnl, im, mm) = self.position_totals(acct);
        let wallet = acct.balances[s];
        let margin_balance = wallet + upnl;
        Ok(AccountSummary {
            wallet,
            unrealized_pnl: upnl,
            margin_balance,
            equity: self.equity(acct, upnl),
            position_initial_margin: im,
            order_margin: acct.reserved[s],
            maintenance_margin: mm,
            margin_ratio: margin::margin_ratio(mm, margin_balance),
            available: self.available_margin(acct, (upnl, im)),
            state: acct.state,
            equity_peak: acct.equity_peak,
        })
    }

    /// Cross-margin liquidation price of an account's position in `instrument`: the other
    /// positions' unrealized PnL adds to, and their maintenance margin takes from, the wallet.
    pub fn liquidation_price(
        &self,
        account: u32,
        instrument: u32,
    ) -> Result<Option<margin::PriceFraction>> {
        let inst = self.instrument(instrument)?;
        let acct = self.account(account)?;
        let pos = acct.positions[instrument as usize];
        let others = self
            .perp_positions(acct)
            .filter(|(i, _, _)| *i != instrument as usize);
        let collateral = others.fold(
            acct.balances[usize::from(self.settlement)],
            |c, (i, m, p)| {
                let mark = self.mark_or_entry(i, p);
                let n = margin::notional(&m.inst, p.qty, mark);
                c + margin::unrealized_pnl(&m.inst, p.qty, p.cost, mark)
                    - margin::maintenance_margin(&m.inst, n)
            },
        );
        Ok(margin::liquidation_price(
            inst, pos.qty, pos.cost, collateral,
        ))
    }
}

/// `amount × unit_value / per`, rounded down, for non-negative inputs: splits `amount` into
/// whole units and a remainder so the product stays in range whenever the result does, and
/// saturates beyond 128 bits.
fn value_of_units(amount: i128, unit_value: i128, per: i128) -> i128 {
    let (whole, rem) = (amount / per, amount % per);
    let frac = rem.checked_mul(unit_value).map_or(i128::MAX, |x| x / per);
    whole.saturating_mul(unit_value).saturating_add(frac)
}

fn check_shape(o: &OrderCheck) -> std::result::Result<(), RejectReason> {
    if o.qty <= 0 {
        return Err(RejectReason::InvalidQuantity);
    }
    if !o.order_type.price_fits(o.price) || !o.order_type.stop_price_fits(o.stop_price) {
        return Err(RejectReason::InvalidPrice);
    }
    Ok(())
}

fn add_exposure(e: &mut OpenExposure, r: &Reservation, lots: i64) {
    match (r.side, r.reduce_only) {
        (Side::Buy, false) => e.buy += lots,
        (Side::Sell, false) => e.sell += lots,
        (Side::Buy, true) => e.reduce_buy += lots,
        (Side::Sell, true) => e.reduce_sell += lots,
    }
}

/// Adds a signed fill to a position; returns the PnL it realizes.
///
/// Closing `c` of `|qty|` lots takes `cost × c / |qty|` (rounded toward zero) out of the cost
/// basis; the remainder stays in the basis and is realized with the last lot, so the PnL
/// realized over a position's life is exact.
fn apply_to_position(pos: &mut Position, qty: i64, notional: i128) -> i128 {
    if pos.qty == 0 || pos.qty.signum() == qty.signum() {
        pos.qty += qty;
        pos.cost += notional;
        return 0;
    }
    let closing = qty.abs().min(pos.qty.abs());
    let cost_closed = pos.cost * i128::from(closing) / i128::from(pos.qty.abs());
    let fill_closed = notional * i128::from(closing) / i128::from(qty.abs());
    // Closing a long sells: proceeds minus cost. Closing a short buys back: cost minus outlay.
    let realized = -(fill_closed + cost_closed);
    let fill_rest = notional - fill_closed;
    pos.cost -= cost_closed;
    pos.qty += qty;
    if pos.qty == 0 {
        // Any rounding remainder of the basis is realized with the last lot.
        let remainder = std::mem::take(&mut pos.cost);
        return realized - remainder;
    }
    if pos.qty.signum() == qty.signum() {
        // Flipped: the rest of the fill opens the new position.
        pos.cost = fill_rest;
    }
    realized
}

#[cfg(test)]
mod tests;
