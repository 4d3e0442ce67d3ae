// The fuzz target's properties, shared by `fuzz_targets/core.rs` (libFuzzer, nightly) and
// `core_rs/tests/fuzz_corpus.rs` (the committed corpus, replayed by `cargo test` on stable).
// Instrument files and decimal text are refused with an error or read exactly; the order state
// machine, driven by any sequence of events, refuses a disallowed one without changing
// anything, bumps `seq` by one for one it applies, never changes a terminal state and keeps
// `cum_qty` within `qty`. Debug assertions are on in both, so an overflow is a crash.

use oms_core::fixed::{format_atoms, Decimal};
use oms_core::instrument::InstrumentRegistry;
use oms_core::order::{
    Applied, ClientOrderId, Fill, Liquidity, Order, OrderEvent, OrderRequest, OrderType, Side,
    TimeInForce,
};

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }

    fn int(&mut self) -> i64 {
        i64::from(u16::from_le_bytes([self.byte(), self.byte()]))
    }
}

fn numbers(text: &str) {
    let _ = Decimal::parse(text);
    for instrument in InstrumentRegistry::builtin().iter() {
        if let Ok(atoms) = instrument.parse_price(text) {
            assert!(atoms > 0, "{text}");
            let shown = format_atoms(atoms.into(), instrument.price_decimals);
            assert_eq!(instrument.parse_price(&shown).ok(), Some(atoms), "{text}");
        }
        if let Ok(atoms) = instrument.parse_qty(text) {
            assert!(atoms > 0, "{text}");
            let shown = format_atoms(atoms.into(), instrument.qty_decimals);
            assert_eq!(instrument.parse_qty(&shown).ok(), Some(atoms), "{text}");
        }
    }
}

fn machine(mut data: Bytes<'_>) {
    let order_type = [
        OrderType::Limit,
        OrderType::Market,
        OrderType::StopMarket,
        OrderType::StopLimit,
    ][usize::from(data.byte() % 4)];
    let limit = matches!(order_type, OrderType::Limit | OrderType::StopLimit);
    let stop = matches!(order_type, OrderType::StopMarket | OrderType::StopLimit);
    let request = OrderRequest {
        order_id: 1,
        client_order_id: ClientOrderId::new("c").expect("a valid id"),
        account: 0,
        instrument: 0,
        side: if data.byte() % 2 == 0 {
            Side::Buy
        } else {
            Side::Sell
        },
        order_type,
        time_in_force: [
            TimeInForce::Gtc,
            TimeInForce::Ioc,
            TimeInForce::Fok,
            TimeInForce::Gtx,
        ][usize::from(data.byte() % 4)],
        qty: 1 + data.int(),
        price: if limit { 1 + data.int() } else { 0 },
        stop_price: if stop { 1 + data.int() } else { 0 },
        reduce_only: false,
    };
    let Ok(mut order) = Order::new(request) else {
        return;
    };
    while !data.0.is_empty() {
        let event = match data.byte() % 13 {
            0 => OrderEvent::RiskAccepted,
            1 => OrderEvent::RiskRejected { reason: 1 },
            2 => OrderEvent::VenueAck,
            3 => OrderEvent::VenueReject { reason: 1 },
            4 => OrderEvent::CancelRequested,
            5 => OrderEvent::CancelAcked,
            6 => OrderEvent::CancelRejected,
            7 => OrderEvent::ReplaceRequested {
                qty: data.int() - 100,
                price: data.int() - 100,
            },
            8 => OrderEvent::ReplaceAcked,
            9 => OrderEvent::ReplaceRejected,
            10 => OrderEvent::Expired,
            11 => OrderEvent::StopTriggered,
            _ => OrderEvent::Fill(Fill {
                exec_id: format!("x{}", data.byte() % 8).into(),
                qty: data.int() - 100,
                price: data.int() - 100,
                fee: data.int() - 1000,
                liquidity: Liquidity::Taker,
            }),
        };
        let before = order.clone();
        match order.apply(&event) {
            Err(_) | Ok(Applied::Duplicate) => assert_eq!(order, before, "{event:?}"),
            Ok(_) => {
                assert_eq!(order.seq, before.seq + 1, "{event:?}");
                if before.status.is_terminal() {
                    assert_eq!(order.status, before.status, "{event:?}");
                }
                assert!(
                    0 <= order.cum_qty && order.cum_qty <= order.qty,
                    "{order:?}"
                );
                let expected = if order.status.is_terminal() {
                    0
                } else {
                    order.qty - order.cum_qty
                };
                assert_eq!(order.leaves_qty(), expected, "{order:?}");
            }
        }
    }
}

/// One input: its first byte picks a property, the rest drives it.
pub fn check(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                if let Ok(registry) = InstrumentRegistry::from_json(text) {
                    for instrument in registry.iter() {
                        assert!(registry.get(&instrument.symbol).is_ok());
                    }
                }
            }
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                numbers(text);
            }
        }
        _ => machine(Bytes(rest)),
    }
}
