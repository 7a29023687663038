//! Moving people's board rows when their standing changes (department, active, listed), and
//! the row locks that keep every writer of the boards in one order.
//!
//! Lock order, the same in every transaction that writes the boards (Postgres; SQLite runs
//! write transactions one at a time):
//! 1. the postcard, when one is endorsed, hidden or restored (`postcards::lock`);
//! 2. the people named, in id order (`postcards::lock_people`; an edit's `UPDATE employees`);
//! 3. board rows, in `(period, behaviour, employee)` byte order;
//! 4. department rows, in `(period, behaviour, department)` byte order, one shard a write;
//! 5. bucket versions (`board_changes`), in key order, last.
//!
//! Two writers then never wait for each other's rows in turn. The order also keeps totals
//! exact: a send reads its people's standings with their rows locked, so an edit either
//! waits for the send or the send reads the edited standing; an edit locks the rows it moves
//! before it reads them, so no endorsement slips in between.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};

use super::board::{took_part, DepartmentDeltas};
use super::DbConnection;

/// A board row whose stored standing differs from its person's, with both.
#[derive(QueryableByName)]
struct Moving {
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    behaviour: String,
    #[diesel(sql_type = Integer)]
    received: i32,
    #[diesel(sql_type = Integer)]
    given: i32,
    #[diesel(sql_type = BigInt)]
    score: i64,
    #[diesel(sql_type = Text)]
    department: String,
    #[diesel(sql_type = Bool)]
    active: bool,
    #[diesel(sql_type = Text)]
    new_department: String,
    #[diesel(sql_type = Bool)]
    new_active: bool,
}

/// Rows of these people whose standing differs from the directory's (which the caller has
/// just updated, holding the people's rows).
const DIFFERS: &str = "b.department <> e.department OR b.active <> e.active \
     OR b.listed <> (e.active AND e.show_on_leaderboard)";

/// Locks (Postgres) and reads the rows of `ids` that must move, in the board's lock order.
fn moving_rows(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<Vec<Moving>> {
    let columns = "b.period, b.behaviour, b.received, b.given, b.score, b.department, b.active, \
         e.department AS new_department, e.active AS new_active";
    match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(format!(
            "SELECT {columns} FROM board_totals b JOIN employees e ON e.id = b.employee_id \
             WHERE b.employee_id = ANY($1::text[]) AND ({DIFFERS}) \
             ORDER BY b.period COLLATE \"C\", b.behaviour COLLATE \"C\", b.employee_id COLLATE \"C\" \
             FOR UPDATE OF b"
        ))
        .bind::<diesel::sql_types::Array<Text>, _>(ids)
        .load(pg),
        DbConnection::Sqlite(lite) => diesel::sql_query(format!(
            "SELECT {columns} FROM board_totals b JOIN employees e ON e.id = b.employee_id \
             WHERE b.employee_id IN (SELECT value FROM json_each(?)) AND ({DIFFERS})"
        ))
        .bind::<Text, _>(serde_json::to_string(ids).unwrap_or_default())
        .load(lite),
    }
}

/// Brings these people's department and standing on every board row up to date (after an
/// edit, a deactivation, an import or an opt-out), moving their figures between departments.
/// Call after updating their `employees` rows in the same transaction. Records a change to
/// every bucket a row moved in (last, as the lock order asks), so memories that keep those
/// buckets read them again; the rows' revisions tell memories of today's rows.
pub fn sync_people(conn: &mut DbConnection, ids: &[&str]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let moving = moving_rows(conn, ids)?;
    if moving.is_empty() {
        return Ok(());
    }
    let mut departments = DepartmentDeltas::default();
    for row in &moving {
        if row.department == row.new_department && row.active == row.new_active {
            continue; // only `listed` changed: no department figure moves
        }
        let part = i32::from(took_part(row.received, row.given));
        if row.active {
            departments.add(&row.period, &row.behaviour, &row.department, -row.score, -part);
        }
        if row.new_active {
            departments.add(&row.period, &row.behaviour, &row.new_department, row.score, part);
        }
    }
    departments.write(conn)?;
    let update = format!(
        "UPDATE board_totals AS b SET department = e.department, active = e.active, \
         listed = (e.active AND e.show_on_leaderboard), revision = b.revision + 1 FROM employees e \
         WHERE e.id = b.employee_id AND b.employee_id {} AND ({DIFFERS})",
        match conn {
            DbConnection::Postgres(_) => "= ANY($1::text[])",
            DbConnection::Sqlite(_) => "IN (SELECT value FROM json_each(?))",
        }
    );
    match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(update)
            .bind::<diesel::sql_types::Array<Text>, _>(ids)
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(update)
            .bind::<Text, _>(serde_json::to_string(ids).unwrap_or_default())
            .execute(lite)?,
    };
    let buckets: Vec<&str> = moving.iter().map(|row| row.period.as_str()).collect();
    super::board::record_changes(conn, &buckets)
}
