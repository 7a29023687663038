//! Leaderboards for employees and intranet widgets: `ETag` on every answer, `304` on a
//! matching `If-None-Match`, and a short-lived cache for repeated identical reads.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::{Caller, Reader};
use super::board_cache::Cached;
use super::pagination::parse_limit;
use super::problem::ReadProblems;
use super::query::{non_empty, parse_int_in};
use super::State;
use crate::boards::custom::Source;
use crate::boards::leaderboard::{self, BoardRequest, DepartmentsView, LeaderboardView, MyStanding};
use crate::boards::memory::BoardMemory;
use crate::domain::board_period::{resolve, BoardPeriod};
use crate::domain::buckets::kept_before;
use crate::domain::clock::now;
use crate::domain::period::local_date;
use crate::error::{AppError, AppResult};
use crate::store::board_read::Metric;
use crate::store::employees::EmployeeRow;
use crate::store::{behaviours, db, DbConnection};

const MAX_OFFSET: i64 = 100_000;

#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct BoardQuery {
    /// `week` (default), `month`, `quarter`, `year`, `all` or `custom`.
    pub(crate) period: Option<String>,
    /// A date (YYYY-MM-DD) in the period wanted; default today in `org.timezone`.
    pub(crate) at: Option<String>,
    /// First day of a `custom` period.
    pub(crate) from: Option<String>,
    /// Last day (inclusive) of a `custom` period, at most 366 days after `from`.
    pub(crate) to: Option<String>,
    pub(crate) department: Option<String>,
    /// A behaviour slug.
    pub(crate) behaviour: Option<String>,
    /// `score` (default), `received` or `given`.
    pub(crate) metric: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub(crate) limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    pub(crate) offset: Option<String>,
}

/// The parsed parameters, owned, so they can move to the blocking pool.
pub(crate) struct Params {
    period: BoardPeriod,
    timezone: String,
    behaviour: String,
    department: Option<String>,
    metric: Metric,
    limit: i64,
    offset: i64,
    memory: Arc<BoardMemory>,
    kept_before: NaiveDate,
    tz: Tz,
}

impl Params {
    pub(crate) fn request(&self) -> BoardRequest<'_> {
        BoardRequest {
            period: &self.period,
            timezone: &self.timezone,
            behaviour: &self.behaviour,
            department: self.department.as_deref(),
            metric: self.metric,
            limit: self.limit,
            offset: self.offset,
            buckets: Source {
                memory: &self.memory,
                kept_before: self.kept_before,
                tz: self.tz,
            },
        }
    }

    /// What identifies the answer, for the cache.
    pub(crate) fn cache_key(&self, board: &str) -> String {
        format!(
            "{board}|{:?}|{}|{:?}|{:?}|{}|{}",
            (self.period.first_day, self.period.last_day),
            self.behaviour,
            self.department,
            self.metric,
            self.limit,
            self.offset
        )
    }
}

pub(crate) fn parse(state: &State, q: BoardQuery) -> AppResult<Params> {
    let tz = state.settings.org_timezone();
    let now = now();
    let today = local_date(now, tz);
    let period = resolve(
        q.period.as_deref(),
        q.at.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
        today,
        state.settings.week_starts(),
    )
    .map_err(|(name, message)| AppError::bad_query(name, message))?;
    let metric = match q.metric.as_deref().map(str::trim) {
        None | Some("") | Some("score") => Metric::Score,
        Some("received") => Metric::Received,
        Some("given") => Metric::Given,
        Some(_) => return Err(AppError::bad_query("metric", "must be score, received or given")),
    };
    let offset = parse_int_in("offset", q.offset.as_deref(), 0..=MAX_OFFSET, 0)?;
    Ok(Params {
        period,
        timezone: state.settings.org.timezone.clone(),
        behaviour: non_empty(q.behaviour).unwrap_or_default(),
        department: non_empty(q.department),
        metric,
        limit: parse_limit(q.limit.as_deref())?,
        offset,
        memory: state.board_memory.clone(),
        kept_before: kept_before(now, tz),
        tz,
    })
}

fn check_behaviour(conn: &mut DbConnection, slug: &str) -> AppResult<()> {
    if !slug.is_empty() && behaviours::find(conn, slug)?.is_none() {
        return Err(AppError::bad_query(
            "behaviour",
            format!("there is no behaviour {slug:?}"),
        ));
    }
    Ok(())
}

fn respond(req: &HttpRequest, etag: &str, body: Bytes) -> HttpResponse {
    let fresh = super::board_cache::unchanged_for(req, etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag.to_string()))
        // Widgets revalidate each time; an unchanged board costs a 304 and no body.
        .insert_header((header::CACHE_CONTROL, "private, no-cache"));
    if fresh {
        res.finish()
    } else {
        res.content_type("application/json").body(body)
    }
}

