//! Market-by-price L2 order book of one venue: prices in ticks, sizes in lots, both `i64`.
//!
//! Each side is a `Vec` of levels sorted so that the best level is the last one. Feed updates
//! land near the top of the book, so an insert or delete moves only the few levels above it,
//! the best price is one load away, and a level is found by binary search.
//!
//! Crossing policy: valid input never leaves the book crossed or locked. A positive size at a
//! price removes every level on the other side at or through that price. A venue cannot show a
//! resting bid at or above a resting ask, so those opposite levels have traded or been pulled
//! and their deletes are simply late (feeds do deliver them in that order).
//!
//! Sequencing: a book remembers the sequence number of the last update applied through
//! [`OrderBook::apply_seq`] or of its snapshot. Older updates are stale and ignored; an update
//! that skips a number is a gap, changes nothing and tells the caller to reload a snapshot.
//! A new book is at sequence 0, so a feed numbered from 1 needs no snapshot first.

use crate::error::{OmsError, Result};

/// Stands for "no price" in flat integer outputs such as [`OrderBook::apply_batch_top`]; real
/// prices are always positive, so 0 cannot be mistaken for one.
pub const NO_PRICE: i64 = 0;

/// The side of a book. Its wire code (`as u8`) is 0 for bids and 1 for asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Bid = 0,
    Ask = 1,
}

impl Side {
    /// The side with wire code `code`, or `InvalidArgument`.
    #[inline]
    pub fn from_code(code: i64) -> Result<Self> {
        match code {
            0 => Ok(Self::Bid),
            1 => Ok(Self::Ask),
            _ => Err(OmsError::InvalidArgument(format!(
                "side must be 0 (bid) or 1 (ask), got {code}"
            ))),
        }
    }

    /// Whether `a` is a strictly better price than `b` on this side.
    #[inline]
    pub fn is_better(self, a: i64, b: i64) -> bool {
        match self {
            Self::Bid => a > b,
            Self::Ask => a < b,
        }
    }
}

/// One price level: the total size resting at a price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub price: i64,
    pub size: i64,
}

/// Checks one level update: the price must be positive and the size not negative (0 deletes).
#[inline]
pub fn check_update(price: i64, size: i64) -> Result<()> {
    if price <= 0 {
        return Err(OmsError::InvalidPrice(format!(
            "price {price} ticks is not positive"
        )));
    }
    if size < 0 {
        return Err(OmsError::InvalidQuantity(format!(
            "size {size} lots is negative"
        )));
    }
    Ok(())
}

/// Parallel columns of level updates (`sides[i]`, `prices[i]`, `sizes[i]` form update `i`),
/// all checked on construction so that applying them can no longer fail half-way.
#[derive(Debug, Clone, Copy)]
pub struct UpdateColumns<'a> {
    sides: &'a [u8],
    prices: &'a [i64],
    sizes: &'a [i64],
}

impl<'a> UpdateColumns<'a> {
    pub fn new(sides: &'a [u8], prices: &'a [i64], sizes: &'a [i64]) -> Result<Self> {
        if sides.len() != prices.len() || sides.len() != sizes.len() {
            return Err(OmsError::InvalidArgument(format!(
                "column lengths differ: {} sides, {} prices, {} sizes",
                sides.len(),
                prices.len(),
                sizes.len()
            )));
        }
        for (i, ((&side, &price), &size)) in sides.iter().zip(prices).zip(sizes).enumerate() {
            let at = |e: OmsError| with_index(i, e);
            Side::from_code(side.into()).map_err(at)?;
            check_update(price, size).map_err(at)?;
        }
        Ok(Self {
            sides,
            prices,
            sizes,
        })
    }

    pub fn len(&self) -> usize {
        self.sides.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sides.is_empty()
    }

    #[inline]
    fn get(&self, i: usize) -> (Side, i64, i64) {
        let side = if self.sides[i] == 0 {
            Side::Bid
        } else {
            Side::Ask
        };
        (side, self.prices[i], self.sizes[i])
    }
}

