//! Web sessions: what the web app signs in to (a magic link, or an operator's pasted token,
//! opens one). The client holds a random secret in an HttpOnly cookie; the store keeps only
//! its hash, so signing out (deleting the row) ends the session everywhere at once.
//!
//! Writes made with the cookie must also carry the session's CSRF token, which is derived
//! from the secret: a page of this service knows it (it is in the page), another site's page
//! cannot, although the browser sends the cookie along with its requests.

use chrono::{Duration, NaiveDateTime};

use super::secrets::{random_token, same, sha256_hex};
use crate::domain::email::Email;
use crate::error::AppResult;
use crate::store::db::write_tx;
use crate::store::web_sessions::{self, WebSessionRow};
use crate::store::DbConnection;

/// Session secrets start with this (never shown to people, but told apart in a log).
const PREFIX: &str = "cs_";

/// Opens a session for `email` lasting `days`; answers the secret for the cookie.
pub fn open(conn: &mut DbConnection, email: &Email, now: NaiveDateTime, days: i64) -> AppResult<String> {
    let secret = random_token(PREFIX);
    let row = WebSessionRow {
        id_hash: sha256_hex(&secret),
        email: email.as_str().to_string(),
        created_at: now,
        expires_at: now + Duration::days(days),
    };
    write_tx(conn, |conn| Ok(web_sessions::insert(conn, &row)?))?;
    Ok(secret)
}

/// The address signed in with this secret, if its session is live.
pub fn email_of(conn: &mut DbConnection, secret: &str, now: NaiveDateTime) -> AppResult<Option<String>> {
    Ok(web_sessions::live_email(conn, &sha256_hex(secret), now)?)
}

/// Signing out: the session is gone, whichever devices hold its cookie.
pub fn close(conn: &mut DbConnection, secret: &str) -> AppResult<()> {
    let id_hash = sha256_hex(secret);
    write_tx(conn, |conn| Ok(web_sessions::delete(conn, &id_hash)?))?;
    Ok(())
}

/// Forgets sessions that have expired (`serve` does every minute).
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    write_tx(conn, |conn| Ok(web_sessions::purge_expired(conn, now)?))
}

/// The CSRF token of the session holding `secret`.
pub fn csrf_token(secret: &str) -> String {
    sha256_hex(&format!("csrf:{secret}"))
}

pub fn csrf_matches(secret: &str, sent: &str) -> bool {
    same(&csrf_token(secret), sent.trim())
}
