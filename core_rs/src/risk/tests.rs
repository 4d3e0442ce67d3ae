// Test fixtures count in small numbers (a few accounts, orders and ticks): casts stay exact.
#![allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]

use super::*;
use crate::fixed::format_atoms;

const USDT: i128 = 100_000_000;

struct Fixture {
    risk: RiskEngine,
    acct: u32,
    btc: u32,
    perp: u32,
    next_id: u64,
}

impl Fixture {
    fn new() -> Self {
        Self::with_limits(Limits::default())
    }

    fn with_limits(limits: Limits) -> Self {
        let reg = InstrumentRegistry::builtin();
        let mut risk = RiskEngine::new(&reg, "USDT").unwrap();
        let acct = risk.add_account("alice", limits).unwrap();
        let usdt = risk.asset_index("USDT").unwrap();
        risk.deposit(acct, usdt, 100_000 * USDT).unwrap();
        let btc = reg.index_of("BTC-USDT").unwrap() as u32;
        let perp = reg.index_of("BTC-USDT-PERP").unwrap() as u32;
        risk.set_mark(btc, 5_000_000).unwrap(); // 50,000.00
        risk.set_mark(perp, 500_000).unwrap(); // 50,000.0
        Self {
            risk,
            acct,
            btc,
            perp,
            next_id: 1,
        }
    }

    fn order(&mut self, instrument: u32, side: Side, qty: i64, price: i64) -> OrderCheck {
        self.next_id += 1;
        OrderCheck {
            order_id: self.next_id,
            account: self.acct,
            instrument,
            side,
            order_type: if price > 0 {
                OrderType::Limit
            } else {
                OrderType::Market
            },
            qty,
            price,
            stop_price: 0,
            reduce_only: false,
            now_ns: self.next_id as i64 * 100_000_000,
        }
    }

    fn check(&mut self, instrument: u32, side: Side, qty: i64, price: i64) -> (u64, RejectReason) {
        let o = self.order(instrument, side, qty, price);
        (o.order_id, self.risk.check(&o))
    }

    fn usdt(&self) -> (i128, i128) {
        self.risk.balance(self.acct, 0).unwrap()
    }
}

#[test]
fn spot_buy_reserves_notional_plus_taker_fee() {
    let mut f = Fixture::new();
    // 0.1 BTC (10,000 lots of 0.00001) at 50,000.00: 5,000 USDT + 0.1% fee.
    let (_, r) = f.check(f.btc, Side::Buy, 10_000, 5_000_000);
    assert_eq!(r, RejectReason::Accepted);
    assert_eq!(f.usdt(), (100_000 * USDT, 5_005 * USDT));
}

#[test]
fn spot_buy_beyond_available_balance_is_rejected_and_reserves_nothing() {
    let mut f = Fixture::new();
    let (_, r) = f.check(f.btc, Side::Buy, 199_900, 5_000_000);
    assert_eq!(r, RejectReason::InsufficientBalance);
    assert_eq!(f.usdt(), (100_000 * USDT, 0));
    assert_eq!(f.risk.open_order_count(), 0);
}

#[test]
fn spot_sell_needs_the_base_asset() {
    let mut f = Fixture::new();
    assert_eq!(
        f.check(f.btc, Side::Sell, 1_000, 5_000_000).1,
        RejectReason::InsufficientBalance
    );
    let btc_asset = f.risk.asset_index("BTC").unwrap();
    f.risk.deposit(f.acct, btc_asset, USDT / 100).unwrap(); // 0.01 BTC
    assert_eq!(
        f.check(f.btc, Side::Sell, 1_000, 5_000_000).1,
        RejectReason::Accepted
    );
    assert_eq!(
        f.risk.balance(f.acct, btc_asset).unwrap(),
        (USDT / 100, USDT / 100)
    );
}