/// The same error, its message prefixed with the index of the batch entry that caused it.
fn with_index(i: usize, e: OmsError) -> OmsError {
    match e {
        OmsError::InvalidArgument(m) => OmsError::InvalidArgument(format!("update {i}: {m}")),
        OmsError::InvalidPrice(m) => OmsError::InvalidPrice(format!("update {i}: {m}")),
        OmsError::InvalidQuantity(m) => OmsError::InvalidQuantity(format!("update {i}: {m}")),
        other => other,
    }
}

/// What taking a quantity from one side of the book would cost, walking from the best level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillEstimate {
    /// Lots taken (the quantity asked for).
    pub qty: i64,
    /// Σ price × size over the levels taken, in ticks × lots; `notional / qty` is the average
    /// price in ticks, exactly.
    pub notional: i128,
    /// The last (least favourable) price reached, in ticks.
    pub worst_price: i64,
}

/// One side's levels, best last: ascending prices for bids (`ASK = false`), descending for asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Ladder<const ASK: bool> {
    levels: Vec<Level>,
}

impl<const ASK: bool> Ladder<ASK> {
    /// A key that grows toward the best price, so both sides sort ascending.
    #[inline]
    fn rank(price: i64) -> i64 {
        if ASK {
            -price
        } else {
            price
        }
    }

    /// The index of `price`'s level, or the index where it would be inserted.
    ///
    /// A plain binary search: on feed-like streams it measured faster than scanning the top
    /// levels first, because the branches of a scan mispredict as often as the search's.
    #[inline]
    fn find(&self, price: i64) -> std::result::Result<usize, usize> {
        let key = Self::rank(price);
        self.levels
            .binary_search_by_key(&key, |l| Self::rank(l.price))
    }

    /// Sets the size at `price`; 0 removes the level.
    #[inline]
    fn set(&mut self, price: i64, size: i64) {
        match self.find(price) {
            Ok(i) if size == 0 => {
                self.levels.remove(i);
            }
            Ok(i) => self.levels[i].size = size,
            Err(i) if size != 0 => self.levels.insert(i, Level { price, size }),
            Err(_) => {}
        }
    }

    /// Removes every level at `price` or better (the levels an opposite order at `price` crosses).
    #[inline]
    fn remove_through(&mut self, price: i64) {
        let key = Self::rank(price);
        while self
            .levels
            .last()
            .is_some_and(|l| Self::rank(l.price) >= key)
        {
            self.levels.pop();
        }
    }

    /// Replaces the levels with `levels` (positive, distinct prices; any order).
    fn replace(&mut self, mut levels: Vec<Level>) {
        levels.sort_unstable_by_key(|l| Self::rank(l.price));
        self.levels = levels;
    }

    #[inline]
    fn best_price(&self) -> Option<i64> {
        self.levels.last().map(|l| l.price)
    }
}

/// The L2 book of one symbol at one venue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    symbol: String,
    bids: Ladder<false>,
    asks: Ladder<true>,
    seq: u64,
}

