//! Board totals of ended buckets kept in memory, for custom periods. A custom period adds up
//! a tiling of up to about thirty buckets: tens of thousands of rows at a million postcards,
//! which no index can rank, so reading them from the database on every request costs a
//! tenth of a second or more. Ended buckets hardly change (only when an old postcard is
//! hidden, restored or endorsed, or someone's standing changes), so each instance keeps their
//! rows and checks, on every read, `board_changes`: a version per bucket that the writers of
//! such changes bump in the same transaction. A change on any instance therefore shows on the
//! next read everywhere. Buckets that have not ended are read from the database each time
//! (tilings keep them to a few days; see `domain::board_period`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use chrono::NaiveDate;
use diesel::prelude::*;
use rustc_hash::FxHashMap;

use super::schema::{board_changes, board_totals};
use super::DbConnection;
use crate::domain::buckets::ends_before;

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

/// A kept bucket: its rows, the versions (its own, every bucket's) they were read at, and
/// when it was last used (for eviction).
struct Kept {
    rows: Arc<Vec<Row>>,
    versions: (i64, i64),
    used: u64,
}

#[derive(Default)]
struct Directory {
    people: Names,
    departments: Names,
}

#[derive(Default)]
struct Shelf {
    kept: HashMap<(String, String), Kept>,
    rows: usize,
    clock: u64,
}

pub struct BoardMemory {
    /// `server.board_memory_rows`: at most this many rows are kept (least recently used go).
    capacity: usize,
    /// Read by every request that reads rows; written only when new people or departments
    /// appear, so concurrent requests do not queue behind each other's numbering.
    names: RwLock<Directory>,
    shelf: Mutex<Shelf>,
}

type StoredRow = (String, String, String, bool, bool, i32, i32, i32, i64);

impl BoardMemory {
    pub fn new(capacity_rows: usize) -> BoardMemory {
        BoardMemory {
            capacity: capacity_rows,
            names: RwLock::new(Directory::default()),
            shelf: Mutex::new(Shelf::default()),
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

    /// The rows of every bucket in `keys` for `behaviour` ("" for all): buckets that ended
    /// before `kept_before` from memory when unchanged since they were read, the others from
    /// the database (and kept, when they ended). In no particular order.
    pub fn buckets(
        &self,
        conn: &mut DbConnection,
        keys: &[String],
        behaviour: &str,
        kept_before: NaiveDate,
    ) -> QueryResult<Vec<Arc<Vec<Row>>>> {
        // Versions first, rows after: a change committed in between is in the rows and makes
        // the versions stale, so the next read reads the bucket again (never the reverse).
        let versions = versions(conn, keys)?;
        let version = |key: &str| {
            (
                versions.get(key).copied().unwrap_or(0),
                versions.get(EVERY_BUCKET).copied().unwrap_or(0),
            )
        };
        let mut found = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        {
            let mut shelf = self.shelf();
            shelf.clock += 1;
            let now = shelf.clock;
            for key in keys {
                let kept = ends_before(key, kept_before)
                    .then(|| shelf.kept.get_mut(&(key.clone(), behaviour.to_string())))
                    .flatten()
                    .filter(|k| k.versions == version(key));
                match kept {
                    Some(k) => {
                        k.used = now;
                        found.push(k.rows.clone());
                    }
                    None => missing.push(key.clone()),
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
            if ends_before(key, kept_before) {
                self.keep(
                    &mut shelf,
                    (key.to_string(), behaviour.to_string()),
                    rows.clone(),
                    version(key),
                );
            }
            found.push(rows);
        }
        Ok(found)
    }

    fn keep(&self, shelf: &mut Shelf, at: (String, String), rows: Arc<Vec<Row>>, versions: (i64, i64)) {
        if rows.len() > self.capacity {
            return;
        }
        shelf.rows += rows.len();
        let used = shelf.clock;
        if let Some(old) = shelf.kept.insert(at, Kept { rows, versions, used }) {
            shelf.rows -= old.rows.len();
        }
        while shelf.rows > self.capacity {
            let Some(oldest) = shelf.kept.iter().min_by_key(|(_, k)| k.used).map(|(at, _)| at.clone()) else {
                break;
            };
            if let Some(gone) = shelf.kept.remove(&oldest) {
                shelf.rows -= gone.rows.len();
            }
        }
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
        self.shelf().rows
    }
}

fn versions(conn: &mut DbConnection, keys: &[String]) -> QueryResult<HashMap<String, i64>> {
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    wanted.push(EVERY_BUCKET);
    Ok(board_changes::table
        .filter(board_changes::period.eq_any(wanted))
        .select((board_changes::period, board_changes::version))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Records, in the writer's transaction, that these buckets' totals changed (after they
/// ended, or about to: see `domain::buckets::recorded_before`).
pub fn record_changes(conn: &mut DbConnection, keys: &[&str]) -> QueryResult<()> {
    let mut keys = keys.to_vec();
    // One order for every writer, so two of them never wait for each other's rows in turn.
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let bump = diesel::insert_into(board_changes::table)
            .values((board_changes::period.eq(key), board_changes::version.eq(1)))
            .on_conflict(board_changes::period)
            .do_update()
            .set(board_changes::version.eq(board_changes::version + 1));
        crate::per_backend!(conn, c => bump.execute(c)?);
    }
    Ok(())
}

/// Records a change to every bucket (a person's standing on all their rows, a rebuild).
pub fn record_change_to_all(conn: &mut DbConnection) -> QueryResult<()> {
    record_changes(conn, &[EVERY_BUCKET])
}
