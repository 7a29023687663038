//! Signing in with the company's OpenID provider, the parts kept in the database: a sign-in
//! begun (state, nonce, PKCE verifier) and, when the provider sends the person back, the
//! employee it is. Only people in the directory may sign in, unless `oidc.create_unknown`.

use chrono::{Duration, NaiveDateTime};

use super::directory::{self, NewEmployeeInput};
use crate::domain::email::Email;
use crate::error::AppResult;
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow};
use crate::store::oidc_logins::{self, OidcLoginRow};
use crate::store::DbConnection;

/// How long the provider may take to send someone back.
pub const VALID_MINUTES: i64 = 10;

pub fn begin(conn: &mut DbConnection, row: &OidcLoginRow) -> AppResult<()> {
    write_tx(conn, |conn| Ok(oidc_logins::insert(conn, row)?))
}

/// The sign-in begun with `state`, once, if it is recent.
pub fn take(conn: &mut DbConnection, state: &str, now: NaiveDateTime) -> AppResult<Option<OidcLoginRow>> {
    write_tx(conn, |conn| {
        Ok(oidc_logins::take(conn, state, now - Duration::minutes(VALID_MINUTES))?)
    })
}

pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    Ok(oidc_logins::purge_before(conn, now - Duration::minutes(VALID_MINUTES))?)
}

/// The employee who signed in as `email`, or why they may not, in words.
pub fn employee_for(
    conn: &mut DbConnection,
    email: &Email,
    name: Option<&str>,
    create_unknown: bool,
) -> AppResult<Result<EmployeeRow, String>> {
    match employees::find_by_email(conn, email.as_str())? {
        Some(e) if e.active => Ok(Ok(e)),
        Some(_) => Ok(Err(format!(
            "{email} is deactivated in Customer Champion. Ask an admin if that is a mistake."
        ))),
        None if create_unknown => {
            let input = NewEmployeeInput {
                email: email.as_str().to_string(),
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or(email.as_str())
                    .to_string(),
                department: None,
                manager_id: None,
                timezone: None,
                role: None,
                active: Some(true),
                external_id: None,
            };
            Ok(Ok(directory::create_employee(conn, "oidc", input)?))
        }
        None => Ok(Err(format!(
            "{email} is not in the Customer Champion directory yet. Ask an admin to add you."
        ))),
    }
}
