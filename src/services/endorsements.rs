//! Endorsing ("+1") and withdrawing, both idempotent: at most one endorsement per person per
//! postcard, never by its sender or a recipient.

use chrono::NaiveDateTime;

use super::postcard_views::{self, Looker, PostcardView};
use crate::boards::scoreboard::{self, BoardConfig};
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::{endorsements, postcards, DbConnection};

fn refused(code: &'static str, detail: &str) -> AppError {
    AppError::Rule {
        code,
        detail: detail.into(),
        field: None,
    }
}

#[tracing::instrument(skip_all, fields(postcard = postcard_id, employee = employee_id))]
pub fn endorse(
    conn: &mut DbConnection,
    postcard_id: &str,
    employee_id: &str,
    is_admin: bool,
    now: NaiveDateTime,
    board: &BoardConfig,
) -> AppResult<PostcardView> {
    let looker = Looker {
        employee_id: Some(employee_id),
        is_admin,
    };
    write_tx(conn, |conn| {
        // Not while the postcard is being hidden or restored (see `postcards::lock`).
        postcards::lock(conn, postcard_id)?;
        let (row, view) = postcard_views::visible(conn, postcard_id, looker)?;
        if row.hidden {
            return Err(refused("postcard_hidden", "a hidden postcard cannot be endorsed"));
        }
        if row.sender_id == employee_id {
            return Err(refused("cannot_endorse_own", "you cannot endorse a postcard you sent"));
        }
        if view.recipients.iter().any(|r| r.id == employee_id) {
            return Err(refused(
                "cannot_endorse_received",
                "you cannot endorse a postcard you received",
            ));
        }
        if endorsements::add(conn, postcard_id, employee_id, now)? {
            scoreboard::on_endorsement(conn, &row, board, 1)?;
            super::events::record(conn, super::events::POSTCARD_ENDORSED, postcard_id, now)?;
        }
        reload(conn, postcard_id, looker)
    })
}

#[tracing::instrument(skip_all, fields(postcard = postcard_id, employee = employee_id))]
pub fn withdraw(
    conn: &mut DbConnection,
    postcard_id: &str,
    employee_id: &str,
    is_admin: bool,
    board: &BoardConfig,
) -> AppResult<PostcardView> {
    let looker = Looker {
        employee_id: Some(employee_id),
        is_admin,
    };
    write_tx(conn, |conn| {
        // Not while the postcard is being hidden or restored (see `postcards::lock`).
        postcards::lock(conn, postcard_id)?;
        let (row, _) = postcard_views::visible(conn, postcard_id, looker)?;
        if endorsements::remove(conn, postcard_id, employee_id)? {
            scoreboard::on_endorsement(conn, &row, board, -1)?;
        }
        reload(conn, postcard_id, looker)
    })
}

fn reload(conn: &mut DbConnection, postcard_id: &str, looker: Looker) -> AppResult<PostcardView> {
    let row = postcards::find(conn, postcard_id)?.ok_or_else(|| postcard_views::not_found(postcard_id))?;
    postcard_views::views(conn, vec![row], looker)?
        .pop()
        .ok_or_else(|| postcard_views::not_found(postcard_id))
}
