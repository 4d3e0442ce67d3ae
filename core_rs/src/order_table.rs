//! The order table: many live orders, found by order id or by (account, client order id).
//!
//! Orders sit in a slab (`Vec` with a free list); two `hashbrown::HashTable`s index it by
//! storing only the slot number and hashing through the slab. That keeps an index entry at
//! 4 bytes plus control bytes, so a live order costs about the size of [`Order`] itself.

use std::hash::{BuildHasher, Hash};

use hashbrown::{DefaultHashBuilder, HashTable};

use crate::error::{OmsError, Result};
use crate::order::{Applied, ClientOrderId, Order, OrderEvent, OrderRequest};

fn id_hash(hasher: &DefaultHashBuilder, order_id: u64) -> u64 {
    hasher.hash_one(order_id)
}

fn client_hash(hasher: &DefaultHashBuilder, account: u32, cid: &ClientOrderId) -> u64 {
    let mut h = hasher.build_hasher();
    account.hash(&mut h);
    cid.hash(&mut h);
    std::hash::Hasher::finish(&h)
}

#[derive(Default)]
pub struct OrderTable {
    slots: Vec<Option<Order>>,
    free: Vec<u32>,
    by_id: HashTable<u32>,
    by_client_id: HashTable<u32>,
    hasher: DefaultHashBuilder,
    live: usize,
}

