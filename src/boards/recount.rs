//! The leaderboard totals computed from scratch from the visible postcards, one kind of
//! bucket (days, weeks, ...) at a time to bound memory: `verify` compares them with the
//! stored totals (`champion leaderboard verify`, and the tests), `rebuild` replaces the
//! stored ones (after changing `org.timezone`, `org.week_starts` or `scoring`, and after a
//! bulk seed).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::scoreboard::BoardConfig;
use crate::domain::buckets::{Bucket, ALL_TIME, KIND_PREFIXES};
use crate::domain::period::local_date;
use crate::error::AppResult;
use crate::store::db::{snapshot_tx, write_tx};
use crate::store::schema::{board_totals, postcard_recipients, postcards};
use crate::store::DbConnection;
use crate::store::{board, board_read};

use super::names::Names;

/// One employee's figures in one bucket, as stored or recounted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable)]
pub struct Figures {
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    pub unique_senders: i32,
}

/// `(period bucket, behaviour or "", employee id)`.
pub type BucketKey = (String, String, String);
/// A stored total that differs from the recount: `(key, stored, recounted)`.
pub type Difference = (BucketKey, Figures, Figures);

struct Card {
    sender: u32,
    recipients: Vec<u32>,
    behaviour: u32,
    endorsements: i32,
    date: NaiveDate,
}

/// The visible postcards, with ids numbered.
pub struct Snapshot {
    people: Names,
    behaviours: Names,
    cards: Vec<Card>,
}

pub fn snapshot(conn: &mut DbConnection, cfg: &BoardConfig) -> AppResult<Snapshot> {
    let mut people = Names::default();
    // Behaviour 0 is "all behaviours" (the empty slug).
    let mut behaviours = Names::default();
    behaviours.number("");
    let rows: Vec<(String, String, String, i32, chrono::NaiveDateTime)> = postcards::table
        .filter(postcards::hidden.eq(false))
        .select((
            postcards::id,
            postcards::sender_id,
            postcards::behaviour,
            postcards::endorsement_count,
            postcards::created_at,
        ))
        .load(conn)?;
    let mut by_id: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    let mut cards = Vec::with_capacity(rows.len());
    for (id, sender, behaviour, endorsements, at) in rows {
        by_id.insert(id, cards.len());
        cards.push(Card {
            sender: people.number(&sender),
            recipients: Vec::new(),
            behaviour: behaviours.number(&behaviour),
            endorsements,
            date: local_date(at, cfg.timezone),
        });
    }
    let pairs: Vec<(String, String)> = postcard_recipients::table
        .select((postcard_recipients::postcard_id, postcard_recipients::recipient_id))
        .load(conn)?;
    for (postcard, recipient) in pairs {
        if let Some(&i) = by_id.get(&postcard) {
            let r = people.number(&recipient);
            cards[i].recipients.push(r);
        }
    }
    Ok(Snapshot {
        people,
        behaviours,
        cards,
    })
}

/// The kinds of bucket, by their place in [`Bucket::holding`].
const KINDS: std::ops::Range<usize> = 0..KIND_PREFIXES.len();

/// (period, behaviour, employee), interned.
type Key = (u32, u32, u32);

struct KindTotals {
    periods: Names,
    totals: HashMap<Key, Figures>,
}

fn totals_of_kind(s: &Snapshot, kind: usize, cfg: &BoardConfig) -> KindTotals {
    let mut periods = Names::default();
    let mut totals: HashMap<Key, Figures> = HashMap::new();
    // (bucket, behaviour, recipient, sender) already counted as a unique sender.
    let mut pairs: HashSet<(u32, u32, u32, u32)> = HashSet::new();
    let w = cfg.weights;
    // A year of postcards falls on a few hundred dates: each date's bucket is made once.
    let mut of_date: HashMap<NaiveDate, u32> = HashMap::new();
    for c in &s.cards {
        let p = *of_date
            .entry(c.date)
            .or_insert_with(|| periods.number(&Bucket::holding(c.date, cfg.week_starts)[kind].key()));
        for b in [0, c.behaviour] {
            for &r in &c.recipients {
                let t = totals.entry((p, b, r)).or_default();
                t.received += 1;
                t.endorsements += c.endorsements;
                t.score += w.postcard + w.endorsement * i64::from(c.endorsements);
                if pairs.insert((p, b, r, c.sender)) {
                    t.unique_senders += 1;
                }
            }
            totals.entry((p, b, c.sender)).or_default().given += 1;
        }
    }
    KindTotals { periods, totals }
}

