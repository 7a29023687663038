//! `Idempotency-Key` for writes: a retry with the same key and body replays the first
//! response; the same key with another body is refused; a retry racing the first request
//! while it is still in flight is told to wait. Keys are scoped per caller and kept 24 hours.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use std::collections::{HashMap, HashSet};

use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::idempotency::{self, IdempotencyRow};
use crate::store::DbConnection;

/// How long a key is remembered.
pub const KEEP_FOR_HOURS: i64 = 24;
/// An in-flight record (versions before this one claimed keys before their send) older than
/// this belongs to a request that died; a new request with the same key may take it over.
pub const ABANDONED_AFTER_SECONDS: i64 = 60;
pub const KEY_MAX_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The first request with this key: go ahead, storing the answer in the same transaction.
    Fresh,
    /// A retry: answer with the stored response.
    Replay(StoredResponse),
}

/// Checks the header value: 1..=255 visible ASCII characters.
pub fn parse_key(raw: &str) -> Result<String, String> {
    let key = raw.trim();
    if key.is_empty() || key.len() > KEY_MAX_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!("must be 1 to {KEY_MAX_LEN} visible ASCII characters"));
    }
    Ok(key.to_string())
}

/// A digest of the request's canonical JSON, to tell a retry from a different request.
pub fn request_hash(canonical_json: &str) -> String {
    let digest = Sha256::digest(canonical_json.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decides, in a send batch's own transaction, what each `(caller, key, request hash)` of it
/// is: the first request with its key (`Fresh`: its answer is stored by the batch, in the
/// same transaction, with [`done`]), a retry of a stored one (`Replay`), the key reused with
/// another body (422), or a request racing one still in flight with the key (409). On
/// Postgres each key is held by a transaction-scoped advisory lock that is only tried, never
/// waited for: a second batch that cannot take it knows the first is in flight. SQLite runs
/// write transactions one at a time. A refused or failed send stores nothing, so its key can
/// be used again. No claim is written before the batch: a key costs no commit of its own.
pub fn check_many(
    conn: &mut DbConnection,
    keyed: &[(&str, &str, &str)],
    now: NaiveDateTime,
) -> AppResult<Vec<AppResult<Claim>>> {
    if keyed.is_empty() {
        return Ok(Vec::new());
    }
    let locks: Vec<i64> = keyed.iter().map(|(caller, key, _)| lock_id(caller, key)).collect();
    let held = idempotency::try_lock_many(conn, &locks)?;
    let pairs: Vec<(&str, &str)> = keyed.iter().map(|(caller, key, _)| (*caller, *key)).collect();
    let stored: HashMap<(String, String), IdempotencyRow> = idempotency::find_many(conn, &pairs)?
        .into_iter()
        .map(|row| ((row.caller.clone(), row.idem_key.clone()), row))
        .collect();
    let mut seen = HashSet::new();
    Ok(keyed
        .iter()
        .zip(held)
        .map(|(&(caller, key, hash), held)| {
            // A second request with the key in the same batch finds it in flight, as it
            // would in a later batch.
            if !seen.insert((caller, key)) || !held {
                return Err(in_flight());
            }
            match stored.get(&(caller.to_string(), key.to_string())) {
                Some(row) if !expired(row, now) => used_before(row, hash, now),
                // Forgotten (or due to be): the answer stored with this send replaces it.
                _ => Ok(Claim::Fresh),
            }
        })
        .collect())
}

/// Whether a key's record is past the time keys are remembered for.
fn expired(row: &IdempotencyRow, now: NaiveDateTime) -> bool {
    row.created_at < now - Duration::hours(KEEP_FOR_HOURS)
}

/// Deletes the records of keys past the time they are remembered for: housekeeping that
/// `champion serve` runs now and then, outside any send's transaction (a key found expired
/// before then is treated as unknown anyway).
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    write_tx(conn, |conn| {
        Ok(idempotency::purge_before(conn, now - Duration::hours(KEEP_FOR_HOURS))?)
    })
}

/// The row that stores a send's answer for its key; written with the send
/// (`store::idempotency::store_many`).
pub fn done(
    caller: &str,
    key: &str,
    hash: &str,
    status: i32,
    body: String,
    location: String,
    now: NaiveDateTime,
) -> IdempotencyRow {
    IdempotencyRow {
        caller: caller.to_string(),
        idem_key: key.to_string(),
        request_hash: hash.to_string(),
        response_status: Some(status),
        response_body: Some(body),
        response_location: Some(location),
        created_at: now,
    }
}

/// The advisory lock that stands for a caller's key (a digest: two keys sharing one would
/// at worst make a racing request wait for a retry).
fn lock_id(caller: &str, key: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(caller)
        .chain_update([0])
        .chain_update(key)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

fn in_flight() -> AppError {
    AppError::Conflict {
        code: "idempotency_in_flight",
        detail: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
    }
}

/// A key the caller has used: the stored answer, a refusal, or (an in-flight record an
/// older version left, abandoned) the key again.
fn used_before(existing: &IdempotencyRow, hash: &str, now: NaiveDateTime) -> AppResult<Claim> {
    if existing.request_hash != hash {
        return Err(AppError::Rule {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was already used with a different request body".into(),
            field: Some("Idempotency-Key".into()),
        });
    }
    match (existing.response_status, &existing.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            body: body.clone(),
            location: existing.response_location.clone(),
        })),
        _ if existing.created_at < now - Duration::seconds(ABANDONED_AFTER_SECONDS) => Ok(Claim::Fresh),
        _ => Err(in_flight()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(parse_key(" abc-123 ").unwrap(), "abc-123");
        assert!(parse_key("").is_err());
        assert!(parse_key("has space").is_err());
        assert!(parse_key("é").is_err());
        assert!(parse_key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn lock_ids_differ_by_caller_and_key() {
        assert_eq!(lock_id("ann", "k1"), lock_id("ann", "k1"));
        assert_ne!(lock_id("ann", "k1"), lock_id("bob", "k1"));
        assert_ne!(lock_id("ann", "k1"), lock_id("ann", "k2"));
        assert_ne!(lock_id("an", "nk1"), lock_id("ann", "k1"));
    }

    #[test]
    fn hash_is_stable_hex() {
        assert_eq!(request_hash("{}"), request_hash("{}"));
        assert_ne!(request_hash("{}"), request_hash("{ }"));
        assert_eq!(request_hash("{}").len(), 64);
    }
}