#[test]
fn every_limit_has_its_reason_code() {
    let limits = Limits {
        max_open_orders: 2,
        max_orders_per_second: 3,
        ..Limits::default()
    };
    let mut f = Fixture::with_limits(limits);
    let (btc, perp) = (f.btc, f.perp);
    assert_eq!(
        f.check(btc, Side::Buy, 0, 5_000_000).1,
        RejectReason::InvalidQuantity
    );
    assert_eq!(
        f.check(99, Side::Buy, 1, 5_000_000).1,
        RejectReason::UnknownInstrument
    );
    assert_eq!(
        f.check(btc, Side::Buy, 9, 5_000_000).1,
        RejectReason::NotionalBelowMin
    );
    assert_eq!(
        f.check(btc, Side::Buy, 900_000_001, 5_000_000).1,
        RejectReason::QtyAboveMax
    );
    assert_eq!(
        f.check(btc, Side::Buy, 1_000, 6_000_000).1,
        RejectReason::PriceOutsideBand
    );
    assert_eq!(
        f.check(perp, Side::Buy, 100_000, 500_000).1,
        RejectReason::NotionalAboveMax
    );
    assert_eq!(
        f.check(btc, Side::Buy, 1_000, 5_000_000).1,
        RejectReason::Accepted
    );
    assert_eq!(
        f.check(btc, Side::Buy, 1_000, 5_000_000).1,
        RejectReason::Accepted
    );
    assert_eq!(
        f.check(btc, Side::Buy, 1_000, 5_000_000).1,
        RejectReason::TooManyOpenOrders
    );
    let mut o = f.order(btc, Side::Buy, 1_000, 5_000_000);
    o.account = 9;
    assert_eq!(f.risk.check(&o), RejectReason::UnknownAccount);
}

#[test]
fn order_rate_is_limited_per_second() {
    let limits = Limits {
        max_orders_per_second: 2,
        ..Limits::default()
    };
    let mut f = Fixture::with_limits(limits);
    let mut o = f.order(f.btc, Side::Buy, 1_000, 5_000_000);
    for (i, expect) in [
        RejectReason::Accepted,
        RejectReason::Accepted,
        RejectReason::RateLimited,
    ]
    .into_iter()
    .enumerate()
    {
        o.order_id = 100 + i as u64;
        o.now_ns = 5;
        assert_eq!(f.risk.check(&o), expect);
    }
    o.order_id = 200;
    o.now_ns = 1_000_000_005;
    assert_eq!(f.risk.check(&o), RejectReason::Accepted);
}

#[test]
fn market_orders_need_a_mark_and_are_valued_at_the_band_edge() {
    let reg = InstrumentRegistry::builtin();
    let mut risk = RiskEngine::new(&reg, "USDT").unwrap();
    let a = risk.add_account("bob", Limits::default()).unwrap();
    risk.deposit(a, 0, 100_000 * USDT).unwrap();
    let btc = reg.index_of("BTC-USDT").unwrap() as u32;
    let o = OrderCheck {
        order_id: 1,
        account: a,
        instrument: btc,
        side: Side::Buy,
        order_type: OrderType::Market,
        qty: 10_000,
        price: 0,
        stop_price: 0,
        reduce_only: false,
        now_ns: 0,
    };
    assert_eq!(risk.check(&o), RejectReason::NoMarkPrice);
    risk.set_mark(btc, 5_000_000).unwrap();
    assert_eq!(risk.check(&o), RejectReason::Accepted);
    // 0.1 BTC valued at 50,000 × 1.10 = 5,500 + 0.1% fee.
    assert_eq!(risk.balance(a, 0).unwrap().1, 55_055 * USDT / 10);
}

#[test]
fn kill_switch_halts_and_reducing_admits_only_reductions() {
    let mut f = Fixture::new();
    f.risk
        .set_trading_state(None, TradingState::Halted)
        .unwrap();
    assert_eq!(
        f.check(f.perp, Side::Buy, 100, 500_000).1,
        RejectReason::TradingHalted
    );
    f.risk
        .set_trading_state(None, TradingState::Active)
        .unwrap();
    let (id, r) = f.check(f.perp, Side::Buy, 100, 500_000);
    assert_eq!(r, RejectReason::Accepted);
    f.risk
        .on_fill(id, f.acct, f.perp, Side::Buy, 100, 500_000, 0)
        .unwrap();
    f.risk
        .set_trading_state(Some(f.acct), TradingState::Reducing)
        .unwrap();
    assert_eq!(
        f.check(f.perp, Side::Buy, 10, 500_000).1,
        RejectReason::TradingReduceOnly
    );
    assert_eq!(
        f.check(f.perp, Side::Sell, 101, 500_000).1,
        RejectReason::TradingReduceOnly
    );
    assert_eq!(
        f.check(f.perp, Side::Sell, 100, 500_000).1,
        RejectReason::Accepted
    );
}