fn stored_of_kind(conn: &mut DbConnection, kind: usize) -> AppResult<Vec<(BucketKey, Figures)>> {
    let mut q = board_totals::table
        .select((
            (board_totals::period, board_totals::behaviour, board_totals::employee_id),
            (
                board_totals::received,
                board_totals::given,
                board_totals::endorsements,
                board_totals::score,
                board_totals::unique_senders,
            ),
        ))
        .into_boxed();
    let prefix = KIND_PREFIXES[kind];
    q = if prefix == ALL_TIME {
        q.filter(board_totals::period.eq(ALL_TIME))
    } else {
        q.filter(board_totals::period.like(format!("{prefix}%")))
    };
    Ok(q.load(conn)?)
}

/// Every stored total that differs from a recount (all-zero rows left by hidden postcards
/// are equal to no row).
/// What `verify` found: totals that differ from a recount, and employees whose department
/// or standing on the board rows is out of date.
#[derive(Debug, Default)]
pub struct Report {
    pub totals: Vec<Difference>,
    pub standings: Vec<String>,
    /// Department figures (`period behaviour department`) that differ from the board rows.
    pub departments: Vec<String>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.totals.is_empty() && self.standings.is_empty() && self.departments.is_empty()
    }
}

/// Stored department figures that differ from what the board rows add up to (a row of
/// zeros is the same as no row).
fn stale_departments(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    let mut expected: HashMap<(String, String, String), (i64, i64)> = board::departments_from_totals(conn)?
        .into_iter()
        .map(|(p, b, d, s, n)| ((p, b, d), (s, n)))
        .collect();
    let mut stale = Vec::new();
    for (p, b, d, s, n) in board::stored_departments(conn)? {
        let want = expected.remove(&(p.clone(), b.clone(), d.clone())).unwrap_or_default();
        if want != (s, n) {
            stale.push(format!(
                "{p} {b:?} {d:?}: stored {s}/{n}, expected {}/{}",
                want.0, want.1
            ));
        }
    }
    for ((p, b, d), want) in expected.into_iter().filter(|(_, v)| *v != (0, 0)) {
        stale.push(format!("{p} {b:?} {d:?}: missing, expected {}/{}", want.0, want.1));
    }
    // Active headcounts (kept by triggers on employees); departments at zero are no row.
    let mut counted: HashMap<String, i64> = board_read::counted_headcounts(conn)?.into_iter().collect();
    for (d, stored) in board_read::headcounts(conn)? {
        let want = counted.remove(&d).unwrap_or(0);
        if want != stored {
            stale.push(format!("headcount {d:?}: stored {stored}, expected {want}"));
        }
    }
    for (d, want) in counted {
        stale.push(format!("headcount {d:?}: missing, expected {want}"));
    }
    stale.sort();
    Ok(stale)
}

pub fn verify(conn: &mut DbConnection, cfg: &BoardConfig) -> AppResult<Report> {
    // Postcards and totals from one snapshot, so sends during the check cannot look like errors.
    snapshot_tx(conn, |conn| {
        Ok(Report {
            totals: verify_in(conn, cfg)?,
            standings: stale_standings(conn)?,
            departments: stale_departments(conn)?,
        })
    })
}

fn stale_standings(conn: &mut DbConnection) -> AppResult<Vec<String>> {
    let truth = board::standings(conn, None)?;
    let stored: Vec<(String, String, bool, bool)> = board_totals::table
        .select((
            board_totals::employee_id,
            board_totals::department,
            board_totals::active,
            board_totals::listed,
        ))
        .distinct()
        .load(conn)?;
    let mut stale: Vec<String> = stored
        .into_iter()
        .filter(|(id, d, a, l)| {
            truth
                .get(id)
                .is_none_or(|t| (&t.department, t.active, t.listed) != (d, *a, *l))
        })
        .map(|(id, ..)| id)
        .collect();
    stale.sort();
    stale.dedup();
    Ok(stale)
}

