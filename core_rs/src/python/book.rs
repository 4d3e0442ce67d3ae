//! Python face of [`crate::book`] and [`crate::consolidated`].
//!
//! Hot calls take and return plain ints already in ticks and lots, so a call costs one PyO3
//! dispatch; batch calls take numpy columns and loop in Rust. A few convenience calls take
//! exact numbers (`str`, `int`, `Decimal`) through the instrument's grid, or return `Decimal`.

use std::borrow::Cow;
use std::sync::Arc;

use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use super::convert;
use super::instrument::Instrument;
use crate::book::{self as domain, Level, Side, UpdateColumns};
use crate::consolidated as merged;
use crate::error::OmsError;
use crate::fixed::Decimal;
use crate::instrument as inst;

/// Adds the book classes and the side codes `BID` and `ASK` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("BID", Side::Bid as u8)?;
    m.add("ASK", Side::Ask as u8)?;
    m.add("NO_PRICE", domain::NO_PRICE)?;
    m.add_class::<OrderBook>()?;
    m.add_class::<ConsolidatedBook>()?;
    Ok(())
}

/// `(bids, asks)` depth arrays.
type DepthPair<'py> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<i64>>);

static FRACTION: PyOnceLock<Py<PyType>> = PyOnceLock::new();

#[inline]
fn side_of(code: i64) -> PyResult<Side> {
    Ok(Side::from_code(code)?)
}

/// A sequence number from Python, which has no unsigned ints: negatives are refused.
fn seq_of(seq: i64) -> PyResult<u64> {
    u64::try_from(seq)
        .map_err(|_| OmsError::InvalidArgument(format!("sequence number {seq} is negative")).into())
}

/// A 1-d column as a slice, copied only when numpy hands us a strided view.
fn column<'a, T: numpy::Element + Copy>(array: &'a PyReadonlyArray1<'_, T>) -> Cow<'a, [T]> {
    match array.as_slice() {
        Ok(slice) => Cow::Borrowed(slice),
        Err(_) => Cow::Owned(array.as_array().iter().copied().collect()),
    }
}

/// The rows of an `(n, 2)` array of `[price_ticks, size_lots]` as levels.
fn levels_of(array: &PyReadonlyArray2<'_, i64>, name: &str) -> PyResult<Vec<Level>> {
    let view = array.as_array();
    if view.ncols() != 2 {
        let msg = format!("{name} must have shape (n, 2), got {:?}", array.shape());
        return Err(OmsError::InvalidArgument(msg).into());
    }
    Ok(view
        .rows()
        .into_iter()
        .map(|r| Level {
            price: r[0],
            size: r[1],
        })
        .collect())
}

/// A new `(rows, cols)` int64 array filled by `fill` in row-major order.
fn int_matrix<'py>(
    py: Python<'py>,
    rows: usize,
    cols: usize,
    fill: impl FnOnce(&mut [i64]),
) -> Bound<'py, PyArray2<i64>> {
    let array = PyArray2::<i64>::zeros(py, [rows, cols], false);
    // SAFETY: the array was just created, is C-contiguous and nothing else can reach it yet.
    // (`readwrite()` would be safe too, but its borrow tracking made `depth` ~50% slower.)
    fill(unsafe { array.as_slice_mut() }.expect("a new array is contiguous"));
    array
}

/// Levels as an `(n, 2)` array of `[price_ticks, size_lots]` rows.
fn level_matrix<'py>(
    py: Python<'py>,
    levels: impl ExactSizeIterator<Item = Level>,
) -> Bound<'py, PyArray2<i64>> {
    int_matrix(py, levels.len(), 2, |out| {
        for (row, level) in out.chunks_exact_mut(2).zip(levels) {
            row[0] = level.price;
            row[1] = level.size;
        }
    })
}

/// A size in lots from an exact number on the lot grid; zero (a delete) is allowed.
fn size_lots(inst: &inst::Instrument, size: &Bound<'_, PyAny>) -> PyResult<i64> {
    let text = convert::number_text(size)?;
    if Decimal::parse(&text)?.mantissa == 0 {
        return Ok(0);
    }
    Ok(inst.parse_qty(&text)? / inst.lot_size)
}

/// A market-by-price L2 book for one instrument at one venue.
///
/// Prices are ints in ticks and sizes ints in lots. Side codes are `BID` (0) and `ASK` (1).
/// A positive size at a price removes the other side's levels at or through it, so the book
/// never crosses. Sequenced calls ignore stale updates and raise `SequenceGap` on a gap.
#[pyclass(name = "OrderBook", module = "oms_core")]
pub struct OrderBook {
    inner: domain::OrderBook,
    instrument: Arc<inst::Instrument>,
}

