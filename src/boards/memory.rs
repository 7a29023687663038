//! Board totals kept in memory, for custom periods. A custom period adds up a tiling of up to
//! about thirty buckets: tens of thousands of rows at a million postcards, which no index can
//! rank, so reading them from the database on every request costs a tenth of a second or
//! more, while adding them up in memory costs about a millisecond.
//!
//! Only **ended buckets** (`domain::buckets::kept_before`) are kept, each with its version in
//! `board_changes`, which a writer bumps only when it changes an ended bucket (an old
//! postcard hidden, restored or endorsed, someone's standing moved, a rebuild): every read
//! checks the versions (one small query), so such a change shows everywhere on the next read.
//! The buckets that have not ended (today's, as tilings split the buckets holding today into
//! days) are read from the database on every read: a day's rows, a few thousand. Boards are
//! therefore exact on every instance, and no row is written by every send.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::NaiveDate;
use diesel::QueryResult;
use rustc_hash::FxHashMap;

use super::sums::{add_rows, Sums};
use crate::domain::buckets::Bucket;
use crate::store::board_read::{self, BucketRow};
use crate::store::DbConnection;

use super::lru::Lru;
pub use super::sums::Row;

/// Names numbered in the order first seen; numbers are never reused.
#[derive(Default)]
struct Names {
    numbers: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }

    fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.numbers.insert(name.to_string(), n);
        n
    }
}

#[derive(Default)]
struct Directory {
    people: Names,
    departments: Names,
}

/// Ended buckets' rows by (bucket key, behaviour), each in the order of their people's numbers.
type Shelf = Lru<Arc<Vec<Row>>>;

/// A tiling's buckets' rows for one read: the ended ones' (kept) and the others' (today's).
pub struct Parts {
    pub ended: Vec<Arc<Vec<Row>>>,
    pub fresh: Vec<Vec<Row>>,
}

impl Parts {
    /// Every person's totals over the buckets; of their standings, the one on the rows of
    /// the buckets that have not ended wins (the latest read).
    pub fn sums(&self) -> Sums {
        let mut sums = Sums::new();
        for rows in self
            .ended
            .iter()
            .map(|r| r.as_slice())
            .chain(self.fresh.iter().map(Vec::as_slice))
        {
            add_rows(&mut sums, rows);
        }
        sums
    }
}

pub struct BoardMemory {
    /// Read by every request that reads rows; written only when new people or departments
    /// appear, so concurrent requests do not queue behind each other's numbering.
    names: RwLock<Directory>,
    shelf: Mutex<Shelf>,
}

impl BoardMemory {
    pub fn new(capacity_rows: usize) -> BoardMemory {
        BoardMemory {
            names: RwLock::new(Directory::default()),
            shelf: Mutex::new(Lru::with_capacity(capacity_rows)),
        }
    }

