//! `/send`: the send form. Colleagues (searched as you type with `pages.js`; without it, by
//! email address), the behaviour as visual choices, the story with a counter, the customer
//! and their words, and who may see it. A refused send comes back with each problem in
//! words next to its field, focus on the first; a sent one opens on its own page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{avatar, Avatar};
use crate::domain::clock::now;
use crate::domain::postcard::Visibility;
use crate::error::AppError;
use crate::http::pages::{render, see_other, Chrome, PageError, Viewer};
use crate::http::postcards::{CustomerInput, SendPostcard};
use crate::http::State;
use crate::services::postcard_views::PersonRef;
use crate::services::postcards::{remaining_allowance, Rules, SendInput};
use crate::services::secrets::random_token;
use crate::services::send_queue::{Request, Sent};
use crate::store::behaviours::{self, BehaviourRow};
use crate::store::db;
use crate::store::employees::{self, EmployeeRow};

/// What the form holds (kept when a send is refused).
#[derive(Default, Clone)]
pub struct Draft {
    pub recipients: Vec<(PersonRef, Avatar)>,
    pub emails: String,
    pub behaviour: String,
    pub message: String,
    pub customer_name: String,
    pub customer_quote: String,
    pub private: bool,
    pub key: String,
}

#[derive(Template)]
#[template(path = "pages/app/send.html")]
struct SendPage {
    chrome: Option<Chrome>,
    csrf: String,
    draft: Draft,
    behaviours: Vec<(BehaviourRow, String)>,
    remaining: i64,
    allowance: i64,
    max_chars: usize,
    max_recipients: usize,
    /// Problems by field (`recipients`, `behaviour`, `message`, `customer_name`,
    /// `customer_quote`, `form`), in words.
    errors: Vec<(&'static str, String)>,
    week_renews: String,
}

impl SendPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    /// The first field with a problem takes the focus.
    fn focus(&self, field: &str) -> bool {
        self.errors.first().is_some_and(|(f, _)| *f == field)
    }

    fn is_behaviour(&self, slug: &str) -> bool {
        self.draft.behaviour == slug
    }

    fn message_len(&self) -> usize {
        self.draft.message.chars().count()
    }
}

#[derive(Deserialize, Default)]
pub struct SendQuery {
    #[serde(default)]
    to: String,
}

pub async fn page(state: State, viewer: Viewer, q: web::Query<SendQuery>) -> Result<HttpResponse, PageError> {
    let mut draft = Draft {
        key: random_token("web_"),
        ..Draft::default()
    };
    let me = viewer.caller.employee()?.id.clone();
    let to = q.to.trim().to_string();
    if !to.is_empty() && to != me {
        let found = db::run(&state.pool, move |conn| Ok(employees::find(conn, &to)?)).await?;
        if let Some(e) = found.filter(|e| e.active) {
            draft.recipients.push(chosen(&e));
        }
    }
    show(&state, &viewer, draft, vec![], StatusCode::OK).await
}

fn chosen(e: &EmployeeRow) -> (PersonRef, Avatar) {
    let p = PersonRef {
        id: e.id.clone(),
        name: e.name.clone(),
        department: e.department.clone(),
    };
    let a = avatar(&p);
    (p, a)
}

async fn show(
    state: &State,
    viewer: &Viewer,
    draft: Draft,
    errors: Vec<(&'static str, String)>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let me = viewer.caller.employee()?.id.clone();
    let rules = Rules::from_settings(&state.settings);
    let (rows, remaining) = db::run(&state.pool, move |conn| {
        Ok((
            behaviours::list(conn, false)?,
            remaining_allowance(conn, &me, &rules, now())?,
        ))
    })
    .await?;
    let behaviours = rows
        .into_iter()
        .map(|b| {
            let icon = b.icon.clone().unwrap_or_else(|| "star".into());
            (b, icon)
        })
        .collect();
    render(
        status,
        &SendPage {
            chrome: Some(viewer.chrome("send")),
            csrf: viewer.csrf(),
            draft,
            behaviours,
            remaining,
            allowance: i64::from(state.settings.rules.weekly_allowance),
            max_chars: state.settings.rules.message_max_chars as usize,
            max_recipients: state.settings.rules.max_recipients as usize,
            errors,
            week_renews: renews_on(state).to_string(),
        },
    )
}

/// The day new postcards come: the first day of the organisation's week, in words.
fn renews_on(state: &State) -> &'static str {
    use chrono::Weekday::*;
    match state.settings.week_starts() {
        Mon => "Monday",
        Tue => "Tuesday",
        Wed => "Wednesday",
        Thu => "Thursday",
        Fri => "Friday",
        Sat => "Saturday",
        Sun => "Sunday",
    }
}

