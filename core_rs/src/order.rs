//! The order and its state machine (FIX-aligned).
//!
//! An [`Order`] changes only through [`Order::apply`]. Every applied event bumps `seq`, so
//! stores can apply a change only when its `seq` is newer. An event the state does not allow
//! raises [`OmsError::InvalidTransition`] and changes nothing; so does an overfill.
//!
//! Quantities are in lots and prices in ticks of the order's instrument; fees in money atoms.

use crate::error::{OmsError, Result};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $value:literal => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name { $($variant = $value),+ }

        impl $name {
            /// All values, in wire-code order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name (exchange API convention, e.g. `PARTIALLY_FILLED`).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value for a wire code, as used in numpy batch arrays.
            pub fn from_u8(code: u8) -> Result<Self> {
                match code {
                    $($value => Ok($name::$variant),)+
                    _ => Err(OmsError::InvalidArgument(
                        format!("{} is not a valid {}", code, stringify!($name)))),
                }
            }
        }
    };
}

wire_enum!(
    /// Buy or sell.
    Side { Buy = 0 => "BUY", Sell = 1 => "SELL" }
);
wire_enum!(
    OrderType {
        Limit = 0 => "LIMIT",
        Market = 1 => "MARKET",
        StopMarket = 2 => "STOP_MARKET",
        StopLimit = 3 => "STOP_LIMIT",
    }
);
wire_enum!(
    /// GTX is post-only: the venue rejects it rather than let it take liquidity.
    TimeInForce { Gtc = 0 => "GTC", Ioc = 1 => "IOC", Fok = 2 => "FOK", Gtx = 3 => "GTX" }
);
wire_enum!(
    OrderStatus {
        PendingNew = 0 => "PENDING_NEW",
        New = 1 => "NEW",
        PartiallyFilled = 2 => "PARTIALLY_FILLED",
        Filled = 3 => "FILLED",
        PendingCancel = 4 => "PENDING_CANCEL",
        Canceled = 5 => "CANCELED",
        PendingReplace = 6 => "PENDING_REPLACE",
        Rejected = 7 => "REJECTED",
        Expired = 8 => "EXPIRED",
    }
);
wire_enum!(
    /// Whether a fill added liquidity (maker) or took it (taker).
    Liquidity { Maker = 0 => "MAKER", Taker = 1 => "TAKER" }
);

impl Side {
    /// +1 for buys, −1 for sells.
    pub fn sign(self) -> i64 {
        match self {
            Side::Buy => 1,
            Side::Sell => -1,
        }
    }
}

impl OrderType {
    pub fn is_stop(self) -> bool {
        matches!(self, OrderType::StopMarket | OrderType::StopLimit)
    }
    pub fn has_limit_price(self) -> bool {
        matches!(self, OrderType::Limit | OrderType::StopLimit)
    }
    /// A limit price (ticks) as this type needs it: positive if it has one, else 0.
    pub fn price_fits(self, price: i64) -> bool {
        if self.has_limit_price() {
            price > 0
        } else {
            price == 0
        }
    }
    /// A stop price (ticks) as this type needs it: positive for stop orders, else 0.
    pub fn stop_price_fits(self, stop_price: i64) -> bool {
        if self.is_stop() {
            stop_price > 0
        } else {
            stop_price == 0
        }
    }
}

impl OrderStatus {
    /// Terminal states never change (but for a late fill, see [`Order::apply`]).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }
}

/// A client order id: up to 36 ASCII printable characters, stored inline (no heap).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientOrderId {
    len: u8,
    bytes: [u8; ClientOrderId::MAX_LEN],
}

impl ClientOrderId {
    pub const MAX_LEN: usize = 36;

    pub fn new(text: &str) -> Result<Self> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(OmsError::InvalidArgument(format!(
                "client order id must be 1 to {} printable ASCII characters: {text:?}",
                Self::MAX_LEN
            )));
        }
        let mut bytes = [0u8; Self::MAX_LEN];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Ok(Self {
            len: u8::try_from(text.len()).expect("checked: at most MAX_LEN bytes"),
            bytes,
        })
    }

    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII text.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// What a new order asks for, before any event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub order_id: u64,
    pub client_order_id: ClientOrderId,
    pub account: u32,
    pub instrument: u32,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub qty: i64,
    /// Limit price in ticks; 0 for market and stop-market orders.
    pub price: i64,
    /// Trigger price in ticks; 0 unless a stop order.
    pub stop_price: i64,
    pub reduce_only: bool,
}