/// The cached answer for `key`, or one computed (once per key at a time), cached and
/// answered. Widgets use it too, for their pages.
pub(crate) async fn cached_entry<F>(state: &State, key: String, compute: F) -> AppResult<Arc<Cached>>
where
    F: FnOnce(&mut DbConnection) -> AppResult<Bytes> + Send + 'static,
{
    if let Some(hit) = state.boards.get(&key) {
        return Ok(hit);
    }
    let lock = state.boards.computing(&key);
    let _computing = match &lock {
        Some(lock) => Some(lock.lock().await),
        None => None,
    };
    if let Some(hit) = state.boards.get(&key) {
        return Ok(hit);
    }
    let version = state.boards.version();
    let body = db::run(&state.pool, compute).await?;
    Ok(state.boards.put(key, version, body))
}

/// Serves from the cache, or computes, caches and serves.
async fn cached<T, F>(state: &State, req: &HttpRequest, key: String, compute: F) -> AppResult<HttpResponse>
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&mut DbConnection) -> AppResult<T> + Send + 'static,
{
    let entry = cached_entry(state, key, move |conn| {
        let value = compute(conn)?;
        Ok(Bytes::from(serde_json::to_vec(&value).map_err(AppError::internal)?))
    })
    .await?;
    Ok(respond(req, &entry.etag, entry.body.clone()))
}

/// Top people for a period. Scores: `scoring.postcard` per postcard received plus
/// `scoring.endorsement` per endorsement on them; competition ranks, ties by name then id.
/// Hidden postcards, deactivated people and people who opted out never appear.
#[utoipa::path(get, operation_id = "leaderboard_board", path = "/api/v1/leaderboard", tag = "leaderboards", security(("bearer" = [])), params(BoardQuery),
    responses((status = 200, body = LeaderboardView, headers(("ETag" = String))), (status = 304, description = "unchanged since the `If-None-Match` tag"), ReadProblems))]
pub async fn board(
    state: State,
    _reader: Reader,
    req: HttpRequest,
    q: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let p = parse(&state, q.into_inner())?;
    let key = p.cache_key("people");
    cached(&state, &req, key, move |conn| {
        check_behaviour(conn, &p.behaviour)?;
        leaderboard::board(conn, &p.request())
    })
    .await
}

/// Departments by total score, with per-capita score and participation.
#[utoipa::path(get, operation_id = "leaderboard_departments", path = "/api/v1/leaderboard/departments", tag = "leaderboards", security(("bearer" = [])), params(BoardQuery),
    responses((status = 200, body = DepartmentsView, headers(("ETag" = String))), (status = 304, description = "unchanged"), ReadProblems))]
pub async fn departments(
    state: State,
    _reader: Reader,
    req: HttpRequest,
    q: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    let p = parse(&state, q.into_inner())?;
    let key = p.cache_key("departments");
    cached(&state, &req, key, move |conn| {
        check_behaviour(conn, &p.behaviour)?;
        leaderboard::departments(conn, &p.request())
    })
    .await
}

/// The caller's own rank and totals, also outside the top of the board.
#[utoipa::path(get, operation_id = "leaderboard_me", path = "/api/v1/leaderboard/me", tag = "leaderboards", security(("bearer" = [])), params(BoardQuery),
    responses((status = 200, body = MyStanding, headers(("ETag" = String))), (status = 304, description = "unchanged"), ReadProblems))]
pub async fn me(state: State, caller: Caller, req: HttpRequest, q: web::Query<BoardQuery>) -> AppResult<HttpResponse> {
    let me = caller.employee()?.clone();
    let p = parse(&state, q.into_inner())?;
    let value = db::run(&state.pool, move |conn| {
        check_behaviour(conn, &p.behaviour)?;
        leaderboard::standing(conn, &p.request(), &me.id, me.show_on_leaderboard)
    })
    .await?;
    let body = Bytes::from(serde_json::to_vec(&value).map_err(AppError::internal)?);
    Ok(respond(&req, &super::board_cache::etag_of(&body), body))
}

/// This week's top `limit` and where `me` stands (the chat commands' `top` and `me`).
pub(crate) async fn this_week(
    state: &State,
    me: Option<EmployeeRow>,
    limit: i64,
) -> AppResult<(LeaderboardView, Option<MyStanding>)> {
    let p = parse(
        state,
        BoardQuery {
            limit: Some(limit.to_string()),
            ..BoardQuery::default()
        },
    )?;
    db::run(&state.pool, move |conn| {
        let board = leaderboard::board(conn, &p.request())?;
        let standing = match me {
            Some(me) => Some(leaderboard::standing(
                conn,
                &p.request(),
                &me.id,
                me.show_on_leaderboard,
            )?),
            None => None,
        };
        Ok((board, standing))
    })
    .await
}
