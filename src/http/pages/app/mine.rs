//! `/me/postcards`: the postcards someone received, or sent (`?sent=1`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{icons, page_of, Card};
use crate::http::pages::{render, Chrome, PageError, Viewer};
use crate::http::pagination::decode_time_cursor;
use crate::http::State;
use crate::services::postcard_views::Looker;
use crate::services::postcards::feed;
use crate::store::db;
use crate::store::postcards::FeedFilter;

const PAGE: i64 = 12;

#[derive(Template)]
#[template(path = "pages/app/mine.html")]
struct MinePage {
    chrome: Option<Chrome>,
    csrf: String,
    back: String,
    sent: bool,
    cards: Vec<Card>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct MineQuery {
    #[serde(default)]
    sent: String,
    cursor: Option<String>,
}

pub async fn page(
    state: State,
    viewer: Viewer,
    req: HttpRequest,
    q: web::Query<MineQuery>,
) -> Result<HttpResponse, PageError> {
    let me = viewer.caller.employee()?.id.clone();
    let sent = q.sent == "1";
    let filter = FeedFilter {
        recipient: Some(me.clone()).filter(|_| !sent),
        sender: Some(me.clone()).filter(|_| sent),
        before: decode_time_cursor(q.cursor.as_deref())?,
        limit: PAGE + 1,
        ..FeedFilter::default()
    };
    let (is_admin, looker_id) = (viewer.caller.is_admin, me.clone());
    let (rows, icons) = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: Some(&looker_id),
            is_admin,
        };
        Ok((feed(conn, looker, false, &filter)?, icons(conn)?))
    })
    .await?;
    let next = if sent {
        "/me/postcards?sent=1&"
    } else {
        "/me/postcards?"
    };
    let (cards, more) = page_of(rows, PAGE, &icons, Some(&me), next);
    render(
        StatusCode::OK,
        &MinePage {
            chrome: Some(viewer.chrome("mine")),
            csrf: viewer.csrf(),
            back: req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default(),
            sent,
            cards,
            more,
        },
    )
}
