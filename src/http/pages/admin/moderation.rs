//! `/admin/moderation`: recent postcards (hidden ones too), hiding with a reason and
//! restoring, and the audit trail of every admin action.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, when, AdminViewer};
use crate::boards::scoreboard::BoardConfig;
use crate::error::AppError;
use crate::http::pages::{encode, in_words, render, see_other, Chrome, PageError};
use crate::http::pagination::{decode_time_cursor, encode_time_cursor};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::moderation;
use crate::services::postcard_views::{views, Looker, PostcardView};
use crate::services::postcards::feed;
use crate::store::audit::{self, AuditFilter};
use crate::store::postcards::FeedFilter;
use crate::store::{db, postcards, reports};

const PAGE: i64 = 25;

struct Card {
    view: PostcardView,
    hidden: bool,
    at: String,
    recipients: String,
    /// Open reports' reasons (the "Reported" list).
    reports: Vec<String>,
}

struct AuditLine {
    at: String,
    actor: String,
    action: String,
    target: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "pages/admin/moderation.html")]
struct ModerationPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    hidden_only: bool,
    reported_only: bool,
    /// Postcards with open reports, for the tab's label.
    reported: i64,
    cards: Vec<Card>,
    next: Option<String>,
    audit: Vec<AuditLine>,
    /// A refused action: the postcard it was for, and why.
    refused: Option<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct ModerationQuery {
    show: Option<String>,
    cursor: Option<String>,
    done: Option<String>,
}

pub async fn page(
    state: State,
    viewer: AdminViewer,
    q: web::Query<ModerationQuery>,
) -> Result<HttpResponse, PageError> {
    show(state, viewer, q.into_inner(), None).await
}

async fn show(
    state: State,
    viewer: AdminViewer,
    q: ModerationQuery,
    refused: Option<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let hidden_only = q.show.as_deref() == Some("hidden");
    let reported_only = q.show.as_deref() == Some("reported");
    let before = decode_time_cursor(q.cursor.as_deref())?;
    let (rows, audit_rows, open_reports, reported) = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: None,
            is_admin: true,
        };
        let (rows, open_reports) = if reported_only {
            let open = reports::open(conn, PAGE)?;
            let mut ids: Vec<String> = Vec::new();
            for r in &open {
                if !ids.contains(&r.postcard_id) {
                    ids.push(r.postcard_id.clone());
                }
            }
            let found = postcards::find_many(conn, &ids)?;
            let views = views(conn, found.clone(), looker)?;
            (found.into_iter().zip(views).collect(), open)
        } else {
            let filter = FeedFilter {
                before,
                limit: PAGE + 1,
                hidden_only,
                ..FeedFilter::default()
            };
            (feed(conn, looker, true, &filter)?, vec![])
        };
        let audit = audit::list(
            conn,
            &AuditFilter {
                limit: 20,
                ..AuditFilter::default()
            },
        )?;
        Ok((rows, audit, open_reports, reports::count_open(conn)?))
    })
    .await?;
    let next = (rows.len() as i64 > PAGE)
        .then(|| {
            rows.get(PAGE as usize - 1)
                .map(|(r, _)| encode_time_cursor(&r.created_at, &r.id))
        })
        .flatten();
    let cards = rows
        .into_iter()
        .take(PAGE as usize)
        .map(|(row, view)| Card {
            hidden: row.hidden,
            at: when(row.created_at),
            recipients: view
                .recipients
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            reports: open_reports
                .iter()
                .filter(|r| r.postcard_id == row.id)
                .map(|r| r.reason.clone())
                .collect(),
            view,
        })
        .collect();
    let audit = audit_rows
        .into_iter()
        .map(|r| AuditLine {
            at: when(r.created_at),
            actor: r.actor,
            action: r.action,
            target: format!("{} {}", r.target_type, r.target_id),
            reason: r.reason.unwrap_or_default(),
        })
        .collect();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ModerationPage {
            chrome: chrome(&viewer, "moderation"),
            flash: q.done.as_deref().map(|d| match d {
                "hidden" => "Hidden: the postcard has left every feed, widget and leaderboard.".to_string(),
                "restored" => "Restored: the postcard is back on the feeds and leaderboards.".to_string(),
                "kept" => "Kept: the postcard stays up, and its reports are closed.".to_string(),
                _ => "Done.".to_string(),
            }),
            hidden_only,
            reported_only,
            reported,
            cards,
            next,
            audit,
            refused,
        },
    )
}

#[derive(Deserialize)]
pub struct ReasonForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    show: String,
}

pub async fn hide(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, PageError> {
    change(state, req, viewer, id.into_inner(), form.into_inner(), true).await
}

pub async fn restore(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<ReasonForm>,
) -> Result<HttpResponse, PageError> {
    change(state, req, viewer, id.into_inner(), form.into_inner(), false).await
}

async fn change(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: String,
    form: ReasonForm,
    hide: bool,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let board = BoardConfig::from_settings(&state.settings);
    let actor = viewer.0.caller.email.to_string();
    let (postcard, reason) = (id.clone(), form.reason.clone());
    let done = db::run(&state.pool, move |conn| {
        if hide {
            moderation::hide(conn, &actor, &postcard, &reason, &board)
        } else {
            let reason = Some(reason.trim()).filter(|r| !r.is_empty());
            moderation::restore(conn, &actor, &postcard, reason, &board)
        }
    })
    .await;
    let show_param = match form.show.as_str() {
        "hidden" => "&show=hidden",
        "reported" => "&show=reported",
        _ => "",
    };
    match done {
        Ok(_) => Ok(see_other(&format!(
            "/admin/moderation?done={}{show_param}",
            encode(if hide { "hidden" } else { "restored" })
        ))),
        Err(e @ AppError::Validation { .. }) => {
            let why = if hide && form.reason.trim().is_empty() {
                "Say why it is hidden: the reason goes to the audit trail.".to_string()
            } else {
                in_words(&e)
            };
            let q = ModerationQuery {
                show: Some(form.show),
                ..ModerationQuery::default()
            };
            show(state, viewer, q, Some((id, why))).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A reported postcard stays up: its reports are closed (and the decision audited).
pub async fn keep(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    id: PathId,
    form: web::Form<super::ButtonForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let (actor, id) = (viewer.0.caller.email.to_string(), id.into_inner());
    db::run(&state.pool, move |conn| moderation::dismiss_reports(conn, &actor, &id)).await?;
    Ok(see_other("/admin/moderation?show=reported&done=kept"))
}
