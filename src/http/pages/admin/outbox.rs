//! `/admin/outbox`: every email, its state, attempts and last error, and each one as it was
//! rendered. Sign-in emails hold a working link, so they are shown only in development
//! (`auth.log_sign_in_links`, on in the demo: then the console is the mail catcher).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::digests::email_frame;
use super::{chrome, when, AdminViewer};
use crate::email::queue::KIND_MAGIC_LINK;
use crate::http::pages::{render, Chrome, PageError};
use crate::http::pagination::{decode_time_cursor, encode_time_cursor};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::store::db;
use crate::store::outbox::{self, OutboxFilter, OutboxRow};

const PAGE: i64 = 50;
const STATUSES: &[&str] = &[outbox::QUEUED, outbox::SENDING, outbox::SENT, outbox::FAILED];

struct Line {
    row: OutboxRow,
    created: String,
}

#[derive(Template)]
#[template(path = "pages/admin/outbox.html")]
struct OutboxPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    status: String,
    statuses: &'static [&'static str],
    lines: Vec<Line>,
    next: Option<String>,
    /// The latest calls to Slack and webhook deliveries (the same outbox idea, over HTTP).
    deliveries: Vec<DeliveryLine>,
}

struct DeliveryLine {
    row: crate::store::deliveries::DeliveryRow,
    created: String,
}

#[derive(Deserialize, Default)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
    cursor: Option<String>,
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<OutboxQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let status = if STATUSES.contains(&q.status.as_str()) {
        q.status.clone()
    } else {
        String::new()
    };
    let filter = OutboxFilter {
        status: Some(status.clone()).filter(|s| !s.is_empty()),
        before: decode_time_cursor(q.cursor.as_deref())?,
        limit: PAGE,
    };
    let delivery_status = Some(status.clone()).filter(|s| !s.is_empty()).map(|s| {
        if s == outbox::SENT {
            crate::store::deliveries::DELIVERED.to_string()
        } else {
            s
        }
    });
    let (rows, deliveries) = db::run(&state.pool, move |conn| {
        Ok((
            outbox::list(conn, &filter)?,
            crate::store::deliveries::recent(conn, delivery_status.as_deref(), PAGE)?,
        ))
    })
    .await?;
    let deliveries = deliveries
        .into_iter()
        .map(|row| DeliveryLine {
            created: when(row.created_at),
            row,
        })
        .collect();
    let next = (rows.len() as i64 > PAGE)
        .then(|| {
            rows.get(PAGE as usize - 1)
                .map(|r| encode_time_cursor(&r.created_at, &r.id))
        })
        .flatten();
    let lines = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|row| Line {
            created: when(row.created_at),
            row,
        })
        .collect();
    render(
        StatusCode::OK,
        &OutboxPage {
            chrome: chrome(&viewer, "outbox"),
            flash: None,
            status,
            statuses: STATUSES,
            lines,
            next,
            deliveries,
        },
    )
}

impl OutboxPage {
    fn is_status(&self, s: &str) -> bool {
        self.status == s
    }
}

#[derive(Template)]
#[template(path = "pages/admin/email.html")]
struct EmailPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    row: OutboxRow,
    created: String,
    sent: Option<String>,
    next_attempt: String,
    /// False for a sign-in email outside development: its body is a working sign-in.
    shown: bool,
}

/// Whether this email's body may be shown to an admin.
fn may_show(state: &State, row: &OutboxRow) -> bool {
    row.kind != KIND_MAGIC_LINK || state.settings.auth.log_sign_in_links
}

async fn load(state: &State, id: String) -> Result<OutboxRow, PageError> {
    let row = db::run(&state.pool, move |conn| Ok(outbox::find(conn, &id)?)).await?;
    row.ok_or(PageError::NotFound)
}

pub async fn email(state: State, viewer: AdminViewer, id: PathId) -> Result<HttpResponse, PageError> {
    let row = load(&state, id.into_inner()).await?;
    render(
        StatusCode::OK,
        &EmailPage {
            chrome: chrome(&viewer, "outbox"),
            flash: None,
            shown: may_show(&state, &row),
            created: when(row.created_at),
            sent: row.sent_at.map(when),
            next_attempt: when(row.next_attempt_at),
            row,
        },
    )
}

pub async fn email_html(state: State, _viewer: AdminViewer, id: PathId) -> Result<HttpResponse, PageError> {
    let row = load(&state, id.into_inner()).await?;
    if !may_show(&state, &row) {
        return Err(PageError::NotFound);
    }
    Ok(email_frame(
        row.body_html
            .as_deref()
            .unwrap_or("<p>This email has no HTML part.</p>"),
    ))
}
