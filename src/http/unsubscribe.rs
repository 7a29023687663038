//! One-click unsubscribe from the links in emails: `GET /unsubscribe?token=` (a click) and
//! `POST` (RFC 8058 `List-Unsubscribe-Post`, sent by mail clients). The signed token names
//! the employee and what to turn off; no sign-in is needed.

use actix_web::web;
use actix_web::HttpResponse;
use secrecy::ExposeSecret;
use serde::Deserialize;
use utoipa::IntoParams;

use super::State;
use crate::domain::clock::now;
use crate::email::unsubscribe::{self, Topic};
use crate::error::{AppError, AppResult};
use crate::services::preferences;
use crate::store::db;
use crate::store::employees::PreferenceChanges;

#[derive(Debug, Deserialize, IntoParams)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's link.
    token: Option<String>,
}

/// Turns off the emails the link names and confirms it in a small page.
#[utoipa::path(get, operation_id = "unsubscribe", path = "/unsubscribe", tag = "email", params(UnsubscribeQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 400, description = "missing or forged token", content_type = "application/problem+json", body = super::problem::Problem)))]
pub async fn unsubscribe(state: State, q: web::Query<UnsubscribeQuery>) -> AppResult<HttpResponse> {
    apply(state, q).await
}

/// RFC 8058 one-click unsubscribe: mail clients POST `List-Unsubscribe=One-Click` to the
/// link from the `List-Unsubscribe` header; the token in the query does the work.
#[utoipa::path(post, operation_id = "unsubscribeOneClick", path = "/unsubscribe", tag = "email", params(UnsubscribeQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 400, description = "missing or forged token", content_type = "application/problem+json", body = super::problem::Problem)))]
pub async fn unsubscribe_one_click(state: State, q: web::Query<UnsubscribeQuery>) -> AppResult<HttpResponse> {
    apply(state, q).await
}

async fn apply(state: State, q: web::Query<UnsubscribeQuery>) -> AppResult<HttpResponse> {
    let token = q.into_inner().token.unwrap_or_default();
    let secret = state.settings.auth.hs256_secret.expose_secret().as_bytes().to_vec();
    let bad = || {
        AppError::BadRequest {
        code: "invalid_unsubscribe_token",
        detail: "this unsubscribe link is not valid; use the link from a recent email, or change your preferences in the app".into(),
        errors: vec![crate::error::FieldError::new("token", "is not a valid unsubscribe token")],
    }
    };
    let (employee_id, topic) = unsubscribe::verify(&secret, &token).ok_or_else(bad)?;
    let changes = PreferenceChanges {
        weekly_digest: (topic == Topic::WeeklyDigest).then_some(false),
        notify_on_postcard: (topic == Topic::PostcardEmails).then_some(false),
        updated_at: Some(now()),
        ..PreferenceChanges::default()
    };
    db::run(&state.pool, move |conn| {
        preferences::update(conn, &employee_id, &changes)
    })
    .await?
    .ok_or_else(bad)?;
    let what = match topic {
        Topic::WeeklyDigest => "the weekly team digest",
        Topic::PostcardEmails => "emails about postcards you receive",
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Unsubscribed</title></head>\
         <body style=\"font-family:Arial,sans-serif;max-width:36em;margin:3em auto;padding:0 1em\">\
         <h1>Unsubscribed</h1><p>You will no longer receive {what}. You can turn it back on in your \
         preferences in Customer Champion.</p></body></html>"
        )))
}
