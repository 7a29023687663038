//! `/team` (managers): the team, how it took part this quarter, and this week's digest email
//! as it will look, in a frame whose links open in a new tab.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use crate::domain::clock::now;
use crate::http::pages::admin::digests::email_frame;
use crate::http::pages::{render, Chrome, PageError, Viewer};
use crate::http::stats::{request, StatsPeriod};
use crate::http::State;
use crate::services::digest_config::DigestConfig;
use crate::services::digests;
use crate::services::stats::{self, StatsView};
use crate::store::db;

#[derive(Template)]
#[template(path = "pages/app/team.html")]
struct TeamPage {
    chrome: Option<Chrome>,
    stats: StatsView,
    rate_percent: i64,
}

fn manager_id(viewer: &Viewer) -> Result<String, PageError> {
    match (&viewer.caller.employee, viewer.is_manager) {
        (Some(e), true) => Ok(e.id.clone()),
        _ => Err(PageError::NotFound),
    }
}

pub async fn page(state: State, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let me = manager_id(&viewer)?;
    let quarter = StatsPeriod {
        name: "quarter",
        ..StatsPeriod::default()
    };
    let req = request(&state, quarter, Some(me), None)?;
    let stats = db::run(&state.pool, move |conn| stats::stats(conn, &req)).await?;
    render(
        StatusCode::OK,
        &TeamPage {
            chrome: Some(viewer.chrome("team")),
            rate_percent: (stats.participation.rate * 100.0).round() as i64,
            stats,
        },
    )
}

/// The viewer's digest of the last week that ended, for the page's frame.
pub async fn digest(state: State, viewer: Viewer) -> Result<HttpResponse, PageError> {
    let me = manager_id(&viewer)?;
    let cfg = DigestConfig::from_settings(&state.settings);
    let rendered = db::run(&state.pool, move |conn| {
        let week = digests::parse_week(&cfg, None, now())?;
        digests::preview(conn, &cfg, &me, week)
    })
    .await?;
    Ok(email_frame(&rendered.html))
}
