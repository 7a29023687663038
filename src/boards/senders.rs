//! Who sent each person postcards over a custom period's ended buckets, kept per tiling so
//! that unique senders (which do not add up across buckets) need the database only for the
//! buckets that have not ended (today's, a few rows) once a person was asked about: counting
//! a year's senders of a page of people from the postcards is a few milliseconds of the
//! database's time on every read (a third of a custom board's). Checked, like the kept rows,
//! against the ended buckets' versions (`board_changes`), which every change to their
//! postcards bumps: a tiling's sets are kept at the sum of its buckets' versions, which only
//! grows, and grows with any of them.

use std::sync::{Arc, Mutex, MutexGuard};

use diesel::QueryResult;
use rustc_hash::FxHashMap;

use super::lru::{Lru, Weigh};
use crate::domain::buckets::Bucket;

/// Senders by recipient (for the recipients asked about so far) over one tiling's ended
/// buckets for one behaviour; a person counts as one more than their senders in weight.
#[derive(Default)]
struct Sets {
    by_person: FxHashMap<String, Arc<Vec<String>>>,
    size: usize,
}

impl Weigh for Sets {
    fn weight(&self) -> usize {
        self.size
    }
}

/// Kept sets by (joined bucket keys, behaviour), as of the versions they were read at.
pub struct SenderMemory {
    shelf: Mutex<Lru<Sets>>,
}

/// Senders by recipient.
pub type Senders = FxHashMap<String, Arc<Vec<String>>>;

impl SenderMemory {
    pub fn new(capacity: usize) -> SenderMemory {
        SenderMemory {
            shelf: Mutex::new(Lru::with_capacity(capacity)),
        }
    }

    // A panic while holding the lock leaves consistent (if incomplete) sets: carry on.
    fn shelf(&self) -> MutexGuard<'_, Lru<Sets>> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many senders are kept (for tests and logs).
    pub fn kept(&self) -> usize {
        self.shelf().weight()
    }

    /// For each of `people`, who sent them a visible postcard in the ended `buckets`
    /// (one tiling's, sorted, for `behaviour`), which the caller found at `version`
    /// (`Parts::ended_version`, read before anything here): from memory when asked about
    /// before and none of the buckets changed since, else through `load`, called with the
    /// people not known and answering (recipient, sender) pairs. A change committed after
    /// the versions were read is in what is loaded and makes them stale for the next read.
    pub fn ended(
        &self,
        buckets: &[Bucket],
        version: i64,
        behaviour: &str,
        people: &[String],
        load: impl FnOnce(&[String]) -> QueryResult<Vec<(String, String)>>,
    ) -> QueryResult<Senders> {
        let keys: Vec<String> = buckets.iter().map(|b| b.key()).collect();
        let at = (keys.join(","), behaviour.to_string());
        let mut found = Senders::default();
        let mut missing = Vec::new();
        match self.shelf().get(&at, version) {
            Some(sets) => {
                for p in people {
                    match sets.by_person.get(p) {
                        Some(senders) => {
                            found.insert(p.clone(), senders.clone());
                        }
                        None => missing.push(p.clone()),
                    }
                }
            }
            None => missing = people.to_vec(),
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let mut read: FxHashMap<String, Vec<String>> = missing.iter().map(|p| (p.clone(), Vec::new())).collect();
        for (recipient, sender) in load(&missing)? {
            if let Some(senders) = read.get_mut(&recipient) {
                senders.push(sender);
            }
        }
        let read: Senders = read.into_iter().map(|(p, s)| (p, Arc::new(s))).collect();
        self.keep(at, version, &read);
        found.extend(read);
        Ok(found)
    }

    /// Adds senders read as of `version` to the tiling's sets: to sets at the same version,
    /// in place of older ones; not to newer ones (a read that began before a change may
    /// finish after a read that began after it).
    fn keep(&self, at: (String, String), version: i64, read: &Senders) {
        let mut shelf = self.shelf();
        let add = |sets: &mut Sets| {
            for (p, senders) in read {
                if sets.by_person.insert(p.clone(), senders.clone()).is_none() {
                    sets.size += senders.len() + 1;
                }
            }
        };
        match shelf.exactly(&at, version) {
            Some(sets) => {
                add(sets);
                shelf.reweigh(&at);
            }
            None => {
                let mut sets = Sets::default();
                add(&mut sets);
                shelf.keep(at, sets, version);
            }
        }
    }
}
