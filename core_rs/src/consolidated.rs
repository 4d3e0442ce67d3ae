//! One symbol's L2 books from several venues, merged into a consolidated view.
//!
//! Each venue keeps its own [`OrderBook`] (so each is uncrossed and sequenced on its own) and
//! venues are small dense indices into a `Vec`, in the order they first appeared. The merged
//! view is computed on demand by walking the venues' best levels together: with a handful of
//! venues that is cheaper than maintaining a second, aggregated copy on every update, and it
//! leaves one source of truth.
//!
//! Venues may cross each other (a bid on one above an ask on another is an arbitrage, not a
//! feed error), so the consolidated book is never uncrossed; [`ConsolidatedBook::is_crossed`]
//! reports it. Aggregated sizes saturate at `i64::MAX` rather than wrap.

use crate::book::{Level, OrderBook, Side, UpdateColumns};
use crate::error::{OmsError, Result};

/// The best price on one side across venues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolidatedTop {
    pub price: i64,
    /// Size at `price` summed over venues.
    pub size: i64,
    /// Indices of the venues quoting `price`, ascending.
    pub venues: Vec<usize>,
}

/// Merged levels of one side, best first, with each venue's share.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MergedDepth {
    pub venue_count: usize,
    pub prices: Vec<i64>,
    /// Size at `prices[i]` summed over venues.
    pub totals: Vec<i64>,
    /// `by_venue[i * venue_count + v]` is venue `v`'s size at `prices[i]` (0 if none).
    pub by_venue: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct VenueBook {
    name: String,
    book: OrderBook,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsolidatedBook {
    symbol: String,
    venues: Vec<VenueBook>,
}

impl ConsolidatedBook {
    pub fn new(symbol: impl Into<String>) -> Self {
        Self {
            symbol: symbol.into(),
            venues: Vec::new(),
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// Venue names in index order.
    pub fn venues(&self) -> impl Iterator<Item = &str> {
        self.venues.iter().map(|v| v.name.as_str())
    }

    pub fn venue_index(&self, venue: &str) -> Option<usize> {
        self.venues.iter().position(|v| v.name == venue)
    }

    pub fn venue_book(&self, venue: &str) -> Option<&OrderBook> {
        self.venue_index(venue).map(|i| &self.venues[i].book)
    }

    /// Runs `change` on `venue`'s book. A new venue gets an empty book that is kept only if
    /// `change` succeeds, so a failed first update does not register the venue.
    fn change_book<R>(
        &mut self,
        venue: &str,
        change: impl FnOnce(&mut OrderBook) -> Result<R>,
    ) -> Result<R> {
        if let Some(i) = self.venue_index(venue) {
            return change(&mut self.venues[i].book);
        }
        let mut book = OrderBook::new(self.symbol.clone());
        let result = change(&mut book)?;
        self.venues.push(VenueBook {
            name: venue.to_owned(),
            book,
        });
        Ok(result)
    }

    /// [`OrderBook::apply`] on `venue`'s book.
    pub fn update(&mut self, venue: &str, side: Side, price: i64, size: i64) -> Result<()> {
        self.change_book(venue, |book| book.apply(side, price, size))
    }

    /// [`OrderBook::apply_batch`] on `venue`'s book (checked columns cannot fail to apply).
    pub fn update_batch(&mut self, venue: &str, updates: &UpdateColumns<'_>) -> Result<()> {
        self.change_book(venue, |book| {
            book.apply_batch(updates);
            Ok(())
        })
    }

    /// [`OrderBook::apply_seq`] on `venue`'s book.
    pub fn update_seq(
        &mut self,
        venue: &str,
        seq: u64,
        side: Side,
        price: i64,
        size: i64,
    ) -> Result<bool> {
        self.change_book(venue, |book| book.apply_seq(seq, side, price, size))
    }

    /// [`OrderBook::load_snapshot`] on `venue`'s book.
    pub fn load_snapshot(
        &mut self,
        venue: &str,
        bids: Vec<Level>,
        asks: Vec<Level>,
        seq: u64,
    ) -> Result<()> {
        self.change_book(venue, |book| book.load_snapshot(bids, asks, seq))
    }

    /// Drops the venue and its levels; later venues move down one index. Returns whether it
    /// was there.
    pub fn remove_venue(&mut self, venue: &str) -> bool {
        match self.venue_index(venue) {
            Some(i) => {
                self.venues.remove(i);
                true
            }
            None => false,
        }
    }

    /// `venue`'s sequence number, or `InvalidArgument` for a venue never seen.
    pub fn venue_seq(&self, venue: &str) -> Result<u64> {
        self.venue_book(venue)
            .map(OrderBook::seq)
            .ok_or_else(|| OmsError::InvalidArgument(format!("unknown venue {venue:?}")))
    }

    /// Best level on `side` across venues, with every venue quoting it.
    pub fn best(&self, side: Side) -> Option<ConsolidatedTop> {
        let mut top: Option<ConsolidatedTop> = None;
        for (v, venue) in self.venues.iter().enumerate() {
            let Some(level) = venue.book.levels(side).last() else {
                continue;
            };
            match &mut top {
                Some(t) if t.price == level.price => {
                    t.size = t.size.saturating_add(level.size);
                    t.venues.push(v);
                }
                Some(t) if !side.is_better(level.price, t.price) => {}
                _ => {
                    top = Some(ConsolidatedTop {
                        price: level.price,
                        size: level.size,
                        venues: vec![v],
                    })
                }
            }
        }
        top
    }

    /// Best ask − best bid across venues; negative when venues cross each other.
    pub fn spread(&self) -> Option<i64> {
        Some(self.best(Side::Ask)?.price - self.best(Side::Bid)?.price)
    }

    /// Whether some venue bids at or above another venue's (or its own) ask.
    pub fn is_crossed(&self) -> bool {
        self.spread().is_some_and(|s| s <= 0)
    }

    /// Each venue's size at `price` on `side`, for the venues that have one.
    pub fn level(&self, side: Side, price: i64) -> Vec<(usize, i64)> {
        self.venues
            .iter()
            .enumerate()
            .map(|(v, venue)| (v, venue.book.size_at(side, price)))
            .filter(|&(_, size)| size > 0)
            .collect()
    }

    /// The best `n` distinct prices on `side` across venues, best first, with each venue's size.
    pub fn depth(&self, side: Side, n: usize) -> MergedDepth {
        let venue_count = self.venues.len();
        let ladders: Vec<&[Level]> = self.venues.iter().map(|v| v.book.levels(side)).collect();
        // Per venue, how many levels remain (levels are best last, so the next is at left - 1).
        let mut left: Vec<usize> = ladders.iter().map(|l| l.len()).collect();
        let mut depth = MergedDepth {
            venue_count,
            ..MergedDepth::default()
        };
        while depth.prices.len() < n {
            let next = (0..venue_count)
                .filter(|&v| left[v] > 0)
                .map(|v| ladders[v][left[v] - 1].price)
                .reduce(|best, p| if side.is_better(p, best) { p } else { best });
            let Some(price) = next else { break };
            let mut total: i64 = 0;
            for v in 0..venue_count {
                let size = match left[v].checked_sub(1).map(|i| ladders[v][i]) {
                    Some(level) if level.price == price => {
                        left[v] -= 1;
                        level.size
                    }
                    _ => 0,
                };
                total = total.saturating_add(size);
                depth.by_venue.push(size);
            }
            depth.prices.push(price);
            depth.totals.push(total);
        }
        depth
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    fn lv(price: i64, size: i64) -> Level {
        Level { price, size }
    }

    fn three_venues() -> ConsolidatedBook {
        let mut book = ConsolidatedBook::new("BTC-USDT");
        book.update("binance", Side::Bid, 100, 1).unwrap();
        book.update("binance", Side::Ask, 102, 2).unwrap();
        book.update("okx", Side::Bid, 100, 3).unwrap();
        book.update("okx", Side::Ask, 103, 4).unwrap();
        book.update("kraken", Side::Bid, 99, 5).unwrap();
        book.update("kraken", Side::Ask, 102, 6).unwrap();
        book
    }

    #[test]
    fn top_of_book_sums_the_venues_at_the_best_price() {
        let book = three_venues();
        let bid = book.best(Side::Bid).unwrap();
        assert_eq!(
            bid,
            ConsolidatedTop {
                price: 100,
                size: 4,
                venues: vec![0, 1]
            }
        );
        let ask = book.best(Side::Ask).unwrap();
        assert_eq!(
            ask,
            ConsolidatedTop {
                price: 102,
                size: 8,
                venues: vec![0, 2]
            }
        );
        assert_eq!(book.spread(), Some(2));
        assert!(!book.is_crossed());
        assert_eq!(
            book.venues().collect::<Vec<_>>(),
            ["binance", "okx", "kraken"]
        );
    }

    #[test]
    fn depth_merges_venues_with_their_shares() {
        let book = three_venues();
        let bids = book.depth(Side::Bid, 10);
        assert_eq!(bids.prices, vec![100, 99]);
        assert_eq!(bids.totals, vec![4, 5]);
        assert_eq!(bids.by_venue, vec![1, 3, 0, 0, 0, 5]);
        assert_eq!(book.depth(Side::Ask, 1).prices, vec![102]);
        assert_eq!(book.level(Side::Ask, 102), vec![(0, 2), (2, 6)]);
        assert_eq!(book.level(Side::Ask, 500), vec![]);
    }

    #[test]
    fn venues_may_cross_each_other_and_that_is_reported() {
        let mut book = three_venues();
        book.update("okx", Side::Bid, 102, 1).unwrap();
        assert!(book.is_crossed());
        assert_eq!(book.spread(), Some(0));
        book.update("okx", Side::Bid, 105, 1).unwrap();
        assert_eq!(book.spread(), Some(-3));
    }

    #[test]
    fn removing_a_venue_drops_its_levels() {
        let mut book = three_venues();
        assert!(book.remove_venue("binance"));
        assert!(!book.remove_venue("binance"));
        assert_eq!(book.best(Side::Ask).unwrap().venues, vec![1]);
        assert_eq!(book.venues().collect::<Vec<_>>(), ["okx", "kraken"]);
    }

    #[test]
    fn invalid_updates_do_not_register_a_venue() {
        let mut book = ConsolidatedBook::new("X");
        assert_eq!(
            book.update("v", Side::Bid, 0, 1).unwrap_err().code(),
            "INVALID_PRICE"
        );
        assert_eq!(book.venues().count(), 0);
        assert_eq!(book.venue_seq("v").unwrap_err().code(), "INVALID_ARGUMENT");
    }

    #[test]
    fn venues_are_sequenced_independently() {
        let mut book = ConsolidatedBook::new("X");
        book.load_snapshot("a", vec![lv(10, 1)], vec![lv(12, 1)], 7)
            .unwrap();
        assert!(book.update_seq("a", 8, Side::Bid, 11, 1).unwrap());
        assert!(book.update_seq("b", 1, Side::Bid, 11, 2).unwrap());
        assert_eq!(
            book.update_seq("a", 10, Side::Bid, 11, 1)
                .unwrap_err()
                .code(),
            "SEQUENCE_GAP"
        );
        assert_eq!(
            (book.venue_seq("a").unwrap(), book.venue_seq("b").unwrap()),
            (8, 1)
        );
        assert_eq!(book.best(Side::Bid).unwrap().size, 3);
    }

    #[test]
    fn aggregated_sizes_saturate_instead_of_wrapping() {
        let mut book = ConsolidatedBook::new("X");
        book.update("a", Side::Bid, 10, i64::MAX).unwrap();
        book.update("b", Side::Bid, 10, i64::MAX).unwrap();
        assert_eq!(book.best(Side::Bid).unwrap().size, i64::MAX);
        assert_eq!(book.depth(Side::Bid, 1).totals, vec![i64::MAX]);
    }

    fn update_strategy() -> impl Strategy<Value = (usize, Side, i64, i64)> {
        let side = prop_oneof![Just(Side::Bid), Just(Side::Ask)];
        (
            0usize..4,
            side,
            1i64..40,
            prop_oneof![1 => Just(0i64), 3 => 1i64..100],
        )
    }

    proptest! {
        #[test]
        fn merged_views_equal_a_brute_force_merge_of_the_venue_books(
            updates in prop::collection::vec(update_strategy(), 0..300), n in 0usize..30
        ) {
            let names = ["a", "b", "c", "d"];
            let mut book = ConsolidatedBook::new("X");
            for (v, side, price, size) in updates {
                book.update(names[v], side, price, size).unwrap();
            }
            for side in [Side::Bid, Side::Ask] {
                // price -> per-venue sizes, from each venue's own depth.
                let mut merged: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
                let count = book.venues().count();
                for (v, name) in book.venues().enumerate() {
                    for level in book.venue_book(name).unwrap().depth(side, usize::MAX) {
                        merged.entry(level.price).or_insert_with(|| vec![0; count])[v] = level.size;
                    }
                }
                let mut expected: Vec<(i64, Vec<i64>)> = merged.into_iter().collect();
                if side == Side::Bid {
                    expected.reverse();
                }
                let depth = book.depth(side, n);
                prop_assert_eq!(depth.prices.len(), expected.len().min(n));
                for (i, (price, sizes)) in expected.iter().take(n).enumerate() {
                    prop_assert_eq!(depth.prices[i], *price);
                    prop_assert_eq!(&depth.by_venue[i * count..(i + 1) * count], &sizes[..]);
                    prop_assert_eq!(depth.totals[i], sizes.iter().sum::<i64>());
                    let quoting: Vec<(usize, i64)> = sizes.iter().copied().enumerate()
                        .filter(|&(_, s)| s > 0).collect();
                    prop_assert_eq!(book.level(side, *price), quoting);
                }
                let top = book.best(side);
                match expected.first() {
                    None => prop_assert!(top.is_none()),
                    Some((price, sizes)) => {
                        let top = top.unwrap();
                        prop_assert_eq!(top.price, *price);
                        prop_assert_eq!(top.size, sizes.iter().sum::<i64>());
                        let at: Vec<usize> = (0..count).filter(|&v| sizes[v] > 0).collect();
                        prop_assert_eq!(top.venues, at);
                    }
                }
            }
            for name in names {
                if let Some(venue) = book.venue_book(name) {
                    prop_assert!(!venue.is_crossed());
                }
            }
        }
    }
}
