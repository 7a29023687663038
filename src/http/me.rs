//! `GET /me`: who the caller is and what they may still do this week.

use actix_web::web::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::ReadProblems;
use super::State;
use crate::domain::clock::now;
use crate::domain::employee::Role;
use crate::error::AppResult;
use crate::services::postcards::{self, Rules};
use crate::store::{db, employees};

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// `null` for an `auth.admins` email the directory does not hold yet.
    pub id: Option<String>,
    pub email: String,
    pub name: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<String>,
    pub role: Role,
    pub is_manager: bool,
    /// Postcards the caller may still send this week.
    pub remaining_allowance: i64,
}

/// The caller's profile, role, whether they manage anyone, and remaining allowance.
#[utoipa::path(get, operation_id = "get_me", path = "/api/v1/me", tag = "directory", security(("bearer" = [])),
    responses((status = 200, body = MeView), ReadProblems))]
pub async fn get_me(state: State, caller: Caller) -> AppResult<Json<MeView>> {
    let rules = Rules::from_settings(&state.settings);
    let role = if caller.is_admin { Role::Admin } else { Role::Employee };
    let Some(me) = caller.employee else {
        return Ok(Json(MeView {
            id: None,
            email: caller.email.to_string(),
            name: None,
            department: None,
            manager_id: None,
            role,
            is_manager: false,
            remaining_allowance: 0,
        }));
    };
    let id = me.id.clone();
    let (is_manager, remaining_allowance) = db::run(&state.pool, move |conn| {
        let is_manager = employees::has_active_reports(conn, &id)?;
        Ok((is_manager, postcards::remaining_allowance(conn, &id, &rules, now())?))
    })
    .await?;
    Ok(Json(MeView {
        id: Some(me.id),
        email: me.email,
        name: Some(me.name),
        department: Some(me.department),
        manager_id: me.manager_id,
        role,
        is_manager,
        remaining_allowance,
    }))
}