    // A panic while holding a lock leaves consistent (if incomplete) tables: carry on.
    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn names(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.names.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The stored rows with people and departments as numbers: under the shared lock when
    /// all of them are known (the usual case), under the exclusive one to number new ones.
    fn numbered(&self, stored: &[BucketRow]) -> Vec<Row> {
        let row = |s: &BucketRow, person: u32, department: u32| Row {
            person,
            department,
            received: s.received,
            given: s.given,
            endorsements: s.endorsements,
            score: s.score,
            active: s.active,
            listed: s.listed,
        };
        let known: Option<Vec<Row>> = {
            let names = self.names();
            stored
                .iter()
                .map(|s| {
                    Some(row(
                        s,
                        names.people.get(&s.employee_id)?,
                        names.departments.get(&s.department)?,
                    ))
                })
                .collect()
        };
        known.unwrap_or_else(|| {
            let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
            stored
                .iter()
                .map(|s| {
                    let (person, department) = (
                        names.people.number(&s.employee_id),
                        names.departments.number(&s.department),
                    );
                    row(s, person, department)
                })
                .collect()
        })
    }

    /// The rows of these buckets for `behaviour` ("" for all): of those that ended before
    /// `kept_before`, from memory when none of them changed since they were read; of the
    /// others, from the database.
    pub fn parts(
        &self,
        conn: &mut DbConnection,
        buckets: &[Bucket],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<Parts> {
        let (ended, fresh): (Vec<Bucket>, Vec<Bucket>) = buckets.iter().partition(|b| b.ends_before(kept_before));
        let (ended, fresh) = (keys_of(&ended), keys_of(&fresh));
        // Versions first, rows after: a change committed in between is in the rows and makes
        // the versions stale, so the next read reads the buckets again (never the reverse).
        let versions = Versions::read(conn, &ended)?;
        let ended = self.ended_rows(conn, &ended.iter().collect::<Vec<_>>(), behaviour, &versions)?;
        Ok(Parts {
            ended: ended.into_iter().map(|(_, rows)| rows).collect(),
            fresh: self
                .read(conn, &fresh.iter().collect::<Vec<_>>(), behaviour)?
                .into_iter()
                .map(|(_, rows)| rows)
                .collect(),
        })
    }

    /// Reads these buckets' rows for `behaviour`, each bucket's in people's order.
    fn read(&self, conn: &mut DbConnection, keys: &[&String], behaviour: &str) -> QueryResult<Vec<(String, Vec<Row>)>> {
        let stored = board_read::bucket_rows(conn, keys, behaviour)?;
        tracing::debug!(
            buckets = keys.len(),
            rows = stored.len(),
            "board memory read from the database"
        );
        let rows = self.numbered(&stored);
        let mut read: Vec<(String, Vec<Row>)> = keys.iter().map(|k| (k.to_string(), Vec::new())).collect();
        let index: FxHashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        for (s, row) in stored.iter().zip(rows) {
            if let Some(&i) = index.get(s.period.as_str()) {
                read[i].1.push(row);
            }
        }
        for (_, rows) in &mut read {
            rows.sort_unstable_by_key(|r| r.person);
        }
        Ok(read)
    }

    /// The rows of these ended buckets (at most once each): from memory when unchanged since
    /// they were read, else from the database (and kept).
    fn ended_rows(
        &self,
        conn: &mut DbConnection,
        keys: &[&String],
        behaviour: &str,
        versions: &Versions,
    ) -> QueryResult<Vec<(String, Arc<Vec<Row>>)>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut missing: Vec<&String> = Vec::new();
        {
            let mut shelf = self.shelf();
            for &key in keys {
                let at = (key.clone(), behaviour.to_string());
                match shelf.get(&at, versions.of_bucket(key)) {
                    Some(rows) => found.push((key.clone(), rows.clone())),
                    None => missing.push(key),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let read = self.read(conn, &missing, behaviour)?;
        let mut shelf = self.shelf();
        for (key, rows) in read {
            let rows = Arc::new(rows);
            let at = (key.clone(), behaviour.to_string());
            shelf.keep(at, rows.clone(), versions.of_bucket(&key));
            found.push((key, rows));
        }
        Ok(found)
    }

    /// Reads the rows of these ended buckets (for `behaviour`) into memory, a few buckets per
    /// query, so that the first custom periods after a start need not; stops when the
    /// memory is full. Returns how many buckets it read.
    pub fn warm(
        &self,
        conn: &mut DbConnection,
        buckets: &[Bucket],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<usize> {
        let mut read = 0;
        for chunk in buckets.chunks(16) {
            let chunk: Vec<Bucket> = chunk.iter().copied().filter(|b| b.ends_before(kept_before)).collect();
            let keys = keys_of(&chunk);
            let wanted: Vec<&String> = keys.iter().collect();
            let versions = Versions::read(conn, &keys)?;
            let (before, capacity) = {
                let shelf = self.shelf();
                (shelf.weight(), shelf.capacity())
            };
            let rows: usize = self
                .ended_rows(conn, &wanted, behaviour, &versions)?
                .iter()
                .map(|(_, r)| r.len())
                .sum();
            read += wanted.len();
            // Past this, warming would evict what it just read.
            if before + rows > capacity {
                break;
            }
        }
        Ok(read)
    }

    /// The ids of people by number.
    pub fn person_ids(&self, numbers: &[u32]) -> Vec<String> {
        let names = self.names();
        numbers
            .iter()
            .map(|&n| names.people.names.get(n as usize).cloned().unwrap_or_default())
            .collect()
    }

    /// A person's number, if any row read so far is theirs.
    pub fn person_number(&self, id: &str) -> Option<u32> {
        self.names().people.get(id)
    }

    /// A department's number, if any row read so far is in it.
    pub fn department_number(&self, name: &str) -> Option<u32> {
        self.names().departments.get(name)
    }

    /// Every department name, by number.
    pub fn departments(&self) -> Vec<String> {
        self.names().departments.names.clone()
    }

    /// How many rows are kept (for tests and logs).
    pub fn kept_rows(&self) -> usize {
        self.shelf().weight()
    }
}

/// The versions of some buckets, as read at one moment.
struct Versions {
    of: HashMap<String, i64>,
}

impl Versions {
    fn read(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Versions> {
        let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        let of = board_read::versions(conn, &wanted)?.into_iter().collect();
        Ok(Versions { of })
    }

    /// What a kept bucket's rows are checked against.
    fn of_bucket(&self, key: &str) -> i64 {
        self.of.get(key).copied().unwrap_or(0)
    }
}

/// How the database knows these buckets.
fn keys_of(buckets: &[Bucket]) -> Vec<String> {
    buckets.iter().map(|b| b.key()).collect()
}
