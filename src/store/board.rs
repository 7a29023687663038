//! Leaderboard totals per period bucket, changed in the same transaction as the postcard,
//! endorsement or moderation that moves them: one statement per change, whatever the size
//! of the history.

use diesel::prelude::*;
use diesel::upsert::excluded;

use super::schema::{board_totals, employees};
use super::DbConnection;

/// `scoring.postcard` and `scoring.endorsement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub postcard: i64,
    pub endorsement: i64,
}

/// What one postcard adds to the boards (or takes away, when hidden).
#[derive(Debug, Clone)]
pub struct Contribution<'a> {
    /// The bucket keys of the postcard's local date.
    pub keys: &'a [String],
    pub behaviour: &'a str,
    pub sender_id: &'a str,
    pub recipients: &'a [String],
    /// Endorsements the postcard holds now.
    pub endorsements: i32,
}

impl Contribution<'_> {
    fn scopes(&self) -> Vec<(&str, &str)> {
        self.keys
            .iter()
            .flat_map(|k| [(k.as_str(), ""), (k.as_str(), self.behaviour)])
            .collect()
    }
}

/// What a board needs to know of a person: department, active, listed (active and not opted out).
pub type Standing = (String, bool, bool);

fn standings(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<std::collections::HashMap<String, Standing>> {
    let rows: Vec<(String, String, bool, bool)> = employees::table
        .filter(employees::id.eq_any(ids))
        .select((
            employees::id,
            employees::department,
            employees::active,
            employees::show_on_leaderboard,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, department, active, shown)| (id, (department, active, active && shown)))
        .collect())
}

type TotalsRow<'a> = (
    diesel::dsl::Eq<board_totals::period, &'a str>,
    diesel::dsl::Eq<board_totals::behaviour, &'a str>,
    diesel::dsl::Eq<board_totals::employee_id, &'a str>,
    diesel::dsl::Eq<board_totals::received, i32>,
    diesel::dsl::Eq<board_totals::given, i32>,
    diesel::dsl::Eq<board_totals::endorsements, i32>,
    diesel::dsl::Eq<board_totals::score, i64>,
    diesel::dsl::Eq<board_totals::department, &'a str>,
    diesel::dsl::Eq<board_totals::active, bool>,
    diesel::dsl::Eq<board_totals::listed, bool>,
);

/// How much a change moves one person's totals.
#[derive(Debug, Clone, Copy, Default)]
struct Delta {
    received: i32,
    given: i32,
    endorsements: i32,
    score: i64,
}

fn totals_row<'a>(
    period: &'a str,
    behaviour: &'a str,
    employee: &'a str,
    d: Delta,
    standing: &'a Standing,
) -> TotalsRow<'a> {
    (
        board_totals::period.eq(period),
        board_totals::behaviour.eq(behaviour),
        board_totals::employee_id.eq(employee),
        board_totals::received.eq(d.received),
        board_totals::given.eq(d.given),
        board_totals::endorsements.eq(d.endorsements),
        board_totals::score.eq(d.score),
        board_totals::department.eq(standing.0.as_str()),
        board_totals::active.eq(standing.1),
        board_totals::listed.eq(standing.2),
    )
}

fn add_totals(conn: &mut DbConnection, rows: &[TotalsRow]) -> QueryResult<()> {
    use board_totals::*;
    let upsert = diesel::insert_into(table)
        .values(rows)
        .on_conflict((period, behaviour, employee_id))
        .do_update()
        .set((
            received.eq(received + excluded(received)),
            given.eq(given + excluded(given)),
            endorsements.eq(endorsements + excluded(endorsements)),
            score.eq(score + excluded(score)),
            department.eq(excluded(department)),
            active.eq(excluded(active)),
            listed.eq(excluded(listed)),
        ));
    crate::per_backend!(conn, c => upsert.execute(c)).map(|_| ())
}

/// Adds (`sign = 1`) or removes (`sign = -1`) a postcard's contribution to every bucket,
/// in one multi-row upsert.
pub fn apply_postcard(conn: &mut DbConnection, c: &Contribution, sign: i32, w: Weights) -> QueryResult<()> {
    let scopes = c.scopes();
    let mut people: Vec<&str> = c.recipients.iter().map(String::as_str).collect();
    people.push(c.sender_id);
    let standings = standings(conn, &people)?;
    let unknown: Standing = (String::new(), false, false);
    let standing = |id: &str| standings.get(id).unwrap_or(&unknown);
    let per_recipient_score = i64::from(sign) * (w.postcard + w.endorsement * i64::from(c.endorsements));
    let mut changes: Vec<(&str, &str, &str, Delta)> = Vec::with_capacity(scopes.len() * (c.recipients.len() + 1));
    for (period, behaviour) in &scopes {
        for r in c.recipients {
            let received = Delta {
                received: sign,
                endorsements: sign * c.endorsements,
                score: per_recipient_score,
                ..Delta::default()
            };
            changes.push((period, behaviour, r, received));
        }
        let given = Delta {
            given: sign,
            ..Delta::default()
        };
        changes.push((period, behaviour, c.sender_id, given));
    }
    // Rows in key order: concurrent writers then lock shared rows in the same order and
    // cannot deadlock.
    changes.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    let rows: Vec<TotalsRow> = changes
        .into_iter()
        .map(|(period, behaviour, employee, delta)| totals_row(period, behaviour, employee, delta, standing(employee)))
        .collect();
    add_totals(conn, &rows)
}

/// One endorsement added (`sign = 1`) or withdrawn (`sign = -1`) on a visible postcard.
pub fn apply_endorsement(conn: &mut DbConnection, c: &Contribution, sign: i32, w: Weights) -> QueryResult<()> {
    use board_totals::*;
    let behaviours = ["", c.behaviour];
    diesel::update(
        table
            .filter(period.eq_any(c.keys))
            .filter(behaviour.eq_any(behaviours))
            .filter(employee_id.eq_any(c.recipients)),
    )
    .set((
        endorsements.eq(endorsements + sign),
        score.eq(score + i64::from(sign) * w.endorsement),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Brings a person's department and standing on every board row up to date (after an edit,
/// a deactivation, an import or an opt-out).
pub fn sync_person(conn: &mut DbConnection, employee_id: &str) -> QueryResult<()> {
    let Some((department, active, listed)) = standings(conn, &[employee_id])?.remove(employee_id) else {
        return Ok(());
    };
    use board_totals::dsl;
    diesel::update(
        dsl::board_totals.filter(dsl::employee_id.eq(employee_id)).filter(
            dsl::department
                .ne(&department)
                .or(dsl::active.ne(active))
                .or(dsl::listed.ne(listed)),
        ),
    )
    .set((
        dsl::department.eq(&department),
        dsl::active.eq(active),
        dsl::listed.eq(listed),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Forgets every total (before a rebuild).
pub fn clear(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::delete(board_totals::table).execute(conn).map(|_| ())
}
