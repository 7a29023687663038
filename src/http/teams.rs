//! A Teams outgoing webhook: `@Champion thank @Sam small-win ...` in a channel. Teams signs
//! the raw body (`Authorization: HMAC <base64>`, HMAC-SHA256 under the base64 security token
//! `teams.outgoing_secret`); a signature is accepted once and a message older than five
//! minutes is refused. Teams sends no email: people are matched by their Entra object id to
//! employees whose `external_id` holds it, and anyone unmatched is told how to get linked.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::chat::{self, ChatSend};
use super::State;
use crate::domain::postcard::Visibility;
use crate::domain::signatures::{verify_teams, Refusal, SLACK_MAX_AGE_SECONDS};
use crate::error::{AppError, AppResult};
use crate::services::chat_cards::{headline, teams_postcard, teams_text};
use crate::services::chat_commands::{parse_teams, usage, ChatCommand};
use crate::store::db;
use crate::store::employees::{self, EmployeeRow};

fn reply(text: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"type": "message", "text": text}))
}

fn reply_card(text: &str, card: Value) -> HttpResponse {
    let mut message = card;
    message["text"] = json!(text);
    HttpResponse::Ok().json(message)
}

/// The Entra object id a Teams user or mention carries.
fn object_id(who: &Value) -> Option<String> {
    who["aadObjectId"]
        .as_str()
        .or_else(|| who["id"].as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

async fn linked(state: &State, external_id: &str) -> AppResult<Option<EmployeeRow>> {
    let id = external_id.to_string();
    let found = db::run(&state.pool, move |conn| Ok(employees::find_by_external_id(conn, &id)?)).await?;
    Ok(found.filter(|e| e.active))
}

fn not_linked(name: &str, id: &str) -> String {
    format!(
        "{name} is not linked to Customer Champion yet: an admin sets their external_id to their \
         Entra object id ({id}) in the directory (or SCIM's externalId does)."
    )
}

/// `POST /integrations/teams/messages`.
pub async fn messages(state: State, req: HttpRequest, body: Bytes) -> AppResult<HttpResponse> {
    let secret = state
        .settings
        .teams
        .outgoing_secret
        .as_ref()
        .ok_or_else(|| AppError::not_found("Teams is not connected (set teams.outgoing_secret)"))?;
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
    verify_teams(secret.expose_secret(), authorization, &body).map_err(|r| chat::refused("Teams", req.path(), &r))?;
    let activity: Value =
        serde_json::from_slice(&body).map_err(|e| AppError::validation("body", format!("is not JSON: {e}")))?;
    if let Some(sent) = activity["timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    {
        let age = chat::unix_now() - sent.timestamp();
        if age.abs() > SLACK_MAX_AGE_SECONDS {
            return Err(chat::refused("Teams", req.path(), &Refusal::Stale { age_seconds: age }));
        }
    }
    chat::refuse_replay(&state, "teams", req.path(), authorization.unwrap_or_default()).await?;

    let from_name = activity["from"]["name"].as_str().unwrap_or("You");
    let Some(from_id) = object_id(&activity["from"]) else {
        return Ok(reply("Teams did not say who sent this message."));
    };
    let Some(sender) = linked(&state, &from_id).await? else {
        return Ok(reply(&not_linked("Your Teams account", &from_id)));
    };
    // Mentions in order; bots (ids "28:...") are the webhook itself.
    let mentioned: Vec<(String, String)> = activity["entities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "mention")
        .filter_map(|e| {
            let who = &e["mentioned"];
            let id = object_id(who)?;
            (!id.starts_with("28:")).then(|| (id, who["name"].as_str().unwrap_or("Someone").to_string()))
        })
        .collect();
    let text = activity["text"].as_str().unwrap_or_default();
    match parse_teams(text, mentioned.iter().map(|(id, _)| id.clone()).collect()) {
        ChatCommand::Help => Ok(reply(&usage("@Champion"))),
        ChatCommand::Unclear(why) => Ok(reply(&why)),
        ChatCommand::Top => Ok(reply(&chat::top_lines(&state).await?)),
        ChatCommand::Me => Ok(reply(&chat::me_line(&state, &sender).await?)),
        ChatCommand::Send {
            mentions,
            behaviour,
            story,
        } => {
            let mut recipients = Vec::new();
            for id in &mentions {
                match linked(&state, id).await? {
                    Some(e) => recipients.push(e.id),
                    None => {
                        let name = mentioned
                            .iter()
                            .find(|(m, _)| m == id)
                            .map_or("Someone", |(_, n)| n.as_str());
                        return Ok(reply(&format!("Nothing was sent. {}", not_linked(name, id))));
                    }
                }
            }
            let key = format!("teams:{}", activity["id"].as_str().unwrap_or(&from_id));
            let send = ChatSend {
                recipients,
                behaviour,
                story,
                customer: None,
                visibility: Visibility::Public,
                key,
            };
            match chat::send(&state, &sender, send).await? {
                Ok(view) => {
                    let public_url = state.settings.server.public_url.trim_end_matches('/');
                    Ok(reply_card(
                        &format!("Sent: {}.", headline(&view)),
                        teams_postcard(&view, public_url),
                    ))
                }
                Err(why) => Ok(reply_card(
                    &format!("Nothing was sent. {why}"),
                    teams_text(&format!("{from_name}: nothing was sent. {why}")),
                )),
            }
        }
    }
}