impl OrderRequest {
    /// Checks the shape of the request (not risk): positive sizes and the prices its type needs.
    pub fn validate(&self) -> Result<()> {
        if self.qty <= 0 {
            return Err(OmsError::InvalidQuantity(format!(
                "quantity {} lots",
                self.qty
            )));
        }
        let ty = self.order_type;
        let misfit = |needed: bool, what: &str| {
            let need = if needed { "need a positive" } else { "take no" };
            Err(OmsError::InvalidPrice(format!(
                "{} orders {need} {what}",
                ty.as_str()
            )))
        };
        if !ty.price_fits(self.price) {
            return misfit(ty.has_limit_price(), "price");
        }
        if !ty.stop_price_fits(self.stop_price) {
            return misfit(ty.is_stop(), "stop price");
        }
        if self.order_type == OrderType::Market && self.time_in_force == TimeInForce::Gtx {
            return Err(OmsError::InvalidArgument(
                "a market order cannot be post-only".into(),
            ));
        }
        Ok(())
    }
}

wire_enum!(
    /// The kind of an [`OrderEvent`]: its code in columnar (batch) form.
    EventKind {
        RiskAccepted = 0 => "RISK_ACCEPTED",
        RiskRejected = 1 => "RISK_REJECTED",
        VenueAck = 2 => "VENUE_ACK",
        VenueReject = 3 => "VENUE_REJECT",
        Fill = 4 => "FILL",
        CancelRequested = 5 => "CANCEL_REQUESTED",
        CancelAcked = 6 => "CANCEL_ACKED",
        CancelRejected = 7 => "CANCEL_REJECTED",
        ReplaceRequested = 8 => "REPLACE_REQUESTED",
        ReplaceAcked = 9 => "REPLACE_ACKED",
        ReplaceRejected = 10 => "REPLACE_REJECTED",
        Expired = 11 => "EXPIRED",
        StopTriggered = 12 => "STOP_TRIGGERED",
    }
);

/// One event in columnar form: the fields a kind does not use are ignored.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventColumns<'a> {
    pub qty: i64,
    pub price: i64,
    pub fee: i64,
    pub reason: u16,
    pub liquidity: u8,
    pub exec_id: &'a str,
}

/// Everything that can happen to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    RiskAccepted,
    RiskRejected { reason: u16 },
    VenueAck,
    VenueReject { reason: u16 },
    Fill(Fill),
    CancelRequested,
    CancelAcked,
    CancelRejected,
    ReplaceRequested { qty: i64, price: i64 },
    ReplaceAcked,
    ReplaceRejected,
    Expired,
    StopTriggered,
}

impl OrderEvent {
    /// Builds an event from its kind and columns (the batch form).
    pub fn from_columns(kind: EventKind, c: EventColumns<'_>) -> Result<Self> {
        Ok(match kind {
            EventKind::RiskAccepted => Self::RiskAccepted,
            EventKind::RiskRejected => Self::RiskRejected { reason: c.reason },
            EventKind::VenueAck => Self::VenueAck,
            EventKind::VenueReject => Self::VenueReject { reason: c.reason },
            EventKind::Fill => Self::Fill(Fill {
                exec_id: c.exec_id.into(),
                qty: c.qty,
                price: c.price,
                fee: c.fee,
                liquidity: Liquidity::from_u8(c.liquidity)?,
            }),
            EventKind::CancelRequested => Self::CancelRequested,
            EventKind::CancelAcked => Self::CancelAcked,
            EventKind::CancelRejected => Self::CancelRejected,
            EventKind::ReplaceRequested => Self::ReplaceRequested {
                qty: c.qty,
                price: c.price,
            },
            EventKind::ReplaceAcked => Self::ReplaceAcked,
            EventKind::ReplaceRejected => Self::ReplaceRejected,
            EventKind::Expired => Self::Expired,
            EventKind::StopTriggered => Self::StopTriggered,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::RiskAccepted => "RISK_ACCEPTED",
            Self::RiskRejected { .. } => "RISK_REJECTED",
            Self::VenueAck => "VENUE_ACK",
            Self::VenueReject { .. } => "VENUE_REJECT",
            Self::Fill(_) => "FILL",
            Self::CancelRequested => "CANCEL_REQUESTED",
            Self::CancelAcked => "CANCEL_ACKED",
            Self::CancelRejected => "CANCEL_REJECTED",
            Self::ReplaceRequested { .. } => "REPLACE_REQUESTED",
            Self::ReplaceAcked => "REPLACE_ACKED",
            Self::ReplaceRejected => "REPLACE_REJECTED",
            Self::Expired => "EXPIRED",
            Self::StopTriggered => "STOP_TRIGGERED",
        }
    }
}

/// One execution reported by a venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fill {
    pub exec_id: Box<str>,
    pub qty: i64,
    pub price: i64,
    /// Fee in money atoms (negative for a maker rebate).
    pub fee: i64,
    pub liquidity: Liquidity,
}

