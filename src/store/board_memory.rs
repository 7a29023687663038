//! Board totals kept in memory, for custom periods. A custom period adds up a tiling of up to
//! about thirty buckets: tens of thousands of rows at a million postcards, which no index can
//! rank, so reading them from the database on every request costs a tenth of a second or
//! more. Each instance keeps the rows of day buckets and of ended longer ones, and the sums
//! of tilings' ended buckets, and checks, on every read, `board_changes`: a version per
//! bucket that every writer of a day bucket, and of a longer one once it has ended, bumps in
//! its transaction (`domain::buckets::keepable`). A change on any instance therefore shows on
//! the next read everywhere. Ended buckets hardly change (an old postcard hidden, restored or
//! endorsed, someone's standing); today's changes with each send, which puts its rows into the
//! sending instance's copy ([`BoardMemory::apply`]); other instances read it again.
//! Weeks, months... that have not ended are read from the database each time; tilings never
//! use them (`domain::board_period`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use diesel::prelude::*;
use rustc_hash::FxHashMap;

use super::board::RowAfter;
use super::board_senders::SenderMemory;
use super::board_sums::{self, Sums};
use super::schema::{board_changes, board_totals};
use super::DbConnection;
use crate::domain::buckets::{ends_before, keepable};

/// The `board_changes` row that stands for every bucket.
const EVERY_BUCKET: &str = "*";

use super::board_kept::at_least;
pub use super::board_kept::Row;

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

/// Where something is kept: (bucket keys, behaviour).
type At = (String, String);

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
/// go first. A bucket's rows are in the order of their people's numbers.
#[derive(Default)]
struct Shelf {
    kept: HashMap<At, Kept>,
    capacity: usize,
    rows: usize,
    clock: u64,
    /// (bucket, version) that a write on this instance gave a bucket and has not yet put
    /// into the kept rows ([`BoardMemory::expect`]): a read that finds the bucket at such a
    /// version waits for those rows rather than reading the bucket again.
    expected: HashSet<(String, i64)>,
}

impl Shelf {
    fn with_capacity(capacity: usize) -> Shelf {
        Shelf {
            capacity,
            ..Shelf::default()
        }
    }

