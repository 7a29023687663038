//! Records of `Idempotency-Key` requests: one row per (caller, key), in flight until the
//! response is stored next to it in the same transaction as the write it answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub caller: String,
    pub idem_key: String,
    pub request_hash: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub response_location: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Forgets keys first used before `cutoff`.
pub fn purge_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff))).execute(conn)
}

/// Inserts an in-flight record; false when the caller already used the key.
pub fn try_insert(conn: &mut DbConnection, row: &IdempotencyRow) -> QueryResult<bool> {
    let insert = diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing();
    Ok(crate::per_backend!(conn, c => insert.execute(c))? == 1)
}

/// Inserts in-flight records for several keys in one statement; answers the `(caller, key)`
/// pairs that were new (the others were used already).
pub fn try_insert_many(conn: &mut DbConnection, rows: &[IdempotencyRow]) -> QueryResult<Vec<(String, String)>> {
    match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(idempotency_keys::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning((idempotency_keys::caller, idempotency_keys::idem_key))
            .get_results(pg),
        // diesel writes a SQLite batch row by row (a skipped row would read as NotFound);
        // in-process, one statement each costs little.
        lite @ DbConnection::Sqlite(_) => {
            let mut fresh = Vec::new();
            for row in rows {
                if try_insert(lite, row)? {
                    fresh.push((row.caller.clone(), row.idem_key.clone()));
                }
            }
            Ok(fresh)
        }
    }
}

/// Stores several responses (a send batch's); call in the transaction of the writes.
pub fn complete_many(conn: &mut DbConnection, done: &[(&str, &str, i32, &str, Option<&str>)]) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::{Array, Integer, Nullable, Text};
            diesel::sql_query(
                "UPDATE idempotency_keys AS k SET response_status = u.status, response_body = u.body, \
                 response_location = u.location \
                 FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[]) \
                 AS u(caller, idem_key, status, body, location) \
                 WHERE k.caller = u.caller AND k.idem_key = u.idem_key",
            )
            .bind::<Array<Text>, _>(done.iter().map(|d| d.0).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(done.iter().map(|d| d.1).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(done.iter().map(|d| d.2).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(done.iter().map(|d| d.3).collect::<Vec<_>>())
            .bind::<Array<Nullable<Text>>, _>(done.iter().map(|d| d.4).collect::<Vec<_>>())
            .execute(pg)
            .map(|_| ())
        }
        // In-process and one writer at a time: a statement each costs little.
        lite @ DbConnection::Sqlite(_) => {
            for (caller, key, status, body, location) in done {
                complete(lite, caller, key, *status, body, *location)?;
            }
            Ok(())
        }
    }
}

pub fn find(conn: &mut DbConnection, caller: &str, key: &str) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .find((caller, key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}

/// Restarts an abandoned in-flight record (its request died before answering).
pub fn restart(conn: &mut DbConnection, caller: &str, key: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((caller, key)))
        .set(idempotency_keys::created_at.eq(at))
        .execute(conn)
        .map(|_| ())
}

/// Stores the response; call in the transaction of the write it answers.
pub fn complete(
    conn: &mut DbConnection,
    caller: &str,
    key: &str,
    status: i32,
    body: &str,
    location: Option<&str>,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((caller, key)))
        .set((
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::response_location.eq(location),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Drops an in-flight record whose request failed, so the key can be used again.
pub fn release(conn: &mut DbConnection, caller: &str, key: &str) -> QueryResult<()> {
    diesel::delete(
        idempotency_keys::table
            .find((caller, key))
            .filter(idempotency_keys::response_status.is_null()),
    )
    .execute(conn)
    .map(|_| ())
}
