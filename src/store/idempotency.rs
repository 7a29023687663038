//! Records of `Idempotency-Key` requests: one row per (caller, key), with the response,
//! written in the same transaction as the write it answers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::idempotency_keys;
use super::DbConnection;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
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

/// Tries a transaction-scoped advisory lock for each id, never waiting; answers which were
/// taken (Postgres). SQLite runs write transactions one at a time: every one is.
pub fn try_lock_many(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<bool>> {
    #[derive(QueryableByName)]
    struct Taken {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        taken: bool,
    }
    match conn {
        DbConnection::Postgres(pg) => Ok(diesel::sql_query(
            "SELECT pg_try_advisory_xact_lock(t.id) AS taken FROM unnest($1::int8[]) WITH ORDINALITY AS t(id, n) \
             ORDER BY t.n",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
        .load::<Taken>(pg)?
        .into_iter()
        .map(|t| t.taken)
        .collect()),
        DbConnection::Sqlite(_) => Ok(vec![true; ids.len()]),
    }
}

/// The stored records of these `(caller, key)` pairs.
pub fn find_many(conn: &mut DbConnection, pairs: &[(&str, &str)]) -> QueryResult<Vec<IdempotencyRow>> {
    use diesel::sql_types::{Array, Text};
    match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "SELECT k.* FROM idempotency_keys k \
             JOIN unnest($1::text[], $2::text[]) AS u(caller, idem_key) \
             ON k.caller = u.caller AND k.idem_key = u.idem_key",
        )
        .bind::<Array<Text>, _>(pairs.iter().map(|p| p.0).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(pairs.iter().map(|p| p.1).collect::<Vec<_>>())
        .load(pg),
        // In-process: a lookup each costs little.
        lite @ DbConnection::Sqlite(_) => {
            let mut found = Vec::new();
            for (caller, key) in pairs {
                found.extend(find(lite, caller, key)?);
            }
            Ok(found)
        }
    }
}

/// Stores the answers of a send batch's keyed sends, in its transaction (over an abandoned
/// in-flight record of an older version, if there is one).
pub fn store_many(conn: &mut DbConnection, rows: &[IdempotencyRow]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    use idempotency_keys::*;
    macro_rules! upsert {
        ($values:expr) => {
            diesel::insert_into(table)
                .values($values)
                .on_conflict((caller, idem_key))
                .do_update()
                .set((
                    request_hash.eq(excluded(request_hash)),
                    response_status.eq(excluded(response_status)),
                    response_body.eq(excluded(response_body)),
                    response_location.eq(excluded(response_location)),
                    created_at.eq(excluded(created_at)),
                ))
        };
    }
    match conn {
        DbConnection::Postgres(pg) => {
            for chunk in rows.chunks(500) {
                upsert!(chunk).execute(pg)?;
            }
        }
        // diesel writes no multi-row upsert on SQLite; in-process, a statement each costs little.
        DbConnection::Sqlite(lite) => {
            for row in rows {
                upsert!(row).execute(lite)?;
            }
        }
    }
    Ok(())
}

pub fn find(conn: &mut DbConnection, caller: &str, key: &str) -> QueryResult<Option<IdempotencyRow>> {
    idempotency_keys::table
        .find((caller, key))
        .select(IdempotencyRow::as_select())
        .first(conn)
        .optional()
}
