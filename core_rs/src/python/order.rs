//! Python face of [`crate::order`] and [`crate::order_table`].
//!
//! Per-call methods take ticks and lots as Python ints (the hot path); `apply_batch` takes
//! numpy columns and does the whole batch in Rust.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::prelude::*;

use super::convert;
use super::enums::{Applied, Liquidity, OrderStatus, OrderType, Side, TimeInForce};
use super::instrument::Instrument;
use crate::error::OmsError;
use crate::order::{self as domain, EventColumns, EventKind, OrderEvent};
use crate::order_table;

/// Error codes of `OrderTable.apply_batch`, by negative result value: `-1` is the first.
pub const BATCH_ERRORS: [&str; 7] = [
    "INVALID_TRANSITION",
    "OVERFILL",
    "UNKNOWN_ORDER",
    "INVALID_QUANTITY",
    "INVALID_PRICE",
    "INVALID_ARGUMENT",
    "OMS_ERROR",
];

fn batch_code(result: &crate::Result<domain::Applied>) -> i8 {
    match result {
        Ok(applied) => *applied as i8,
        Err(e) => {
            let idx = BATCH_ERRORS
                .iter()
                .position(|c| *c == e.code())
                .unwrap_or(6);
            i8::try_from(idx).map_or(i8::MIN, |i| -i - 1)
        }
    }
}

/// A snapshot of one order (prices in ticks, sizes in lots, fees in money atoms).
#[pyclass(name = "OrderView", module = "oms_core", frozen, get_all)]
pub struct OrderView {
    order_id: u64,
    client_order_id: String,
    account: u32,
    instrument: u32,
    side: Side,
    order_type: OrderType,
    time_in_force: TimeInForce,
    reduce_only: bool,
    status: OrderStatus,
    risk_accepted: bool,
    triggered: bool,
    late_fill: bool,
    reject_reason: u16,
    qty: i64,
    price: i64,
    stop_price: i64,
    cum_qty: i64,
    leaves_qty: i64,
    cum_notional: i128,
    fees: i64,
    last_qty: i64,
    last_price: i64,
    seq: u64,
    pending_replace: Option<(i64, i64)>,
}

impl From<&domain::Order> for OrderView {
    fn from(o: &domain::Order) -> Self {
        Self {
            order_id: o.order_id,
            client_order_id: o.client_order_id.as_str().to_owned(),
            account: o.account,
            instrument: o.instrument,
            side: o.side.into(),
            order_type: o.order_type.into(),
            time_in_force: o.time_in_force.into(),
            reduce_only: o.reduce_only,
            status: o.status.into(),
            risk_accepted: o.risk_accepted,
            triggered: o.triggered,
            late_fill: o.late_fill,
            reject_reason: o.reject_reason,
            qty: o.qty,
            price: o.price,
            stop_price: o.stop_price,
            cum_qty: o.cum_qty,
            leaves_qty: o.leaves_qty(),
            cum_notional: o.cum_notional,
            fees: o.fees,
            last_qty: o.last_qty,
            last_price: o.last_price,
            seq: o.seq,
            pending_replace: o.pending_replace(),
        }
    }
}

/// Extra decimals of an average price beyond the instrument's price decimals.
const AVG_PRICE_EXTRA_DECIMALS: u32 = 8;

