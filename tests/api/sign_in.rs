//! Magic-link sign-in: 202 for anyone, an email for a known active employee only, a token
//! that works once and for 15 minutes, and a per-address limit.

use serde_json::json;

use crate::helpers::{Received, TestApp};

/// The magic token in a sign-in email.
pub fn magic_token(mail: &Received) -> String {
    let body = mail.decoded();
    let start = body.find("magic_token=").expect("a sign-in link") + "magic_token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

pub async fn ask(app: &TestApp, email: &str) -> crate::helpers::Reply {
    let res = app
        .client
        .post(app.url("/api/v1/auth/magic-link"))
        .json(&json!({ "email": email }))
        .send()
        .await
        .expect("request");
    crate::helpers::Reply::from(res).await
}

async fn exchange(app: &TestApp, token: &str) -> crate::helpers::Reply {
    let res = app
        .client
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({ "magic_token": token }))
        .send()
        .await
        .expect("request");
    crate::helpers::Reply::from(res).await
}

async fn magic_link_round_trip(app: TestApp) {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    assert_eq!(ask(&app, " ADA@example.com ").await.status, 202);
    assert_eq!(
        ask(&app, "nobody@example.com").await.status,
        202,
        "unknown addresses look the same"
    );
    ask(&app, "not an email")
        .await
        .assert_problem(422, "validation_failed", "bad address");

    let mails = app
        .smtp
        .wait_for(10, "the sign-in email", |m| {
            m.iter().any(|m| m.to.iter().any(|t| t.contains("ada@")))
        })
        .await;
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("ada@")))
        .expect("mail");
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your Customer Champion sign-in link")
    );
    let token = magic_token(mail);
    assert!(token.starts_with("cm_"), "{token}");
    // The link as sent, unbroken by any transfer encoding, in the text and the HTML part.
    let link = format!("/sign-in?magic_token={token}");
    assert_eq!(mail.data.matches(&link).count(), 2, "{}", mail.data);

    // Nothing went to the unknown address, even given time.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(app
        .smtp
        .messages()
        .iter()
        .all(|m| !m.to.iter().any(|t| t.contains("nobody@"))));

    // Not after 15 minutes (the service with the clock moved on); the link stays unused.
    let pool = app.pool();
    let late = champion::domain::clock::now() + chrono::Duration::minutes(16);
    let expired = champion::services::sign_in::exchange(&mut pool.get().expect("conn"), &token, late);
    assert!(expired.is_err(), "expired links are refused");

    let signed_in = exchange(&app, &token).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(signed_in.body["token_type"], "Bearer");
    assert_eq!(signed_in.body["expires_in"], 720 * 60);
    let access = signed_in.body["access_token"].as_str().expect("token").to_string();
    let me = app.get("/api/v1/me", Some(&access)).await;
    assert_eq!(me.body["id"], ada["id"]);

    exchange(&app, &token)
        .await
        .assert_problem(401, "invalid_magic_token", "a link works once");
    exchange(&app, "cm_made-up")
        .await
        .assert_problem(401, "invalid_magic_token", "unknown token");
    exchange(&app, "  ")
        .await
        .assert_problem(422, "validation_failed", "empty token");
}

async fn deactivated_people_cannot_use_their_link(app: TestApp) {
    let ann = app.create_employee("ann@example.com", "Ann Lee", "Support", None).await;
    assert_eq!(ask(&app, "ann@example.com").await.status, 202);
    let mails = app.smtp.wait_for(10, "the sign-in email", |m| !m.is_empty()).await;
    let token = magic_token(&mails[0]);
    let path = format!("/api/v1/employees/{}", ann["id"].as_str().expect("id"));
    let off = app.patch(&path, &app.admin_token(), &json!({"active": false})).await;
    assert_eq!(off.status, 200, "{}", off.text);
    exchange(&app, &token)
        .await
        .assert_problem(401, "invalid_magic_token", "left the company");
}

async fn requests_are_limited_per_address(app: TestApp) {
    for i in 0..5 {
        assert_eq!(ask(&app, "ghost@example.com").await.status, 202, "request {i}");
    }
    let limited = ask(&app, "Ghost@Example.com").await;
    limited.assert_problem(429, "too_many_requests", "sixth in an hour");
    assert_eq!(limited.headers["retry-after"], "3600");
    assert_eq!(ask(&app, "other@example.com").await.status, 202, "per address");
}

crate::on_both_backends!(
    magic_link_round_trip,
    deactivated_people_cannot_use_their_link,
    requests_are_limited_per_address
);
