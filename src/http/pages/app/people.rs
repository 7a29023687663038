//! `/people/{id}`: a colleague's page: who they are, what they were recognised for (by
//! behaviour), and the postcards they received.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{avatar, icons_of, page_of, Avatar, Card};
use crate::http::pages::{render, Chrome, PageError, Viewer};
use crate::http::pagination::decode_time_cursor;
use crate::http::path_ids::PathId;
use crate::http::State;
use crate::services::postcard_views::{Looker, PersonRef};
use crate::services::postcards::feed;
use crate::store::postcards::{received_by_behaviour, FeedFilter};
use crate::store::{behaviours, db, employees};

const PAGE: i64 = 12;

#[derive(Template)]
#[template(path = "pages/app/person.html")]
struct PersonPage {
    chrome: Option<Chrome>,
    csrf: String,
    back: String,
    person: PersonRef,
    active: bool,
    avatar: Avatar,
    is_me: bool,
    /// `(title, icon, slug, count)` of public postcards received, by behaviour.
    by_behaviour: Vec<(String, String, String, i64)>,
    total: i64,
    cards: Vec<Card>,
    more: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct PersonQuery {
    cursor: Option<String>,
}

pub async fn page(
    state: State,
    viewer: Viewer,
    req: HttpRequest,
    id: PathId,
    q: web::Query<PersonQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let me = viewer.caller.employee.as_ref().map(|e| e.id.clone());
    let is_admin = viewer.caller.is_admin;
    let before = decode_time_cursor(q.cursor.as_deref())?;
    let (lookup, looker_id) = (id.clone(), me.clone());
    let (person, rows, counts, icons, titles) = db::run(&state.pool, move |conn| {
        let person =
            employees::find(conn, &lookup)?.ok_or_else(|| crate::error::AppError::not_found("no such person"))?;
        let looker = Looker {
            employee_id: looker_id.as_deref(),
            is_admin,
        };
        let filter = FeedFilter {
            recipient: Some(lookup.clone()),
            before,
            limit: PAGE + 1,
            ..FeedFilter::default()
        };
        let rows = feed(conn, looker, false, &filter)?;
        let catalogue = behaviours::list(conn, true)?;
        let titles: std::collections::HashMap<String, String> =
            catalogue.iter().map(|b| (b.slug.clone(), b.title.clone())).collect();
        Ok((
            person,
            rows,
            received_by_behaviour(conn, &lookup)?,
            icons_of(&catalogue),
            titles,
        ))
    })
    .await?;
    let (cards, more) = page_of(rows, PAGE, &icons, me.as_deref(), &format!("/people/{id}?"));
    let total = counts.iter().map(|(_, n)| n).sum();
    let by_behaviour = counts
        .into_iter()
        .map(|(slug, n)| {
            let title = titles.get(&slug).cloned().unwrap_or_else(|| slug.clone());
            let icon = icons.get(&slug).cloned().unwrap_or_else(|| "star".into());
            (title, icon, slug, n)
        })
        .collect();
    let person_ref = PersonRef {
        id: person.id.clone(),
        name: person.name.clone(),
        department: person.department.clone(),
    };
    render(
        StatusCode::OK,
        &PersonPage {
            chrome: Some(viewer.chrome("people")),
            csrf: viewer.csrf(),
            back: req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default(),
            avatar: avatar(&person_ref),
            is_me: me.as_deref() == Some(person.id.as_str()),
            active: person.active,
            person: person_ref,
            by_behaviour,
            total,
            cards,
            more,
        },
    )
}