fn verify_in(conn: &mut DbConnection, cfg: &BoardConfig) -> AppResult<Vec<Difference>> {
    let s = snapshot(conn, cfg)?;
    let mut diffs = Vec::new();
    for kind in KINDS {
        let mut expected = totals_of_kind(&s, kind, cfg);
        for ((period, behaviour, employee), stored) in stored_of_kind(conn, kind)? {
            let key = (|| {
                Some((
                    expected.periods.get(&period)?,
                    s.behaviours.get(&behaviour)?,
                    s.people.get(&employee)?,
                ))
            })();
            let recounted = key.and_then(|k| expected.totals.remove(&k)).unwrap_or_default();
            if recounted != stored {
                diffs.push(((period, behaviour, employee), stored, recounted));
            }
        }
        for ((p, b, e), t) in expected.totals {
            let key = (
                expected.periods.name(p).to_string(),
                s.behaviours.name(b).to_string(),
                s.people.name(e).to_string(),
            );
            diffs.push((key, Figures::default(), t));
        }
    }
    Ok(diffs)
}

const BATCH: usize = 1000;

/// Whether boards are read while a rebuild runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// A live service: readers keep the old totals until the rebuild commits.
    Live,
    /// Nobody (a bulk seed, an upgrade before serving): the secondary indexes are dropped
    /// for the load and built again after, which blocks readers until the commit.
    Nobody,
}

/// Replaces every stored total with a recount, in one transaction; returns how many
/// visible postcards were counted. `progress(done, total)` is told as buckets are written.
pub fn rebuild(
    conn: &mut DbConnection,
    cfg: &BoardConfig,
    readers: Readers,
    progress: &dyn Fn(u64, u64),
) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let s = snapshot(conn, cfg)?;
        let standing = board::standings(conn, None)?;
        let unknown = board::Standing::default();
        // Past every revision kept anywhere: a rebuilt row is newer than any copy of the old.
        let revision = board::highest_revision(conn)? + 1;
        board::record_change_to_all(conn)?;
        board::clear(conn)?;
        let dropped = match readers {
            Readers::Nobody => board::drop_secondary_indexes(conn)?,
            Readers::Live => Vec::new(),
        };
        for kind in KINDS {
            let t = totals_of_kind(&s, kind, cfg);
            let period = |p: u32| t.periods.name(p);
            let behaviour = |b: u32| s.behaviours.name(b);
            let person = |e: u32| s.people.name(e);
            // In key order, so the rows go to the end of the primary-key index.
            let mut sorted: Vec<(&Key, &Figures)> = t.totals.iter().collect();
            sorted.sort_by(|a, b| {
                (period(a.0 .0), behaviour(a.0 .1), person(a.0 .2)).cmp(&(
                    period(b.0 .0),
                    behaviour(b.0 .1),
                    person(b.0 .2),
                ))
            });
            let rows: Vec<_> = sorted
                .into_iter()
                .map(|(&(p, b, e), v)| {
                    (
                        board_totals::period.eq(period(p)),
                        board_totals::behaviour.eq(behaviour(b)),
                        board_totals::employee_id.eq(person(e)),
                        board_totals::received.eq(v.received),
                        board_totals::given.eq(v.given),
                        board_totals::endorsements.eq(v.endorsements),
                        board_totals::score.eq(v.score),
                        board_totals::department.eq(&standing.get(person(e)).unwrap_or(&unknown).department),
                        board_totals::active.eq(standing.get(person(e)).unwrap_or(&unknown).active),
                        board_totals::listed.eq(standing.get(person(e)).unwrap_or(&unknown).listed),
                        board_totals::unique_senders.eq(v.unique_senders),
                        board_totals::revision.eq(revision),
                    )
                })
                .collect();
            let insert = crate::bulk_insert!(board_totals::table);
            // One COPY per kind on Postgres (each COPY has a set-up cost); SQLite's statements
            // are bounded by its parameter limit.
            let batch = match conn {
                DbConnection::Postgres(_) => rows.len().max(1),
                DbConnection::Sqlite(_) => BATCH,
            };
            for chunk in rows.chunks(batch) {
                insert(conn, chunk)?;
            }
            progress(kind as u64 + 1, KINDS.len() as u64);
        }
        board::create_indexes(conn, &dropped)?;
        let departments = board::departments_from_totals(conn)?;
        board::insert_departments(conn, &departments)?;
        // Buckets kept empty (before their first row) change too.
        board::record_change_to_all(conn)?;
        Ok(s.cards.len())
    })
}
