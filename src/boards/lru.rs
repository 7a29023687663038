//! The one cache shape the board memory uses: values by (bucket keys, behaviour), each read
//! at some versions (its buckets'), at most `capacity` in weight, the
//! least recently used going first. Versions only grow, so a value read at later versions
//! serves a read that asked for earlier ones, and never gives way to one read at earlier
//! versions (a read that began before a change may finish after one that began after it).

use std::collections::HashMap;

/// Where something is kept: (bucket keys, behaviour).
pub type At = (String, String);

/// How much of the capacity a value takes.
pub trait Weigh {
    fn weight(&self) -> usize;
}

struct Entry<V> {
    value: V,
    versions: Vec<i64>,
    weight: usize,
    used: u64,
}

pub struct Lru<V> {
    kept: HashMap<At, Entry<V>>,
    capacity: usize,
    weight: usize,
    clock: u64,
}

/// Whether versions `have` are each at least the matching one of `want`.
pub fn at_least(have: &[i64], want: &[i64]) -> bool {
    have.len() == want.len() && have.iter().zip(want).all(|(h, w)| h >= w)
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

    /// The value at `at` if it was read at `versions` or later ones; counts as a use.
    pub fn get(&mut self, at: &At, versions: &[i64]) -> Option<&mut V> {
        self.clock += 1;
        let now = self.clock;
        let entry = self.kept.get_mut(at).filter(|e| at_least(&e.versions, versions))?;
        entry.used = now;
        Some(&mut entry.value)
    }

    /// The value at `at` if it was read at exactly `versions` (to add to it in place; then
    /// [`Lru::reweigh`]).
    pub fn exactly(&mut self, at: &At, versions: &[i64]) -> Option<&mut V> {
        self.kept
            .get_mut(at)
            .filter(|e| e.versions == versions)
            .map(|e| &mut e.value)
    }

    /// Keeps `value`, read at `versions`, unless what is kept at `at` was read at the same
    /// or later ones, or it alone outweighs the capacity.
    pub fn keep(&mut self, at: At, value: V, versions: Vec<i64>) {
        let weight = value.weight();
        if weight > self.capacity || self.kept.get(&at).is_some_and(|e| at_least(&e.versions, &versions)) {
            return;
        }
        let used = self.clock;
        self.weight += weight;
        if let Some(old) = self.kept.insert(
            at,
            Entry {
                value,
                versions,
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
        lru.keep(at("a"), 4, vec![2, 0]);
        assert_eq!(lru.get(&at("a"), &[1, 0]).copied(), Some(4), "later versions serve");
        assert_eq!(lru.get(&at("a"), &[3, 0]), None, "earlier ones do not");
        lru.keep(at("a"), 5, vec![1, 0]);
        assert_eq!(
            lru.get(&at("a"), &[2, 0]).copied(),
            Some(4),
            "an older read does not replace"
        );
        lru.keep(at("b"), 4, vec![0, 0]);
        lru.get(&at("a"), &[2, 0]);
        lru.keep(at("c"), 4, vec![0, 0]);
        assert_eq!(lru.weight(), 8);
        assert!(lru.get(&at("b"), &[0, 0]).is_none(), "b was used least recently");
        lru.keep(at("d"), 11, vec![0, 0]);
        assert!(lru.get(&at("d"), &[0, 0]).is_none(), "too heavy to keep");
        lru.get(&at("c"), &[0, 0]);
        *lru.exactly(&at("c"), &[0, 0]).unwrap() = 7;
        lru.reweigh(&at("c"));
        assert_eq!(lru.weight(), 7, "a went to make room for c's growth");
        assert!(lru.exactly(&at("c"), &[1, 0]).is_none(), "exactly those versions");
    }
}