#[test]
fn reduce_only_may_not_increase_or_exceed_the_position() {
    let mut f = Fixture::new();
    let mut o = f.order(f.perp, Side::Sell, 10, 500_000);
    o.reduce_only = true;
    assert_eq!(f.risk.check(&o), RejectReason::ReduceOnlyWouldIncrease);
    let (id, _) = f.check(f.perp, Side::Buy, 10, 500_000);
    f.risk
        .on_fill(id, f.acct, f.perp, Side::Buy, 10, 500_000, 0)
        .unwrap();
    o.order_id = 900;
    assert_eq!(f.risk.check(&o), RejectReason::Accepted);
    o.order_id = 901;
    o.qty = 2;
    assert_eq!(f.risk.check(&o), RejectReason::ReduceOnlyWouldIncrease);
}

#[test]
fn perpetual_orders_need_initial_margin() {
    let mut f = Fixture::new();
    // 1 BTC at 50,000 with the default 10x: 5,000 margin + 25 taker fee.
    let (_, r) = f.check(f.perp, Side::Buy, 1_000, 500_000);
    assert_eq!(r, RejectReason::Accepted);
    assert_eq!(f.usdt().1, 5_025 * USDT);
    f.risk.set_leverage(f.acct, f.perp, 1).unwrap();
    // At 1x, 2 BTC need 100,050: more than the 95,000 left.
    assert_eq!(
        f.check(f.perp, Side::Buy, 2_000, 500_000).1,
        RejectReason::InsufficientMargin
    );
    assert_eq!(
        f.risk.set_leverage(f.acct, f.perp, 126).unwrap_err().code(),
        "INVALID_LEVERAGE"
    );
}

#[test]
fn max_position_counts_open_orders_on_the_same_side() {
    let limits = Limits {
        max_position_notional: 120_000 * USDT,
        ..Limits::default()
    };
    let mut f = Fixture::with_limits(limits);
    assert_eq!(
        f.check(f.perp, Side::Buy, 2_000, 500_000).1,
        RejectReason::Accepted
    );
    assert_eq!(
        f.check(f.perp, Side::Buy, 1_000, 500_000).1,
        RejectReason::MaxPositionExceeded
    );
    assert_eq!(
        f.check(f.perp, Side::Sell, 2_000, 500_000).1,
        RejectReason::Accepted
    );
}

#[test]
fn leverage_bracket_limits_large_positions() {
    let mut f = Fixture::new();
    f.risk.deposit(f.acct, 0, 1_000_000 * USDT).unwrap();
    f.risk.set_leverage(f.acct, f.perp, 120).unwrap();
    // 2 BTC = 100,000 notional: the second tier allows only 100x.
    assert_eq!(
        f.check(f.perp, Side::Buy, 2_000, 500_000).1,
        RejectReason::LeverageBracketExceeded
    );
    assert_eq!(
        f.check(f.perp, Side::Buy, 900, 500_000).1,
        RejectReason::Accepted
    );
}

#[test]
fn fills_book_spot_balances_and_release_reservations() {
    let mut f = Fixture::new();
    let (id, _) = f.check(f.btc, Side::Buy, 10_000, 5_000_000);
    let fee = 5 * USDT as i64 / 2;
    f.risk
        .on_fill(id, f.acct, f.btc, Side::Buy, 5_000, 5_000_000, fee)
        .unwrap();
    let btc_asset = f.risk.asset_index("BTC").unwrap();
    assert_eq!(f.risk.balance(f.acct, btc_asset).unwrap().0, 5 * USDT / 100);
    assert_eq!(
        f.usdt(),
        (
            100_000 * USDT - 2_500 * USDT - 25 * USDT / 10,
            2_502_500 * USDT / 1000
        )
    );
    assert!(f.risk.on_order_done(id));
    assert_eq!(f.usdt().1, 0);
    assert!(!f.risk.on_order_done(id));
}

