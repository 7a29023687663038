//! Who sent each person postcards over a custom period's ended buckets, kept per tiling so
//! that unique senders (which do not add up across buckets) need the database only for the
//! buckets that have not ended (today's, a few rows) once a person was asked about: counting
//! a year's senders of a page of people from the postcards is a few milliseconds of the
//! database's time on every read. Checked, like the kept rows, against the ended buckets'
//! versions (`board_changes`), which every change to their postcards bumps.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use diesel::QueryResult;
use rustc_hash::FxHashMap;

use super::board_kept::at_least;

/// Senders by recipient (for the recipients asked about so far) over one tiling's ended
/// buckets for one behaviour, as of `versions` (the buckets', then every bucket's).
struct Sets {
    versions: Vec<i64>,
    by_person: FxHashMap<String, Arc<Vec<String>>>,
    size: usize,
    used: u64,
}

/// Kept sets by (joined bucket keys, behaviour); at most `capacity` senders in all (a person
/// counting as one more), the least recently used tiling going first.
#[derive(Default)]
struct Shelf {
    kept: HashMap<(String, String), Sets>,
    size: usize,
    clock: u64,
}

pub struct SenderMemory {
    shelf: Mutex<Shelf>,
    capacity: usize,
}

/// Senders by recipient.
pub type Senders = FxHashMap<String, Arc<Vec<String>>>;

impl SenderMemory {
    pub fn new(capacity: usize) -> SenderMemory {
        SenderMemory {
            shelf: Mutex::new(Shelf::default()),
            capacity,
        }
    }

    // A panic while holding the lock leaves consistent (if incomplete) sets: carry on.
    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many senders are kept (for tests and logs).
    pub fn kept(&self) -> usize {
        self.shelf().size
    }

    /// For each of `people`, who sent them a visible postcard in the ended buckets `keys`
    /// (one tiling's, sorted, for `behaviour`), which the caller found at `wanted`
    /// (`Parts::ended_versions`, read before anything here): from memory when asked about
    /// before and none of the buckets changed since, else through `load`, called with the
    /// people not known and answering (recipient, sender) pairs. A change committed after
    /// the versions were read is in what is loaded and makes them stale for the next read.
    pub fn ended(
        &self,
        keys: &[String],
        wanted: &[i64],
        behaviour: &str,
        people: &[String],
        load: impl FnOnce(&[String]) -> QueryResult<Vec<(String, String)>>,
    ) -> QueryResult<Senders> {
        let at = (keys.join(","), behaviour.to_string());
        let mut found = Senders::default();
        let mut missing = Vec::new();
        {
            let mut shelf = self.shelf();
            shelf.clock += 1;
            let now = shelf.clock;
            match shelf.kept.get_mut(&at).filter(|s| at_least(&s.versions, wanted)) {
                Some(sets) => {
                    sets.used = now;
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
        self.keep(at, wanted.to_vec(), &read);
        found.extend(read);
        Ok(found)
    }

    /// Adds senders read as of `versions` to the tiling's sets: to sets at the same versions,
    /// in place of older ones; not to newer ones (a read that began before a change may
    /// finish after a read that began after it).
    fn keep(&self, at: (String, String), versions: Vec<i64>, read: &Senders) {
        let size: usize = read.values().map(|s| s.len() + 1).sum();
        if size > self.capacity {
            return;
        }
        let mut shelf = self.shelf();
        let now = shelf.clock;
        let current = shelf.kept.get(&at).map(|s| s.versions.clone());
        match current {
            Some(v) if v == versions => {}
            Some(v) if at_least(&v, &versions) => return,
            _ => {
                if let Some(old) = shelf.kept.remove(&at) {
                    shelf.size -= old.size;
                }
                let sets = Sets {
                    versions,
                    by_person: FxHashMap::default(),
                    size: 0,
                    used: now,
                };
                shelf.kept.insert(at.clone(), sets);
            }
        }
        let Some(sets) = shelf.kept.get_mut(&at) else { return };
        let mut grown = 0;
        for (p, senders) in read {
            if sets.by_person.insert(p.clone(), senders.clone()).is_none() {
                grown += senders.len() + 1;
            }
        }
        sets.size += grown;
        shelf.size += grown;
        while shelf.size > self.capacity {
            // This tiling's sets were used last: they go only when nothing else is left.
            let Some(oldest) = shelf.kept.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(gone) = shelf.kept.remove(&oldest) {
                shelf.size -= gone.size;
            }
        }
    }
}
