//! Board totals kept in memory, for custom periods. A custom period adds up a tiling of up to
//! about thirty buckets: tens of thousands of rows at a million postcards, which no index can
//! rank, so reading them from the database on every request costs a tenth of a second or
//! more, while adding them up in memory costs about a millisecond. Each instance keeps rows
//! of two kinds, under one freshness contract:
//!
//! - **Ended buckets** (`domain::buckets::kept_before`) are kept with their versions in
//!   `board_changes`, which a writer bumps only when it changes an ended bucket (an old
//!   postcard hidden, restored or endorsed, someone's standing moved, a rebuild): every read
//!   checks them (one small query), so such a change shows everywhere on the next read.
//! - **Buckets that have not ended** (today's, in practice) are kept as read, for at most
//!   `max_age` (half of `server.leaderboard_cache_ms`, the other half being the answer
//!   cache's): then checked (a count and a sum of the rows' revisions), and read again only
//!   when another instance changed them. Writes of this instance are laid over its copies at once
//!   (sends by their rows, [`BoardMemory::apply`]; other writes make the copies stale,
//!   [`BoardMemory::stale_today`]), so a board is exact on the instance that wrote and at
//!   most `leaderboard_cache_ms` behind on the others. No row is written by every send.
//!
//! Copies and writes are laid over each other person by person by the rows' revisions (every
//! write of a row adds one), so the order in which they arrive does not matter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::QueryResult;
use rustc_hash::FxHashMap;

use super::sums::{add_rows, Sums};
use crate::domain::buckets::Bucket;
use crate::store::board::RowAfter;
use crate::store::board_read::{self, BucketRow};
use crate::store::DbConnection;

use super::lru::{At, Lru};
use super::names::Names;
use super::senders::SenderMemory;
pub use super::sums::Row;

#[derive(Default)]
struct Directory {
    people: Names,
    departments: Names,
}

/// Ended buckets' rows by (bucket key, behaviour).
type Shelf = Lru<Arc<Vec<Row>>>;

/// A copy of a bucket that has not ended: its rows, when they were read (`None`: read again
/// before use, as this instance wrote to the bucket in a way not laid over the rows), and
/// when it was last used.
struct Fresh {
    rows: Arc<Vec<Row>>,
    read_at: Option<Instant>,
    used: Instant,
    /// A read is reading the bucket again ahead of time (see [`BoardMemory::fresh_rows`]).
    renewing: bool,
}

/// Copies of buckets that have not ended, by (bucket, behaviour), and when this instance
/// last wrote to them in a way it did not lay over them ([`BoardMemory::stale_today`]): a
/// read that began before that is not kept as fresh.
#[derive(Default)]
struct Today {
    copies: FxHashMap<At, Fresh>,
    written_at: Option<Instant>,
}

/// Copies of buckets that have not been used for this long are dropped.
const UNUSED: Duration = Duration::from_secs(60);

/// A tiling's buckets' rows for one read: the ended ones' and the others' (today's).
pub struct Parts {
    pub ended: Vec<Arc<Vec<Row>>>,
    pub fresh: Vec<Arc<Vec<Row>>>,
    /// The ended buckets, sorted, and the sum of the versions the read saw for them: what
    /// anything else kept about them is checked against ([`SenderMemory::ended`]).
    pub ended_buckets: Vec<Bucket>,
    pub ended_version: i64,
}