#[test]
fn perpetual_round_trip_realizes_exact_pnl_and_flips() {
    let mut f = Fixture::new();
    let (a, p) = (f.acct, f.perp);
    f.risk.on_fill(1, a, p, Side::Buy, 3, 500_000, 0).unwrap();
    f.risk.on_fill(2, a, p, Side::Buy, 3, 500_001, 0).unwrap();
    // Sell 5 of 6 lots at 50,010.0, then 3 more: closes the last lot and opens a 2-lot short.
    f.risk.on_fill(3, a, p, Side::Sell, 5, 500_100, 0).unwrap();
    f.risk.on_fill(4, a, p, Side::Sell, 3, 500_100, 0).unwrap();
    let pos = f.risk.position(a, p).unwrap();
    assert_eq!(pos.qty, -2);
    assert_eq!(pos.cost, -2 * 500_100 * 10_000);
    // Bought 0.003 at 50,000.0 and 0.003 at 50,000.1, sold 0.006 at 50,010.0:
    // PnL = 0.006 × 10.0 − 0.003 × 0.1 = 0.0597 USDT.
    let expected = 6 * 500_100 * 10_000 - (3 * 500_000 + 3 * 500_001) * 10_000;
    assert_eq!(pos.realized_pnl, expected);
    assert_eq!(f.usdt().0, 100_000 * USDT + expected);
    assert_eq!(format_atoms(expected, 8), "0.05970000");
}

#[test]
fn drawdown_switches_the_account_to_reducing() {
    let limits = Limits {
        max_drawdown: (RATE_ONE / 10) as i64,
        ..Limits::default()
    };
    let mut f = Fixture::with_limits(limits);
    let (a, p) = (f.acct, f.perp);
    // Equity peak 100,000 is recorded by the first check.
    let (id, _) = f.check(p, Side::Buy, 1_000, 500_000);
    f.risk
        .on_fill(id, a, p, Side::Buy, 1_000, 500_000, 0)
        .unwrap();
    // Down 11,000 on 1 BTC: equity 89,000 is 11% below the peak (the limit is 10%).
    f.risk.set_mark(p, 390_000).unwrap();
    let (_, r) = f.check(p, Side::Buy, 10, 390_000);
    assert_eq!(r, RejectReason::DrawdownLimit);
    assert_eq!(f.risk.account(a).unwrap().state, TradingState::Reducing);
    assert_eq!(
        f.check(p, Side::Sell, 10, 390_000).1,
        RejectReason::Accepted
    );
}

#[test]
fn replace_moves_the_reservation_or_keeps_the_old_one() {
    let mut f = Fixture::new();
    let (id, _) = f.check(f.btc, Side::Buy, 10_000, 5_000_000);
    let r = f
        .risk
        .check_replace(id, OrderType::Limit, 20_000, 5_000_000, 0)
        .unwrap();
    assert_eq!(r, RejectReason::Accepted);
    assert_eq!(f.usdt().1, 10_010 * USDT);
    let r = f
        .risk
        .check_replace(id, OrderType::Limit, 400_000, 5_000_000, 0)
        .unwrap();
    assert_eq!(r, RejectReason::InsufficientBalance);
    assert_eq!(f.usdt().1, 10_010 * USDT);
    assert_eq!(f.risk.reservation(id).unwrap().leaves, 20_000);
}

#[test]
fn restore_order_holds_what_check_held_even_past_the_limits() {
    let mut f = Fixture::new();
    let o = f.order(f.perp, Side::Buy, 1_000, 500_000);
    assert_eq!(f.risk.check(&o), RejectReason::Accepted);
    let held_by_check = f.usdt().1;
    // A fresh engine (a restart) where the order would now fail its check: it is held anyway.
    let mut g = Fixture::with_limits(Limits {
        max_order_notional: USDT,
        ..Limits::default()
    });
    g.risk.restore_order(&o).unwrap();
    assert_eq!(g.usdt().1, held_by_check);
    assert_eq!(g.risk.open_order_count(), 1);
    // Restoring again replaces the reservation rather than adding a second one.
    let half = OrderCheck { qty: 500, ..o };
    g.risk.restore_order(&half).unwrap();
    assert_eq!(g.usdt().1 * 2, held_by_check);
    assert_eq!(g.risk.open_order_count(), 1);
    let bad = OrderCheck { qty: 0, ..o };
    assert!(g.risk.restore_order(&bad).is_err());
}

