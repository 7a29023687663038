//! `/admin/digests`: preview any manager's weekly email (links open in a new tab), queue a
//! week's digests (never twice), and see what was sent.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, csrf_in_forms, when, AdminViewer};
use crate::domain::clock::now;
use crate::error::AppError;
use crate::http::pages::{encode, in_words, render, see_other, Chrome, PageError};
use crate::http::State;
use crate::services::digest_config::DigestConfig;
use crate::services::digests;
use crate::store::db;
use crate::store::outbox::{recent_digests, DigestRecord};

#[derive(Template)]
#[template(path = "pages/admin/digests.html")]
struct DigestsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    /// `(id, name)` of every manager, by name.
    managers: Vec<(String, String)>,
    manager_id: String,
    week: String,
    last_week: String,
    preview_error: Option<String>,
    run_error: Option<String>,
    records: Vec<(DigestRecord, String)>,
}

#[derive(Deserialize, Default)]
pub struct DigestsQuery {
    #[serde(default)]
    manager_id: String,
    #[serde(default)]
    week: String,
    #[serde(default)]
    done: String,
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<DigestsQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let flash = q.done.split_once(':').map(|(week, counts)| {
        let n: Vec<&str> = counts.split(',').collect();
        match n.as_slice() {
            [queued, empty, done] => format!(
                "Week {week}: {queued} digest(s) queued, {empty} manager(s) had nothing to tell, {done} already had theirs."
            ),
            _ => format!("Week {week} run."),
        }
    });
    show(state, viewer, q, flash, None, StatusCode::OK).await
}

async fn show(
    state: State,
    viewer: AdminViewer,
    q: DigestsQuery,
    flash: Option<String>,
    run_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let cfg = DigestConfig::from_settings(&state.settings);
    let week_asked = q.week.trim().to_string();
    let (managers, last_week, preview_error, records) = db::run(&state.pool, move |conn| {
        let mut managers: Vec<(String, String)> =
            digests::teams(conn)?.into_iter().map(|(m, _)| (m.id, m.name)).collect();
        managers.sort_by(|a, b| a.1.cmp(&b.1));
        let last_week = digests::parse_week(&cfg, None, now())?.0;
        let preview_error = if week_asked.is_empty() {
            None
        } else {
            digests::parse_week(&cfg, Some(&week_asked), now())
                .err()
                .map(|e| in_words(&e))
        };
        let records = recent_digests(conn, 30)?
            .into_iter()
            .map(|r| {
                let at = when(r.created_at);
                (r, at)
            })
            .collect();
        Ok((managers, last_week, preview_error, records))
    })
    .await?;
    let manager_id = if q.manager_id.is_empty() {
        managers.first().map(|m| m.0.clone()).unwrap_or_default()
    } else {
        q.manager_id
    };
    let week = if q.week.trim().is_empty() {
        last_week.clone()
    } else {
        q.week.trim().to_string()
    };
    render(
        status,
        &DigestsPage {
            chrome: chrome(&viewer, "digests"),
            flash,
            managers,
            manager_id,
            week,
            last_week,
            preview_error,
            run_error,
            records,
        },
    )
}

impl DigestsPage {
    fn is_manager(&self, id: &str) -> bool {
        self.manager_id == id
    }

    fn preview_src(&self) -> String {
        format!(
            "/admin/digests/preview?manager_id={}&week={}",
            encode(&self.manager_id),
            encode(&self.week)
        )
    }
}

/// The email itself, for the preview's frame: its own inline styles allowed, no script, and
/// links opening in a new tab (a frame cannot show the app).
pub async fn preview(
    state: State,
    _viewer: AdminViewer,
    q: web::Query<DigestsQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let cfg = DigestConfig::from_settings(&state.settings);
    let rendered = db::run(&state.pool, move |conn| {
        let week = digests::parse_week(&cfg, Some(&q.week), now())?;
        digests::preview(conn, &cfg, &q.manager_id, week)
    })
    .await?;
    Ok(email_frame(&rendered.html))
}

/// An email's HTML served for a sandboxed frame of the console (digest previews, the
/// outbox): links open in a new tab, nothing runs.
pub fn email_frame(html: &str) -> HttpResponse {
    let html = match html.find("<head>") {
        Some(at) => format!(
            "{}<head><base target=\"_blank\">{}",
            &html[..at],
            &html[at + "<head>".len()..]
        ),
        None => format!("<base target=\"_blank\">{html}"),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; \
             form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(html)
}

#[derive(Deserialize)]
pub struct RunForm {
    csrf_token: String,
    #[serde(default)]
    week: String,
}

pub async fn run(
    state: State,
    req: HttpRequest,
    viewer: AdminViewer,
    form: web::Form<RunForm>,
) -> Result<HttpResponse, PageError> {
    viewer.0.check_csrf(&req, &form.csrf_token)?;
    let cfg = DigestConfig::from_settings(&state.settings);
    let (actor, week) = (viewer.0.caller.email.to_string(), form.week.trim().to_string());
    let ran = db::run(&state.pool, move |conn| {
        digests::run_for(
            conn,
            &cfg,
            Some(&week).filter(|w| !w.is_empty()).map(|w| w.as_str()),
            now(),
            &actor,
        )
    })
    .await;
    match ran {
        Ok(s) => Ok(see_other(&format!(
            "/admin/digests?done={}",
            encode(&format!("{}:{},{},{}", s.week, s.queued, s.empty, s.already_done))
        ))),
        Err(e @ (AppError::Validation { .. } | AppError::Rule { .. })) => {
            let why = in_words(&e);
            show(
                state,
                viewer,
                DigestsQuery::default(),
                None,
                Some(why),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

csrf_in_forms!(DigestsPage);
