//! What risk knows of one account: balances, positions, open-order exposure and limits.

use std::collections::VecDeque;

use crate::fixed::RATE_ONE;

/// Whether an account (or the whole venue) may trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum TradingState {
    #[default]
    Active = 0,
    /// Only orders that reduce exposure are accepted.
    Reducing = 1,
    /// No new orders at all.
    Halted = 2,
}

impl TradingState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Reducing => "REDUCING",
            Self::Halted => "HALTED",
        }
    }
}

/// Pre-trade limits of an account. Money in money atoms, rates in rate units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest notional of one order.
    pub max_order_notional: i128,
    /// Largest worst-case position notional per perpetual (position + same-side open orders).
    pub max_position_notional: i128,
    /// Limit prices must lie within `mark × (1 ± price_band)`; market orders are valued at
    /// the edge of this band.
    pub price_band: i64,
    pub max_open_orders: u32,
    /// Orders admitted in any rolling second (counted when they reach the rate check).
    pub max_orders_per_second: u32,
    /// Equity drop from its peak (as a rate) that switches the account to REDUCING.
    pub max_drawdown: i64,
    /// Leverage of perpetual positions until set per instrument.
    pub default_leverage: u32,
}

/// `RATE_ONE` (1e8) as the `i64` the limits hold.
#[allow(clippy::cast_possible_truncation)] // 1e8 fits an i64
const RATE_ONE_I64: i64 = RATE_ONE as i64;

impl Default for Limits {
    fn default() -> Self {
        const USDT: i128 = 100_000_000;
        Self {
            max_order_notional: 1_000_000 * USDT,
            max_position_notional: 5_000_000 * USDT,
            price_band: RATE_ONE_I64 / 10,
            max_open_orders: 200,
            max_orders_per_second: 50,
            max_drawdown: RATE_ONE_I64 / 2,
            default_leverage: 10,
        }
    }
}

/// A one-way perpetual position: `qty` lots (long > 0) and `cost`, the signed notional of the
/// fills that built it, in money atoms (entry price = cost / qty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub qty: i64,
    pub cost: i128,
    pub realized_pnl: i128,
    pub fees: i128,
}

/// Open-order exposure of an account in one instrument, in lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenExposure {
    pub buy: i64,
    pub sell: i64,
    pub reduce_buy: i64,
    pub reduce_sell: i64,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub state: TradingState,
    pub limits: Limits,
    /// Per asset (registry asset index), money atoms.
    pub balances: Vec<i128>,
    /// Per asset: held for open orders (spot funds; perpetual order margin in the quote).
    pub reserved: Vec<i128>,
    /// Per instrument.
    pub positions: Vec<Position>,
    pub leverage: Vec<u32>,
    pub exposure: Vec<OpenExposure>,
    pub open_orders: u32,
    /// Times of the orders admitted in the last second (at most the per-second limit).
    pub recent_orders: VecDeque<i64>,
    /// Highest equity seen, for the drawdown kill switch.
    pub equity_peak: i128,
    /// Bumped whenever balances, positions or leverage change (invalidates `valuation`).
    pub book_version: u64,
    /// The last valuation and the versions it was computed at.
    pub valuation: Option<Valuation>,
}

/// What an account is worth at the current marks: cached because every check needs it and it
/// changes only with marks, fills, deposits and leverage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Valuation {
    pub marks_version: u64,
    pub book_version: u64,
    /// Unrealized PnL of the perpetual positions.
    pub upnl: i128,
    /// Initial margin of the perpetual positions.
    pub initial_margin: i128,
    /// Every asset at its mark, plus `upnl`.
    pub equity: i128,
}

impl Account {
    pub fn new(name: String, limits: Limits, assets: usize, instruments: &[u32]) -> Self {
        let leverage = instruments
            .iter()
            .map(|&max| limits.default_leverage.min(max))
            .collect();
        Self {
            name,
            state: TradingState::Active,
            limits,
            balances: vec![0; assets],
            reserved: vec![0; assets],
            positions: vec![Position::default(); instruments.len()],
            leverage,
            exposure: vec![OpenExposure::default(); instruments.len()],
            open_orders: 0,
            recent_orders: VecDeque::new(),
            equity_peak: 0,
            book_version: 0,
            valuation: None,
        }
    }

    /// Counts an order against the rolling one-second window; false when over the limit.
    pub fn admit_rate(&mut self, now_ns: i64) -> bool {
        const SECOND_NS: i64 = 1_000_000_000;
        while self
            .recent_orders
            .front()
            .is_some_and(|&t| now_ns.saturating_sub(t) >= SECOND_NS)
        {
            self.recent_orders.pop_front();
        }
        if self.recent_orders.len() >= self.limits.max_orders_per_second as usize {
            return false;
        }
        self.recent_orders.push_back(now_ns);
        true
    }
}