#[test]
fn cross_liquidation_price_uses_the_wallet() {
    let reg = InstrumentRegistry::builtin();
    let mut risk = RiskEngine::new(&reg, "USDT").unwrap();
    let a = risk.add_account("carol", Limits::default()).unwrap();
    risk.deposit(a, 0, 5_000 * USDT).unwrap();
    let p = reg.index_of("BTC-USDT-PERP").unwrap() as u32;
    risk.on_fill(1, a, p, Side::Buy, 1_000, 500_000, 0).unwrap();
    let lp = risk.liquidation_price(a, p).unwrap().unwrap();
    assert_eq!(lp.to_atoms(8, true), Some(4_518_072_289_157));
    let s = risk.summary(a).unwrap();
    assert_eq!(s.maintenance_margin, 200 * USDT);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Order {
            perp: bool,
            buy: bool,
            qty: i64,
            offset: i64,
            reduce_only: bool,
        },
        Fill {
            pick: usize,
            frac: u8,
        },
        Done {
            pick: usize,
        },
        Mark {
            perp: bool,
            offset: i64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<bool>(), any::<bool>(), 1i64..400_000, -600_000i64..600_000, any::<bool>())
                .prop_map(|(perp, buy, qty, offset, reduce_only)| Op::Order { perp, buy, qty, offset, reduce_only }),
            2 => (any::<usize>(), 1u8..=4).prop_map(|(pick, frac)| Op::Fill { pick, frac }),
            1 => any::<usize>().prop_map(|pick| Op::Done { pick }),
            1 => (any::<bool>(), -400_000i64..400_000).prop_map(|(perp, offset)| Op::Mark { perp, offset }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn risk_never_accepts_an_order_that_breaks_a_limit(ops in prop::collection::vec(op(), 1..80)) {
            let limits = Limits {
                max_open_orders: 6,
                max_position_notional: 200_000 * USDT,
                max_order_notional: 150_000 * USDT,
                max_orders_per_second: 1_000,
                ..Limits::default()
            };
            let mut f = Fixture::with_limits(limits);
            let btc_asset = f.risk.asset_index("BTC").unwrap();
            f.risk.deposit(f.acct, btc_asset, USDT).unwrap();
            let mut open: Vec<OrderCheck> = Vec::new();
            for op in ops {
                match op {
                    Op::Order { perp, buy, qty, offset, reduce_only } => {
                        let (inst, mark) = if perp { (f.perp, f.risk.mark(f.perp).unwrap()) } else { (f.btc, f.risk.mark(f.btc).unwrap()) };
                        let qty = if perp { qty / 100 + 1 } else { qty };
                        let price = (mark + offset / if perp { 10 } else { 1 }).max(1);
                        let mut o = f.order(inst, if buy { Side::Buy } else { Side::Sell }, qty, price);
                        o.reduce_only = reduce_only && perp;
                        let before = f.risk.balance(f.acct, 0).unwrap();
                        let r = f.risk.check(&o);
                        if r == RejectReason::Accepted {
                            let m = f.risk.instrument(inst).unwrap();
                            let notional = m.notional(price * m.tick_size, qty * m.lot_size);
                            prop_assert!(notional >= m.min_notional);
                            prop_assert!(notional <= limits.max_order_notional);
                            let band = i128::from(mark) * i128::from(limits.price_band) / RATE_ONE;
                            prop_assert!(i128::from((price - mark).abs()) <= band + 1);
                            open.push(o);
                        } else {
                            prop_assert_eq!(f.risk.balance(f.acct, 0).unwrap(), before);
                        }
                    }
                    Op::Fill { pick, frac } if !open.is_empty() => {
                        let o = open[pick % open.len()];
                        if let Some(r) = f.risk.reservation(o.order_id).copied() {
                            let q = (r.leaves * i64::from(frac) / 4).max(1);
                            let fee = 0;
                            f.risk.on_fill(o.order_id, o.account, o.instrument, o.side, q, o.price, fee).unwrap();
                        }
                    }
                    Op::Done { pick } if !open.is_empty() => {
                        let o = open.remove(pick % open.len());
                        f.risk.on_order_done(o.order_id);
                    }
                    Op::Mark { perp, offset } => {
                        let (inst, base) = if perp { (f.perp, 500_000) } else { (f.btc, 5_000_000) };
                        let step = if perp { offset / 10 } else { offset };
                        f.risk.set_mark(inst, base + step).unwrap();
                    }
                    _ => {}
                }
                // Reservations always equal what the open orders hold.
                let acct = f.risk.account(f.acct).unwrap();
                let mut held = vec![0i128; acct.reserved.len()];
                let mut count = 0;
                for r in f.risk.open.values() {
                    held[usize::from(r.asset)] += r.held;
                    count += 1;
                    prop_assert!(r.held >= 0 && r.leaves > 0);
                }
                prop_assert_eq!(&held, &acct.reserved);
                prop_assert_eq!(count, acct.open_orders as usize);
                prop_assert!(acct.open_orders <= limits.max_open_orders);
                // Spot holdings never go negative: sells are covered by reserved base.
                prop_assert!(acct.balances[usize::from(btc_asset)] >= 0);
            }
        }
    }
}

