//! Moderation: admins hide a postcard (with a reason) and restore it. Hidden postcards
//! leave every feed; each action is written to the audit log in the same transaction.

use super::events;
use super::postcard_views::{self, Looker, PostcardView};
use crate::boards::scoreboard::{self, BoardConfig};
use crate::domain::postcard::parse_reason;
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::{audit, postcards, reports, DbConnection};

const ADMIN: Looker = Looker {
    employee_id: None,
    is_admin: true,
};

/// Hides the postcard; hiding a hidden one changes nothing and logs nothing.
#[tracing::instrument(skip_all, fields(actor = actor, postcard = postcard_id))]
pub fn hide(
    conn: &mut DbConnection,
    actor: &str,
    postcard_id: &str,
    reason: &str,
    board: &BoardConfig,
) -> AppResult<PostcardView> {
    let reason = parse_reason(reason).map_err(|m| AppError::validation("reason", m))?;
    set_hidden(conn, actor, postcard_id, true, Some(&reason), board)
}

/// Restores a hidden postcard to the feeds.
#[tracing::instrument(skip_all, fields(actor = actor, postcard = postcard_id))]
pub fn restore(
    conn: &mut DbConnection,
    actor: &str,
    postcard_id: &str,
    reason: Option<&str>,
    board: &BoardConfig,
) -> AppResult<PostcardView> {
    let reason = match reason.map(parse_reason) {
        Some(Err(m)) => return Err(AppError::validation("reason", m)),
        Some(Ok(r)) => Some(r),
        None => None,
    };
    set_hidden(conn, actor, postcard_id, false, reason.as_deref(), board)
}

fn set_hidden(
    conn: &mut DbConnection,
    actor: &str,
    postcard_id: &str,
    hidden: bool,
    reason: Option<&str>,
    board: &BoardConfig,
) -> AppResult<PostcardView> {
    write_tx(conn, |conn| {
        // The postcard, then its people in id order (as sends do, see `store::board_sync`):
        // the state read next is the latest, no send, hide or restore of the same sender
        // changes the pair counts meanwhile, and no edit moves their board rows.
        postcards::lock(conn, postcard_id)?;
        let row = postcards::find(conn, postcard_id)?.ok_or_else(|| postcard_views::not_found(postcard_id))?;
        let mut people: Vec<String> = postcards::recipients_of(conn, std::slice::from_ref(&row.id))?
            .into_iter()
            .map(|r| r.recipient_id)
            .collect();
        people.push(row.sender_id.clone());
        people.sort_unstable();
        people.dedup();
        postcards::lock_people(conn, &people.iter().map(String::as_str).collect::<Vec<_>>())?;
        // An admin decided: the reports it had are answered either way.
        reports::close(conn, postcard_id, crate::domain::clock::now())?;
        if row.hidden != hidden {
            postcards::set_hidden(conn, postcard_id, hidden)?;
            scoreboard::on_postcard(conn, &row, board, if hidden { -1 } else { 1 })?;
            let action = if hidden { "postcard.hide" } else { "postcard.restore" };
            let event = if hidden {
                events::POSTCARD_HIDDEN
            } else {
                events::POSTCARD_RESTORED
            };
            events::record(conn, event, postcard_id, crate::domain::clock::now())?;
            audit::record(
                conn,
                actor,
                action,
                ("postcard", postcard_id),
                reason,
                serde_json::json!({}),
            )?;
        }
        let row = postcards::find(conn, postcard_id)?.ok_or_else(|| postcard_views::not_found(postcard_id))?;
        postcard_views::views(conn, vec![row], ADMIN)?
            .pop()
            .ok_or_else(|| postcard_views::not_found(postcard_id))
    })
}

/// Keeps a reported postcard up: its open reports are closed, and the decision audited.
#[tracing::instrument(skip_all, fields(actor = actor, postcard = postcard_id))]
pub fn dismiss_reports(conn: &mut DbConnection, actor: &str, postcard_id: &str) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let closed = reports::close(conn, postcard_id, crate::domain::clock::now())?;
        if closed > 0 {
            audit::record(
                conn,
                actor,
                "postcard.keep",
                ("postcard", postcard_id),
                None,
                serde_json::json!({ "reports": closed }),
            )?;
        }
        Ok(closed)
    })
}

/// An employee asks the admins to look at a postcard they can see; reporting it again
/// replaces their earlier reason.
#[tracing::instrument(skip_all, fields(postcard = postcard_id))]
pub fn report(
    conn: &mut DbConnection,
    postcard_id: &str,
    reporter: &crate::store::employees::EmployeeRow,
    is_admin: bool,
    reason: &str,
) -> AppResult<()> {
    let reason = parse_reason(reason).map_err(|m| AppError::validation("reason", m))?;
    let looker = Looker {
        employee_id: Some(&reporter.id),
        is_admin,
    };
    let (row, _) = postcard_views::visible(conn, postcard_id, looker)?;
    if row.hidden {
        return Err(postcard_views::not_found(postcard_id));
    }
    write_tx(conn, |conn| {
        reports::put(
            conn,
            &reports::ReportRow {
                postcard_id: postcard_id.to_string(),
                reporter_id: reporter.id.clone(),
                reason: reason.clone(),
                created_at: crate::domain::clock::now(),
                closed_at: None,
            },
        )?;
        audit::record(
            conn,
            &reporter.email,
            "postcard.report",
            ("postcard", postcard_id),
            Some(&reason),
            serde_json::json!({}),
        )
        .map_err(Into::into)
    })
}