#[pymethods]
impl OrderBook {
    #[new]
    fn new(instrument: &Bound<'_, Instrument>) -> Self {
        let instrument = instrument.get().inner.clone();
        Self {
            inner: domain::OrderBook::new(instrument.symbol.clone()),
            instrument,
        }
    }

    #[getter]
    fn symbol(&self) -> &str {
        self.inner.symbol()
    }

    #[getter]
    fn instrument(&self) -> Instrument {
        Instrument {
            inner: self.instrument.clone(),
        }
    }

    /// Sequence number of the last sequenced update or snapshot (0 for a new book).
    #[getter]
    fn seq(&self) -> u64 {
        self.inner.seq()
    }

    /// Sets the size at a price; size 0 deletes the level.
    fn apply(&mut self, side: i64, price_ticks: i64, size_lots: i64) -> PyResult<()> {
        Ok(self.inner.apply(side_of(side)?, price_ticks, size_lots)?)
    }

    /// `apply`, then `(best_bid_ticks, best_ask_ticks)` with `None` for an empty side.
    fn apply_top(
        &mut self,
        side: i64,
        price_ticks: i64,
        size_lots: i64,
    ) -> PyResult<(Option<i64>, Option<i64>)> {
        Ok(self
            .inner
            .apply_top(side_of(side)?, price_ticks, size_lots)?)
    }

    /// `apply` for update number `seq`: False if stale, `SequenceGap` if a number was skipped.
    fn apply_seq(
        &mut self,
        seq: i64,
        side: i64,
        price_ticks: i64,
        size_lots: i64,
    ) -> PyResult<bool> {
        Ok(self
            .inner
            .apply_seq(seq_of(seq)?, side_of(side)?, price_ticks, size_lots)?)
    }

    /// `apply` with an exact price and size (str, int or Decimal) on the instrument's grid.
    fn set_level(
        &mut self,
        side: i64,
        price: &Bound<'_, PyAny>,
        size: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let side = side_of(side)?;
        let ticks = convert::price_atoms(&self.instrument, price)? / self.instrument.tick_size;
        let lots = size_lots(&self.instrument, size)?;
        Ok(self.inner.apply(side, ticks, lots)?)
    }

    /// Applies numpy columns of updates in order; a bad entry rejects the batch unchanged.
    fn apply_batch(
        &mut self,
        sides: PyReadonlyArray1<'_, u8>,
        prices: PyReadonlyArray1<'_, i64>,
        sizes: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        let (sides, prices, sizes) = (column(&sides), column(&prices), column(&sizes));
        self.inner
            .apply_batch(&UpdateColumns::new(&sides, &prices, &sizes)?);
        Ok(())
    }