#[test]
fn rate_limit_holds_over_any_rolling_second() {
    let limits = Limits {
        max_orders_per_second: 2,
        ..Limits::default()
    };
    let mut f = Fixture::with_limits(limits);
    let ms = 1_000_000;
    let mut results = Vec::new();
    for (id, t) in [(100, 0), (101, 900), (102, 1_000), (103, 1_050)] {
        let mut o = f.order(f.btc, Side::Buy, 1_000, 5_000_000);
        (o.order_id, o.now_ns) = (id, t * ms);
        results.push(f.risk.check(&o));
    }
    use RejectReason::{Accepted, RateLimited};
    assert_eq!(results, [Accepted, Accepted, Accepted, RateLimited]);
}

#[test]
fn reducing_state_counts_every_open_order_on_the_reducing_side() {
    let mut f = Fixture::new();
    let (id, _) = f.check(f.perp, Side::Buy, 100, 500_000);
    f.risk
        .on_fill(id, f.acct, f.perp, Side::Buy, 100, 500_000, 0)
        .unwrap();
    f.risk
        .set_trading_state(Some(f.acct), TradingState::Reducing)
        .unwrap();
    assert_eq!(
        f.check(f.perp, Side::Sell, 100, 500_000).1,
        RejectReason::Accepted
    );
    // A second full-size sell could flip the position short.
    assert_eq!(
        f.check(f.perp, Side::Sell, 100, 500_000).1,
        RejectReason::TradingReduceOnly
    );
}

#[test]
fn reduce_only_orders_pass_while_the_account_is_under_water() {
    let reg = InstrumentRegistry::builtin();
    let mut risk = RiskEngine::new(&reg, "USDT").unwrap();
    let a = risk.add_account("dave", Limits::default()).unwrap();
    risk.deposit(a, 0, 1_000 * USDT).unwrap();
    let p = reg.index_of("BTC-USDT-PERP").unwrap() as u32;
    risk.on_fill(1, a, p, Side::Buy, 100, 500_000, 0).unwrap();
    risk.set_mark(p, 400_000).unwrap();
    let o = OrderCheck {
        order_id: 2,
        account: a,
        instrument: p,
        side: Side::Sell,
        order_type: OrderType::Limit,
        qty: 100,
        price: 400_000,
        stop_price: 0,
        reduce_only: true,
        now_ns: 0,
    };
    assert!(risk.summary(a).unwrap().available < 0);
    assert_eq!(risk.check(&o), RejectReason::Accepted);
}

#[test]
fn amending_a_stop_limit_keeps_its_stop_price() {
    let mut f = Fixture::new();
    let mut o = f.order(f.btc, Side::Buy, 10_000, 5_000_000);
    (o.order_type, o.stop_price) = (OrderType::StopLimit, 4_900_000);
    assert_eq!(f.risk.check(&o), RejectReason::Accepted);
    let r = f
        .risk
        .check_replace(o.order_id, OrderType::StopLimit, 5_000, 5_010_000, 0);
    assert_eq!(r.unwrap(), RejectReason::Accepted);
}

#[test]
fn withdrawals_cannot_take_margin_held_by_positions() {
    let mut f = Fixture::new();
    f.risk
        .on_fill(1, f.acct, f.perp, Side::Buy, 1_000, 500_000, 0)
        .unwrap();
    // 1 BTC at 10x holds 5,000 of the 100,000 wallet.
    let err = f.risk.deposit(f.acct, 0, -96_000 * USDT).unwrap_err();
    assert_eq!(err.code(), "INVALID_ARGUMENT");
    f.risk.deposit(f.acct, 0, -95_000 * USDT).unwrap();
}
