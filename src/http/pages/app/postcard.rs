//! `/postcards/{id}`: one postcard (emails link here), and the "+1" form every card has.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{card, icons, Card};
use crate::boards::scoreboard::BoardConfig;
use crate::domain::clock::now;
use crate::http::pages::{render, safe_next, see_other, Chrome, PageError, Viewer};
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::endorsements;
use crate::services::postcard_views::{visible, Looker};
use crate::store::db;

#[derive(Template)]
#[template(path = "pages/app/postcard.html")]
struct PostcardPage {
    chrome: Option<Chrome>,
    csrf: String,
    back: String,
    cards: Vec<Card>,
    sent: bool,
    reported: bool,
    report_error: Option<String>,
    reason: String,
}

#[derive(Deserialize, Default)]
pub struct PostcardQuery {
    #[serde(default)]
    sent: String,
    #[serde(default)]
    reported: String,
}

pub async fn page(
    state: State,
    viewer: Viewer,
    id: PathId,
    q: web::Query<PostcardQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let shown = Shown {
        sent: q.sent == "1",
        reported: q.reported == "1",
        ..Shown::default()
    };
    show(&state, &viewer, id.into_inner(), shown, StatusCode::OK).await
}

/// What the page says besides the card.
#[derive(Default)]
struct Shown {
    sent: bool,
    reported: bool,
    report_error: Option<String>,
    reason: String,
}

async fn show(
    state: &State,
    viewer: &Viewer,
    id: String,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let me = viewer.caller.employee.as_ref().map(|e| e.id.clone());
    let is_admin = viewer.caller.is_admin;
    let (lookup, looker_id) = (id.clone(), me.clone());
    let (view, icons) = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: looker_id.as_deref(),
            is_admin,
        };
        let (row, view) = visible(conn, &lookup, looker)?;
        if row.hidden {
            // Admins can open a hidden postcard from the API; the app shows what everyone sees.
            return Err(crate::services::postcard_views::not_found(&lookup));
        }
        Ok((view, icons(conn)?))
    })
    .await?;
    render(
        status,
        &PostcardPage {
            chrome: Some(viewer.chrome("postcard")),
            csrf: viewer.csrf(),
            back: format!("/postcards/{id}"),
            cards: vec![card(view, &icons, me.as_deref())],
            sent: shown.sent,
            reported: shown.reported,
            report_error: shown.report_error,
            reason: shown.reason,
        },
    )
}

#[derive(Deserialize)]
pub struct ReportForm {
    csrf_token: String,
    #[serde(default)]
    reason: String,
}

/// "Report this postcard": the admins will look at it (it stays up meanwhile).
pub async fn report(
    state: State,
    req: HttpRequest,
    viewer: Viewer,
    id: PathId,
    form: web::Form<ReportForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&req, &form.csrf_token)?;
    let me = viewer.caller.employee()?.clone();
    let (id, is_admin, reason) = (id.into_inner(), viewer.caller.is_admin, form.reason.clone());
    let postcard = id.clone();
    let done = db::run(&state.pool, move |conn| {
        crate::services::moderation::report(conn, &postcard, &me, is_admin, &reason)
    })
    .await;
    match done {
        Ok(()) => Ok(see_other(&format!("/postcards/{id}?reported=1"))),
        Err(crate::error::AppError::Validation { .. }) => {
            let shown = Shown {
                report_error: Some("Say what is wrong with it, in a few words, so the admins can decide.".into()),
                reason: form.reason.clone(),
                ..Shown::default()
            };
            show(&state, &viewer, id, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct EndorseForm {
    csrf_token: String,
    #[serde(default)]
    back: String,
}

/// "+1" without script: toggles the viewer's endorsement and goes back to the page.
pub async fn endorse(
    state: State,
    req: HttpRequest,
    viewer: Viewer,
    id: PathId,
    form: web::Form<EndorseForm>,
) -> Result<HttpResponse, PageError> {
    viewer.check_csrf(&req, &form.csrf_token)?;
    let me = viewer.caller.employee()?.id.clone();
    let (id, is_admin) = (id.into_inner(), viewer.caller.is_admin);
    let board = BoardConfig::from_settings(&state.settings);
    db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: Some(&me),
            is_admin,
        };
        let (_, view) = visible(conn, &id, looker)?;
        if view.endorsed_by_me {
            endorsements::withdraw(conn, &id, &me, is_admin, &board)
        } else {
            endorsements::endorse(conn, &id, &me, is_admin, now(), &board)
        }
    })
    .await?;
    Ok(see_other(&safe_next(Some(&form.back))))
}
