//! What the Slack and Teams endpoints share: checking a signed request was not seen before,
//! sending a postcard for someone in chat through the same queue as the API (same rules,
//! same idempotency), and the `me` and `top` answers.

use super::State;
use crate::domain::clock::now;
use crate::domain::postcard::Visibility;
use crate::error::{AppError, AppResult};
use crate::services::chat_commands::in_words;
use crate::services::idempotency;
use crate::services::postcard_views::PostcardView;
use crate::services::postcards::{self, Rules, SendInput};
use crate::services::send_queue::{Request, Sent};
use crate::store::employees::EmployeeRow;
use crate::store::{db, deliveries};

/// 401 for a request that is not signed as its sender signs (the body is not logged).
pub fn refused(source: &str, path: &str, reason: &dyn std::fmt::Display) -> AppError {
    tracing::warn!(source, path, %reason, "signed request refused");
    AppError::unauthorized("invalid_signature", format!("the request is not signed by {source}"))
}

/// Refuses a signature seen before (a replay of a captured request).
pub async fn refuse_replay(state: &State, source: &'static str, path: &str, signature: &str) -> AppResult<()> {
    let key = format!("{source}:{signature}");
    let fresh = db::run(&state.pool, move |conn| {
        Ok(deliveries::first_sighting(conn, &key, now())?)
    })
    .await?;
    if fresh {
        Ok(())
    } else {
        Err(refused(source, path, &"a replay of a request already accepted"))
    }
}

/// What someone in chat wants to send.
pub struct ChatSend {
    pub recipients: Vec<String>,
    pub behaviour: String,
    pub story: String,
    pub customer: Option<(String, Option<String>)>,
    pub visibility: Visibility,
    /// Chat's id of this one action (a trigger or a message id): a retry sends nothing twice.
    pub key: String,
}

/// Sends a postcard for `sender` through the send queue; the refusal in words otherwise.
pub async fn send(state: &State, sender: &EmployeeRow, s: ChatSend) -> AppResult<Result<PostcardView, String>> {
    let fingerprint = idempotency::request_hash(&format!(
        "{:?}|{}|{}|{:?}|{:?}",
        s.recipients, s.behaviour, s.story, s.customer, s.visibility
    ));
    let request = Request {
        email: sender.email.clone(),
        resolve: Box::new(|employee| {
            employee
                .filter(|e| e.active)
                .ok_or_else(|| AppError::forbidden("you are not an active employee in the directory"))
        }),
        input: SendInput {
            recipients: s.recipients,
            behaviour: s.behaviour.trim().to_string(),
            message: s.story,
            customer: s.customer,
            visibility: s.visibility,
        },
        key: Some((s.key.chars().take(200).collect(), fingerprint)),
    };
    match state.sends.send(request).await {
        Ok(Sent::Created(view)) => Ok(Ok(*view)),
        Ok(Sent::Replay(stored)) => {
            Ok(serde_json::from_str(&stored.body).map_err(|_| "That postcard was already sent.".to_string()))
        }
        Err(e @ (AppError::Internal(_) | AppError::Unavailable(_))) => Err(e),
        Err(e) => Ok(Err(in_words(&e))),
    }
}

/// "You are #3 this week with 12 points; 7 postcards left to send."
pub async fn me_line(state: &State, me: &EmployeeRow) -> AppResult<String> {
    let (_, standing) = super::leaderboard::this_week(state, Some(me.clone()), 1).await?;
    let rules = Rules::from_settings(&state.settings);
    let id = me.id.clone();
    let left = db::run(&state.pool, move |conn| {
        postcards::remaining_allowance(conn, &id, &rules, now())
    })
    .await?;
    let rank = match standing.as_ref().and_then(|s| s.rank) {
        Some(r) => format!(
            "You are #{r} this week with {} points",
            standing.as_ref().map_or(0, |s| s.score)
        ),
        None => "You have no points yet this week".to_string(),
    };
    let listed = if standing.is_some_and(|s| !s.listed) {
        " (you opted out of the public board)"
    } else {
        ""
    };
    Ok(format!("{rank}{listed}; {left} postcards left to send this week."))
}

/// This week's top five, one per line.
pub async fn top_lines(state: &State) -> AppResult<String> {
    let (board, _) = super::leaderboard::this_week(state, None, 5).await?;
    if board.entries.is_empty() {
        return Ok("Nobody has been recognised yet this week: be the first.".into());
    }
    let lines: Vec<String> = board
        .entries
        .iter()
        .map(|e| {
            format!(
                "{}. {} ({}) {} points",
                e.rank, e.employee.name, e.employee.department, e.score
            )
        })
        .collect();
    Ok(format!("This week's top {}:\n{}", lines.len(), lines.join("\n")))
}

/// Seconds since the epoch, for signature windows.
pub fn unix_now() -> i64 {
    now().and_utc().timestamp()
}
