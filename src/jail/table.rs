//! A fixed-capacity map with least-recently-seen eviction.
//!
//! Every jail table (failing hosts, active bans, repeat offenders) is one of these. The slot
//! array and the hash index are sized once, when the jail is built, with the configured
//! capacity; nothing grows afterwards. When the table is full, [`Table::insert`] evicts the
//! least recently seen entry and hands it back to the caller — the heapless rule: a full
//! container returns the item instead of panicking or growing. Every eviction is counted.
//!
//! Lookups go through an open-addressing index (linear probing, backward-shift deletion, load
//! factor ≤ ½) keyed by a seeded hash, so an attacker who controls many addresses cannot
//! predict collisions without the per-process seed. Recency is an intrusive doubly-linked list
//! over slot numbers: touching, inserting and evicting are O(1).
//!
//! The slot array is reserved at its full capacity but filled on demand: a slot is written the
//! first time the table needs it, so an idle jail's memory stays untouched (not resident) until
//! hosts arrive, while the bound is still fixed at start and nothing ever reallocates. The
//! index, which must be zeroed whole, is allocated at the table's first insert (at its fixed
//! size): a jail nobody attacks keeps none (measured: 150 KiB of the idle daemon's 500 KiB of
//! private memory with the two default jails).

const NIL: u32 = u32::MAX;

/// Keys hash themselves with a seed (no `std::hash` machinery, no allocation).
pub trait Key: Copy + Eq {
    fn hash(&self, seed: u64) -> u64;
}

/// A 64-bit finaliser (splitmix64's): good avalanche for cheap.
pub fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl Key for u32 {
    fn hash(&self, seed: u64) -> u64 {
        mix(u64::from(*self) ^ seed)
    }
}

struct Slot<K, V> {
    entry: Option<(K, V)>,
    prev: u32,
    next: u32,
}

pub struct Table<K: Key, V> {
    /// Reserved for `cap` slots at start; grows by push up to `cap`, never reallocates.
    slots: Vec<Slot<K, V>>,
    cap: usize,
    /// Slot number + 1, or 0 for an empty bucket; empty until the first insert.
    index: Box<[u32]>,
    /// The index's size once allocated: a power of two, at least twice `cap`.
    buckets: usize,
    seed: u64,
    /// Most recently seen.
    head: u32,
    /// Least recently seen: the next to go.
    tail: u32,
    /// Chain of slots freed by removal, through `next` (slots never used are past `slots.len()`).
    free: u32,
    len: usize,
    /// Entries pushed out by newer ones since the table was built.
    pub evicted: u64,
}