#[pymethods]
impl OrderView {
    /// Volume-weighted average fill price as a Decimal (8 digits beyond the instrument's
    /// price decimals, rounded half to even), or None before the first fill.
    fn avg_price<'py>(
        &self,
        py: Python<'py>,
        instrument: &Instrument,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.cum_qty == 0 {
            return Ok(None);
        }
        let inst = &instrument.inner;
        // Whole ticks and remainder first, so no intermediate product can overflow.
        let den = i128::from(self.cum_qty);
        let (ticks, rem) = (self.cum_notional / den, self.cum_notional % den);
        let unit = i128::from(inst.tick_size) * crate::fixed::pow10(AVG_PRICE_EXTRA_DECIMALS);
        let (frac, frac_rem) = ((rem * unit) / den, (rem * unit) % den);
        let q = ticks * unit + frac;
        let q = match (2 * frac_rem).cmp(&den) {
            std::cmp::Ordering::Greater => q + 1,
            std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
            _ => q,
        };
        convert::to_decimal(py, q, inst.price_decimals + AVG_PRICE_EXTRA_DECIMALS).map(Some)
    }

    fn __repr__(&self) -> String {
        format!(
            "OrderView(order_id={}, status={}, cum_qty={}, leaves_qty={}, seq={})",
            self.order_id,
            domain::OrderStatus::from(self.status).as_str(),
            self.cum_qty,
            self.leaves_qty,
            self.seq
        )
    }
}

/// Live orders keyed by order id and by (account, client order id).
#[pyclass(name = "OrderTable", module = "oms_core")]
pub struct OrderTable {
    inner: order_table::OrderTable,
}

impl OrderTable {
    fn event(&mut self, order_id: u64, event: &OrderEvent) -> PyResult<OrderStatus> {
        self.inner.apply(order_id, event)?;
        Ok(self
            .inner
            .get(order_id)
            .expect("just applied")
            .status
            .into())
    }
}

#[pymethods]
impl OrderTable {
    #[new]
    #[pyo3(signature = (capacity = 0))]
    fn new(capacity: usize) -> Self {
        Self {
            inner: order_table::OrderTable::with_capacity(capacity),
        }
    }

