//! The one cache shape the board memory uses: values by (bucket keys, behaviour), each read
//! at some version (its bucket's, or the sum of its buckets'), at most `capacity` in weight,
//! the least recently used going first. Versions only grow, so a value read at a later version serves a read that asked
//! for an earlier one, and never gives way to one read at an earlier version (a read that
//! began before a change may finish after one that began after it).

use std::collections::HashMap;

/// Where something is kept: (bucket keys, behaviour).
pub type At = (String, String);

/// How much of the capacity a value takes.
pub trait Weigh {
    fn weight(&self) -> usize;
}

impl<T> Weigh for std::sync::Arc<Vec<T>> {
    fn weight(&self) -> usize {
        self.len()
    }
}

struct Entry<V> {
    value: V,
    version: i64,
    weight: usize,
    used: u64,
}

pub struct Lru<V> {
    kept: HashMap<At, Entry<V>>,
    capacity: usize,
    weight: usize,
    clock: u64,
}

impl<V: Weigh> Lru<V> {
    pub fn with_capacity(capacity: usize) -> Lru<V> {
        Lru {
            kept: HashMap::new(),
            capacity,
            weight: 0,
            clock: 0,
        }
    }

    /// The value at `at` if it was read at `version` or a later one; counts as a use.
    pub fn get(&mut self, at: &At, version: i64) -> Option<&V> {
        self.clock += 1;
        let now = self.clock;
        let entry = self.kept.get_mut(at).filter(|e| e.version >= version)?;
        entry.used = now;
        Some(&entry.value)
    }

    /// The value at `at` if it was read at exactly `version` (to add to it in place; then
    /// [`Lru::reweigh`]).
    pub fn exactly(&mut self, at: &At, version: i64) -> Option<&mut V> {
        self.kept
            .get_mut(at)
            .filter(|e| e.version == version)
            .map(|e| &mut e.value)
    }

    /// Keeps `value`, read at `version`, unless what is kept at `at` was read at the same or
    /// a later one, or it alone outweighs the capacity.
    pub fn keep(&mut self, at: At, value: V, version: i64) {
        let weight = value.weight();
        if weight > self.capacity || self.kept.get(&at).is_some_and(|e| e.version >= version) {
            return;
        }
        let used = self.clock;
        self.weight += weight;
        if let Some(old) = self.kept.insert(
            at,
            Entry {
                value,
                version,
                weight,
                used,
            },
        ) {
            self.weight -= old.weight;
        }
        self.evict();
    }

    /// Takes the new weight of the value at `at` after it grew in place.
    pub fn reweigh(&mut self, at: &At) {
        if let Some(e) = self.kept.get_mut(at) {
            let weight = e.value.weight();
            self.weight = self.weight + weight - e.weight;
            e.weight = weight;
        }
        self.evict();
    }

    fn evict(&mut self) {
        while self.weight > self.capacity {
            let Some(oldest) = self.kept.iter().min_by_key(|(_, e)| e.used).map(|(at, _)| at.clone()) else {
                break;
            };
            if let Some(gone) = self.kept.remove(&oldest) {
                self.weight -= gone.weight;
            }
        }
    }

    /// The weight of everything kept.
    pub fn weight(&self) -> usize {
        self.weight
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weigh for usize {
        fn weight(&self) -> usize {
            *self
        }
    }

    fn at(name: &str) -> At {
        (name.to_string(), String::new())
    }

    #[test]
    fn later_versions_serve_and_stand_and_the_least_used_go_first() {
        let mut lru: Lru<usize> = Lru::with_capacity(10);
        lru.keep(at("a"), 4, 2);
        assert_eq!(lru.get(&at("a"), 1).copied(), Some(4), "later versions serve");
        assert_eq!(lru.get(&at("a"), 3), None, "earlier ones do not");
        lru.keep(at("a"), 5, 1);
        assert_eq!(lru.get(&at("a"), 2).copied(), Some(4), "an older read does not replace");
        lru.keep(at("b"), 4, 0);
        lru.get(&at("a"), 2);
        lru.keep(at("c"), 4, 0);
        assert_eq!(lru.weight(), 8);
        assert!(lru.get(&at("b"), 0).is_none(), "b was used least recently");
        lru.keep(at("d"), 11, 0);
        assert!(lru.get(&at("d"), 0).is_none(), "too heavy to keep");
        lru.get(&at("c"), 0);
        *lru.exactly(&at("c"), 0).unwrap() = 7;
        lru.reweigh(&at("c"));
        assert_eq!(lru.weight(), 7, "a went to make room for c's growth");
        assert!(lru.exactly(&at("c"), 1).is_none(), "exactly that version");
    }
}
