//! Board totals kept in memory, for custom periods. A custom period adds up a tiling of up to
//! about thirty buckets: tens of thousands of rows at a million postcards, which no index can
//! rank, so reading them from the database on every request costs a tenth of a second or
//! more. Each instance keeps the rows of day buckets and of ended longer ones, and the sums
//! of tilings' ended buckets, and checks, on every read, `board_changes`: a version per
//! bucket that every writer of a day bucket, and of a longer one once it has ended, bumps in
//! its transaction (`domain::buckets::keepable`). A change on any instance therefore shows on
//! the next read everywhere. Ended buckets hardly change (an old postcard hidden, restored or
//! endorsed, someone's standing); today's changes with each send, and is read again then.
//! Weeks, months... that have not ended are read from the database each time; tilings never
//! use them (`domain::board_period`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::NaiveDate;
use diesel::prelude::*;
use rustc_hash::FxHashMap;

use super::board::RowAfter;
use super::board_sums::{self, Sums};
use super::schema::{board_changes, board_totals};
use super::DbConnection;
use crate::domain::buckets::{ends_before, keepable};

/// The `board_changes` row that stands for every bucket.
const EVERY_BUCKET: &str = "*";

/// One person's totals in a bucket, with their standing; people and departments by their
/// number in the memory's tables ([`BoardMemory::person_ids`], [`BoardMemory::departments`]).
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub person: u32,
    pub department: u32,
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    pub active: bool,
    pub listed: bool,
}

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

/// What is kept: a bucket's rows, or the sum of a tiling's ended buckets.
enum Held {
    Rows(Arc<Vec<Row>>),
    Sum(Arc<Sums>),
}

impl Held {
    fn weight(&self) -> usize {
        match self {
            Held::Rows(rows) => rows.len(),
            Held::Sum(sums) => board_sums::weight(sums),
        }
    }
}

/// A kept bucket or sum, the versions it was read at (its buckets', then every bucket's), and
/// when it was last used (for eviction).
struct Kept {
    held: Held,
    versions: Vec<i64>,
    used: u64,
}

#[derive(Default)]
struct Directory {
    people: Names,
    departments: Names,
}

/// Kept rows (or sums) by (bucket keys, behaviour); a sum's keys are its buckets' joined by
/// commas. At most `capacity` rows are kept (sums by their weight); the least recently used
/// go first.
#[derive(Default)]
struct Shelf {
    kept: HashMap<(String, String), Kept>,
    capacity: usize,
    rows: usize,
    clock: u64,
}

impl Shelf {
    fn with_capacity(capacity: usize) -> Shelf {
        Shelf {
            capacity,
            ..Shelf::default()
        }
    }

    fn keep(&mut self, at: (String, String), held: Held, versions: Vec<i64>) {
        let weight = held.weight();
        if weight > self.capacity {
            return;
        }
        self.rows += weight;
        let used = self.clock;
        if let Some(old) = self.kept.insert(at, Kept { held, versions, used }) {
            self.rows -= old.held.weight();
        }
        while self.rows > self.capacity {
            let Some(oldest) = self.kept.iter().min_by_key(|(_, k)| k.used).map(|(at, _)| at.clone()) else {
                break;
            };
            if let Some(gone) = self.kept.remove(&oldest) {
                self.rows -= gone.held.weight();
            }
        }
    }

    fn get(&mut self, at: (String, String), versions: &[i64]) -> Option<&Held> {
        self.clock += 1;
        let now = self.clock;
        let kept = self.kept.get_mut(&at).filter(|k| k.versions == versions)?;
        kept.used = now;
        Some(&kept.held)
    }
}

/// A tiling's buckets for one read: the ended ones added up, the others' rows (today's,
/// mostly).
pub struct Parts {
    pub ended: Arc<Sums>,
    pub fresh: Vec<Arc<Vec<Row>>>,
}

