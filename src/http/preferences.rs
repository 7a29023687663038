//! `GET/PATCH /me/preferences`: digest and notification emails, being on public
//! leaderboards, and the caller's own timezone.

use actix_web::web::Json as JsonOut;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::json::{double_option, Json};
use super::problem::{ReadProblems, WriteProblems};
use super::State;
use crate::domain::clock::now;
use crate::domain::employee::parse_timezone;
use crate::error::{AppError, AppResult};
use crate::services::preferences;
use crate::store::db;
use crate::store::employees::{EmployeeRow, PreferenceChanges};

#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    /// Managers: the weekly digest email.
    pub weekly_digest: bool,
    /// An email when someone sends you a postcard.
    pub notify_on_postcard: bool,
    /// `false` keeps you off public rankings (you still see your own standing).
    pub show_on_leaderboard: bool,
    /// IANA timezone; the organisation's when you have none of your own.
    pub timezone: String,
}

impl Preferences {
    fn of(e: &EmployeeRow, org_timezone: &str) -> Preferences {
        Preferences {
            weekly_digest: e.weekly_digest,
            notify_on_postcard: e.notify_on_postcard,
            show_on_leaderboard: e.show_on_leaderboard,
            timezone: e.timezone.clone().unwrap_or_else(|| org_timezone.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesPatch {
    pub weekly_digest: Option<bool>,
    pub notify_on_postcard: Option<bool>,
    pub show_on_leaderboard: Option<bool>,
    /// `null` goes back to the organisation's timezone.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable, example = "Europe/Paris")]
    pub timezone: Option<Option<String>>,
}

/// The caller's preferences.
#[utoipa::path(get, operation_id = "preferences_get", path = "/api/v1/me/preferences", tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = Preferences), ReadProblems))]
pub async fn get(state: State, caller: Caller) -> AppResult<JsonOut<Preferences>> {
    let me = caller.employee()?;
    Ok(JsonOut(Preferences::of(me, &state.settings.org.timezone)))
}

/// Changes the caller's preferences; fields left out stay as they are.
#[utoipa::path(patch, operation_id = "preferences_update", path = "/api/v1/me/preferences", tag = "directory", security(("bearer" = [])),
    request_body = PreferencesPatch, responses((status = 200, body = Preferences), WriteProblems))]
pub async fn update(state: State, caller: Caller, body: Json<PreferencesPatch>) -> AppResult<JsonOut<Preferences>> {
    let id = caller.employee()?.id.clone();
    let b = body.into_inner();
    let timezone = match b.timezone {
        Some(Some(tz)) => Some(parse_timezone(&tz).map_err(|m| AppError::validation("timezone", m))?),
        Some(None) => Some(None),
        None => None,
    };
    let changes = PreferenceChanges {
        weekly_digest: b.weekly_digest,
        notify_on_postcard: b.notify_on_postcard,
        show_on_leaderboard: b.show_on_leaderboard,
        timezone,
        updated_at: Some(now()),
    };
    let row = db::run(&state.pool, move |conn| preferences::update(conn, &id, &changes))
        .await?
        .ok_or_else(|| AppError::not_found("you are not in the directory"))?;
    Ok(JsonOut(Preferences::of(&row, &state.settings.org.timezone)))
}