impl<K: Key, V> Table<K, V> {
    /// A table for `capacity` entries (at least one).
    pub fn new(capacity: usize, seed: u64) -> Self {
        let cap = capacity.clamp(1, (u32::MAX / 4) as usize);
        let buckets = (cap * 2).next_power_of_two();
        Table {
            slots: Vec::with_capacity(cap),
            cap,
            index: Box::default(),
            buckets,
            seed,
            head: NIL,
            tail: NIL,
            free: NIL,
            len: 0,
            evicted: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    fn mask(&self) -> usize {
        self.index.len() - 1
    }

    /// Bucket holding `k`, or the empty bucket where it would go.
    fn find(&self, k: &K) -> (usize, Option<u32>) {
        if self.index.is_empty() {
            return (0, None);
        }
        let mut b = (k.hash(self.seed) as usize) & self.mask();
        loop {
            match self.index[b] {
                0 => return (b, None),
                s => {
                    let slot = s - 1;
                    if matches!(&self.slots[slot as usize].entry, Some((sk, _)) if sk == k) {
                        return (b, Some(slot));
                    }
                }
            }
            b = (b + 1) & self.mask();
        }
    }

    pub fn contains(&self, k: &K) -> bool {
        self.find(k).1.is_some()
    }

    /// Looks `k` up without changing its recency.
    pub fn peek(&self, k: &K) -> Option<&V> {
        let s = self.find(k).1?;
        self.slots[s as usize].entry.as_ref().map(|(_, v)| v)
    }

    /// Looks `k` up and marks it as just seen.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let s = self.find(k).1?;
        self.unlink(s);
        self.push_front(s);
        self.slots[s as usize].entry.as_mut().map(|(_, v)| v)
    }

    /// Inserts or replaces `k`, marking it as just seen. When the table was full, the least
    /// recently seen entry is removed and returned.
    pub fn insert(&mut self, k: K, v: V) -> Option<(K, V)> {
        if let (_, Some(s)) = self.find(&k) {
            self.slots[s as usize].entry = Some((k, v));
            self.unlink(s);
            self.push_front(s);
            return None;
        }
        let mut evicted = None;
        if self.free == NIL && self.slots.len() < self.cap {
            // First use of a fresh slot (within the reserved capacity: no reallocation).
            self.slots.push(Slot {
                entry: None,
                prev: NIL,
                next: NIL,
            });
            self.free = (self.slots.len() - 1) as u32;
        } else if self.free == NIL {
            evicted = self.pop_oldest();
            self.evicted += u64::from(evicted.is_some());
        }
        let s = self.free;
        self.free = self.slots[s as usize].next;
        self.slots[s as usize].entry = Some((k, v));
        if self.index.is_empty() {
            self.index = vec![0u32; self.buckets].into_boxed_slice();
        }
        let (b, _) = self.find(&k);
        self.index[b] = s + 1;
        self.push_front(s);
        self.len += 1;
        evicted
    }

    /// Removes `k`.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let (b, s) = self.find(k);
        let s = s?;
        self.take(b, s).map(|(_, v)| v)
    }

    /// Removes and returns the least recently seen entry.
    pub fn pop_oldest(&mut self) -> Option<(K, V)> {
        if self.tail == NIL {
            return None;
        }
        let s = self.tail;
        let k = self.slots[s as usize].entry.as_ref().map(|(k, _)| *k)?;
        let (b, _) = self.find(&k);
        self.take(b, s)
    }

    fn take(&mut self, bucket: usize, s: u32) -> Option<(K, V)> {
        self.unlink(s);
        self.delete_bucket(bucket);
        let e = self.slots[s as usize].entry.take();
        self.slots[s as usize].next = self.free;
        self.free = s;
        self.len -= 1;
        e
    }

    /// Backward-shift deletion: keeps every probe chain unbroken without tombstones.
    fn delete_bucket(&mut self, mut hole: usize) {
        let mask = self.mask();
        let mut b = (hole + 1) & mask;
        loop {
            let s = self.index[b];
            if s == 0 {
                break;
            }
            let home = match &self.slots[(s - 1) as usize].entry {
                Some((k, _)) => (k.hash(self.seed) as usize) & mask,
                None => b,
            };
            // Move the entry into the hole unless its home lies cyclically in (hole, b].
            let stays = if hole <= b {
                hole < home && home <= b
            } else {
                hole < home || home <= b
            };
            if !stays {
                self.index[hole] = s;
                hole = b;
            }
            b = (b + 1) & mask;
        }
        self.index[hole] = 0;
    }

    fn unlink(&mut self, s: u32) {
        let (p, n) = (self.slots[s as usize].prev, self.slots[s as usize].next);
        if p == NIL {
            self.head = n;
        } else {
            self.slots[p as usize].next = n;
        }
        if n == NIL {
            self.tail = p;
        } else {
            self.slots[n as usize].prev = p;
        }
    }

    fn push_front(&mut self, s: u32) {
        self.slots[s as usize].prev = NIL;
        self.slots[s as usize].next = self.head;
        if self.head != NIL {
            self.slots[self.head as usize].prev = s;
        }
        self.head = s;
        if self.tail == NIL {
            self.tail = s;
        }
    }

