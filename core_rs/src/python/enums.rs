//! Python enums mirroring the domain's wire enums; their integer values are the wire codes
//! used in numpy batch arrays.

use pyo3::prelude::*;

mod domain {
    pub use crate::account::TradingState;
    pub use crate::order::*;
}

macro_rules! py_enum {
    ($(#[$doc:meta])* $py:ident as $name:literal => $dom:ident { $($variant:ident = $value:literal => $dv:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[pyclass(name = $name, module = "oms_core", eq, eq_int, frozen, hash, from_py_object)]
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
        pub enum $py { $($variant = $value),+ }

        impl From<$py> for domain::$dom {
            fn from(v: $py) -> Self {
                match v { $($py::$variant => domain::$dom::$dv),+ }
            }
        }

        impl From<domain::$dom> for $py {
            fn from(v: domain::$dom) -> Self {
                match v { $(domain::$dom::$dv => $py::$variant),+ }
            }
        }

        #[pymethods]
        impl $py {
            fn __str__(&self) -> &'static str {
                domain::$dom::from(*self).as_str()
            }
        }
    };
}

py_enum!(Side as "Side" => Side { BUY = 0 => Buy, SELL = 1 => Sell });
py_enum!(OrderType as "OrderType" => OrderType {
    LIMIT = 0 => Limit, MARKET = 1 => Market, STOP_MARKET = 2 => StopMarket, STOP_LIMIT = 3 => StopLimit,
});
py_enum!(TimeInForce as "TimeInForce" => TimeInForce { GTC = 0 => Gtc, IOC = 1 => Ioc, FOK = 2 => Fok, GTX = 3 => Gtx });
py_enum!(OrderStatus as "OrderStatus" => OrderStatus {
    PENDING_NEW = 0 => PendingNew, NEW = 1 => New, PARTIALLY_FILLED = 2 => PartiallyFilled,
    FILLED = 3 => Filled, PENDING_CANCEL = 4 => PendingCancel, CANCELED = 5 => Canceled,
    PENDING_REPLACE = 6 => PendingReplace, REJECTED = 7 => Rejected, EXPIRED = 8 => Expired,
});
py_enum!(Liquidity as "Liquidity" => Liquidity { MAKER = 0 => Maker, TAKER = 1 => Taker });
py_enum!(
    /// How an event landed on an order.
    Applied as "Applied" => Applied { CHANGED = 0 => Changed, DUPLICATE = 1 => Duplicate, LATE_FILL = 2 => LateFill }
);
py_enum!(
    /// Event codes for `OrderTable.apply_batch`.
    EventKind as "EventKind" => EventKind {
        RISK_ACCEPTED = 0 => RiskAccepted, RISK_REJECTED = 1 => RiskRejected,
        VENUE_ACK = 2 => VenueAck, VENUE_REJECT = 3 => VenueReject, FILL = 4 => Fill,
        CANCEL_REQUESTED = 5 => CancelRequested, CANCEL_ACKED = 6 => CancelAcked,
        CANCEL_REJECTED = 7 => CancelRejected, REPLACE_REQUESTED = 8 => ReplaceRequested,
        REPLACE_ACKED = 9 => ReplaceAcked, REPLACE_REJECTED = 10 => ReplaceRejected,
        EXPIRED = 11 => Expired, STOP_TRIGGERED = 12 => StopTriggered,
    }
);
py_enum!(
    /// The kill switch: ACTIVE trades, REDUCING only reduces exposure, HALTED takes nothing.
    TradingState as "TradingState" => TradingState { ACTIVE = 0 => Active, REDUCING = 1 => Reducing, HALTED = 2 => Halted }
);