/// The form, read by hand: `recipient` repeats (one per colleague chosen).
fn read_form(body: &[u8]) -> (Vec<(String, String)>, Vec<String>) {
    let mut fields = Vec::new();
    let mut recipients = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k == "recipient" {
            recipients.push(v.trim().to_string());
        } else {
            fields.push((k.into_owned(), v.into_owned()));
        }
    }
    (fields, recipients)
}

pub async fn send(state: State, req: HttpRequest, viewer: Viewer, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let (fields, mut ids) = read_form(&body);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    viewer.check_csrf(&req, &field("csrf_token"))?;
    let me = viewer.caller.employee()?.clone();
    let mut draft = Draft {
        emails: field("recipient_emails"),
        behaviour: field("behaviour"),
        message: field("message"),
        customer_name: field("customer_name"),
        customer_quote: field("customer_quote"),
        private: field("visibility") == "private",
        key: Some(field("idempotency_key"))
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| random_token("web_")),
        ..Draft::default()
    };
    ids.retain(|id| !id.is_empty());
    // Colleagues chosen by id (the search) and typed by address (without script).
    let emails: Vec<String> = draft
        .emails
        .split([',', ';', ' ', '\n'])
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .collect();
    let (lookup_ids, lookup_emails) = (ids.clone(), emails.clone());
    let (people, by_email) = db::run(&state.pool, move |conn| {
        let people = employees::find_many(conn, &lookup_ids)?;
        let refs: Vec<&str> = lookup_emails.iter().map(String::as_str).collect();
        Ok((people, employees::find_by_emails(conn, &refs)?))
    })
    .await?;
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    for email in &emails {
        match by_email.iter().find(|e| &e.email == email) {
            Some(e) => ids.push(e.id.clone()),
            None => errors.push((
                "recipients",
                format!("Nobody in the directory has the address {email}."),
            )),
        }
    }
    ids.dedup();
    draft.recipients = ids
        .iter()
        .filter_map(|id| people.iter().chain(by_email.iter()).find(|e| &e.id == id))
        .map(chosen)
        .collect();
    if !errors.is_empty() {
        draft.emails.clear();
        return show(&state, &viewer, draft, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let customer = Some(draft.customer_name.trim().to_string())
        .filter(|n| !n.is_empty() || !draft.customer_quote.trim().is_empty())
        .map(|name| CustomerInput {
            name,
            quote: Some(draft.customer_quote.clone()).filter(|q| !q.trim().is_empty()),
        });
    let visibility = if draft.private {
        Visibility::Private
    } else {
        Visibility::Public
    };
    let body = SendPostcard {
        recipients: ids.clone(),
        behaviour: draft.behaviour.clone(),
        message: draft.message.clone(),
        customer,
        visibility: Some(visibility),
    };
    let hash = body.fingerprint()?;
    let input = SendInput {
        recipients: body.recipients,
        behaviour: body.behaviour,
        message: body.message,
        customer: body.customer.map(|c| (c.name, c.quote)),
        visibility,
    };
    let request = Request {
        email: me.email.clone(),
        resolve: Box::new(|employee| {
            employee
                .filter(|e| e.active)
                .ok_or_else(|| AppError::forbidden("this action needs an employee in the directory"))
        }),
        input,
        key: Some((draft.key.clone(), hash)),
    };
    match state.sends.send(request).await {
        Ok(Sent::Created(view)) => Ok(see_other(&format!("/postcards/{}?sent=1", view.id))),
        Ok(Sent::Replay(stored)) => {
            // The same form sent twice (a double click, a reload): one postcard, shown.
            let id = stored
                .location
                .as_deref()
                .and_then(|l| l.rsplit('/').next())
                .unwrap_or_default();
            Ok(see_other(&format!("/postcards/{id}?sent=1")))
        }
        Err(e) => {
            let errors = in_words(&e, &draft, &state);
            if errors.is_empty() {
                return Err(e.into());
            }
            show(&state, &viewer, draft, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// The name of the colleague at `recipients[i]` in a problem's field.
fn named(field: &str, draft: &Draft) -> String {
    field
        .strip_prefix("recipients[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| draft.recipients.get(i))
        .map(|(p, _)| p.name.clone())
        .unwrap_or_else(|| "this colleague".into())
}

/// A refused send as sentences for people, by field (DESIGN.md's voice); empty for a
/// failure that is not the sender's to fix.
fn in_words(e: &AppError, draft: &Draft, state: &State) -> Vec<(&'static str, String)> {
    let rules = &state.settings.rules;
    let first_name = |name: String| name.split_whitespace().next().unwrap_or("them").to_string();
    match e {
        AppError::Validation { errors } => {
            let mut out: Vec<(&'static str, String)> = Vec::new();
            for f in errors {
                let said = match f.field.as_str() {
                    "recipients" => ("recipients", "Choose at least one colleague.".to_string()),
                    "behaviour" => ("behaviour", "Pick what they were caught doing.".to_string()),
                    "message" if draft.message.trim().is_empty() => (
                        "message",
                        "Tell the story: what did they do for the customer?".to_string(),
                    ),
                    "message" => (
                        "message",
                        format!(
                            "Keep the story to {} characters; it has {} now.",
                            rules.message_max_chars,
                            draft.message.trim().chars().count()
                        ),
                    ),
                    "customer.name" if draft.customer_name.trim().is_empty() => (
                        "customer_name",
                        "Add the customer's name, so their words have someone to belong to.".to_string(),
                    ),
                    "customer.name" => (
                        "customer_name",
                        format!("Shorten the customer's name: it {}.", f.message),
                    ),
                    "customer.quote" => (
                        "customer_quote",
                        format!("Shorten the customer's words: they {}.", f.message),
                    ),
                    other if other.starts_with("customer") => {
                        ("customer_name", format!("The customer's name {}.", f.message))
                    }
                    _ => ("form", crate::http::pages::in_words(e)),
                };
                if !out.iter().any(|(k, _)| *k == said.0) {
                    out.push(said);
                }
            }
            // Fields in the order of the form, so the first problem gets the focus.
            let order = [
                "recipients",
                "behaviour",
                "message",
                "customer_name",
                "customer_quote",
                "form",
            ];
            out.sort_by_key(|(k, _)| order.iter().position(|o| o == k));
            out
        }
        AppError::Rule { code, field, detail } => {
            let field = field.as_deref().unwrap_or("");
            let said = match *code {
                "self_postcard" => (
                    "recipients",
                    "Postcards are for colleagues. Ask someone to send you one.".to_string(),
                ),
                "duplicate_recipient" => (
                    "recipients",
                    format!("{} is on the postcard twice.", named(field, draft)),
                ),
                "too_many_recipients" => (
                    "recipients",
                    format!(
                        "A postcard goes to at most {} colleagues. Send the others one of their own.",
                        rules.max_recipients
                    ),
                ),
                "unknown_recipient" => (
                    "recipients",
                    "One of these colleagues is not in the directory any more. Search again.".to_string(),
                ),
                "inactive_recipient" => ("recipients", format!("{} has left the company.", named(field, draft))),
                "pair_limit_exceeded" => (
                    "recipients",
                    format!(
                        "You've already sent {} {} postcards this week. Someone else you'd like to thank?",
                        first_name(named(field, draft)),
                        rules.same_pair_per_week
                    ),
                ),
                "weekly_allowance_exceeded" => (
                    "form",
                    format!(
                        "You've sent all {} postcards this week. New ones on {}.",
                        rules.weekly_allowance,
                        renews_on(state)
                    ),
                ),
                "unknown_behaviour" | "archived_behaviour" => (
                    "behaviour",
                    "That behaviour is no longer offered. Pick another.".to_string(),
                ),
                _ => ("form", format!("{}.", detail)),
            };
            vec![said]
        }
        AppError::Conflict { .. } => vec![(
            "form",
            "This postcard is being sent already. Give it a second, then look at the wall.".to_string(),
        )],
        _ => vec![],
    }
}