    /// Adds a new order in PENDING_NEW. Prices in ticks (0 where the type has none), size
    /// in lots. Raises DuplicateOrder if the id or the account's client order id is taken.
    #[pyo3(signature = (order_id, client_order_id, account, instrument, side, order_type,
        time_in_force, qty, price = 0, stop_price = 0, reduce_only = false))]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        order_id: u64,
        client_order_id: &str,
        account: u32,
        instrument: u32,
        side: Side,
        order_type: OrderType,
        time_in_force: TimeInForce,
        qty: i64,
        price: i64,
        stop_price: i64,
        reduce_only: bool,
    ) -> PyResult<()> {
        let req = domain::OrderRequest {
            order_id,
            client_order_id: domain::ClientOrderId::new(client_order_id)?,
            account,
            instrument,
            side: side.into(),
            order_type: order_type.into(),
            time_in_force: time_in_force.into(),
            qty,
            price,
            stop_price,
            reduce_only,
        };
        self.inner.insert(req)?;
        Ok(())
    }

    fn get(&self, order_id: u64) -> Option<OrderView> {
        self.inner.get(order_id).map(OrderView::from)
    }

    fn get_by_client_id(&self, account: u32, client_order_id: &str) -> Option<OrderView> {
        self.inner
            .get_by_client_id(account, client_order_id)
            .map(OrderView::from)
    }

    /// The current status alone (cheaper than `get`).
    fn status(&self, order_id: u64) -> PyResult<OrderStatus> {
        let order = self
            .inner
            .get(order_id)
            .ok_or_else(|| OmsError::UnknownOrder(order_id.to_string()))?;
        Ok(order.status.into())
    }

    fn risk_accept(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::RiskAccepted)
    }
    fn risk_reject(&mut self, order_id: u64, reason: u16) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::RiskRejected { reason })
    }
    fn venue_ack(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::VenueAck)
    }
    fn venue_reject(&mut self, order_id: u64, reason: u16) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::VenueReject { reason })
    }
    fn cancel_request(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::CancelRequested)
    }
    fn cancel_ack(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::CancelAcked)
    }
    fn cancel_reject(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::CancelRejected)
    }
    fn replace_request(&mut self, order_id: u64, qty: i64, price: i64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::ReplaceRequested { qty, price })
    }
    fn replace_ack(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::ReplaceAcked)
    }
    fn replace_reject(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::ReplaceRejected)
    }
    fn expire(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::Expired)
    }
    fn trigger_stop(&mut self, order_id: u64) -> PyResult<OrderStatus> {
        self.event(order_id, &OrderEvent::StopTriggered)
    }

    /// Books one execution. A repeated `exec_id` returns DUPLICATE and changes nothing; a
    /// fill after cancel/expiry returns LATE_FILL. Raises Overfill beyond the leaves.
    #[pyo3(signature = (order_id, exec_id, qty, price, fee = 0, liquidity = Liquidity::TAKER))]
    fn fill(
        &mut self,
        order_id: u64,
        exec_id: &str,
        qty: i64,
        price: i64,
        fee: i64,
        liquidity: Liquidity,
    ) -> PyResult<Applied> {
        let event = OrderEvent::Fill(domain::Fill {
            exec_id: exec_id.into(),
            qty,
            price,
            fee,
            liquidity: liquidity.into(),
        });
        Ok(self.inner.apply(order_id, &event)?.into())
    }

    /// Applies a batch of events given as columns, in order, and returns one int8 per event:
    /// an `Applied` value (≥ 0), or `-k` for the error `BATCH_ERRORS[k - 1]` (that event
    /// changed nothing; the rest of the batch still applies). `exec_ids` is only read for
    /// fills; `reasons` and `liquidity` default to zeros.
    #[pyo3(signature = (order_ids, kinds, qtys, prices, fees, exec_ids, reasons = None,
        liquidity = None))]
    #[allow(clippy::too_many_arguments)]
    fn apply_batch<'py>(
        &mut self,
        py: Python<'py>,
        order_ids: PyReadonlyArray1<'py, u64>,
        kinds: PyReadonlyArray1<'py, u8>,
        qtys: PyReadonlyArray1<'py, i64>,
        prices: PyReadonlyArray1<'py, i64>,
        fees: PyReadonlyArray1<'py, i64>,
        exec_ids: Vec<Option<String>>,
        reasons: Option<PyReadonlyArray1<'py, u16>>,
        liquidity: Option<PyReadonlyArray1<'py, u8>>,
    ) -> PyResult<Bound<'py, PyArray1<i8>>> {
        let (ids, kinds) = (order_ids.as_slice()?, kinds.as_slice()?);
        let (qtys, prices, fees) = (qtys.as_slice()?, prices.as_slice()?, fees.as_slice()?);
        let reasons = reasons.as_ref().map(|r| r.as_slice()).transpose()?;
        let liquidity = liquidity.as_ref().map(|l| l.as_slice()).transpose()?;
        let n = ids.len();
        let same = [
            kinds.len(),
            qtys.len(),
            prices.len(),
            fees.len(),
            exec_ids.len(),
        ]
        .iter()
        .chain(reasons.map(|r| r.len()).as_ref())
        .chain(liquidity.map(|l| l.len()).as_ref())
        .all(|&len| len == n);
        if !same {
            return Err(OmsError::InvalidArgument("batch columns differ in length".into()).into());
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let columns = EventColumns {
                qty: qtys[i],
                price: prices[i],
                fee: fees[i],
                reason: reasons.map_or(0, |r| r[i]),
                liquidity: liquidity.map_or(0, |l| l[i]),
                exec_id: exec_ids[i].as_deref().unwrap_or(""),
            };
            let result = EventKind::from_u8(kinds[i])
                .and_then(|k| OrderEvent::from_columns(k, columns))
                .and_then(|ev| self.inner.apply(ids[i], &ev));
            out.push(batch_code(&result));
        }
        Ok(PyArray1::from_vec(py, out))
    }

    /// Removes a terminal order (after it was persisted) and returns its final view.
    fn evict(&mut self, order_id: u64) -> PyResult<OrderView> {
        Ok(OrderView::from(&self.inner.evict(order_id)?))
    }

    /// Bytes allocated by the table's own structures (slab and indexes).
    fn allocated_bytes(&self) -> usize {
        self.inner.allocated_bytes()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }
}
