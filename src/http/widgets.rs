//! Intranet widgets: server-rendered HTML pages made to sit in an `<iframe>`, authorised by
//! a widget token in the query (an iframe cannot send a header). Their `Content-Security-Policy`
//! lets only `server.allowed_origins` frame them, loads nothing from anywhere else, and a
//! small script from the binary refreshes the content every minute without reloading.

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::widget_token_id;
use super::leaderboard::cached_entry;
use super::leaderboard::{parse, BoardQuery};
use super::query::{non_empty, parse_int_in};
use super::widget_page::{answer, cached_page, render, UPDATED_AT};
use super::State;
use crate::boards::leaderboard::{self, PeriodView};
use crate::domain::clock::now;
use crate::error::{AppError, AppResult};
use crate::services::postcard_views::Looker;
use crate::services::postcards;
use crate::store::employees;
use crate::store::postcards::FeedFilter;

const WALL_DEFAULT: i64 = 12;
const WALL_MAX: i64 = 50;
const BOARD_DEFAULT: &str = "10";

#[derive(Debug, Deserialize, IntoParams)]
pub struct LeaderboardWidgetQuery {
    /// A widget token (`cw_...`) from `POST /admin/widget-tokens` or `champion widget-token`.
    token: Option<String>,
    /// `week` (default), `month`, `quarter`, `year` or `all`.
    period: Option<String>,
    /// How many people, 1 to 100 (default 10).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    department: Option<String>,
    /// `light` (default) or `dark`.
    theme: Option<String>,
    /// Seconds between refreshes, 5 to 3600 (default 60).
    #[param(value_type = Option<i64>, minimum = 5, maximum = 3600)]
    refresh: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WallWidgetQuery {
    /// A widget token (`cw_...`).
    token: Option<String>,
    /// How many postcards, 1 to 50 (default 12).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 50)]
    limit: Option<String>,
    /// `light` (default) or `dark`.
    theme: Option<String>,
    /// Seconds between refreshes, 5 to 3600 (default 60).
    #[param(value_type = Option<i64>, minimum = 5, maximum = 3600)]
    refresh: Option<String>,
    /// Seconds each set of postcards stays before the next comes round, 3 to 600 (default
    /// 15): the wall shows only the postcards that fit the screen, never a scrollbar.
    #[param(value_type = Option<i64>, minimum = 3, maximum = 600)]
    rotate: Option<String>,
}

struct BoardRow {
    rank: i64,
    name: String,
    department: String,
    score: i64,
    received: i64,
}

#[derive(Template)]
#[template(path = "widget_leaderboard.html")]
struct LeaderboardPage {
    theme: &'static str,
    refresh: u32,
    period_label: String,
    rows: Vec<BoardRow>,
    updated: String,
}

struct WallCard {
    slug: String,
    icon: String,
    sender: String,
    recipients: String,
    behaviour: String,
    message: String,
    customer_name: Option<String>,
    customer_quote: Option<String>,
    endorsements: i32,
    date: String,
}

#[derive(Template)]
#[template(path = "widget_wall.html")]
struct WallPage {
    theme: &'static str,
    refresh: u32,
    rotate: u32,
    cards: Vec<WallCard>,
    updated: String,
    /// The icons, inline: the widget's policy lets it load no image or sprite.
    sprite: &'static str,
}

fn theme(value: Option<&str>) -> AppResult<&'static str> {
    match value.map(str::trim) {
        None | Some("") | Some("light") => Ok("light"),
        Some("dark") => Ok("dark"),
        Some(_) => Err(AppError::bad_query("theme", "must be light or dark")),
    }
}

fn refresh(value: Option<&str>) -> AppResult<u32> {
    // The range fits a u32.
    parse_int_in("refresh", value, 5..=3600, 60).map(|n| n as u32)
}

async fn authorise(state: &State, token: Option<&str>) -> AppResult<()> {
    let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
        AppError::unauthorized(
            "missing_token",
            "a widget needs `?token=` with a widget token; an admin mints one with POST /api/v1/admin/widget-tokens",
        )
    })?;
    widget_token_id(state, token).await.map(|_| ())
}

fn day(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

fn period_label(p: &PeriodView) -> String {
    match (p.start, p.end) {
        (Some(start), Some(end)) if start == end => day(start),
        (Some(start), Some(end)) => format!("{} – {}", start.format("%-d %b"), day(end)),
        _ => "All time".to_string(),
    }
}

fn updated_at(state: &State) -> String {
    let local = now().and_utc().with_timezone(&state.settings.org_timezone());
    local.format("%H:%M").to_string()
}

/// The query string read by the widget itself, so that even a malformed one is answered
/// as a widget page.
fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> AppResult<T> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| AppError::BadRequest {
            code: "invalid_parameter",
            detail: format!("the query string cannot be read: {e}"),
            errors: vec![],
        })
}

/// The leaderboard widget: the top people of the period, light or dark, refreshing itself.
#[utoipa::path(get, operation_id = "widgets_leaderboard", path = "/widgets/leaderboard", tag = "widgets", params(LeaderboardWidgetQuery),
    responses((status = 200, description = "the widget page", content_type = "text/html", body = String),
        (status = 400, description = "a bad parameter: a page that says so in words, or problem+json when the client asks for JSON",
            content((String = "text/html"), (super::problem::Problem = "application/problem+json"))),
        (status = 401, description = "no token, or an unknown or revoked one (a page, or problem+json when asked for JSON)",
            content((String = "text/html"), (super::problem::Problem = "application/problem+json")))))]