impl OrderTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pre-allocates room for `n` orders.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            slots: Vec::with_capacity(n),
            by_id: HashTable::with_capacity(n),
            by_client_id: HashTable::with_capacity(n),
            ..Self::default()
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn id_hash(&self, order_id: u64) -> u64 {
        id_hash(&self.hasher, order_id)
    }

    fn client_hash(&self, account: u32, cid: &ClientOrderId) -> u64 {
        client_hash(&self.hasher, account, cid)
    }

    fn slot(&self, order_id: u64) -> Option<u32> {
        let slots = &self.slots;
        self.by_id
            .find(self.id_hash(order_id), |&s| {
                slots[s as usize]
                    .as_ref()
                    .is_some_and(|o| o.order_id == order_id)
            })
            .copied()
    }

    fn client_slot(&self, account: u32, cid: &ClientOrderId) -> Option<u32> {
        let slots = &self.slots;
        self.by_client_id
            .find(self.client_hash(account, cid), |&s| {
                slots[s as usize]
                    .as_ref()
                    .is_some_and(|o| o.account == account && o.client_order_id == *cid)
            })
            .copied()
    }

    /// Adds a new order in `PENDING_NEW`.
    ///
    /// Fails with `DuplicateOrder` if its id, or its client order id within the account, is
    /// held by an order in the table.
    pub fn insert(&mut self, req: OrderRequest) -> Result<&Order> {
        if self.slot(req.order_id).is_some() {
            return Err(OmsError::DuplicateOrder(format!(
                "order id {}",
                req.order_id
            )));
        }
        if self
            .client_slot(req.account, &req.client_order_id)
            .is_some()
        {
            return Err(OmsError::DuplicateOrder(format!(
                "client order id {:?} of account {}",
                req.client_order_id.as_str(),
                req.account
            )));
        }
        let order = Order::new(req)?;
        let (id_h, client_h) = (
            self.id_hash(order.order_id),
            self.client_hash(order.account, &order.client_order_id),
        );
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(order);
                s
            }
            None => {
                let s = u32::try_from(self.slots.len())
                    .map_err(|_| OmsError::InvalidArgument("order table is full".into()))?;
                self.slots.push(Some(order));
                s
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        let order_at = |s: u32| {
            slots[s as usize]
                .as_ref()
                .expect("indexed slot is occupied")
        };
        self.by_id
            .insert_unique(id_h, slot, |&s| id_hash(hasher, order_at(s).order_id));
        self.by_client_id.insert_unique(client_h, slot, |&s| {
            let o = order_at(s);
            client_hash(hasher, o.account, &o.client_order_id)
        });
        self.live += 1;
        Ok(self.slots[slot as usize].as_ref().expect("just inserted"))
    }

    pub fn get(&self, order_id: u64) -> Option<&Order> {
        self.slot(order_id)
            .and_then(|s| self.slots[s as usize].as_ref())
    }

    pub fn get_by_client_id(&self, account: u32, client_order_id: &str) -> Option<&Order> {
        let cid = ClientOrderId::new(client_order_id).ok()?;
        self.client_slot(account, &cid)
            .and_then(|s| self.slots[s as usize].as_ref())
    }

    /// Applies one event to one order; on error the order is unchanged.
    pub fn apply(&mut self, order_id: u64, event: &OrderEvent) -> Result<Applied> {
        let slot = self
            .slot(order_id)
            .ok_or_else(|| OmsError::UnknownOrder(order_id.to_string()))?;
        self.slots[slot as usize]
            .as_mut()
            .expect("indexed slot is occupied")
            .apply(event)
    }

    /// Applies events in order; each result stands alone (one failure does not stop the rest).
    pub fn apply_batch<'a>(
        &mut self,
        events: impl IntoIterator<Item = (u64, &'a OrderEvent)>,
    ) -> Vec<Result<Applied>> {
        events
            .into_iter()
            .map(|(id, ev)| self.apply(id, ev))
            .collect()
    }

    /// Removes an order that reached a terminal state (after the caller persisted it).
    pub fn evict(&mut self, order_id: u64) -> Result<Order> {
        let slot = self
            .slot(order_id)
            .ok_or_else(|| OmsError::UnknownOrder(order_id.to_string()))?;
        let order = self.slots[slot as usize]
            .as_ref()
            .expect("indexed slot is occupied");
        if !order.status.is_terminal() {
            return Err(OmsError::InvalidTransition {
                state: order.status.as_str(),
                event: "EVICT",
            });
        }
        let client_h = self.client_hash(order.account, &order.client_order_id);
        let id_h = self.id_hash(order_id);
        if let Ok(e) = self.by_id.find_entry(id_h, |&s| s == slot) {
            e.remove();
        }
        if let Ok(e) = self.by_client_id.find_entry(client_h, |&s| s == slot) {
            e.remove();
        }
        let order = self.slots[slot as usize]
            .take()
            .expect("indexed slot is occupied");
        self.free.push(slot);
        self.live -= 1;
        Ok(order)
    }

    /// Every order in the table, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Order> {
        self.slots.iter().flatten()
    }

    /// Heap bytes held by the table's own structures (not counting per-order exec ids).
    pub fn allocated_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Option<Order>>()
            + self.free.capacity() * 4
            + (self.by_id.capacity() + self.by_client_id.capacity()) * (4 + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{Fill, Liquidity, OrderStatus, OrderType, Side, TimeInForce};

    fn req(order_id: u64, account: u32, cid: &str) -> OrderRequest {
        OrderRequest {
            order_id,
            client_order_id: ClientOrderId::new(cid).unwrap(),
            account,
            instrument: 0,
            side: Side::Sell,
            order_type: OrderType::Limit,
            time_in_force: TimeInForce::Gtc,
            qty: 5,
            price: 100,
            stop_price: 0,
            reduce_only: false,
        }
    }

    #[test]
    fn finds_orders_by_id_and_by_client_id() {
        let mut t = OrderTable::new();
        t.insert(req(1, 7, "a")).unwrap();
        t.insert(req(2, 8, "a")).unwrap();
        assert_eq!(t.get(1).unwrap().account, 7);
        assert_eq!(t.get_by_client_id(8, "a").unwrap().order_id, 2);
        assert!(t.get_by_client_id(9, "a").is_none());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let mut t = OrderTable::new();
        t.insert(req(1, 7, "a")).unwrap();
        assert_eq!(
            t.insert(req(1, 7, "b")).unwrap_err().code(),
            "DUPLICATE_ORDER"
        );
        assert_eq!(
            t.insert(req(2, 7, "a")).unwrap_err().code(),
            "DUPLICATE_ORDER"
        );
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn events_reach_the_right_order_and_unknown_ids_fail() {
        let mut t = OrderTable::new();
        t.insert(req(1, 7, "a")).unwrap();
        t.insert(req(2, 7, "b")).unwrap();
        let results = t.apply_batch([
            (1, &OrderEvent::RiskAccepted),
            (1, &OrderEvent::VenueAck),
            (2, &OrderEvent::VenueAck),
            (3, &OrderEvent::VenueAck),
        ]);
        assert!(results[0].is_ok() && results[1].is_ok());
        assert_eq!(
            results[2].as_ref().unwrap_err().code(),
            "INVALID_TRANSITION"
        );
        assert_eq!(results[3].as_ref().unwrap_err().code(), "UNKNOWN_ORDER");
        assert_eq!(t.get(1).unwrap().status, OrderStatus::New);
        assert_eq!(t.get(2).unwrap().status, OrderStatus::PendingNew);
    }

    #[test]
    fn only_terminal_orders_are_evicted_and_slots_are_reused() {
        let mut t = OrderTable::new();
        t.insert(req(1, 7, "a")).unwrap();
        assert!(t.evict(1).is_err());
        t.apply(1, &OrderEvent::RiskRejected { reason: 1 }).unwrap();
        let gone = t.evict(1).unwrap();
        assert_eq!(gone.status, OrderStatus::Rejected);
        assert!(t.get(1).is_none() && t.get_by_client_id(7, "a").is_none());
        t.insert(req(9, 7, "a")).unwrap();
        assert_eq!(t.get_by_client_id(7, "a").unwrap().order_id, 9);
        assert_eq!(t.slots.len(), 1);
    }

    #[test]
    fn many_orders_survive_index_growth() {
        let mut t = OrderTable::new();
        for i in 0..10_000u64 {
            t.insert(req(i, (i % 13) as u32, &format!("c{i}"))).unwrap();
        }
        for i in (0..10_000u64).step_by(7) {
            let o = t.get(i).unwrap();
            assert_eq!(o.order_id, i);
            assert_eq!(
                t.get_by_client_id((i % 13) as u32, &format!("c{i}"))
                    .unwrap()
                    .order_id,
                i
            );
        }
        let fill = OrderEvent::Fill(Fill {
            exec_id: "x".into(),
            qty: 1,
            price: 1,
            fee: 0,
            liquidity: Liquidity::Maker,
        });
        assert!(t.apply(5, &fill).is_err());
    }
}