    /// `apply_batch`, returning an `(n, 2)` array of `[best_bid, best_ask]` ticks after each
    /// update, with `NO_PRICE` (0) for an empty side.
    fn apply_batch_top<'py>(
        &mut self,
        py: Python<'py>,
        sides: PyReadonlyArray1<'py, u8>,
        prices: PyReadonlyArray1<'py, i64>,
        sizes: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let (sides, prices, sizes) = (column(&sides), column(&prices), column(&sizes));
        let tops = self
            .inner
            .apply_batch_top(&UpdateColumns::new(&sides, &prices, &sizes)?);
        Ok(int_matrix(py, tops.len(), 2, |out| {
            out.copy_from_slice(tops.as_flattened());
        }))
    }

    /// Sequenced `apply_batch`: skips stale entries and returns how many were applied; a gap
    /// anywhere raises `SequenceGap` and changes nothing.
    fn apply_batch_seq(
        &mut self,
        seqs: PyReadonlyArray1<'_, i64>,
        sides: PyReadonlyArray1<'_, u8>,
        prices: PyReadonlyArray1<'_, i64>,
        sizes: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<usize> {
        let seqs = column(&seqs)
            .iter()
            .map(|&s| seq_of(s))
            .collect::<PyResult<Vec<u64>>>()?;
        let (sides, prices, sizes) = (column(&sides), column(&prices), column(&sizes));
        let updates = UpdateColumns::new(&sides, &prices, &sizes)?;
        Ok(self.inner.apply_batch_seq(&seqs, &updates)?)
    }

    /// Replaces the book with `(n, 2)` arrays of `[price_ticks, size_lots]` rows (any order)
    /// taken at sequence `seq`; a bad or crossed snapshot changes nothing.
    fn load_snapshot(
        &mut self,
        bids: PyReadonlyArray2<'_, i64>,
        asks: PyReadonlyArray2<'_, i64>,
        seq: i64,
    ) -> PyResult<()> {
        let (bids, asks) = (levels_of(&bids, "bids")?, levels_of(&asks, "asks")?);
        Ok(self.inner.load_snapshot(bids, asks, seq_of(seq)?)?)
    }

    /// `(price_ticks, size_lots)` of the best bid, or None.
    fn best_bid(&self) -> Option<(i64, i64)> {
        self.inner.best_bid().map(|l| (l.price, l.size))
    }

    /// `(price_ticks, size_lots)` of the best ask, or None.
    fn best_ask(&self) -> Option<(i64, i64)> {
        self.inner.best_ask().map(|l| (l.price, l.size))
    }

    /// Best ask − best bid in ticks, or None if a side is empty.
    fn spread(&self) -> Option<i64> {
        self.inner.spread()
    }

    /// Best bid + best ask in ticks: the mid price in half-ticks, exact. None if a side is empty.
    fn mid_half_ticks(&self) -> Option<i128> {
        self.inner.mid_half_ticks()
    }

    /// The mid price as an exact `Decimal` in the quote currency, or None.
    fn mid_price<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(twice) = self.inner.mid_half_ticks() else {
            return Ok(None);
        };
        // twice × tick / 2 in price atoms = twice × tick × 5 at one more decimal.
        let atoms = twice * i128::from(self.instrument.tick_size) * 5;
        convert::to_decimal(py, atoms, self.instrument.price_decimals + 1).map(Some)
    }

    /// Whether the best bid is at or above the best ask (never, after valid input).
    fn is_crossed(&self) -> bool {
        self.inner.is_crossed()
    }

    /// `(bids, asks)`: up to `n` levels per side as `(k, 2)` int64 arrays of
    /// `[price_ticks, size_lots]`, best first (bids descending, asks ascending).
    fn depth<'py>(&self, py: Python<'py>, n: usize) -> DepthPair<'py> {
        (
            level_matrix(py, self.inner.depth(Side::Bid, n)),
            level_matrix(py, self.inner.depth(Side::Ask, n)),
        )
    }

    /// Lots resting at a price (0 if there is no level).
    fn size_at(&self, side: i64, price_ticks: i64) -> PyResult<i64> {
        Ok(self.inner.size_at(side_of(side)?, price_ticks))
    }

    /// Number of price levels on a side.
    fn level_count(&self, side: i64) -> PyResult<usize> {
        Ok(self.inner.levels(side_of(side)?).len())
    }

    /// Taking `qty_lots` from `side_taken` (ASK for a buy): `(average price in ticks as an
    /// exact Fraction, worst price in ticks)`, or None if that side holds fewer lots.
    fn fill_price<'py>(
        &self,
        py: Python<'py>,
        side_taken: i64,
        qty_lots: i64,
    ) -> PyResult<Option<(Bound<'py, PyAny>, i64)>> {
        let Some(fill) = self.inner.fill_estimate(side_of(side_taken)?, qty_lots)? else {
            return Ok(None);
        };
        let fraction = FRACTION.import(py, "fractions", "Fraction")?;
        Ok(Some((
            fraction.call1((fill.notional, fill.qty))?,
            fill.worst_price,
        )))
    }

    fn __repr__(&self) -> String {
        let (bid, ask) = self.inner.top_prices();
        format!(
            "OrderBook({:?}, bid={bid:?}, ask={ask:?}, seq={})",
            self.inner.symbol(),
            self.inner.seq()
        )
    }
}

/// One instrument's books at several venues, merged: top of book, depth and per-venue shares.
///
/// Each venue's book follows `OrderBook`'s rules; venues may cross each other, which
/// `is_crossed` reports. Venues are listed in the order they first appeared.
#[pyclass(name = "ConsolidatedBook", module = "oms_core")]
pub struct ConsolidatedBook {
    inner: merged::ConsolidatedBook,
    instrument: Arc<inst::Instrument>,
}

impl ConsolidatedBook {
    fn venue_names(&self, indices: impl IntoIterator<Item = usize>) -> Vec<String> {
        let names: Vec<&str> = self.inner.venues().collect();
        indices.into_iter().map(|v| names[v].to_owned()).collect()
    }

    fn top(&self, side: Side) -> Option<(i64, i64, Vec<String>)> {
        let top = self.inner.best(side)?;
        Some((top.price, top.size, self.venue_names(top.venues)))
    }
}

#[pymethods]
impl ConsolidatedBook {
    #[new]
    fn new(instrument: &Bound<'_, Instrument>) -> Self {
        let instrument = instrument.get().inner.clone();
        Self {
            inner: merged::ConsolidatedBook::new(instrument.symbol.clone()),
            instrument,
        }
    }

    #[getter]
    fn symbol(&self) -> &str {
        self.inner.symbol()
    }

    #[getter]
    fn instrument(&self) -> Instrument {
        Instrument {
            inner: self.instrument.clone(),
        }
    }