wire_enum!(
    /// How an event landed. `Changed`: the event changed the order and bumped `seq`.
    /// `Duplicate`: a fill whose `exec_id` was already booked; nothing changed. `LateFill`: a
    /// fill after the order was canceled or expired; booked and flagged, state kept.
    Applied { Changed = 0 => "CHANGED", Duplicate = 1 => "DUPLICATE", LateFill = 2 => "LATE_FILL" }
);

/// One order and its execution totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub order_id: u64,
    pub client_order_id: ClientOrderId,
    pub account: u32,
    pub instrument: u32,
    pub side: Side,
    pub order_type: OrderType,
    pub time_in_force: TimeInForce,
    pub reduce_only: bool,
    pub status: OrderStatus,
    /// Status to return to when a pending cancel or replace is rejected.
    resume_status: OrderStatus,
    pub risk_accepted: bool,
    /// For stop orders: the trigger has fired.
    pub triggered: bool,
    /// A fill arrived after the order was canceled or expired.
    pub late_fill: bool,
    pub reject_reason: u16,
    pub qty: i64,
    pub price: i64,
    pub stop_price: i64,
    pub cum_qty: i64,
    /// Σ fill qty × fill price, in lots × ticks: avgPx = cum_notional / cum_qty exactly.
    pub cum_notional: i128,
    pub fees: i64,
    pending_qty: i64,
    pending_price: i64,
    pub last_qty: i64,
    pub last_price: i64,
    pub seq: u64,
    exec_ids: Vec<Box<str>>,
}

fn forbid(status: OrderStatus, event: &OrderEvent) -> OmsError {
    OmsError::InvalidTransition {
        state: status.as_str(),
        event: event.name(),
    }
}

impl Order {
    /// A new order in `PENDING_NEW` at `seq` 0.
    pub fn new(req: OrderRequest) -> Result<Self> {
        req.validate()?;
        Ok(Self {
            order_id: req.order_id,
            client_order_id: req.client_order_id,
            account: req.account,
            instrument: req.instrument,
            side: req.side,
            order_type: req.order_type,
            time_in_force: req.time_in_force,
            reduce_only: req.reduce_only,
            status: OrderStatus::PendingNew,
            resume_status: OrderStatus::PendingNew,
            risk_accepted: false,
            triggered: false,
            late_fill: false,
            reject_reason: 0,
            qty: req.qty,
            price: req.price,
            stop_price: req.stop_price,
            cum_qty: 0,
            cum_notional: 0,
            fees: 0,
            pending_qty: 0,
            pending_price: 0,
            last_qty: 0,
            last_price: 0,
            seq: 0,
            exec_ids: Vec::new(),
        })
    }

    /// Quantity still working: `qty − cum_qty` while live, 0 once terminal.
    pub fn leaves_qty(&self) -> i64 {
        if self.status.is_terminal() {
            0
        } else {
            self.qty - self.cum_qty
        }
    }

    /// The amend waiting for the venue, as `(qty, price)`.
    pub fn pending_replace(&self) -> Option<(i64, i64)> {
        (self.status == OrderStatus::PendingReplace)
            .then_some((self.pending_qty, self.pending_price))
    }

    pub fn has_exec_id(&self, exec_id: &str) -> bool {
        self.exec_ids.iter().any(|e| &**e == exec_id)
    }

    /// Status a live order has from its fills alone.
    fn working_status(&self) -> OrderStatus {
        if self.cum_qty > 0 {
            OrderStatus::PartiallyFilled
        } else {
            OrderStatus::New
        }
    }