impl Parts {
    /// Every person's totals over the buckets; of their standings, the one on the rows of
    /// the buckets that have not ended wins (the latest read or write of them).
    pub fn sums(&self) -> Sums {
        let mut sums = Sums::new();
        for rows in self.ended.iter().chain(&self.fresh) {
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
    /// Buckets that have not ended.
    today: Mutex<Today>,
    /// How long a copy in `today` serves reads before it is read again.
    max_age: Duration,
    /// Who sent whom postcards over tilings' ended buckets (unique senders).
    pub senders: SenderMemory,
}

impl BoardMemory {
    pub fn new(capacity_rows: usize, max_age: Duration) -> BoardMemory {
        BoardMemory {
            names: RwLock::new(Directory::default()),
            shelf: Mutex::new(Lru::with_capacity(capacity_rows)),
            today: Mutex::new(Today::default()),
            max_age,
            senders: SenderMemory::new(capacity_rows / 8),
        }
    }

    // A panic while holding a lock leaves consistent (if incomplete) tables: carry on.
    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn today(&self) -> MutexGuard<'_, Today> {
        self.today.lock().unwrap_or_else(|e| e.into_inner())
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
            revision: s.revision,
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
    /// others, from memory when read recently enough, else from the database.
    pub fn parts(
        &self,
        conn: &mut DbConnection,
        buckets: &[Bucket],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<Parts> {
        let (mut ended_buckets, fresh): (Vec<Bucket>, Vec<Bucket>) =
            buckets.iter().partition(|b| b.ends_before(kept_before));
        ended_buckets.sort_unstable();
        let (ended, ended_version) = self.ended_rows(conn, &keys_of(&ended_buckets), behaviour)?;
        Ok(Parts {
            ended,
            fresh: self.fresh_rows(conn, &keys_of(&fresh), behaviour)?,
            ended_buckets,
            ended_version,
        })
    }

    /// Reads these buckets' rows for `behaviour`, a list per bucket in the order given.
    fn read(&self, conn: &mut DbConnection, keys: &[String], behaviour: &str) -> QueryResult<Vec<Vec<Row>>> {
        let stored = board_read::bucket_rows(conn, keys, behaviour)?;
        let rows = self.numbered(&stored);
        let mut read: Vec<Vec<Row>> = vec![Vec::new(); keys.len()];
        let index: FxHashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        for (s, row) in stored.iter().zip(rows) {
            if let Some(&i) = index.get(s.period.as_str()) {
                read[i].push(row);
            }
        }
        Ok(read)
    }

    /// The rows of these ended buckets, and the sum of their versions: from memory when
    /// unchanged since they were read, else from the database (and kept). Their versions are
    /// read first, the rows after: a change committed in between is in the rows and makes the
    /// versions stale, so the next read reads the bucket again (never the reverse).
    fn ended_rows(
        &self,
        conn: &mut DbConnection,
        keys: &[String],
        behaviour: &str,
    ) -> QueryResult<(Vec<Arc<Vec<Row>>>, i64)> {
        if keys.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        let versions: HashMap<String, i64> = board_read::versions(conn, &wanted)?.into_iter().collect();
        let version = |key: &str| versions.get(key).copied().unwrap_or(0);
        let sum = versions.values().sum();
        let mut found = Vec::with_capacity(keys.len());
        let mut missing: Vec<String> = Vec::new();
        {
            let mut shelf = self.shelf();
            for key in keys {
                match shelf.get(&(key.clone(), behaviour.to_string()), version(key)) {
                    Some(rows) => found.push(rows.clone()),
                    None => missing.push(key.clone()),
                }
            }
        }
        if missing.is_empty() {
            return Ok((found, sum));
        }
        let read = self.read(conn, &missing, behaviour)?;
        let mut shelf = self.shelf();
        for (key, rows) in missing.into_iter().zip(read) {
            let rows = Arc::new(rows);
            let v = version(&key);
            shelf.keep((key, behaviour.to_string()), rows.clone(), v);
            found.push(rows);
        }
        Ok((found, sum))
    }

    /// The rows of buckets that have not ended: this instance's copy when read less than
    /// `max_age` ago; else the copy if the bucket's signature (`board_read::bucket_signature`)
    /// shows no row changed since; else read again and laid over the copy (which may hold
    /// writes of this instance that committed after the read began). The first read to find a
    /// copy past half its age checks it, while the others still use it: under steady reads a
    /// copy is renewed by one read at a time and never expires.
    fn fresh_rows(&self, conn: &mut DbConnection, keys: &[String], behaviour: &str) -> QueryResult<Vec<Arc<Vec<Row>>>> {
        let now = Instant::now();
        let mut found = Vec::with_capacity(keys.len());
        let mut check: Vec<(&String, Arc<Vec<Row>>)> = Vec::new();
        let mut stale: Vec<String> = Vec::new();
        {
            let mut today = self.today();
            for key in keys {
                let at = (key.clone(), behaviour.to_string());
                let age = |f: &Fresh| f.read_at.map(|t| now.duration_since(t));
                let Some(f) = today.copies.get_mut(&at) else {
                    stale.push(key.clone());
                    continue;
                };
                f.used = now;
                let young = age(f).is_some_and(|a| a < self.max_age);
                if young && (f.renewing || age(f).is_some_and(|a| a < self.max_age / 2)) {
                    found.push(f.rows.clone());
                } else {
                    f.renewing = young;
                    check.push((key, f.rows.clone()));
                }
            }
        }
        let mut unchanged = Vec::new();
        for (key, rows) in check {
            let signature = (rows.len() as i64, rows.iter().map(|r| r.revision).sum::<i64>());
            if board_read::bucket_signature(conn, key, behaviour)? == signature {
                unchanged.push(key);
            } else {
                stale.push(key.clone());
            }
        }
        let read = if stale.is_empty() {
            Vec::new()
        } else {
            self.read(conn, &stale, behaviour)?
        };
        let mut today = self.today();
        today.copies.retain(|_, f| now.duration_since(f.used) < UNUSED);
        let read_at = Some(now).filter(|&now| today.written_at.is_none_or(|w| w < now));
        for key in unchanged {
            if let Some(f) = today.copies.get_mut(&(key.clone(), behaviour.to_string())) {
                f.read_at = read_at;
                f.renewing = false;
                found.push(f.rows.clone());
            }
        }
        for (key, rows) in stale.into_iter().zip(read) {
            let at = (key, behaviour.to_string());
            // In people's order, as `newest_of` keeps copies (ended buckets need no order).
            let rows = newest_of(today.copies.get(&at).map_or(&[][..], |kept| &kept.rows[..]), rows);
            let rows = Arc::new(rows);
            let fresh = Fresh {
                rows: rows.clone(),
                read_at,
                used: now,
                renewing: false,
            };
            today.copies.insert(at, fresh);
            found.push(rows);
        }
        Ok(found)
    }

    /// Lays rows this instance has just written (and committed) over its copies of the
    /// buckets that have not ended, so that its next read is exact without reading them.
    /// Only the rows of buckets it keeps are taken (a send writes six buckets, two behaviours
    /// each, for each person), grouped by bucket once.
    pub fn apply(&self, written: &[RowAfter]) {
        let mut by_copy: FxHashMap<At, Vec<BucketRow>> = FxHashMap::default();
        {
            let today = self.today();
            for w in written {
                let at = (w.period.clone(), w.behaviour.clone());
                if today.copies.contains_key(&at) {
                    by_copy.entry(at).or_default().push(BucketRow::from(w));
                }
            }
        }
        let numbered: Vec<(At, Vec<Row>)> = by_copy
            .into_iter()
            .map(|(at, rows)| {
                let rows = self.numbered(&rows);
                (at, rows)
            })
            .collect();
        let mut today = self.today();
        for (at, rows) in numbered {
            if let Some(fresh) = today.copies.get_mut(&at) {
                fresh.rows = Arc::new(newest_of(&fresh.rows, rows));
            }
        }
    }

    /// Marks this instance's copies of buckets that have not ended to be read again: it has
    /// written to them in a way it does not lay over them (an endorsement, a hide, an edit).
    pub fn stale_today(&self) {
        let mut today = self.today();
        today.written_at = Some(Instant::now());
        for fresh in today.copies.values_mut() {
            fresh.read_at = None;
        }
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
            let (before, capacity) = {
                let shelf = self.shelf();
                (shelf.weight(), shelf.capacity())
            };
            let rows: usize = self
                .ended_rows(conn, &keys_of(&chunk), behaviour)?
                .0
                .iter()
                .map(|r| r.len())
                .sum();
            read += chunk.len();
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
        numbers.iter().map(|&n| names.people.name(n).to_string()).collect()
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
        self.names().departments.all().to_vec()
    }

    /// How many rows are kept (for tests and logs).
    pub fn kept_rows(&self) -> usize {
        let today: usize = self.today().copies.values().map(|f| f.rows.len()).sum();
        self.shelf().weight() + self.senders.kept() + today
    }
}

/// How the database knows these buckets.
fn keys_of(buckets: &[Bucket]) -> Vec<String> {
    buckets.iter().map(|b| b.key()).collect()
}

/// Two copies of a bucket's rows (each in people's order; `newer` in any order) as one: of a
/// person's rows, the one with the highest revision, which is the latest write of it.
fn newest_of(kept: &[Row], mut newer: Vec<Row>) -> Vec<Row> {
    newer.sort_unstable_by_key(|r| (r.person, std::cmp::Reverse(r.revision)));
    newer.dedup_by_key(|r| r.person);
    let mut out = Vec::with_capacity(kept.len() + newer.len());
    let mut i = 0;
    for w in newer {
        while i < kept.len() && kept[i].person < w.person {
            out.push(kept[i]);
            i += 1;
        }
        if i < kept.len() && kept[i].person == w.person {
            out.push(if kept[i].revision > w.revision { kept[i] } else { w });
            i += 1;
        } else {
            out.push(w);
        }
    }
    out.extend_from_slice(&kept[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(person: u32, received: i32, revision: i64) -> Row {
        Row {
            person,
            department: 0,
            received,
            given: 0,
            endorsements: 0,
            score: 0,
            revision,
            active: true,
            listed: true,
        }
    }

    fn people(rows: &[Row]) -> Vec<(u32, i32)> {
        rows.iter().map(|r| (r.person, r.received)).collect()
    }

    #[test]
    fn the_newest_revision_of_each_person_wins_in_any_order() {
        let kept = vec![row(1, 1, 1), row(3, 5, 5), row(5, 1, 1)];
        // A write of person 3 that a later read already holds (revision 5) does not undo it.
        let written = vec![row(5, 2, 2), row(0, 7, 1), row(3, 2, 2), row(3, 4, 4), row(9, 1, 1)];
        let out = newest_of(&kept, written.clone());
        assert_eq!(people(&out), vec![(0, 7), (1, 1), (3, 5), (5, 2), (9, 1)]);
        // The other way round: the read laid over the writes gives the same rows.
        let mut writes_first = newest_of(&[], written);
        writes_first = newest_of(&writes_first, kept);
        assert_eq!(people(&writes_first), people(&out));
    }
}
