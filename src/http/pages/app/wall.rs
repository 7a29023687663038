//! `/`: the wall. Recent postcards as cards, filtered by behaviour, department or "for me",
//! with "More" for older ones; beside them, how many postcards the viewer can still send.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{icons_of, page_of, Card};
use crate::domain::clock::now;
use crate::http::pages::{encode, render, Chrome, PageError, Viewer};
use crate::http::pagination::decode_time_cursor;
use crate::http::State;
use crate::services::postcard_views::Looker;
use crate::services::postcards::{feed, remaining_allowance, Rules};
use crate::store::behaviours::{self, BehaviourRow};
use crate::store::db;
use crate::store::employees;
use crate::store::postcards::FeedFilter;

const PAGE: i64 = 12;

#[derive(Template)]
#[template(path = "pages/app/wall.html")]
struct WallPage {
    chrome: Option<Chrome>,
    csrf: String,
    back: String,
    cards: Vec<Card>,
    behaviours: Vec<BehaviourRow>,
    departments: Vec<String>,
    behaviour: String,
    department: String,
    for_me: bool,
    /// The address of the next (older) page, with the same filters.
    more: Option<String>,
    remaining: Option<i64>,
    allowance: u32,
    filtered: bool,
}

impl WallPage {
    fn is_behaviour(&self, slug: &str) -> bool {
        self.behaviour == slug
    }

    fn is_department(&self, d: &str) -> bool {
        self.department == d
    }
}

#[derive(Deserialize, Default)]
pub struct WallQuery {
    #[serde(default)]
    behaviour: String,
    #[serde(default)]
    department: String,
    #[serde(default, rename = "for")]
    for_whom: String,
    cursor: Option<String>,
}

pub async fn page(
    state: State,
    viewer: Viewer,
    req: actix_web::HttpRequest,
    q: web::Query<WallQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let me = viewer.caller.employee.as_ref().map(|e| e.id.clone());
    let for_me = q.for_whom == "me" && me.is_some();
    let filter = FeedFilter {
        behaviour: Some(q.behaviour.trim().to_string()).filter(|b| !b.is_empty()),
        department: Some(q.department.trim().to_string()).filter(|d| !d.is_empty()),
        recipient: me.clone().filter(|_| for_me),
        before: decode_time_cursor(q.cursor.as_deref())?,
        limit: PAGE + 1,
        ..FeedFilter::default()
    };
    let rules = Rules::from_settings(&state.settings);
    let allowance = state.settings.rules.weekly_allowance;
    let is_admin = viewer.caller.is_admin;
    let looker_id = me.clone();
    let (rows, icons, behaviours, departments, remaining) = db::run(&state.pool, move |conn| {
        let looker = Looker {
            employee_id: looker_id.as_deref(),
            is_admin,
        };
        let rows = feed(conn, looker, false, &filter)?;
        let remaining = match &looker_id {
            Some(id) => Some(remaining_allowance(conn, id, &rules, now())?),
            None => None,
        };
        let catalogue = behaviours::list(conn, true)?;
        let icons = icons_of(&catalogue);
        let active = catalogue.into_iter().filter(|b| b.active).collect::<Vec<_>>();
        Ok((rows, icons, active, employees::departments(conn)?, remaining))
    })
    .await?;
    let next = format!(
        "/?behaviour={}&department={}{}&",
        encode(&q.behaviour),
        encode(&q.department),
        if for_me { "&for=me" } else { "" }
    );
    let (cards, more) = page_of(rows, PAGE, &icons, me.as_deref(), &next);
    let back = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    render(
        StatusCode::OK,
        &WallPage {
            chrome: Some(viewer.chrome("wall")),
            csrf: viewer.csrf(),
            back,
            cards,
            behaviours,
            departments,
            filtered: !q.behaviour.is_empty() || !q.department.is_empty() || for_me,
            behaviour: q.behaviour,
            department: q.department,
            for_me,
            more,
            remaining,
            allowance,
        },
    )
}
