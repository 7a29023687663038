//! The outbox as admins see it: what was queued, sent or failed, with attempts and errors.

use actix_web::web::{self, Json as JsonOut};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::pagination::{decode_time_cursor, encode_time_cursor, page, parse_limit, Page};
use super::problem::ReadProblems;
use super::State;
use crate::error::{AppError, AppResult};
use crate::services::postcard_views::utc;
use crate::store::db;
use crate::store::outbox::{self, OutboxFilter, OutboxRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxEntry {
    pub id: String,
    /// `digest`, `postcard` (a recipient notification) or `magic_link`.
    #[schema(example = "digest")]
    pub kind: String,
    pub to: String,
    pub subject: String,
    /// `queued`, `sending`, `sent` or `failed`.
    #[schema(example = "sent")]
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub message_id: String,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxEntry {
    fn from(r: OutboxRow) -> Self {
        OutboxEntry {
            id: r.id,
            kind: r.kind,
            to: r.to_address,
            subject: r.subject,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            message_id: r.message_id,
            created_at: utc(r.created_at),
            next_attempt_at: utc(r.next_attempt_at),
            sent_at: r.sent_at.map(utc),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// `queued`, `sending`, `sent` or `failed`.
    status: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    cursor: Option<String>,
}

/// Emails, newest first (admin). Sign-in links never show their token here: only the
/// subject and who it went to.
#[utoipa::path(get, operation_id = "admin_outbox", path = "/api/v1/admin/outbox", tag = "email", security(("bearer" = [])), params(OutboxQuery),
    responses((status = 200, body = Page<OutboxEntry>), ReadProblems))]
pub async fn list(state: State, caller: Caller, q: web::Query<OutboxQuery>) -> AppResult<JsonOut<Page<OutboxEntry>>> {
    caller.require_admin()?;
    let q = q.into_inner();
    let limit = parse_limit(q.limit.as_deref())?;
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s @ (outbox::QUEUED | outbox::SENDING | outbox::SENT | outbox::FAILED)) => Some(s.to_string()),
        Some(_) => return Err(AppError::bad_query("status", "must be queued, sending, sent or failed")),
    };
    let filter = OutboxFilter {
        status,
        before: decode_time_cursor(q.cursor.as_deref())?,
        limit,
    };
    let rows = db::run(&state.pool, move |conn| Ok(outbox::list(conn, &filter)?)).await?;
    Ok(JsonOut(page(
        rows,
        limit,
        |r| encode_time_cursor(&r.created_at, &r.id),
        OutboxEntry::from,
    )))
}
