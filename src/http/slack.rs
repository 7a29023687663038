//! Slack's requests to us: the `/champion` slash command, interactions (the modal's
//! submission, the message shortcut, the "+1" button) and events (`url_verification`, the
//! App Home). Every request is verified as Slack signs it before anything is read, and a
//! signature is accepted once. Slack waits three seconds: sends are quick, and every Web API
//! call goes through the delivery outbox except the two an answer needs at once (opening a
//! modal on a trigger that expires in three seconds, looking up who is asking), which have a
//! two-second timeout.

use std::collections::HashMap;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::chat::{self, ChatSend};
use super::State;
use crate::domain::clock::now;
use crate::domain::email::Email;
use crate::domain::postcard::Visibility;
use crate::domain::signatures::verify_slack;
use crate::error::{AppError, AppResult};
use crate::outgoing::slack_api::SlackApi;
use crate::services::chat_cards::{headline, slack_send_modal};
use crate::services::chat_commands::{field_in_words, in_words, parse_slack, usage, ChatCommand};
use crate::services::{dispatch, endorsements};
use crate::store::employees::{self, EmployeeRow};
use crate::store::{behaviours, db, deliveries};

/// Checks the signature, the timestamp window and that the signature is new.
async fn verified(state: &State, req: &HttpRequest, body: &[u8]) -> AppResult<SlackApi> {
    // Slack is connected (both secrets set), or these endpoints do not exist.
    let (Some(api), Some((secret, _))) = (state.slack.clone(), state.settings.slack.connected()) else {
        return Err(AppError::not_found(
            "Slack is not connected (set slack.signing_secret and slack.bot_token)",
        ));
    };
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let signature = header("x-slack-signature");
    verify_slack(
        secret.expose_secret(),
        header("x-slack-request-timestamp"),
        signature,
        body,
        chat::unix_now(),
    )
    .map_err(|r| chat::refused("Slack", req.path(), &r))?;
    chat::refuse_replay(state, "slack", req.path(), signature.unwrap_or_default()).await?;
    Ok(api)
}

/// A message only `args.user` sees in `args.channel`, sent through the delivery outbox.
async fn reply(state: &State, args: Value, about: &str) -> AppResult<()> {
    let about = about.to_string();
    db::run(&state.pool, move |conn| {
        dispatch::queue_slack_call(conn, "chat.postEphemeral", &args, &about, now())
    })
    .await
}

fn ephemeral(text: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({"response_type": "ephemeral", "text": text}))
}

/// The employee behind a Slack user: by the verified email of their profile (`users.info`,
/// remembered for a day), or why not, in words.
async fn employee_of(state: &State, api: &SlackApi, slack_id: &str) -> AppResult<Result<EmployeeRow, String>> {
    let id = slack_id.to_string();
    let fresh_after = now() - chrono::Duration::days(1);
    let cached = db::run(&state.pool, move |conn| {
        Ok(deliveries::slack_user_email(conn, &id, fresh_after)?)
    })
    .await?;
    let email = match cached {
        Some(email) => email,
        None => {
            let info = match api.call_form("users.info", &[("user", slack_id)]).await {
                Ok(info) => info,
                Err(e) => {
                    tracing::warn!(error = %e, "users.info failed");
                    return Ok(Err(
                        "Slack did not tell us who you are just now; please try again.".into()
                    ));
                }
            };
            let user = &info["user"];
            let confirmed = user["is_email_confirmed"].as_bool().unwrap_or(true);
            let email = user["profile"]["email"]
                .as_str()
                .filter(|_| confirmed)
                .map(str::to_string);
            let (id, remembered) = (slack_id.to_string(), email.clone());
            db::run(&state.pool, move |conn| {
                Ok(deliveries::cache_slack_user(conn, &id, remembered.as_deref(), now())?)
            })
            .await?;
            email
        }
    };
    let Some(email) = email else {
        return Ok(Err(format!(
            "<@{slack_id}> has no verified email in their Slack profile, so Customer Champion cannot tell who they are."
        )));
    };
    let Ok(canonical) = Email::parse(&email) else {
        return Ok(Err(format!(
            "{email} (<@{slack_id}>) is not an email address Customer Champion can use."
        )));
    };
    let found = db::run(&state.pool, move |conn| {
        Ok(employees::find_by_email(conn, canonical.as_str())?)
    })
    .await?;
    Ok(match found {
        Some(e) if e.active => Ok(e),
        _ => Err(format!(
            "{email} (<@{slack_id}>) is not in the Customer Champion directory; an admin can add them."
        )),
    })
}

/// Everyone mentioned, as employees; the first refusal otherwise.
async fn colleagues(state: &State, api: &SlackApi, ids: &[String]) -> AppResult<Result<Vec<EmployeeRow>, String>> {
    let mut people = Vec::new();
    for id in ids {
        match employee_of(state, api, id).await? {
            Ok(e) => people.push(e),
            Err(why) => return Ok(Err(why)),
        }
    }
    Ok(Ok(people))
}