    /// Venue names, in the order their columns appear in `depth_by_venue`.
    fn venues(&self) -> Vec<String> {
        self.inner.venues().map(str::to_owned).collect()
    }

    /// Sets `venue`'s size at a price (size 0 deletes); a new venue is added on first use.
    fn update(&mut self, venue: &str, side: i64, price_ticks: i64, size_lots: i64) -> PyResult<()> {
        Ok(self
            .inner
            .update(venue, side_of(side)?, price_ticks, size_lots)?)
    }

    /// `OrderBook.apply_seq` on `venue`'s book.
    fn update_seq(
        &mut self,
        venue: &str,
        seq: i64,
        side: i64,
        price_ticks: i64,
        size_lots: i64,
    ) -> PyResult<bool> {
        Ok(self
            .inner
            .update_seq(venue, seq_of(seq)?, side_of(side)?, price_ticks, size_lots)?)
    }

    /// `OrderBook.apply_batch` on `venue`'s book.
    fn update_batch(
        &mut self,
        venue: &str,
        sides: PyReadonlyArray1<'_, u8>,
        prices: PyReadonlyArray1<'_, i64>,
        sizes: PyReadonlyArray1<'_, i64>,
    ) -> PyResult<()> {
        let (sides, prices, sizes) = (column(&sides), column(&prices), column(&sizes));
        let updates = UpdateColumns::new(&sides, &prices, &sizes)?;
        Ok(self.inner.update_batch(venue, &updates)?)
    }

    /// `OrderBook.load_snapshot` on `venue`'s book.
    fn load_snapshot(
        &mut self,
        venue: &str,
        bids: PyReadonlyArray2<'_, i64>,
        asks: PyReadonlyArray2<'_, i64>,
        seq: i64,
    ) -> PyResult<()> {
        let (bids, asks) = (levels_of(&bids, "bids")?, levels_of(&asks, "asks")?);
        Ok(self.inner.load_snapshot(venue, bids, asks, seq_of(seq)?)?)
    }

    /// Drops a venue and its levels; returns whether it was there.
    fn remove_venue(&mut self, venue: &str) -> bool {
        self.inner.remove_venue(venue)
    }

    /// The venue's sequence number; `InvalidArgument` for an unknown venue.
    fn venue_seq(&self, venue: &str) -> PyResult<u64> {
        Ok(self.inner.venue_seq(venue)?)
    }

    /// `(price_ticks, total_lots, venues at that price)` of the best bid across venues, or None.
    fn best_bid(&self) -> Option<(i64, i64, Vec<String>)> {
        self.top(Side::Bid)
    }

    /// `(price_ticks, total_lots, venues at that price)` of the best ask across venues, or None.
    fn best_ask(&self) -> Option<(i64, i64, Vec<String>)> {
        self.top(Side::Ask)
    }

    /// Best ask − best bid across venues in ticks; negative when venues cross.
    fn spread(&self) -> Option<i64> {
        self.inner.spread()
    }

    /// Whether some venue bids at or above another's ask.
    fn is_crossed(&self) -> bool {
        self.inner.is_crossed()
    }

    /// `(bids, asks)` like `OrderBook.depth`, with sizes summed over venues.
    fn depth<'py>(&self, py: Python<'py>, n: usize) -> DepthPair<'py> {
        let side_matrix = |side| {
            let d = self.inner.depth(side, n);
            let levels = d
                .prices
                .iter()
                .zip(&d.totals)
                .map(|(&price, &size)| Level { price, size });
            level_matrix(py, levels)
        };
        (side_matrix(Side::Bid), side_matrix(Side::Ask))
    }

    /// Up to `n` levels of a side, best first, as a `(k, 1 + len(venues()))` int64 array:
    /// the price in ticks, then each venue's lots at it in `venues()` order.
    fn depth_by_venue<'py>(
        &self,
        py: Python<'py>,
        side: i64,
        n: usize,
    ) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let d = self.inner.depth(side_of(side)?, n);
        let cols = 1 + d.venue_count;
        Ok(int_matrix(py, d.prices.len(), cols, |out| {
            for (i, row) in out.chunks_exact_mut(cols).enumerate() {
                row[0] = d.prices[i];
                row[1..].copy_from_slice(&d.by_venue[i * d.venue_count..(i + 1) * d.venue_count]);
            }
        }))
    }

    /// `{venue: lots}` for the venues with size at a price.
    fn level<'py>(
        &self,
        py: Python<'py>,
        side: i64,
        price_ticks: i64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let names: Vec<&str> = self.inner.venues().collect();
        let dict = PyDict::new(py);
        for (v, size) in self.inner.level(side_of(side)?, price_ticks) {
            dict.set_item(names[v], size)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!(
            "ConsolidatedBook({:?}, venues={:?})",
            self.inner.symbol(),
            self.venues()
        )
    }
}