    /// Keeps `held`, read at `versions`, unless what is kept at `at` was read at the same or
    /// later ones: a read that began before a write (or another read) may finish after it.
    fn keep(&mut self, at: At, held: Held, versions: Vec<i64>) {
        let weight = held.weight();
        if weight > self.capacity || self.kept.get(&at).is_some_and(|k| at_least(&k.versions, &versions)) {
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

    /// What is kept at `at` if it was read at `versions` or later ones (versions only grow:
    /// later rows are as good for a read as the ones it asked for, which were current when
    /// it began).
    fn get(&mut self, at: At, versions: &[i64]) -> Option<&Held> {
        self.clock += 1;
        let now = self.clock;
        let kept = self.kept.get_mut(&at).filter(|k| at_least(&k.versions, versions))?;
        kept.used = now;
        Some(&kept.held)
    }

    /// Whether the kept rows at `at` are behind `versions` only by writes of this instance
    /// that have not yet put their rows in: then they will be at `versions` shortly.
    fn catching_up(&self, at: &At, versions: &[i64]) -> bool {
        let (Some(kept), [want, every]) = (self.kept.get(at), versions) else {
            return false;
        };
        let [have, kept_every] = kept.versions[..] else {
            return false;
        };
        kept_every == *every && have < *want && (have + 1..=*want).all(|v| self.expected.contains(&(at.0.clone(), v)))
    }
}

/// How long a read or a write waits for this instance's earlier writes to reach the kept
/// rows (a copy in memory, well under a millisecond) before it reads the database instead;
/// reached only when the writer is held up (a panic, a starved thread).
const CATCH_UP: Duration = Duration::from_millis(25);

/// A tiling's buckets for one read: the ended ones added up, the others' rows (today's,
/// mostly).
pub struct Parts {
    pub ended: Arc<Sums>,
    pub fresh: Vec<Arc<Vec<Row>>>,
    /// The ended buckets, sorted, and the versions the read saw for them (then for every
    /// bucket): what anything else kept about them is checked against
    /// ([`SenderMemory::ended`]).
    pub ended_keys: Vec<String>,
    pub ended_versions: Vec<i64>,
}

pub struct BoardMemory {
    /// Read by every request that reads rows; written only when new people or departments
    /// appear, so concurrent requests do not queue behind each other's numbering.
    names: RwLock<Directory>,
    shelf: Mutex<Shelf>,
    /// Signalled whenever a write's rows are put into the shelf or given up on.
    caught_up: Condvar,
    /// Sums of tilings, within a quarter of the capacity on top, so that many different
    /// ranges (each read once) do not push out the rows every range is added up from.
    sums: Mutex<Shelf>,
    /// Who sent whom postcards over tilings' ended buckets (unique senders).
    pub senders: SenderMemory,
}

type StoredRow = (String, String, String, bool, bool, i32, i32, i32, i64);

impl BoardMemory {
    pub fn new(capacity_rows: usize) -> BoardMemory {
        BoardMemory {
            names: RwLock::new(Directory::default()),
            shelf: Mutex::new(Shelf::with_capacity(capacity_rows)),
            caught_up: Condvar::new(),
            sums: Mutex::new(Shelf::with_capacity(capacity_rows / 4)),
            senders: SenderMemory::new(capacity_rows / 8),
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
        let (ended, fresh): (Vec<&String>, Vec<&String>) = keys.iter().partition(|k| ends_before(k, kept_before));
        let mut ended_keys: Vec<String> = ended.into_iter().cloned().collect();
        ended_keys.sort_unstable();
        ended_keys.dedup();
        // One bucket alone is summed as fast as it is copied: only tilings' sums are kept.
        let sum_at = (ended_keys.len() > 1).then(|| (ended_keys.join(","), behaviour.to_string()));
        let mut sum_versions: Vec<i64> = ended_keys.iter().map(|k| versions.own(k)).collect();
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
                    self.sums().keep(at, Held::Sum(sums.clone()), sum_versions.clone());
                }
                sums
            }
        };
        Ok(Parts {
            ended,
            fresh: fresh_rows,
            ended_keys,
            ended_versions: sum_versions,
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
                let kept = if keepable(key, kept_before) {
                    let at = (key.clone(), behaviour.to_string());
                    let rows;
                    (shelf, rows) = self.settled(shelf, at, &versions.of_bucket(key));
                    rows
                } else {
                    None
                };
                match kept {
                    Some(rows) => found.push((key.clone(), rows)),
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
        tracing::debug!(
            buckets = missing.len(),
            rows = stored.len(),
            "board memory read from the database"
        );
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
        for (key, mut rows) in read {
            rows.sort_unstable_by_key(|r| r.person);
            let rows = Arc::new(rows);
            if keepable(key, kept_before) {
                let at = (key.to_string(), behaviour.to_string());
                shelf.keep(at, Held::Rows(rows.clone()), versions.of_bucket(key));
            }
            found.push((key.to_string(), rows));
        }
        Ok(found)
    }

    /// The kept rows at `at` if they are at `versions`, once this instance's writes that
    /// are still putting their rows in have done so (waiting at most [`CATCH_UP`]). Answers
    /// the lock back with them.
    fn settled<'s>(
        &'s self,
        mut shelf: MutexGuard<'s, Shelf>,
        at: At,
        versions: &[i64],
    ) -> (MutexGuard<'s, Shelf>, Option<Arc<Vec<Row>>>) {
        let started = Instant::now();
        let deadline = started + CATCH_UP;
        let mut waited = false;
        let waits = |waited: bool, caught_up: bool| {
            if waited {
                let micros = started.elapsed().as_micros() as u64;
                tracing::debug!(bucket = at.0, micros, caught_up, "board memory waited for a write");
            }
        };
        loop {
            if let Some(Held::Rows(rows)) = shelf.get(at.clone(), versions) {
                let rows = rows.clone();
                waits(waited, true);
                return (shelf, Some(rows));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !shelf.catching_up(&at, versions) {
                waits(waited, false);
                return (shelf, None);
            }
            waited = true;
            shelf = self.wait(shelf, left);
        }
    }

    fn wait<'s>(&'s self, shelf: MutexGuard<'s, Shelf>, at_most: Duration) -> MutexGuard<'s, Shelf> {
        match self.caught_up.wait_timeout(shelf, at_most) {
            Ok((shelf, _)) => shelf,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Announces, before its commit, the versions a write of this instance gave buckets: a
    /// read that finds them committed before [`BoardMemory::apply`] has put the write's rows
    /// in then waits for it instead of reading the bucket again (today's, mostly: thousands
    /// of rows, read again on every send otherwise).
    pub fn expect(&self, versions: &[(String, i64)]) {
        self.shelf().expected.extend(versions.iter().cloned());
    }

    /// Withdraws [`BoardMemory::expect`]ed versions whose write did not commit.
    pub fn forget(&self, versions: &[(String, i64)]) {
        let mut shelf = self.shelf();
        for v in versions {
            shelf.expected.remove(v);
        }
        drop(shelf);
        self.caught_up.notify_all();
    }

    /// Brings kept buckets up to date with a write this instance has just committed, so that
    /// the next read need not read them again: a kept bucket one version behind the write
    /// was exactly as the write found it (each bump is serialised on its version row), so its
    /// rows with the write's rows put in are the bucket at the write's version. When the
    /// version before is another write of this instance, that one is put in first (they
    /// commit in version order, but may get here in either). Buckets further behind are left
    /// to be read again. The rows are copied outside the lock, which reads hold.
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
        let mut behind: Vec<(At, i64, Arc<Vec<Row>>)> = Vec::new();
        {
            let deadline = Instant::now() + CATCH_UP;
            let mut shelf = self.shelf();
            loop {
                let earlier = |s: &Shelf| {
                    written
                        .versions
                        .iter()
                        .any(|(k, v)| s.expected.contains(&(k.clone(), v - 1)))
                };
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || !earlier(&shelf) {
                    break;
                }
                shelf = self.wait(shelf, left);
            }
            for (key, version) in &written.versions {
                for (at, kept) in &shelf.kept {
                    if &at.0 == key && kept.versions.first() == Some(&(version - 1)) {
                        if let Held::Rows(rows) = &kept.held {
                            behind.push((at.clone(), *version, rows.clone()));
                        }
                    }
                }
            }
        }
        let updated: Vec<_> = behind
            .into_iter()
            .map(|(at, version, rows)| {
                let here: Vec<Row> = written
                    .rows
                    .iter()
                    .zip(&numbered)
                    .filter(|(w, _)| w.period == at.0 && w.behaviour == at.1)
                    .map(|(_, row)| *row)
                    .collect();
                let new = Arc::new(merged(&rows, here));
                (at, version, rows, new)
            })
            .collect();
        let mut shelf = self.shelf();
        for (at, version, old, new) in updated {
            let Some(kept) = shelf.kept.get_mut(&at) else { continue };
            // Read again (or evicted and kept anew) meanwhile: that copy stands.
            if !matches!(&kept.held, Held::Rows(rows) if Arc::ptr_eq(rows, &old)) {
                continue;
            }
            let grown = new.len() - old.len();
            kept.held = Held::Rows(new);
            kept.versions[0] = version;
            shelf.rows += grown;
        }
        for v in &written.versions {
            shelf.expected.remove(v);
        }
        drop(shelf);
        self.caught_up.notify_all();
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
        self.shelf().rows + self.sums().rows + self.senders.kept()
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

/// `rows` (in people's order) with `written` rows put in place of the same people's, or
/// added; of several written rows for one person, the last.
fn merged(rows: &[Row], mut written: Vec<Row>) -> Vec<Row> {
    written.sort_by_key(|r| r.person);
    let mut out = Vec::with_capacity(rows.len() + written.len());
    let mut i = 0;
    for (n, w) in written.iter().enumerate() {
        if written.get(n + 1).is_some_and(|next| next.person == w.person) {
            continue;
        }
        while i < rows.len() && rows[i].person < w.person {
            out.push(rows[i]);
            i += 1;
        }
        if i < rows.len() && rows[i].person == w.person {
            i += 1;
        }
        out.push(*w);
    }
    out.extend_from_slice(&rows[i..]);
    out
}

/// A write's [`BoardMemory::expect`]ed versions, withdrawn unless [`Expected::committed`]
/// puts the write's rows in: a write that fails, or panics, leaves no read waiting on it.
pub struct Expected<'a> {
    memory: Option<&'a BoardMemory>,
    versions: Vec<(String, i64)>,
}

impl<'a> Expected<'a> {
    pub fn new(memory: Option<&'a BoardMemory>) -> Expected<'a> {
        Expected {
            memory,
            versions: Vec::new(),
        }
    }

    /// Call in the transaction, after the versions are bumped and before the commit.
    /// A transaction run again (`db::write_tx`) announces anew: what an attempt that did not
    /// commit announced is withdrawn first.
    pub fn announce(&mut self, versions: &[(String, i64)]) {
        if let Some(memory) = self.memory {
            if !self.versions.is_empty() {
                memory.forget(&self.versions);
                self.versions.clear();
            }
            memory.expect(versions);
            self.versions.extend(versions.iter().cloned());
        }
    }

    /// Call once the transaction has committed.
    pub fn committed(mut self, written: &Written) {
        if let Some(memory) = self.memory {
            memory.apply(written);
            self.versions.clear();
        }
    }
}

impl Drop for Expected<'_> {
    fn drop(&mut self) {
        if let (Some(memory), false) = (self.memory, self.versions.is_empty()) {
            memory.forget(&self.versions);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::thread;

    use super::*;

    const TODAY: &str = "d:2026-11-24";

    fn after(person: &str, received: i32) -> RowAfter {
        RowAfter {
            period: TODAY.to_string(),
            behaviour: String::new(),
            employee_id: person.to_string(),
            received,
            given: 0,
            endorsements: 0,
            score: i64::from(received) * 10,
            department: "Support".to_string(),
            active: true,
            listed: true,
        }
    }

    fn written(version: i64, rows: Vec<RowAfter>) -> Written {
        Written {
            versions: vec![(TODAY.to_string(), version)],
            rows,
        }
    }

    /// A memory that keeps today's bucket at version 1 (every bucket at 0) with these rows.
    fn keeping(rows: Vec<RowAfter>) -> BoardMemory {
        let memory = BoardMemory::new(1000);
        let at = (TODAY.to_string(), String::new());
        memory
            .shelf()
            .keep(at, Held::Rows(numbered(&memory, &rows)), vec![1, 0]);
        memory
    }

    /// The rows as a read of the database would keep them.
    fn numbered(memory: &BoardMemory, rows: &[RowAfter]) -> Arc<Vec<Row>> {
        let stored: Vec<StoredRow> = rows
            .iter()
            .map(|r| {
                (
                    r.period.clone(),
                    r.employee_id.clone(),
                    r.department.clone(),
                    true,
                    true,
                    r.received,
                    0,
                    0,
                    r.score,
                )
            })
            .collect();
        let mut numbered = memory.numbered(&stored);
        numbered.sort_unstable_by_key(|r| r.person);
        Arc::new(numbered)
    }

    /// Today's kept rows at these versions, if they are (without waiting), as (person, received).
    fn kept(memory: &BoardMemory, versions: &[i64]) -> Option<Vec<(String, i32)>> {
        let at = (TODAY.to_string(), String::new());
        let rows = match memory.shelf().get(at, versions) {
            Some(Held::Rows(rows)) => rows.clone(),
            _ => return None,
        };
        let ids = memory.person_ids(&rows.iter().map(|r| r.person).collect::<Vec<_>>());
        Some(ids.into_iter().zip(rows.iter().map(|r| r.received)).collect())
    }

    fn pairs(list: &[(&str, i32)]) -> Vec<(String, i32)> {
        list.iter().map(|(p, n)| (p.to_string(), *n)).collect()
    }

    #[test]
    fn merged_replaces_and_adds_in_people_order() {
        let row = |person, received| Row {
            person,
            department: 0,
            received,
            given: 0,
            endorsements: 0,
            score: 0,
            active: true,
            listed: true,
        };
        let rows = vec![row(1, 1), row(3, 1), row(5, 1)];
        let out = merged(&rows, vec![row(5, 2), row(0, 7), row(3, 2), row(3, 4), row(9, 1)]);
        let got: Vec<(u32, i32)> = out.iter().map(|r| (r.person, r.received)).collect();
        assert_eq!(got, vec![(0, 7), (1, 1), (3, 4), (5, 2), (9, 1)]);
    }

    #[test]
    fn a_read_that_began_before_a_write_keeps_nothing_older() {
        let memory = keeping(vec![after("ann", 1)]);
        memory.expect(&[(TODAY.to_string(), 2)]);
        memory.apply(&written(2, vec![after("ann", 2)]));
        // A read that saw version 1 and read the rows before the write finishes after it.
        let stale = numbered(&memory, &[after("ann", 1)]);
        let at = (TODAY.to_string(), String::new());
        memory.shelf().keep(at, Held::Rows(stale), vec![1, 0]);
        assert_eq!(kept(&memory, &[2, 0]), Some(pairs(&[("ann", 2)])));
        // And a read that began at version 1 may have version 2's rows.
        assert_eq!(kept(&memory, &[1, 0]), Some(pairs(&[("ann", 2)])));
        assert_eq!(kept(&memory, &[2, 1]), None);
    }

    #[test]
    fn writes_apply_in_version_order_whichever_arrives_first() {
        let memory = keeping(vec![after("ann", 1), after("bob", 1)]);
        memory.expect(&[(TODAY.to_string(), 2), (TODAY.to_string(), 3)]);
        thread::scope(|s| {
            // Version 3 first: it must wait for version 2 rather than skip the bucket.
            let third = s.spawn(|| memory.apply(&written(3, vec![after("bob", 3), after("cat", 1)])));
            thread::sleep(Duration::from_millis(5));
            assert!(!third.is_finished(), "version 3 was put in before version 2");
            memory.apply(&written(2, vec![after("bob", 2), after("ann", 2)]));
            third.join().unwrap();
        });
        assert_eq!(
            kept(&memory, &[3, 0]),
            Some(pairs(&[("ann", 2), ("bob", 3), ("cat", 1)]))
        );
        assert!(memory.shelf().expected.is_empty());
    }

    #[test]
    fn a_read_waits_only_for_this_instances_expected_writes() {
        let memory = keeping(vec![after("ann", 1)]);
        let at = (TODAY.to_string(), String::new());
        // Version 2 committed elsewhere: nothing to wait for, the bucket is read again.
        assert!(!memory.shelf().catching_up(&at, &[2, 0]));
        assert!(memory.settled(memory.shelf(), at.clone(), &[2, 0]).1.is_none());
        // Version 2 is this instance's, committed but not yet put in: the read gets its rows.
        memory.expect(&[(TODAY.to_string(), 2)]);
        assert!(memory.shelf().catching_up(&at, &[2, 0]));
        thread::scope(|s| {
            let read = s.spawn(|| memory.settled(memory.shelf(), at.clone(), &[2, 0]).1.map(|r| r.len()));
            thread::sleep(Duration::from_millis(5));
            memory.apply(&written(2, vec![after("bob", 1)]));
            assert_eq!(read.join().unwrap(), Some(2));
        });
        // A write that did not commit leaves no read waiting.
        memory.expect(&[(TODAY.to_string(), 3)]);
        {
            let _failed = Expected {
                memory: Some(&memory),
                versions: vec![(TODAY.to_string(), 3)],
            };
        }
        assert!(!memory.shelf().catching_up(&at, &[3, 0]));
        assert!(memory.settled(memory.shelf(), at, &[3, 0]).1.is_none());
    }
}