async fn behaviour_choices(state: &State) -> AppResult<Vec<(String, String)>> {
    let rows = db::run(&state.pool, |conn| Ok(behaviours::list(conn, false)?)).await?;
    Ok(rows.into_iter().map(|b| (b.slug, b.title)).collect())
}

/// Opens the send modal; false when Slack refused (the trigger expired, say).
async fn open_modal(
    state: &State,
    api: &SlackApi,
    trigger: &str,
    story: &str,
    people: &[String],
    metadata: &str,
) -> AppResult<bool> {
    let view = slack_send_modal(&behaviour_choices(state).await?, story, people, metadata);
    match api
        .call("views.open", &json!({"trigger_id": trigger, "view": view}))
        .await
    {
        Ok(_) => Ok(true),
        Err(e) => {
            tracing::warn!(error = %e, "views.open failed");
            Ok(false)
        }
    }
}

fn sent_line(view: &crate::services::postcard_views::PostcardView) -> String {
    let public = if view.visibility == Visibility::Public {
        " Everyone can see it on the wall."
    } else {
        ""
    };
    format!("Sent: {}.{public}", headline(view))
}

/// `POST /integrations/slack/commands`: the `/champion` slash command.
pub async fn commands(state: State, req: HttpRequest, body: Bytes) -> AppResult<HttpResponse> {
    let api = verified(&state, &req, &body).await?;
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let user = field("user_id");
    match parse_slack(field("text")) {
        ChatCommand::Help => {
            if open_modal(&state, &api, field("trigger_id"), "", &[], field("channel_id")).await? {
                Ok(HttpResponse::Ok().finish())
            } else {
                Ok(ephemeral(&usage("/champion")))
            }
        }
        ChatCommand::Unclear(why) => Ok(ephemeral(&why)),
        ChatCommand::Top => Ok(ephemeral(&chat::top_lines(&state).await?)),
        ChatCommand::Me => match employee_of(&state, &api, user).await? {
            Ok(me) => Ok(ephemeral(&chat::me_line(&state, &me).await?)),
            Err(why) => Ok(ephemeral(&why)),
        },
        ChatCommand::Send {
            mentions,
            behaviour,
            story,
        } => {
            let sender = match employee_of(&state, &api, user).await? {
                Ok(me) => me,
                Err(why) => return Ok(ephemeral(&why)),
            };
            let people = match colleagues(&state, &api, &mentions).await? {
                Ok(p) => p,
                Err(why) => return Ok(ephemeral(&format!("Nothing was sent. {why}"))),
            };
            let send = ChatSend {
                recipients: people.into_iter().map(|p| p.id).collect(),
                behaviour,
                story,
                customer: None,
                visibility: Visibility::Public,
                key: format!("slack:{}", field("trigger_id")),
            };
            match chat::send(&state, &sender, send).await? {
                Ok(view) => Ok(ephemeral(&sent_line(&view))),
                Err(why) => Ok(ephemeral(&format!("Nothing was sent. {why}"))),
            }
        }
    }
}

/// `POST /integrations/slack/interactions`: a form with one `payload` field of JSON.
pub async fn interactions(state: State, req: HttpRequest, body: Bytes) -> AppResult<HttpResponse> {
    let api = verified(&state, &req, &body).await?;
    let payload: Value = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "payload")
        .and_then(|(_, v)| serde_json::from_str(&v).ok())
        .ok_or_else(|| AppError::validation("payload", "must be the JSON of a Slack interaction"))?;
    let user = payload["user"]["id"].as_str().unwrap_or_default().to_string();
    match payload["type"].as_str().unwrap_or_default() {
        "view_submission" if payload["view"]["callback_id"] == "champion_send" => {
            submission(&state, &api, &user, &payload["view"]).await
        }
        "message_action" | "shortcut" => {
            let message = &payload["message"];
            let story = message["text"].as_str().unwrap_or_default();
            let author: Vec<String> = message["user"]
                .as_str()
                .filter(|a| *a != user)
                .map(str::to_string)
                .into_iter()
                .collect();
            let channel = payload["channel"]["id"].as_str().unwrap_or_default();
            let trigger = payload["trigger_id"].as_str().unwrap_or_default();
            open_modal(&state, &api, trigger, story, &author, channel).await?;
            Ok(HttpResponse::Ok().finish())
        }
        "block_actions" => {
            let action = &payload["actions"][0];
            if action["action_id"] == "champion_endorse" {
                let postcard = action["value"].as_str().unwrap_or_default().to_string();
                let channel = payload["channel"]["id"].as_str().unwrap_or_default().to_string();
                let text = endorse(&state, &api, &user, &postcard).await?;
                // Told only to the one who clicked, through the outbox (Slack has its answer now).
                reply(
                    &state,
                    json!({"channel": channel, "user": user, "text": text}),
                    &postcard,
                )
                .await?;
            }
            Ok(HttpResponse::Ok().finish())
        }
        _ => Ok(HttpResponse::Ok().finish()),
    }
}

