//! `Idempotency-Key` for writes: a retry with the same key and body replays the first
//! response; the same key with another body is refused; a retry racing the first request
//! while it is still in flight is told to wait. Keys are scoped per caller and kept 24 hours.

use chrono::{Duration, NaiveDateTime};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::idempotency::{self, IdempotencyRow};
use crate::store::DbConnection;

/// How long a key is remembered.
pub const KEEP_FOR_HOURS: i64 = 24;
/// An in-flight record older than this belongs to a request that died (a crash between
/// claiming the key and answering); a new request with the same key may take it over.
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
    /// The first request with this key: go ahead, then `complete` in the write's transaction.
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

/// Claims `key` for `caller` (the first request), or finds what answers a retry.
pub fn claim(conn: &mut DbConnection, caller: &str, key: &str, hash: &str, now: NaiveDateTime) -> AppResult<Claim> {
    claim_many(conn, &[(caller, key, hash)], now)?
        .pop()
        .unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("a claim of one gave no answer"))))
}

/// The claims of a send batch, `(caller, key, request hash)`, in one transaction: one commit
/// for the batch rather than one per key (each was a transaction of its own, and sends with
/// a key, as the web app sends them, ran at two thirds of the rate of sends without). A claim
/// refused for its own reason (a reused key, one in flight) is that request's answer; a
/// database failure fails them all.
pub fn claim_many(
    conn: &mut DbConnection,
    claims: &[(&str, &str, &str)],
    now: NaiveDateTime,
) -> AppResult<Vec<AppResult<Claim>>> {
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    write_tx(conn, |conn| {
        idempotency::purge_before(conn, now - Duration::hours(KEEP_FOR_HOURS))?;
        // Every key in one insert; only keys used before need a look each.
        let rows: Vec<IdempotencyRow> = claims
            .iter()
            .map(|(caller, key, hash)| in_flight(caller, key, hash, now))
            .collect();
        let fresh: std::collections::HashSet<(String, String)> =
            idempotency::try_insert_many(conn, &rows)?.into_iter().collect();
        let mut answers = Vec::with_capacity(claims.len());
        let mut seen = std::collections::HashSet::new();
        for (caller, key, hash) in claims {
            // The first request with a new key has it; a second one in the same batch finds
            // it in flight, as it would in a later batch.
            let first = seen.insert((*caller, *key));
            if first && fresh.contains(&(caller.to_string(), key.to_string())) {
                answers.push(Ok(Claim::Fresh));
                continue;
            }
            match used_before(conn, caller, key, hash, now) {
                Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => return Err(e),
                answer => answers.push(answer),
            }
        }
        Ok(answers)
    })
}

fn in_flight(caller: &str, key: &str, hash: &str, now: NaiveDateTime) -> IdempotencyRow {
    IdempotencyRow {
        caller: caller.to_string(),
        idem_key: key.to_string(),
        request_hash: hash.to_string(),
        response_status: None,
        response_body: None,
        response_location: None,
        created_at: now,
    }
}

/// A key the caller has used: the stored answer, a refusal, or (abandoned) the key again.
fn used_before(conn: &mut DbConnection, caller: &str, key: &str, hash: &str, now: NaiveDateTime) -> AppResult<Claim> {
    let existing = idempotency::find(conn, caller, key)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("idempotency record vanished")))?;
    if existing.request_hash != hash {
        return Err(AppError::Rule {
            code: "idempotency_key_reused",
            detail: "this Idempotency-Key was already used with a different request body".into(),
            field: Some("Idempotency-Key".into()),
        });
    }
    match (existing.response_status, existing.response_body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
            status: u16::try_from(status).unwrap_or(200),
            body,
            location: existing.response_location,
        })),
        _ if existing.created_at < now - Duration::seconds(ABANDONED_AFTER_SECONDS) => {
            idempotency::restart(conn, caller, key, now)?;
            Ok(Claim::Fresh)
        }
        _ => Err(AppError::Conflict {
            code: "idempotency_in_flight",
            detail: "a request with this Idempotency-Key is still being processed; retry shortly".into(),
        }),
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
    fn hash_is_stable_hex() {
        assert_eq!(request_hash("{}"), request_hash("{}"));
        assert_ne!(request_hash("{}"), request_hash("{ }"));
        assert_eq!(request_hash("{}").len(), 64);
    }
}
