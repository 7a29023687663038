//! Turning a rendered email into an outbox row. Call inside the transaction of the event
//! that causes the email: it is then sent exactly when the event is committed.

use chrono::NaiveDateTime;

use super::render::{one_line, Rendered};
use crate::store::outbox::{self, OutboxRow};
use crate::store::DbConnection;

pub const KIND_DIGEST: &str = "digest";
pub const KIND_POSTCARD: &str = "postcard";
pub const KIND_MAGIC_LINK: &str = "magic_link";

/// Who gets an email, and what it is.
pub struct Outgoing<'a> {
    pub kind: &'static str,
    pub dedupe_key: Option<String>,
    pub to_address: &'a str,
    pub to_name: &'a str,
    pub rendered: Rendered,
    pub unsubscribe_url: Option<String>,
}

/// `Message-ID`s name the outbox row, so every attempt at one email carries the same id
/// (a receiving server that saw an earlier attempt can tell it is the same message).
pub fn message_id(outbox_id: &str, public_url: &str) -> String {
    let host = public_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    format!("<{outbox_id}@{host}>")
}

/// A new outbox id (time-ordered).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Queues the email under `id`; false when its `dedupe_key` was queued before.
pub fn enqueue(
    conn: &mut DbConnection,
    id: &str,
    email: Outgoing,
    public_url: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    outbox::enqueue(conn, &row(id, email, public_url, now))
}

/// The outbox row of an email to queue under `id` (for callers queueing several at once).
pub fn row(id: &str, email: Outgoing, public_url: &str, now: NaiveDateTime) -> OutboxRow {
    OutboxRow {
        message_id: message_id(id, public_url),
        id: id.to_string(),
        kind: email.kind.to_string(),
        dedupe_key: email.dedupe_key,
        to_address: email.to_address.to_string(),
        to_name: one_line(email.to_name),
        subject: one_line(&email.rendered.subject),
        body_text: email.rendered.text,
        body_html: Some(email.rendered.html),
        unsubscribe_url: email.unsubscribe_url,
        status: outbox::QUEUED.to_string(),
        attempts: 0,
        next_attempt_at: now,
        claimed_until: None,
        last_error: None,
        created_at: now,
        sent_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_use_the_public_host() {
        assert_eq!(
            message_id("abc", "https://champion.example.com/app"),
            "<abc@champion.example.com>"
        );
        assert_eq!(message_id("abc", "http://localhost:8080"), "<abc@localhost>");
    }
}