/// "+1" on an announcement: an endorsement by whoever clicked.
async fn endorse(state: &State, api: &SlackApi, user: &str, postcard: &str) -> AppResult<String> {
    let me = match employee_of(state, api, user).await? {
        Ok(me) => me,
        Err(why) => return Ok(why),
    };
    let board = crate::boards::scoreboard::BoardConfig::from_settings(&state.settings);
    let (id, admin, postcard) = (me.id.clone(), me.role == "admin", postcard.to_string());
    let done = db::run(&state.pool, move |conn| {
        Ok(endorsements::endorse(conn, &postcard, &id, admin, now(), &board))
    })
    .await?;
    Ok(match done {
        Ok(view) => format!(
            "You gave +1 to “{}” ({} in all).",
            headline(&view),
            view.endorsement_count
        ),
        Err(e) => in_words(&e),
    })
}

fn text_value(view: &Value, block: &str) -> String {
    view["state"]["values"][block]["value"]["value"]
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The modal's submission: sends, or answers the errors by field for Slack to show in the modal.
async fn submission(state: &State, api: &SlackApi, user: &str, view: &Value) -> AppResult<HttpResponse> {
    let errors = |block: &str, text: String| {
        HttpResponse::Ok().json(json!({"response_action": "errors", "errors": {block: text}}))
    };
    let sender = match employee_of(state, api, user).await? {
        Ok(me) => me,
        Err(why) => return Ok(errors("recipients", why)),
    };
    let values = &view["state"]["values"];
    let chosen: Vec<String> = values["recipients"]["value"]["selected_users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect();
    let people = match colleagues(state, api, &chosen).await? {
        Ok(p) => p,
        Err(why) => return Ok(errors("recipients", why)),
    };
    let customer = Some(text_value(view, "customer")).filter(|c| !c.is_empty());
    let quote = Some(text_value(view, "quote")).filter(|q| !q.is_empty());
    let visibility = match values["visibility"]["value"]["selected_option"]["value"].as_str() {
        Some("private") => Visibility::Private,
        _ => Visibility::Public,
    };
    if quote.is_some() && customer.is_none() {
        return Ok(errors("customer", "Name the customer whose words these are.".into()));
    }
    let send = ChatSend {
        recipients: people.into_iter().map(|p| p.id).collect(),
        behaviour: values["behaviour"]["value"]["selected_option"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        story: text_value(view, "story"),
        customer: customer.map(|c| (c, quote)),
        visibility,
        key: format!("slack:{}", view["id"].as_str().unwrap_or_default()),
    };
    let sent = chat::send(state, &sender, send).await?;
    match sent {
        Ok(postcard) => {
            let channel = view["private_metadata"].as_str().unwrap_or_default().to_string();
            if !channel.is_empty() {
                let args = json!({"channel": channel, "user": user, "text": sent_line(&postcard)});
                reply(state, args, &postcard.id).await?;
            }
            Ok(HttpResponse::Ok().finish())
        }
        Err(why) => Ok(errors(block_of(&why), why)),
    }
}

/// The modal block a refusal in words belongs to (`in_words` starts with the field's name).
fn block_of(why: &str) -> &'static str {
    for (block, field) in [
        ("recipients", "recipients"),
        ("behaviour", "behaviour"),
        ("story", "message"),
        ("customer", "customer"),
        ("visibility", "visibility"),
    ] {
        if why.starts_with(field_in_words(field)) {
            return block;
        }
    }
    // A rule about the sender (the weekly allowance) or the pair: shown by the colleagues.
    "recipients"
}

/// `POST /integrations/slack/events`: the URL check, and the App Home with this week's board.
pub async fn events(state: State, req: HttpRequest, body: Bytes) -> AppResult<HttpResponse> {
    verified(&state, &req, &body).await?;
    let event: Value =
        serde_json::from_slice(&body).map_err(|e| AppError::validation("body", format!("is not JSON: {e}")))?;
    match event["type"].as_str().unwrap_or_default() {
        "url_verification" => Ok(HttpResponse::Ok().json(json!({"challenge": event["challenge"]}))),
        "event_callback" if event["event"]["type"] == "app_home_opened" => {
            let user = event["event"]["user"].as_str().unwrap_or_default().to_string();
            let top = chat::top_lines(&state).await?;
            let view = json!({"type": "home", "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Customer Champion"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": top}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": usage("/champion")}]}
            ]});
            let args = json!({"user_id": user, "view": view});
            db::run(&state.pool, move |conn| {
                dispatch::queue_slack_call(conn, "views.publish", &args, &user, now())
            })
            .await?;
            Ok(HttpResponse::Ok().finish())
        }
        _ => Ok(HttpResponse::Ok().finish()),
    }
}
