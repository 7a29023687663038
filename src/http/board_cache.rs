//! Answers of leaderboard reads, kept for repeated identical requests (widgets on many
//! screens ask the same question every minute). Every write that can move a board bumps the
//! version, which empties the cache at once on this instance; entries also expire after half
//! of `server.leaderboard_cache_ms` (the other half is the board memory's, see
//! `boards::memory`), which bounds how long another instance's writes take to show.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use actix_web::web::Bytes;

#[derive(Debug)]
pub struct Cached {
    pub etag: String,
    pub body: Bytes,
}

/// Values by key, each with the board version it was computed at and when: valid while the
/// version stands and for `ttl`. Answers, and small lookups made on every board read (who is
/// this token?).
pub struct Memo<V> {
    entries: Mutex<HashMap<String, (u64, Instant, V)>>,
    /// Entries kept at most: when full, the invalid ones go, and then all if none was.
    capacity: usize,
}

impl<V: Clone> Memo<V> {
    fn new(capacity: usize) -> Self {
        Memo {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    fn get(&self, key: &str, version: u64, ttl: Duration) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (v, at, value) = entries.get(key)?;
        (*v == version && at.elapsed() < ttl).then(|| value.clone())
    }

    fn put(&self, key: &str, version: u64, ttl: Duration, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= self.capacity {
                entries.retain(|_, (v, at, _)| *v == version && at.elapsed() < ttl);
                if entries.len() >= self.capacity {
                    entries.clear();
                }
            }
            entries.insert(key.to_string(), (version, Instant::now(), value));
        }
    }
}

/// Lookups remembered at most (tokens reading boards).
const MEMO_ENTRIES: usize = 4096;

pub struct BoardCache {
    version: AtomicU64,
    ttl: Duration,
    /// `server.answer_cache_entries`: answers kept at most (0: none).
    capacity: usize,
    answers: Memo<Arc<Cached>>,
    /// Employees by email, for employee tokens reading boards.
    pub readers: Memo<Option<crate::store::employees::EmployeeRow>>,
    /// Live widget token ids by token hash.
    pub widgets: Memo<Option<String>>,
    /// One computation per key at a time: when an entry expires under load, the other
    /// requests for it wait for that one answer instead of all recomputing it.
    computing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl BoardCache {
    /// Answers live `ttl` (zero keeps nothing), at most `capacity` of them (zero: none).
    pub fn new(ttl: Duration, capacity: usize) -> BoardCache {
        BoardCache {
            version: AtomicU64::new(0),
            ttl,
            capacity,
            answers: Memo::new(capacity),
            readers: Memo::new(MEMO_ENTRIES),
            widgets: Memo::new(MEMO_ENTRIES),
            computing: Mutex::new(HashMap::new()),
        }
    }

    /// A remembered lookup, if still valid (see [`Memo`]).
    pub fn recall<V: Clone>(&self, memo: &Memo<V>, key: &str) -> Option<V> {
        memo.get(key, self.version(), self.ttl)
    }

    /// Remembers a lookup made while the version was `version`.
    pub fn remember<V: Clone>(&self, memo: &Memo<V>, key: &str, version: u64, value: V) {
        if !self.ttl.is_zero() {
            memo.put(key, version, self.ttl, value);
        }
    }

    /// The lock to hold while computing the answer for `key`; none with the cache off, where
    /// a waiting request could not use the answer and would only queue behind it.
    pub fn computing(&self, key: &str) -> Option<Arc<tokio::sync::Mutex<()>>> {
        if !self.keeps_answers() {
            return None;
        }
        let Ok(mut locks) = self.computing.lock() else {
            return Some(Arc::new(tokio::sync::Mutex::new(())));
        };
        if locks.len() >= self.capacity {
            locks.retain(|_, l| Arc::strong_count(l) > 1);
        }
        Some(locks.entry(key.to_string()).or_default().clone())
    }

    fn keeps_answers(&self) -> bool {
        !self.ttl.is_zero() && self.capacity > 0
    }

    /// Called after any write that can change a leaderboard.
    pub fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.recall(&self.answers, key)
    }

    /// Stores an answer computed while the version was `version` (a write in between makes
    /// it stale at once).
    pub fn put(&self, key: String, version: u64, body: Bytes) -> Arc<Cached> {
        let cached = Arc::new(Cached {
            etag: etag_of(&body),
            body,
        });
        if self.keeps_answers() {
            self.answers.put(&key, version, self.ttl, cached.clone());
        }
        cached
    }
}

/// A strong ETag from the content: equal answers get equal tags on every instance.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether the request's `If-None-Match` names `etag` (the client holds this answer).
pub fn unchanged_for(req: &actix_web::HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| matches(v, etag))
}

/// Whether an `If-None-Match` header value matches the tag (`*` or a list of tags, weak or not).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_follows_the_version() {
        let cache = BoardCache::new(Duration::from_secs(1), 16);
        let v = cache.version();
        cache.put("k".into(), v, "body".into());
        assert!(cache.get("k").is_some());
        cache.invalidate();
        assert!(cache.get("k").is_none(), "a write empties it");
        let stale = cache.put("k".into(), v, "old".into());
        assert!(cache.get("k").is_none(), "computed before the write: {stale:?}");
        let none = BoardCache::new(Duration::from_secs(1), 0);
        none.put("k".into(), none.version(), "body".into());
        assert!(
            none.get("k").is_none() && none.computing("k").is_none(),
            "no entries: no cache"
        );
    }

    #[test]
    fn if_none_match() {
        let tag = etag_of(b"x");
        assert!(matches(&tag, &tag));
        assert!(matches(&format!("\"other\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }
}