pub async fn leaderboard_widget(state: State, req: HttpRequest) -> HttpResponse {
    let result = leaderboard_page(&state, &req).await;
    answer(&state, &req, result)
}

async fn leaderboard_page(state: &State, req: &HttpRequest) -> AppResult<HttpResponse> {
    let q = query::<LeaderboardWidgetQuery>(req)?;
    authorise(state, q.token.as_deref()).await?;
    let theme = theme(q.theme.as_deref())?;
    let refresh = refresh(q.refresh.as_deref())?;
    if q.period.as_deref().map(str::trim) == Some("custom") {
        return Err(AppError::bad_query(
            "period",
            "must be week, month, quarter, year or all",
        ));
    }
    let department = non_empty(q.department);
    let params = parse(
        state,
        BoardQuery {
            period: q.period,
            department: department.clone(),
            limit: Some(non_empty(q.limit).unwrap_or_else(|| BOARD_DEFAULT.into())),
            ..BoardQuery::default()
        },
    )?;
    // Many screens ask the same question every minute: the page comes from the answer cache
    // (same freshness as the API's boards) and carries an ETag, so a screen whose board has
    // not changed gets a 304.
    let key = format!("widget|{theme}|{refresh}|{}", params.cache_key("people"));
    let entry = cached_entry(state, key, move |conn| {
        if let Some(name) = &department {
            if !employees::department_exists(conn, name)? {
                return Err(AppError::bad_query(
                    "department",
                    "no active colleague is in a department of that name",
                ));
            }
        }
        let view = leaderboard::board(conn, &params.request())?;
        let rows = view
            .entries
            .into_iter()
            .map(|e| BoardRow {
                rank: e.rank,
                name: e.employee.name,
                department: e.employee.department,
                score: e.score,
                received: e.received,
            })
            .collect();
        let html = render(&LeaderboardPage {
            theme,
            refresh,
            period_label: period_label(&view.period),
            rows,
            updated: UPDATED_AT.to_string(),
        })?;
        Ok(Bytes::from(html))
    })
    .await?;
    Ok(cached_page(state, req, &entry, &updated_at(state)))
}

/// The wall widget: the newest public postcards (never private or hidden ones).
#[utoipa::path(get, operation_id = "widgets_wall", path = "/widgets/wall", tag = "widgets", params(WallWidgetQuery),
    responses((status = 200, description = "the widget page", content_type = "text/html", body = String),
        (status = 400, description = "a bad parameter: a page that says so in words, or problem+json when the client asks for JSON",
            content((String = "text/html"), (super::problem::Problem = "application/problem+json"))),
        (status = 401, description = "no token, or an unknown or revoked one (a page, or problem+json when asked for JSON)",
            content((String = "text/html"), (super::problem::Problem = "application/problem+json")))))]
pub async fn wall_widget(state: State, req: HttpRequest) -> HttpResponse {
    let result = wall_page(&state, &req).await;
    answer(&state, &req, result)
}

async fn wall_page(state: &State, req: &HttpRequest) -> AppResult<HttpResponse> {
    let q = query::<WallWidgetQuery>(req)?;
    authorise(state, q.token.as_deref()).await?;
    let theme = theme(q.theme.as_deref())?;
    let refresh = refresh(q.refresh.as_deref())?;
    let limit = parse_int_in("limit", q.limit.as_deref(), 1..=WALL_MAX, WALL_DEFAULT)?;
    // The range fits a u32.
    let rotate = parse_int_in("rotate", q.rotate.as_deref(), 3..=600, 15)? as u32;
    let tz = state.settings.org_timezone();
    let key = format!("widget-wall|{theme}|{refresh}|{rotate}|{limit}");
    let entry = cached_entry(state, key, move |conn| {
        let filter = FeedFilter {
            limit,
            ..FeedFilter::default()
        };
        let nobody = Looker {
            employee_id: None,
            is_admin: false,
        };
        let icons = crate::http::pages::app::cards::icons(conn)?;
        let cards = postcards::feed(conn, nobody, false, &filter)?
            .into_iter()
            .map(|(_, v)| WallCard {
                icon: icons.get(&v.behaviour.slug).cloned().unwrap_or_else(|| "star".into()),
                slug: v.behaviour.slug.clone(),
                sender: v.sender.name,
                recipients: v.recipients.into_iter().map(|r| r.name).collect::<Vec<_>>().join(", "),
                behaviour: v.behaviour.title,
                message: v.message,
                customer_name: v.customer.as_ref().map(|c| c.name.clone()),
                customer_quote: v.customer.and_then(|c| c.quote),
                endorsements: v.endorsement_count,
                date: v.created_at.with_timezone(&tz).format("%-d %b").to_string(),
            })
            .collect();
        let html = render(&WallPage {
            theme,
            refresh,
            rotate,
            cards,
            updated: UPDATED_AT.to_string(),
            sprite: super::web_app::ICONS_SVG,
        })?;
        Ok(Bytes::from(html))
    })
    .await?;
    Ok(cached_page(state, req, &entry, &updated_at(state)))
}
