//! `GET /stats`: participation figures for admins (the organisation) and managers (their
//! reporting tree).

use actix_web::web::{self, Json as JsonOut};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::problem::ReadProblems;
use super::query::non_empty;
use super::State;
use crate::boards::leaderboard::PeriodView;
use crate::domain::board_period::resolve;
use crate::domain::clock::now;
use crate::domain::period::local_date;
use crate::error::{AppError, AppResult};
use crate::services::stats::{self, StatsRequest, StatsView};
use crate::store::{db, employees};

#[derive(Debug, Deserialize, IntoParams)]
pub struct StatsQuery {
    /// `week`, `month`, `quarter` (default), `year`, `all` or `custom`.
    period: Option<String>,
    /// A date (YYYY-MM-DD) in the period wanted; default today.
    at: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// Only people of this department (within what the caller may see).
    department: Option<String>,
}

/// Postcards per week, participation rate, top behaviours and recognition by department.
/// Admins see the organisation; managers their reporting tree (everyone under them).
#[utoipa::path(get, operation_id = "stats_get", path = "/api/v1/stats", tag = "leaderboards", security(("bearer" = [])), params(StatsQuery),
    responses((status = 200, body = StatsView), ReadProblems))]
pub async fn get(state: State, caller: Caller, q: web::Query<StatsQuery>) -> AppResult<JsonOut<StatsView>> {
    let q = q.into_inner();
    let manager_id = if caller.is_admin {
        None
    } else {
        let me = caller.employee()?.id.clone();
        let lookup = me.clone();
        let manages = db::run(&state.pool, move |conn| {
            Ok(employees::has_active_reports(conn, &lookup)?)
        })
        .await?;
        if !manages {
            return Err(AppError::forbidden("statistics are for managers and admins"));
        }
        Some(me)
    };
    let period = StatsPeriod {
        name: q.period.as_deref().unwrap_or("quarter"),
        at: q.at.as_deref(),
        from: q.from.as_deref(),
        to: q.to.as_deref(),
    };
    let req = request(&state, period, manager_id, non_empty(q.department))?;
    let view = db::run(&state.pool, move |conn| stats::stats(conn, &req)).await?;
    Ok(JsonOut(view))
}

/// The period of a stats request, as asked for.
#[derive(Default, Clone, Copy)]
pub(crate) struct StatsPeriod<'a> {
    pub name: &'a str,
    pub at: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
}

/// A stats request in the organisation's calendar (the API, the console and the team page
/// ask the same way); a bad period is 400 naming the parameter.
pub(crate) fn request(
    state: &State,
    period: StatsPeriod,
    manager_id: Option<String>,
    department: Option<String>,
) -> AppResult<StatsRequest> {
    let tz = state.settings.org_timezone();
    let resolved = resolve(
        Some(period.name),
        period.at,
        period.from,
        period.to,
        local_date(now(), tz),
        state.settings.week_starts(),
    )
    .map_err(|(name, message)| AppError::bad_query(name, message))?;
    Ok(StatsRequest {
        period: PeriodView {
            start: resolved.first_day,
            end: resolved.last_day,
            timezone: state.settings.org.timezone.clone(),
        },
        timezone: tz,
        week_starts: state.settings.week_starts(),
        manager_id,
        department,
    })
}