pub struct BoardMemory {
    /// Read by every request that reads rows; written only when new people or departments
    /// appear, so concurrent requests do not queue behind each other's numbering.
    names: RwLock<Directory>,
    shelf: Mutex<Shelf>,
    /// Sums of tilings, within a quarter of the capacity on top, so that many different
    /// ranges (each read once) do not push out the rows every range is added up from.
    sums: Mutex<Shelf>,
}

type StoredRow = (String, String, String, bool, bool, i32, i32, i32, i64);

impl BoardMemory {
    pub fn new(capacity_rows: usize) -> BoardMemory {
        BoardMemory {
            names: RwLock::new(Directory::default()),
            shelf: Mutex::new(Shelf::with_capacity(capacity_rows)),
            sums: Mutex::new(Shelf::with_capacity(capacity_rows / 4)),
        }
    }

    // A panic while holding a lock leaves consistent (if incomplete) tables: carry on.
    fn shelf(&self) -> MutexGuard<'_, Shelf> {
        self.shelf.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn sums(&self) -> MutexGuard<'_, Shelf> {
        self.sums.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn names(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.names.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The stored rows with people and departments as numbers: under the shared lock when
    /// all of them are known (the usual case), under the exclusive one to number new ones.
    fn numbered(&self, stored: &[StoredRow]) -> Vec<Row> {
        let row = |s: &StoredRow, person: u32, department: u32| Row {
            person,
            department,
            received: s.5,
            given: s.6,
            endorsements: s.7,
            score: s.8,
            active: s.3,
            listed: s.4,
        };
        let known: Option<Vec<Row>> = {
            let names = self.names();
            stored
                .iter()
                .map(|s| Some(row(s, names.people.get(&s.1)?, names.departments.get(&s.2)?)))
                .collect()
        };
        known.unwrap_or_else(|| {
            let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
            stored
                .iter()
                .map(|s| {
                    let (person, department) = (names.people.number(&s.1), names.departments.number(&s.2));
                    row(s, person, department)
                })
                .collect()
        })
    }

    /// The buckets in `keys` for `behaviour` ("" for all): those that ended before
    /// `kept_before` added up, from memory when none of them changed since they were read; the
    /// others' rows, from memory when kept and unchanged (days), else from the database.
    pub fn parts(
        &self,
        conn: &mut DbConnection,
        keys: &[String],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<Parts> {
        // Versions first, rows after: a change committed in between is in the rows and makes
        // the versions stale, so the next read reads the buckets again (never the reverse).
        let versions = Versions::read(conn, keys)?;
        let (mut ended, fresh): (Vec<&String>, Vec<&String>) = keys.iter().partition(|k| ends_before(k, kept_before));
        ended.sort_unstable();
        ended.dedup();
        // One bucket alone is summed as fast as it is copied: only tilings' sums are kept.
        let sum_at = (ended.len() > 1).then(|| {
            let joined = ended.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
            (joined, behaviour.to_string())
        });
        let mut sum_versions: Vec<i64> = ended.iter().map(|k| versions.own(k)).collect();
        sum_versions.push(versions.every);
        let kept_sum = sum_at.clone().and_then(|at| match self.sums().get(at, &sum_versions) {
            Some(Held::Sum(sums)) => Some(sums.clone()),
            _ => None,
        });
        let wanted: Vec<&String> = match kept_sum {
            Some(_) => fresh,
            None => keys.iter().collect(),
        };
        let mut ended_rows = Vec::new();
        let mut fresh_rows = Vec::new();
        for (key, rows) in self.rows(conn, &wanted, behaviour, kept_before, &versions)? {
            if ends_before(&key, kept_before) {
                ended_rows.push(rows);
            } else {
                fresh_rows.push(rows);
            }
        }
        let ended = match kept_sum {
            Some(sums) => sums,
            None => {
                let mut sums = Sums::new();
                for rows in &ended_rows {
                    board_sums::add_rows(&mut sums, rows);
                }
                let sums = Arc::new(sums);
                if let Some(at) = sum_at {
                    self.sums().keep(at, Held::Sum(sums.clone()), sum_versions);
                }
                sums
            }
        };
        Ok(Parts {
            ended,
            fresh: fresh_rows,
        })
    }

    /// The rows of every bucket in `keys` (at most once each): the keepable ones from memory
    /// when unchanged since they were read, the others from the database (and kept, when
    /// keepable).
    fn rows(
        &self,
        conn: &mut DbConnection,
        keys: &[&String],
        behaviour: &str,
        kept_before: NaiveDate,
        versions: &Versions,
    ) -> QueryResult<Vec<(String, Arc<Vec<Row>>)>> {
        let mut found = Vec::with_capacity(keys.len());
        let mut missing: Vec<String> = Vec::new();
        {
            let mut shelf = self.shelf();
            for &key in keys {
                if missing.contains(key) || found.iter().any(|(k, _)| k == key) {
                    continue;
                }
                let kept = keepable(key, kept_before)
                    .then(|| shelf.get((key.clone(), behaviour.to_string()), &versions.of_bucket(key)))
                    .flatten();
                match kept {
                    Some(Held::Rows(rows)) => found.push((key.clone(), rows.clone())),
                    _ => missing.push(key.clone()),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let stored: Vec<StoredRow> = board_totals::table
            .filter(board_totals::period.eq_any(&missing))
            .filter(board_totals::behaviour.eq(behaviour))
            .select((
                board_totals::period,
                board_totals::employee_id,
                board_totals::department,
                board_totals::active,
                board_totals::listed,
                board_totals::received,
                board_totals::given,
                board_totals::endorsements,
                board_totals::score,
            ))
            .load(conn)?;
        let rows = self.numbered(&stored);
        // Usually one bucket is read (today's): no need to sort rows by bucket then.
        let mut read: FxHashMap<&str, Vec<Row>> = FxHashMap::default();
        if let [only] = missing.as_slice() {
            read.insert(only, rows);
        } else {
            for key in &missing {
                read.insert(key, Vec::new());
            }
            for (s, row) in stored.iter().zip(rows) {
                read.entry(s.0.as_str()).or_default().push(row);
            }
        }
        let mut shelf = self.shelf();
        for (key, rows) in read {
            let rows = Arc::new(rows);
            if keepable(key, kept_before) {
                let at = (key.to_string(), behaviour.to_string());
                shelf.keep(at, Held::Rows(rows.clone()), versions.of_bucket(key));
            }
            found.push((key.to_string(), rows));
        }
        Ok(found)
    }

    /// Brings kept buckets up to date with a write this instance has just committed, so that
    /// the next read need not read them again: a kept bucket one version behind the write
    /// was exactly as the write found it (each bump is serialised on its version row), so its
    /// rows with the write's rows put in are the bucket at the write's version. Buckets
    /// further behind are left to be read again.
    pub fn apply(&self, written: &Written) {
        if written.rows.is_empty() && written.versions.is_empty() {
            return;
        }
        let stored: Vec<StoredRow> = written
            .rows
            .iter()
            .map(|r| {
                (
                    r.period.clone(),
                    r.employee_id.clone(),
                    r.department.clone(),
                    r.active,
                    r.listed,
                    r.received,
                    r.given,
                    r.endorsements,
                    r.score,
                )
            })
            .collect();
        let numbered = self.numbered(&stored);
        let mut shelf = self.shelf();
        for (key, version) in &written.versions {
            let behind: Vec<(String, String)> = shelf
                .kept
                .iter()
                .filter(|((k, _), kept)| k == key && kept.versions.first() == Some(&(version - 1)))
                .map(|(at, _)| at.clone())
                .collect();
            for at in behind {
                let Some(kept) = shelf.kept.get_mut(&at) else { continue };
                let Held::Rows(rows) = &kept.held else { continue };
                let mut rows = Vec::clone(rows);
                let mut place: FxHashMap<u32, usize> = rows.iter().enumerate().map(|(i, r)| (r.person, i)).collect();
                let written_here = written
                    .rows
                    .iter()
                    .zip(&numbered)
                    .filter(|(w, _)| w.period == at.0 && w.behaviour == at.1);
                for (_, row) in written_here {
                    match place.get(&row.person) {
                        Some(&i) => rows[i] = *row,
                        None => {
                            place.insert(row.person, rows.len());
                            rows.push(*row);
                        }
                    }
                }
                let grown = rows.len() - kept.held.weight();
                kept.held = Held::Rows(Arc::new(rows));
                kept.versions[0] = *version;
                shelf.rows += grown;
            }
        }
    }

    /// Reads the rows of these ended buckets (for `behaviour`) into memory, a few buckets per
    /// query, so that the first custom periods after a start need not; stops when the
    /// memory is full. Returns how many buckets it read.
    pub fn warm(
        &self,
        conn: &mut DbConnection,
        keys: &[String],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<usize> {
        let mut read = 0;
        for chunk in keys.chunks(16) {
            let wanted: Vec<&String> = chunk.iter().filter(|k| ends_before(k, kept_before)).collect();
            let versions = Versions::read(conn, chunk)?;
            let (before, capacity) = {
                let shelf = self.shelf();
                (shelf.rows, shelf.capacity)
            };
            let rows: usize = self
                .rows(conn, &wanted, behaviour, kept_before, &versions)?
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

    /// How many rows are kept, sums counted by their weight (for tests and logs).
    pub fn kept_rows(&self) -> usize {
        self.shelf().rows + self.sums().rows
    }
}

/// The versions of some buckets and of every bucket's row, as read at one moment.
struct Versions {
    of: HashMap<String, i64>,
    every: i64,
}

impl Versions {
    fn read(conn: &mut DbConnection, keys: &[String]) -> QueryResult<Versions> {
        let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
        wanted.push(EVERY_BUCKET);
        let mut of: HashMap<String, i64> = board_changes::table
            .filter(board_changes::period.eq_any(wanted))
            .select((board_changes::period, board_changes::version))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let every = of.remove(EVERY_BUCKET).unwrap_or(0);
        Ok(Versions { of, every })
    }

    fn own(&self, key: &str) -> i64 {
        self.of.get(key).copied().unwrap_or(0)
    }

    /// What a kept bucket's rows are checked against: its own version, then every bucket's.
    fn of_bucket(&self, key: &str) -> Vec<i64> {
        vec![self.own(key), self.every]
    }
}

/// Records, in the writer's transaction, that these buckets' totals changed (see
/// `domain::buckets::recorded`); answers their new versions.
pub fn record_changes(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<Vec<(String, i64)>> {
    let mut keys = keys.to_vec();
    // One order for every writer, so two of them never wait for each other's rows in turn.
    keys.sort_unstable();
    keys.dedup();
    let mut versions = Vec::with_capacity(keys.len());
    for key in keys {
        let bump = diesel::insert_into(board_changes::table)
            .values((board_changes::period.eq(key), board_changes::version.eq(1)))
            .on_conflict(board_changes::period)
            .do_update()
            .set(board_changes::version.eq(board_changes::version + 1))
            .returning(board_changes::version);
        let version: i64 = crate::per_backend!(conn, c => bump.get_result(c)?);
        versions.push((key.to_string(), version));
    }
    Ok(versions)
}

/// Records a change to every bucket (a person's standing on all their rows, a rebuild).
pub fn record_change_to_all(conn: &mut DbConnection) -> QueryResult<()> {
    record_changes(conn, &[EVERY_BUCKET]).map(|_| ())
}

/// What a committed write did to buckets an instance may keep: the versions it gave them,
/// and every row it changed in them, as it left them.
#[derive(Debug, Default)]
pub struct Written {
    pub versions: Vec<(String, i64)>,
    pub rows: Vec<RowAfter>,
}