    /// Applies one event: the whole change or, on error, none of it.
    pub fn apply(&mut self, event: &OrderEvent) -> Result<Applied> {
        use OrderStatus as S;
        let s = self.status;
        let applied = match event {
            OrderEvent::RiskAccepted | OrderEvent::RiskRejected { .. }
                if s != S::PendingNew || self.risk_accepted =>
            {
                return Err(forbid(s, event))
            }
            OrderEvent::RiskAccepted => {
                self.risk_accepted = true;
                Applied::Changed
            }
            OrderEvent::RiskRejected { reason } | OrderEvent::VenueReject { reason } => {
                if matches!(event, OrderEvent::VenueReject { .. })
                    && (s != S::PendingNew || !self.risk_accepted)
                {
                    return Err(forbid(s, event));
                }
                self.reject_reason = *reason;
                self.status = S::Rejected;
                Applied::Changed
            }
            OrderEvent::VenueAck if s == S::PendingNew && self.risk_accepted => {
                self.status = S::New;
                Applied::Changed
            }
            OrderEvent::Fill(fill) => return self.apply_fill(fill, event),
            OrderEvent::CancelRequested if matches!(s, S::New | S::PartiallyFilled) => {
                self.resume_status = s;
                self.status = S::PendingCancel;
                Applied::Changed
            }
            OrderEvent::CancelAcked if s == S::PendingCancel => {
                self.status = S::Canceled;
                Applied::Changed
            }
            OrderEvent::CancelRejected | OrderEvent::ReplaceRejected
                if s == S::PendingCancel && matches!(event, OrderEvent::CancelRejected)
                    || s == S::PendingReplace && matches!(event, OrderEvent::ReplaceRejected) =>
            {
                self.status = self.working_status();
                Applied::Changed
            }
            OrderEvent::ReplaceRequested { qty, price }
                if matches!(s, S::New | S::PartiallyFilled) =>
            {
                self.check_replace(*qty, *price)?;
                self.pending_qty = *qty;
                self.pending_price = *price;
                self.resume_status = s;
                self.status = S::PendingReplace;
                Applied::Changed
            }
            OrderEvent::ReplaceAcked if s == S::PendingReplace => {
                self.price = self.pending_price;
                // Amending down to the filled quantity (or below) completes the order.
                self.qty = self.pending_qty.max(self.cum_qty);
                self.status = if self.cum_qty == self.qty {
                    S::Filled
                } else {
                    self.working_status()
                };
                Applied::Changed
            }
            OrderEvent::Expired
                if matches!(
                    s,
                    S::New | S::PartiallyFilled | S::PendingCancel | S::PendingReplace
                ) =>
            {
                self.status = S::Expired;
                Applied::Changed
            }
            // The venue may trigger a stop while a cancel or amend is on its way.
            OrderEvent::StopTriggered
                if matches!(s, S::New | S::PendingCancel | S::PendingReplace)
                    && self.order_type.is_stop()
                    && !self.triggered =>
            {
                self.triggered = true;
                Applied::Changed
            }
            _ => return Err(forbid(s, event)),
        };
        self.seq += 1;
        Ok(applied)
    }

    fn check_replace(&self, qty: i64, price: i64) -> Result<()> {
        if !self.order_type.has_limit_price() {
            return Err(OmsError::InvalidArgument(format!(
                "{} orders cannot be amended",
                self.order_type.as_str()
            )));
        }
        if qty <= self.cum_qty {
            return Err(OmsError::InvalidQuantity(format!(
                "new quantity {qty} lots must exceed the filled {} lots",
                self.cum_qty
            )));
        }
        if price <= 0 {
            return Err(OmsError::InvalidPrice(format!("new price {price} ticks")));
        }
        Ok(())
    }