    /// Entries from most to least recently seen.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let mut s = self.head;
        core::iter::from_fn(move || {
            if s == NIL {
                return None;
            }
            let slot = &self.slots[s as usize];
            s = slot.next;
            slot.entry.as_ref().map(|(k, v)| (k, v))
        })
    }

    /// Removes every entry for which `keep` is false, handing each to `gone`.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool, mut gone: impl FnMut(K, V)) {
        let mut s = self.head;
        while s != NIL {
            let next = self.slots[s as usize].next;
            if let Some((k, v)) = &self.slots[s as usize].entry {
                if !keep(k, v) {
                    let k = *k;
                    if let Some(v) = self.remove(&k) {
                        gone(k, v);
                    }
                }
            }
            s = next;
        }
    }

    pub fn clear(&mut self) {
        while self.pop_oldest().is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_seen_and_hands_it_back() {
        let mut t: Table<u32, &str> = Table::new(3, 7);
        assert!(t.insert(1, "a").is_none());
        assert!(t.insert(2, "b").is_none());
        assert!(t.insert(3, "c").is_none());
        assert!(t.get_mut(&1).is_some()); // 2 is now the oldest
        assert_eq!(t.insert(4, "d"), Some((2, "b")));
        assert_eq!(t.evicted, 1);
        assert_eq!(t.len(), 3);
        let order: Vec<u32> = t.iter().map(|(k, _)| *k).collect();
        assert_eq!(order, vec![4, 1, 3]);
        assert_eq!(t.insert(1, "A"), None); // replace, no eviction
        assert_eq!(t.peek(&1), Some(&"A"));
        assert_eq!(t.remove(&3), Some("c"));
        assert_eq!(t.remove(&3), None);
        assert!(t.insert(5, "e").is_none());
    }

    #[test]
    fn slots_are_written_on_demand_within_the_reservation() {
        let mut t: Table<u32, [u8; 100]> = Table::new(1000, 1);
        let reserved = t.slots.capacity();
        assert!(reserved >= 1000);
        assert_eq!(t.slots.len(), 0);
        assert_eq!(t.index.len(), 0);
        assert!(!t.contains(&1) && t.remove(&1).is_none() && t.pop_oldest().is_none());
        for k in 0..10 {
            t.insert(k, [0; 100]);
        }
        assert_eq!(t.slots.len(), 10);
        assert_eq!(t.index.len(), 2048);
        t.remove(&3);
        t.insert(99, [0; 100]); // reuses the freed slot
        assert_eq!(t.slots.len(), 10);
        for k in 1000..5000 {
            t.insert(k, [0; 100]);
        }
        assert_eq!((t.len(), t.slots.len(), t.capacity()), (1000, 1000, 1000));
        assert_eq!(t.slots.capacity(), reserved, "the slot array never reallocates");
        assert_eq!(t.evicted, 3010);
    }

    #[test]
    fn survives_churn_against_a_model() {
        use std::collections::HashMap;
        let cap = 64;
        let mut t: Table<u32, u32> = Table::new(cap, 0xdead_beef);
        let mut model: HashMap<u32, u32> = HashMap::new();
        let mut order: Vec<u32> = Vec::new(); // least recent first
        let mut x: u32 = 12345;
        for i in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let k = (x >> 8) % 200;
            match x % 5 {
                0 => {
                    assert_eq!(t.remove(&k), model.remove(&k));
                    order.retain(|&o| o != k);
                }
                1 => {
                    let got = t.get_mut(&k).map(|v| *v);
                    assert_eq!(got, model.get(&k).copied());
                    if got.is_some() {
                        order.retain(|&o| o != k);
                        order.push(k);
                    }
                }
                _ => {
                    let ev = t.insert(k, i);
                    if model.insert(k, i).is_some() {
                        assert_eq!(ev, None);
                        order.retain(|&o| o != k);
                    } else if model.len() > cap {
                        let old = order.remove(0);
                        assert_eq!(ev.map(|e| e.0), Some(old));
                        model.remove(&old);
                    } else {
                        assert_eq!(ev, None);
                    }
                    order.push(k);
                }
            }
            assert_eq!(t.len(), model.len());
        }
        for (k, v) in &model {
            assert_eq!(t.peek(k), Some(v));
        }
        let mut seen = 0;
        t.retain(|_, v| v % 2 == 0, |_, _| seen += 1);
        assert_eq!(t.len() + seen, model.len());
        assert!(t.iter().all(|(_, v)| v % 2 == 0));
    }
}