impl OrderBook {
    pub fn new(symbol: impl Into<String>) -> Self {
        Self {
            symbol: symbol.into(),
            bids: Ladder::default(),
            asks: Ladder::default(),
            seq: 0,
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// Sequence number of the last sequenced update or snapshot (0 for a new book).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Sets the size at `price` on `side` (0 deletes the level) and uncrosses the book.
    #[inline]
    pub fn apply(&mut self, side: Side, price: i64, size: i64) -> Result<()> {
        check_update(price, size)?;
        self.apply_checked(side, price, size);
        Ok(())
    }

    #[inline]
    fn apply_checked(&mut self, side: Side, price: i64, size: i64) {
        match side {
            Side::Bid => {
                self.bids.set(price, size);
                if size > 0 {
                    self.asks.remove_through(price);
                }
            }
            Side::Ask => {
                self.asks.set(price, size);
                if size > 0 {
                    self.bids.remove_through(price);
                }
            }
        }
    }

    /// [`apply`](Self::apply), then the best bid and ask prices, in one call.
    #[inline]
    pub fn apply_top(
        &mut self,
        side: Side,
        price: i64,
        size: i64,
    ) -> Result<(Option<i64>, Option<i64>)> {
        self.apply(side, price, size)?;
        Ok(self.top_prices())
    }

    /// Best bid and best ask prices.
    #[inline]
    pub fn top_prices(&self) -> (Option<i64>, Option<i64>) {
        (self.bids.best_price(), self.asks.best_price())
    }

    /// Applies every update in order (all were checked when the columns were built).
    pub fn apply_batch(&mut self, updates: &UpdateColumns<'_>) {
        for i in 0..updates.len() {
            let (side, price, size) = updates.get(i);
            self.apply_checked(side, price, size);
        }
    }

    /// Applies every update in order and returns `[best bid, best ask]` after each one, with
    /// [`NO_PRICE`] for an empty side.
    pub fn apply_batch_top(&mut self, updates: &UpdateColumns<'_>) -> Vec<[i64; 2]> {
        let mut tops = Vec::with_capacity(updates.len());
        for i in 0..updates.len() {
            let (side, price, size) = updates.get(i);
            self.apply_checked(side, price, size);
            let (bid, ask) = self.top_prices();
            tops.push([bid.unwrap_or(NO_PRICE), ask.unwrap_or(NO_PRICE)]);
        }
        tops
    }

    /// Applies an update numbered `seq`: `Ok(false)` if it is stale (not newer than
    /// [`seq`](Self::seq)), `SequenceGap` if it skips a number. The update is checked first.
    pub fn apply_seq(&mut self, seq: u64, side: Side, price: i64, size: i64) -> Result<bool> {
        check_update(price, size)?;
        if !is_next(self.seq, seq)? {
            return Ok(false);
        }
        self.apply_checked(side, price, size);
        self.seq = seq;
        Ok(true)
    }

    /// Applies the updates whose `seqs[i]` is next in sequence, skipping stale ones, and
    /// returns how many were applied. A gap anywhere rejects the whole batch unchanged.
    pub fn apply_batch_seq(&mut self, seqs: &[u64], updates: &UpdateColumns<'_>) -> Result<usize> {
        if seqs.len() != updates.len() {
            return Err(OmsError::InvalidArgument(format!(
                "{} sequence numbers for {} updates",
                seqs.len(),
                updates.len()
            )));
        }
        let mut last = self.seq;
        for &seq in seqs {
            if is_next(last, seq)? {
                last = seq;
            }
        }
        let mut applied = 0;
        for (i, &seq) in seqs.iter().enumerate() {
            // No gaps (checked above), so "newer" means "next".
            if seq > self.seq {
                let (side, price, size) = updates.get(i);
                self.apply_checked(side, price, size);
                self.seq = seq;
                applied += 1;
            }
        }
        Ok(applied)
    }

    /// Replaces the whole book with a snapshot taken at sequence `seq`.
    ///
    /// Levels may come in any order; prices must be positive and distinct per side, sizes
    /// positive, and the snapshot not crossed or locked. A bad snapshot changes nothing.
    pub fn load_snapshot(&mut self, bids: Vec<Level>, asks: Vec<Level>, seq: u64) -> Result<()> {
        let mut bid_ladder = Ladder::<false>::default();
        let mut ask_ladder = Ladder::<true>::default();
        bid_ladder.replace(bids);
        ask_ladder.replace(asks);
        check_snapshot_side("bid", &bid_ladder.levels)?;
        check_snapshot_side("ask", &ask_ladder.levels)?;
        if let (Some(bid), Some(ask)) = (bid_ladder.best_price(), ask_ladder.best_price()) {
            if bid >= ask {
                return Err(OmsError::InvalidArgument(format!(
                    "snapshot is crossed: best bid {bid} >= best ask {ask}"
                )));
            }
        }
        self.bids = bid_ladder;
        self.asks = ask_ladder;
        self.seq = seq;
        Ok(())
    }

    pub fn best_bid(&self) -> Option<Level> {
        self.bids.levels.last().copied()
    }

    pub fn best_ask(&self) -> Option<Level> {
        self.asks.levels.last().copied()
    }

    /// Best ask − best bid in ticks, when both sides have a level.
    pub fn spread(&self) -> Option<i64> {
        let (bid, ask) = self.top_prices();
        Some(ask? - bid?)
    }

    /// Best bid + best ask, i.e. the mid price in half-ticks (exact, never rounded).
    pub fn mid_half_ticks(&self) -> Option<i128> {
        let (bid, ask) = self.top_prices();
        Some(i128::from(bid?) + i128::from(ask?))
    }

    /// Whether the best bid is at or above the best ask (never true after valid input).
    pub fn is_crossed(&self) -> bool {
        matches!(self.top_prices(), (Some(bid), Some(ask)) if bid >= ask)
    }

    /// All levels of `side`, sorted with the best level last.
    pub fn levels(&self, side: Side) -> &[Level] {
        match side {
            Side::Bid => &self.bids.levels,
            Side::Ask => &self.asks.levels,
        }
    }

    /// Up to `n` levels of `side`, best first (bids descending, asks ascending).
    pub fn depth(&self, side: Side, n: usize) -> impl ExactSizeIterator<Item = Level> + '_ {
        self.levels(side).iter().rev().take(n).copied()
    }

    /// Size resting at `price` on `side` (0 when there is no level).
    pub fn size_at(&self, side: Side, price: i64) -> i64 {
        let found = match side {
            Side::Bid => self.bids.find(price).ok().map(|i| self.bids.levels[i].size),
            Side::Ask => self.asks.find(price).ok().map(|i| self.asks.levels[i].size),
        };
        found.unwrap_or(0)
    }

    /// The cost of taking `qty` lots from `side_taken` (asks for a buy), or `None` when that
    /// side holds fewer than `qty` lots in total.
    pub fn fill_estimate(&self, side_taken: Side, qty: i64) -> Result<Option<FillEstimate>> {
        if qty <= 0 {
            return Err(OmsError::InvalidQuantity(format!(
                "quantity {qty} lots is not positive"
            )));
        }
        let mut remaining = qty;
        let mut notional: i128 = 0;
        for level in self.levels(side_taken).iter().rev() {
            let take = remaining.min(level.size);
            notional += i128::from(level.price) * i128::from(take);
            remaining -= take;
            if remaining == 0 {
                return Ok(Some(FillEstimate {
                    qty,
                    notional,
                    worst_price: level.price,
                }));
            }
        }
        Ok(None)
    }
}

/// Whether update `seq` is the one after `last` (`true`) or stale (`false`); skipping ahead is
/// a `SequenceGap`. After `u64::MAX` every number is stale.
fn is_next(last: u64, seq: u64) -> Result<bool> {
    match last.checked_add(1) {
        Some(expected) if seq > expected => Err(OmsError::SequenceGap { expected, got: seq }),
        Some(expected) => Ok(seq == expected),
        None => Ok(false),
    }
}

/// Checks one side of a snapshot (sorted best last): prices first, then sizes, then duplicates,
/// so the error does not depend on the order of the rows.
fn check_snapshot_side(name: &str, levels: &[Level]) -> Result<()> {
    if let Some(l) = levels.iter().find(|l| l.price <= 0) {
        return Err(OmsError::InvalidPrice(format!(
            "snapshot {name} price {} ticks is not positive",
            l.price
        )));
    }
    if let Some(l) = levels.iter().find(|l| l.size <= 0) {
        return Err(OmsError::InvalidQuantity(format!(
            "snapshot {name} at {} ticks has size {}; snapshot sizes must be positive",
            l.price, l.size
        )));
    }
    if let Some(w) = levels.windows(2).find(|w| w[0].price == w[1].price) {
        return Err(OmsError::InvalidArgument(format!(
            "snapshot has two {name} levels at {} ticks",
            w[0].price
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn lv(price: i64, size: i64) -> Level {
        Level { price, size }
    }

    fn book_with(bids: &[(i64, i64)], asks: &[(i64, i64)]) -> OrderBook {
        let mut book = OrderBook::new("BTC-USDT");
        for &(p, s) in bids {
            book.apply(Side::Bid, p, s).unwrap();
        }
        for &(p, s) in asks {
            book.apply(Side::Ask, p, s).unwrap();
        }
        book
    }

    #[test]
    fn best_levels_and_depth_are_ordered_best_first() {
        let book = book_with(
            &[(100, 1), (98, 2), (99, 3)],
            &[(103, 4), (101, 5), (102, 6)],
        );
        assert_eq!(book.best_bid(), Some(lv(100, 1)));
        assert_eq!(book.best_ask(), Some(lv(101, 5)));
        assert_eq!(book.spread(), Some(1));
        assert_eq!(book.mid_half_ticks(), Some(201));
        let bids: Vec<_> = book.depth(Side::Bid, 2).collect();
        let asks: Vec<_> = book.depth(Side::Ask, 10).collect();
        assert_eq!(bids, vec![lv(100, 1), lv(99, 3)]);
        assert_eq!(asks, vec![lv(101, 5), lv(102, 6), lv(103, 4)]);
    }

    #[test]
    fn size_zero_deletes_the_level_and_unknown_deletes_are_no_ops() {
        let mut book = book_with(&[(100, 1), (99, 3)], &[]);
        book.apply(Side::Bid, 100, 0).unwrap();
        book.apply(Side::Bid, 50, 0).unwrap();
        assert_eq!(book.best_bid(), Some(lv(99, 3)));
        assert_eq!(book.levels(Side::Bid).len(), 1);
    }

    #[test]
    fn a_new_size_replaces_the_old_one() {
        let mut book = book_with(&[(100, 1)], &[]);
        book.apply(Side::Bid, 100, 7).unwrap();
        assert_eq!(book.size_at(Side::Bid, 100), 7);
    }

    #[test]
    fn bad_prices_sizes_and_sides_are_typed_errors_and_change_nothing() {
        let mut book = book_with(&[(100, 1)], &[]);
        let before = book.clone();
        assert_eq!(
            book.apply(Side::Bid, 0, 1).unwrap_err().code(),
            "INVALID_PRICE"
        );
        assert_eq!(
            book.apply(Side::Bid, -5, 1).unwrap_err().code(),
            "INVALID_PRICE"
        );
        assert_eq!(
            book.apply(Side::Ask, 5, -1).unwrap_err().code(),
            "INVALID_QUANTITY"
        );
        assert_eq!(Side::from_code(2).unwrap_err().code(), "INVALID_ARGUMENT");
        assert_eq!(book, before);
    }

    #[test]
    fn a_crossing_bid_removes_the_asks_it_crosses() {
        let mut book = book_with(&[(99, 1)], &[(100, 1), (101, 2), (102, 3)]);
        book.apply(Side::Bid, 101, 5).unwrap();
        assert_eq!(book.best_bid(), Some(lv(101, 5)));
        assert_eq!(book.best_ask(), Some(lv(102, 3)));
        assert!(!book.is_crossed());
    }

    #[test]
    fn a_locking_ask_removes_the_bid_at_its_price() {
        let mut book = book_with(&[(99, 1), (100, 1)], &[(101, 1)]);
        book.apply(Side::Ask, 100, 2).unwrap();
        assert_eq!(book.best_bid(), Some(lv(99, 1)));
        assert_eq!(book.best_ask(), Some(lv(100, 2)));
    }

    #[test]
    fn a_bad_batch_is_refused_whole_with_the_index_of_the_bad_update() {
        let err = UpdateColumns::new(&[0, 1], &[99, 0], &[1, 1]).unwrap_err();
        assert_eq!(err.code(), "INVALID_PRICE");
        assert!(err.to_string().contains("update 1"), "{err}");
        let bad_side = UpdateColumns::new(&[0, 2], &[9, 9], &[1, 1]).unwrap_err();
        assert_eq!(bad_side.code(), "INVALID_ARGUMENT");
        let short = UpdateColumns::new(&[0], &[9, 9], &[1, 1]).unwrap_err();
        assert_eq!(short.code(), "INVALID_ARGUMENT");
    }

    #[test]
    fn batch_top_reports_the_bbo_after_each_update_with_zero_for_empty() {
        let mut book = OrderBook::new("X");
        let cols = UpdateColumns::new(&[0, 1, 0], &[10, 12, 10], &[1, 1, 0]).unwrap();
        assert_eq!(
            book.apply_batch_top(&cols),
            vec![[10, NO_PRICE], [10, 12], [NO_PRICE, 12]]
        );
    }

    #[test]
    fn sequenced_updates_ignore_stale_and_refuse_gaps() {
        let mut book = OrderBook::new("X");
        assert!(book.apply_seq(1, Side::Bid, 10, 1).unwrap());
        assert!(!book.apply_seq(1, Side::Bid, 11, 1).unwrap());
        assert_eq!(
            book.apply_seq(3, Side::Bid, 12, 1).unwrap_err(),
            OmsError::SequenceGap {
                expected: 2,
                got: 3
            }
        );
        assert_eq!(book.seq(), 1);
        assert_eq!(book.best_bid(), Some(lv(10, 1)));
    }

    #[test]
    fn after_the_last_u64_every_sequence_number_is_stale() {
        let mut book = OrderBook::new("X");
        book.load_snapshot(vec![], vec![], u64::MAX).unwrap();
        assert!(!book.apply_seq(u64::MAX, Side::Bid, 10, 1).unwrap());
        assert_eq!(book.best_bid(), None);
    }

    #[test]
    fn a_batch_with_a_gap_changes_nothing() {
        let mut book = OrderBook::new("X");
        let cols = UpdateColumns::new(&[0, 0, 0], &[10, 11, 12], &[1, 1, 1]).unwrap();
        assert_eq!(
            book.apply_batch_seq(&[1, 2, 4], &cols).unwrap_err().code(),
            "SEQUENCE_GAP"
        );
        assert_eq!(book, OrderBook::new("X"));
        assert_eq!(book.apply_batch_seq(&[1, 1, 2], &cols).unwrap(), 2);
        assert_eq!(book.best_bid(), Some(lv(12, 1)));
        assert_eq!(book.size_at(Side::Bid, 11), 0);
    }

    #[test]
    fn snapshots_replace_the_book_and_bad_ones_are_refused() {
        let mut book = book_with(&[(1, 1)], &[(500, 1)]);
        book.load_snapshot(vec![lv(98, 1), lv(99, 2)], vec![lv(101, 3)], 41)
            .unwrap();
        assert_eq!(book.best_bid(), Some(lv(99, 2)));
        assert_eq!(book.size_at(Side::Ask, 500), 0);
        assert_eq!(book.seq(), 41);
        let before = book.clone();
        let crossed = book.load_snapshot(vec![lv(101, 1)], vec![lv(101, 1)], 50);
        assert_eq!(crossed.unwrap_err().code(), "INVALID_ARGUMENT");
        let dup = book.load_snapshot(vec![lv(9, 1), lv(9, 2)], vec![], 50);
        assert_eq!(dup.unwrap_err().code(), "INVALID_ARGUMENT");
        let empty = book.load_snapshot(vec![lv(9, 0)], vec![], 50);
        assert_eq!(empty.unwrap_err().code(), "INVALID_QUANTITY");
        assert_eq!(book, before);
    }

    #[test]
    fn fill_estimate_walks_the_book_and_reports_shortfall_as_none() {
        let book = book_with(&[], &[(100, 2), (101, 3)]);
        let fill = book.fill_estimate(Side::Ask, 4).unwrap().unwrap();
        assert_eq!(
            fill,
            FillEstimate {
                qty: 4,
                notional: 2 * 100 + 2 * 101,
                worst_price: 101
            }
        );
        assert_eq!(book.fill_estimate(Side::Ask, 6).unwrap(), None);
        assert_eq!(book.fill_estimate(Side::Bid, 1).unwrap(), None);
        assert_eq!(
            book.fill_estimate(Side::Ask, 0).unwrap_err().code(),
            "INVALID_QUANTITY"
        );
    }

    #[test]
    fn deep_books_find_every_level() {
        let mut book = OrderBook::new("X");
        for p in (1..=200).step_by(2) {
            book.apply(Side::Bid, p, p).unwrap();
        }
        book.apply(Side::Bid, 10, 5).unwrap();
        book.apply(Side::Bid, 11, 0).unwrap();
        assert_eq!(book.size_at(Side::Bid, 10), 5);
        assert_eq!(book.size_at(Side::Bid, 11), 0);
        assert_eq!(book.size_at(Side::Bid, 1), 1);
        assert!(book
            .levels(Side::Bid)
            .windows(2)
            .all(|w| w[0].price < w[1].price));
    }

    /// The reference: two ordered maps and the same crossing policy, written the obvious way.
    #[derive(Default)]
    struct Model {
        bids: BTreeMap<i64, i64>,
        asks: BTreeMap<i64, i64>,
    }

    impl Model {
        fn apply(&mut self, side: Side, price: i64, size: i64) {
            let (own, other) = match side {
                Side::Bid => (&mut self.bids, &mut self.asks),
                Side::Ask => (&mut self.asks, &mut self.bids),
            };
            if size == 0 {
                own.remove(&price);
                return;
            }
            own.insert(price, size);
            other.retain(|&p, _| match side {
                Side::Bid => p > price,
                Side::Ask => p < price,
            });
        }

        fn side(&self, side: Side) -> Vec<Level> {
            let map = match side {
                Side::Bid => &self.bids,
                Side::Ask => &self.asks,
            };
            let levels = map.iter().map(|(&price, &size)| Level { price, size });
            match side {
                Side::Bid => levels.rev().collect(),
                Side::Ask => levels.collect(),
            }
        }
    }

    fn side_strategy() -> impl Strategy<Value = Side> {
        prop_oneof![Just(Side::Bid), Just(Side::Ask)]
    }

    fn update_strategy() -> impl Strategy<Value = (Side, i64, i64)> {
        (
            side_strategy(),
            1i64..60,
            prop_oneof![1 => Just(0i64), 3 => 1i64..1_000],
        )
    }

    fn depth_of(book: &OrderBook, side: Side) -> Vec<Level> {
        book.depth(side, usize::MAX).collect()
    }

    proptest! {
        #[test]
        fn the_book_matches_the_ordered_map_model_and_never_crosses(
            updates in prop::collection::vec(update_strategy(), 0..400)
        ) {
            let mut book = OrderBook::new("X");
            let mut model = Model::default();
            for (side, price, size) in updates {
                book.apply(side, price, size).unwrap();
                model.apply(side, price, size);
                prop_assert!(!book.is_crossed());
                prop_assert_eq!(book.spread().map_or(1, i64::signum), 1);
            }
            prop_assert_eq!(depth_of(&book, Side::Bid), model.side(Side::Bid));
            prop_assert_eq!(depth_of(&book, Side::Ask), model.side(Side::Ask));
        }

        #[test]
        fn depth_is_strictly_sorted_best_first(
            updates in prop::collection::vec(update_strategy(), 0..300), n in 0usize..20
        ) {
            let mut book = OrderBook::new("X");
            for (side, price, size) in updates {
                book.apply(side, price, size).unwrap();
            }
            let bids: Vec<_> = book.depth(Side::Bid, n).collect();
            let asks: Vec<_> = book.depth(Side::Ask, n).collect();
            prop_assert!(bids.len() <= n && asks.len() <= n);
            prop_assert!(bids.windows(2).all(|w| w[0].price > w[1].price));
            prop_assert!(asks.windows(2).all(|w| w[0].price < w[1].price));
            prop_assert!(bids.iter().chain(&asks).all(|l| l.size > 0));
        }

        #[test]
        fn a_batch_equals_the_same_single_updates(
            updates in prop::collection::vec(update_strategy(), 0..300)
        ) {
            let sides: Vec<u8> = updates.iter().map(|u| u.0 as u8).collect();
            let prices: Vec<i64> = updates.iter().map(|u| u.1).collect();
            let sizes: Vec<i64> = updates.iter().map(|u| u.2).collect();
            let cols = UpdateColumns::new(&sides, &prices, &sizes).unwrap();
            let mut batched = OrderBook::new("X");
            let tops = batched.apply_batch_top(&cols);
            let mut plain_batch = OrderBook::new("X");
            plain_batch.apply_batch(&cols);
            let mut single = OrderBook::new("X");
            for (i, &(side, price, size)) in updates.iter().enumerate() {
                let (bid, ask) = single.apply_top(side, price, size).unwrap();
                prop_assert_eq!(tops[i], [bid.unwrap_or(NO_PRICE), ask.unwrap_or(NO_PRICE)]);
            }
            prop_assert_eq!(&batched, &single);
            prop_assert_eq!(&plain_batch, &single);
        }

        #[test]
        fn sequenced_batches_equal_sequenced_single_updates(
            updates in prop::collection::vec(update_strategy(), 0..100),
            steps in prop::collection::vec(0u64..3, 100),
        ) {
            // Steps of 0 repeat a number (stale), 1 is the next one, 2 skips one (a gap).
            let mut seqs = Vec::with_capacity(updates.len());
            let mut seq = 0;
            for step in steps.iter().take(updates.len()) {
                seq += step;
                seqs.push(seq);
            }
            let sides: Vec<u8> = updates.iter().map(|u| u.0 as u8).collect();
            let prices: Vec<i64> = updates.iter().map(|u| u.1).collect();
            let sizes: Vec<i64> = updates.iter().map(|u| u.2).collect();
            let cols = UpdateColumns::new(&sides, &prices, &sizes).unwrap();
            let mut batched = OrderBook::new("X");
            let batch_result = batched.apply_batch_seq(&seqs, &cols);
            let mut single = OrderBook::new("X");
            let mut single_result = Ok(0);
            for (i, &(side, price, size)) in updates.iter().enumerate() {
                match single.apply_seq(seqs[i], side, price, size) {
                    Ok(applied) => single_result = single_result.map(|n| n + usize::from(applied)),
                    Err(e) => { single_result = Err(e); break; }
                }
            }
            match single_result {
                Ok(n) => {
                    prop_assert_eq!(batch_result, Ok(n));
                    prop_assert_eq!(&batched, &single);
                }
                Err(e) => {
                    prop_assert_eq!(batch_result.unwrap_err().code(), e.code());
                    prop_assert_eq!(&batched, &OrderBook::new("X"));
                }
            }
        }

        #[test]
        fn a_snapshot_of_the_depth_rebuilds_the_same_book(
            updates in prop::collection::vec(update_strategy(), 0..200), seq in 0u64..1000
        ) {
            let mut book = OrderBook::new("X");
            for (side, price, size) in updates {
                book.apply(side, price, size).unwrap();
            }
            let mut copy = OrderBook::new("X");
            copy.load_snapshot(depth_of(&book, Side::Bid), depth_of(&book, Side::Ask), seq).unwrap();
            prop_assert_eq!(depth_of(&copy, Side::Bid), depth_of(&book, Side::Bid));
            prop_assert_eq!(depth_of(&copy, Side::Ask), depth_of(&book, Side::Ask));
            prop_assert_eq!(copy.seq(), seq);
        }

        #[test]
        fn fill_estimates_match_a_level_by_level_walk(
            updates in prop::collection::vec(update_strategy(), 0..200), qty in 1i64..5_000
        ) {
            let mut book = OrderBook::new("X");
            for (side, price, size) in updates {
                book.apply(side, price, size).unwrap();
            }
            for side in [Side::Bid, Side::Ask] {
                let levels = depth_of(&book, side);
                let total: i64 = levels.iter().map(|l| l.size).sum();
                match book.fill_estimate(side, qty).unwrap() {
                    None => prop_assert!(total < qty),
                    Some(fill) => {
                        let mut left = qty;
                        let mut notional = 0i128;
                        let mut worst = 0;
                        for l in &levels {
                            if left == 0 { break; }
                            let take = left.min(l.size);
                            notional += i128::from(l.price * take);
                            left -= take;
                            worst = l.price;
                        }
                        prop_assert_eq!(fill, FillEstimate { qty, notional, worst_price: worst });
                    }
                }
            }
        }
    }
}