    fn apply_fill(&mut self, fill: &Fill, event: &OrderEvent) -> Result<Applied> {
        use OrderStatus as S;
        if self.has_exec_id(&fill.exec_id) {
            return Ok(Applied::Duplicate);
        }
        let s = self.status;
        let late = matches!(s, S::Canceled | S::Expired);
        let fillable = match s {
            S::New | S::PartiallyFilled | S::PendingCancel | S::PendingReplace => true,
            // A venue may fill before its ack reaches us.
            S::PendingNew => self.risk_accepted,
            _ => late,
        };
        let untriggered_stop = self.order_type.is_stop() && !self.triggered;
        if !fillable || untriggered_stop {
            return Err(forbid(s, event));
        }
        if fill.qty <= 0 {
            return Err(OmsError::InvalidQuantity(format!(
                "fill of {} lots",
                fill.qty
            )));
        }
        if fill.price <= 0 {
            return Err(OmsError::InvalidPrice(format!(
                "fill at {} ticks",
                fill.price
            )));
        }
        if fill.exec_id.is_empty() {
            return Err(OmsError::InvalidArgument("a fill needs an exec id".into()));
        }
        let leaves = self.qty - self.cum_qty;
        if fill.qty > leaves {
            return Err(OmsError::Overfill {
                fill: fill.qty,
                leaves,
            });
        }
        let fees = self.fees.checked_add(fill.fee).ok_or_else(|| {
            OmsError::NumberOverflow(format!("fees of order {} overflow", self.order_id))
        })?;
        self.cum_qty += fill.qty;
        self.cum_notional += i128::from(fill.qty) * i128::from(fill.price);
        self.fees = fees;
        self.last_qty = fill.qty;
        self.last_price = fill.price;
        self.exec_ids.push(fill.exec_id.clone());
        self.seq += 1;
        if late {
            self.late_fill = true;
            return Ok(Applied::LateFill);
        }
        self.status = match s {
            _ if self.cum_qty == self.qty => S::Filled,
            S::PendingCancel | S::PendingReplace => s,
            _ => S::PartiallyFilled,
        };
        Ok(Applied::Changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn request(order_id: u64, order_type: OrderType) -> OrderRequest {
        let (price, stop_price) = match order_type {
            OrderType::Limit => (500, 0),
            OrderType::Market => (0, 0),
            OrderType::StopMarket => (0, 450),
            OrderType::StopLimit => (440, 450),
        };
        OrderRequest {
            order_id,
            client_order_id: ClientOrderId::new(&format!("c-{order_id}")).unwrap(),
            account: 1,
            instrument: 0,
            side: Side::Buy,
            order_type,
            time_in_force: TimeInForce::Gtc,
            qty: 10,
            price,
            stop_price,
            reduce_only: false,
        }
    }

    fn fill(exec_id: &str, qty: i64, price: i64) -> OrderEvent {
        OrderEvent::Fill(Fill {
            exec_id: exec_id.into(),
            qty,
            price,
            fee: 1,
            liquidity: Liquidity::Taker,
        })
    }

    fn working(order_type: OrderType) -> Order {
        let mut o = Order::new(request(1, order_type)).unwrap();
        o.apply(&OrderEvent::RiskAccepted).unwrap();
        o.apply(&OrderEvent::VenueAck).unwrap();
        o
    }

    #[test]
    fn happy_path_reaches_filled_with_exact_totals() {
        let mut o = working(OrderType::Limit);
        assert_eq!(o.status, OrderStatus::New);
        o.apply(&fill("e1", 4, 500)).unwrap();
        assert_eq!(
            (o.status, o.cum_qty, o.leaves_qty()),
            (OrderStatus::PartiallyFilled, 4, 6)
        );
        o.apply(&fill("e2", 6, 499)).unwrap();
        assert_eq!(
            (o.status, o.cum_qty, o.leaves_qty()),
            (OrderStatus::Filled, 10, 0)
        );
        assert_eq!(o.cum_notional, 4 * 500 + 6 * 499);
        assert_eq!((o.fees, o.seq), (2, 4));
    }

    #[test]
    fn illegal_transition_changes_nothing() {
        let mut o = Order::new(request(1, OrderType::Limit)).unwrap();
        let before = o.clone();
        let err = o.apply(&OrderEvent::VenueAck).unwrap_err();
        assert_eq!(err.code(), "INVALID_TRANSITION");
        assert_eq!(o, before);
    }

    #[test]
    fn risk_reject_is_terminal() {
        let mut o = Order::new(request(1, OrderType::Limit)).unwrap();
        o.apply(&OrderEvent::RiskRejected { reason: 7 }).unwrap();
        assert_eq!(
            (o.status, o.reject_reason, o.leaves_qty()),
            (OrderStatus::Rejected, 7, 0)
        );
        for ev in [
            OrderEvent::VenueAck,
            OrderEvent::CancelRequested,
            OrderEvent::Expired,
        ] {
            assert!(o.apply(&ev).is_err());
        }
    }

    #[test]
    fn cancel_reject_restores_previous_state() {
        let mut o = working(OrderType::Limit);
        o.apply(&fill("e1", 3, 500)).unwrap();
        o.apply(&OrderEvent::CancelRequested).unwrap();
        assert_eq!(o.status, OrderStatus::PendingCancel);
        o.apply(&OrderEvent::CancelRejected).unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
    }

    #[test]
    fn replace_reject_restores_and_ack_applies_new_terms() {
        let mut o = working(OrderType::Limit);
        o.apply(&OrderEvent::ReplaceRequested {
            qty: 20,
            price: 510,
        })
        .unwrap();
        assert_eq!(o.pending_replace(), Some((20, 510)));
        o.apply(&OrderEvent::ReplaceRejected).unwrap();
        assert_eq!((o.status, o.qty, o.price), (OrderStatus::New, 10, 500));
        o.apply(&OrderEvent::ReplaceRequested {
            qty: 20,
            price: 510,
        })
        .unwrap();
        o.apply(&OrderEvent::ReplaceAcked).unwrap();
        assert_eq!(
            (o.status, o.qty, o.price, o.leaves_qty()),
            (OrderStatus::New, 20, 510, 20)
        );
    }

    #[test]
    fn replace_below_filled_quantity_is_refused() {
        let mut o = working(OrderType::Limit);
        o.apply(&fill("e1", 5, 500)).unwrap();
        let err = o
            .apply(&OrderEvent::ReplaceRequested { qty: 5, price: 500 })
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_QUANTITY");
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
    }

    #[test]
    fn fill_during_pending_replace_that_reaches_new_qty_completes_on_ack() {
        let mut o = working(OrderType::Limit);
        o.apply(&OrderEvent::ReplaceRequested { qty: 6, price: 500 })
            .unwrap();
        o.apply(&fill("e1", 7, 500)).unwrap();
        assert_eq!(o.status, OrderStatus::PendingReplace);
        o.apply(&OrderEvent::ReplaceAcked).unwrap();
        assert_eq!((o.status, o.qty, o.cum_qty), (OrderStatus::Filled, 7, 7));
    }

    #[test]
    fn overfill_changes_nothing() {
        let mut o = working(OrderType::Limit);
        let before = o.clone();
        let err = o.apply(&fill("e1", 11, 500)).unwrap_err();
        assert_eq!(
            err,
            OmsError::Overfill {
                fill: 11,
                leaves: 10
            }
        );
        assert_eq!(o, before);
    }

    #[test]
    fn fees_that_would_overflow_are_refused_and_change_nothing() {
        let mut o = working(OrderType::Limit);
        let mut big = Fill {
            exec_id: "e1".into(),
            qty: 1,
            price: 500,
            fee: i64::MAX,
            liquidity: Liquidity::Taker,
        };
        o.apply(&OrderEvent::Fill(big.clone())).unwrap();
        let before = o.clone();
        big.exec_id = "e2".into();
        let err = o.apply(&OrderEvent::Fill(big)).unwrap_err();
        assert_eq!(err.code(), "NUMBER_OVERFLOW");
        assert_eq!(o, before);
    }

    #[test]
    fn repeated_exec_id_is_a_duplicate_and_changes_nothing() {
        let mut o = working(OrderType::Limit);
        o.apply(&fill("e1", 2, 500)).unwrap();
        let before = o.clone();
        assert_eq!(o.apply(&fill("e1", 2, 500)).unwrap(), Applied::Duplicate);
        assert_eq!(o, before);
    }

    #[test]
    fn late_fill_after_cancel_is_booked_and_flagged() {
        let mut o = working(OrderType::Limit);
        o.apply(&OrderEvent::CancelRequested).unwrap();
        o.apply(&OrderEvent::CancelAcked).unwrap();
        assert_eq!(o.apply(&fill("e9", 3, 500)).unwrap(), Applied::LateFill);
        assert_eq!(
            (o.status, o.cum_qty, o.late_fill),
            (OrderStatus::Canceled, 3, true)
        );
        assert_eq!(o.leaves_qty(), 0);
    }

    #[test]
    fn fill_during_pending_cancel_keeps_pending_until_filled() {
        let mut o = working(OrderType::Limit);
        o.apply(&OrderEvent::CancelRequested).unwrap();
        o.apply(&fill("e1", 4, 500)).unwrap();
        assert_eq!(o.status, OrderStatus::PendingCancel);
        o.apply(&fill("e2", 6, 500)).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
        assert!(o.apply(&OrderEvent::CancelAcked).is_err());
    }

    #[test]
    fn stop_orders_fill_only_after_the_trigger() {
        let mut o = working(OrderType::StopMarket);
        assert_eq!(
            o.apply(&fill("e1", 1, 450)).unwrap_err().code(),
            "INVALID_TRANSITION"
        );
        o.apply(&OrderEvent::StopTriggered).unwrap();
        assert!(o.apply(&OrderEvent::StopTriggered).is_err());
        o.apply(&fill("e1", 10, 450)).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
    }

    #[test]
    fn market_orders_cannot_be_amended() {
        let mut o = working(OrderType::Market);
        let err = o
            .apply(&OrderEvent::ReplaceRequested { qty: 20, price: 1 })
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_ARGUMENT");
    }

    #[test]
    fn expired_ioc_remainder_is_terminal_with_no_leaves() {
        let mut o = working(OrderType::Limit);
        o.apply(&fill("e1", 4, 500)).unwrap();
        o.apply(&OrderEvent::Expired).unwrap();
        assert_eq!(
            (o.status, o.cum_qty, o.leaves_qty()),
            (OrderStatus::Expired, 4, 0)
        );
    }

    #[test]
    fn requests_are_validated() {
        let mut r = request(1, OrderType::Limit);
        r.price = 0;
        assert_eq!(Order::new(r).unwrap_err().code(), "INVALID_PRICE");
        let mut r = request(1, OrderType::Market);
        r.time_in_force = TimeInForce::Gtx;
        assert_eq!(Order::new(r).unwrap_err().code(), "INVALID_ARGUMENT");
        assert!(ClientOrderId::new("").is_err());
        assert!(ClientOrderId::new(&"x".repeat(37)).is_err());
        assert!(ClientOrderId::new("has space").is_err());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn event() -> impl Strategy<Value = OrderEvent> {
            prop_oneof![
                Just(OrderEvent::RiskAccepted),
                (1u16..5).prop_map(|reason| OrderEvent::RiskRejected { reason }),
                Just(OrderEvent::VenueAck),
                (1u16..5).prop_map(|reason| OrderEvent::VenueReject { reason }),
                (0u8..12, -1i64..8, 0i64..600).prop_map(|(id, qty, price)| OrderEvent::Fill(
                    Fill {
                        exec_id: format!("e{id}").into(),
                        qty,
                        price,
                        fee: 1,
                        liquidity: Liquidity::Maker,
                    }
                )),
                Just(OrderEvent::CancelRequested),
                Just(OrderEvent::CancelAcked),
                Just(OrderEvent::CancelRejected),
                (0i64..15, 0i64..600)
                    .prop_map(|(qty, price)| OrderEvent::ReplaceRequested { qty, price }),
                Just(OrderEvent::ReplaceAcked),
                Just(OrderEvent::ReplaceRejected),
                Just(OrderEvent::Expired),
                Just(OrderEvent::StopTriggered),
            ]
        }

        fn order_type() -> impl Strategy<Value = OrderType> {
            prop::sample::select(OrderType::ALL)
        }

        proptest! {
            #[test]
            fn invariants_hold_for_any_event_sequence(
                ty in order_type(),
                events in prop::collection::vec(event(), 0..60),
            ) {
                let mut o = Order::new(request(1, ty)).unwrap();
                for ev in &events {
                    let before = o.clone();
                    match o.apply(ev) {
                        Err(_) => prop_assert_eq!(&o, &before),
                        Ok(Applied::Duplicate) => prop_assert_eq!(&o, &before),
                        Ok(_) => {
                            prop_assert_eq!(o.seq, before.seq + 1);
                            // Terminal states never change (a late fill keeps the state).
                            if before.status.is_terminal() {
                                prop_assert_eq!(o.status, before.status);
                                prop_assert!(matches!(ev, OrderEvent::Fill(_)));
                            }
                        }
                    }
                    prop_assert!(o.cum_qty <= o.qty);
                    if !o.status.is_terminal() {
                        prop_assert_eq!(o.cum_qty + o.leaves_qty(), o.qty);
                    }
                    if o.status == OrderStatus::Filled {
                        prop_assert_eq!(o.cum_qty, o.qty);
                    }
                    if !o.status.is_terminal() {
                        prop_assert!(o.cum_qty < o.qty);
                    }
                    prop_assert_eq!(o.exec_ids.len() as u64 <= o.seq, true);
                }
            }
        }
    }
}
