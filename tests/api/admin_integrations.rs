//! The console's integrations page: Slack and Teams status, and webhooks made, tested,
//! switched off and on, their secret rotated (shown once) and deleted, through forms.

use crate::helpers::{TestApp, ROOT_ADMIN};
use crate::http_standin::Standin;
use crate::web_sessions::{form, page, session};

fn secret_on(page: &str) -> Option<String> {
    let at = page.find("id=\"webhook-secret\" value=\"")? + "id=\"webhook-secret\" value=\"".len();
    Some(page[at..].split('"').next()?.to_string())
}

async fn webhooks_are_managed_from_the_console(app: TestApp) {
    let receiver = Standin::start().await;
    let (root, csrf) = session(&app, ROOT_ADMIN).await;
    let shown = page(&app, "/admin/integrations", Some(&root)).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(shown.text.contains("Not connected") && shown.text.contains("/integrations/slack/commands"));
    assert!(shown.text.contains("/integrations/teams/messages"));

    let url = format!("{}/hook", receiver.url);
    let bad = form(
        &app,
        "/admin/integrations/webhooks",
        &[
            ("csrf_token", &csrf),
            ("url", &url),
            ("format", "slack"),
            ("include_private", "true"),
        ],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.text.contains("events: is required") || bad.text.contains("events: must name"),
        "{}",
        bad.text
    );
    assert!(bad.text.contains(&url), "the form keeps what was typed");

    let made = form(
        &app,
        "/admin/integrations/webhooks",
        &[
            ("csrf_token", &csrf),
            ("url", &url),
            ("description", "CRM"),
            ("format", "standard"),
            ("events", "employee.created"),
            ("events", "postcard.created"),
        ],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text);
    let secret = secret_on(&made.text).expect("the secret, once");
    assert!(secret.starts_with("whsec_"));
    let listed = app.get("/api/v1/admin/webhooks", Some(&app.admin_token())).await;
    let hook = &listed.body["items"][0];
    assert_eq!(
        hook["events"],
        serde_json::json!(["employee.created", "postcard.created"])
    );
    let id = hook["id"].as_str().unwrap().to_string();
    let again = page(&app, "/admin/integrations", Some(&root)).await;
    assert!(!again.text.contains(&secret), "shown once");

    let act = |action: &'static str| {
        let (app, root, csrf, id) = (&app, root.clone(), csrf.clone(), id.clone());
        async move {
            form(
                app,
                &format!("/admin/integrations/webhooks/{id}"),
                &[("csrf_token", &csrf), ("action", action)],
                Some(&root),
                &app.address,
            )
            .await
        }
    };
    let tested = act("test").await;
    assert_eq!(
        (tested.status, tested.headers["location"].to_str().unwrap()),
        (303, "/admin/integrations?done=tested")
    );
    let delivered = receiver.wait_for(20, "the test event", |s| !s.is_empty()).await;
    let payload = crate::webhooks::verify_standard(&secret, &delivered[0]).expect("verified");
    assert_eq!(payload["type"], "webhook.test");
    let log = app
        .wait_until(10, &format!("/api/v1/admin/webhooks/{id}/deliveries"), "logged", |b| {
            b["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
    assert_eq!(log["items"][0]["status"], "delivered");
    let log_page = page(&app, &format!("/admin/integrations/webhooks/{id}"), Some(&root)).await;
    assert!(
        log_page.text.contains("webhook.test") && log_page.text.contains("delivered"),
        "{}",
        log_page.text
    );

    let rotated = act("rotate").await;
    let new_secret = secret_on(&rotated.text).expect("the new secret, once");
    assert_ne!(new_secret, secret);
    assert_eq!(act("off").await.status, 303);
    let off = page(&app, "/admin/integrations", Some(&root)).await;
    assert!(off.text.contains("Switch on"), "{}", off.text);
    assert_eq!(act("on").await.status, 303);
    assert_eq!(act("delete").await.status, 303);
    let gone = app.get("/api/v1/admin/webhooks", Some(&app.admin_token())).await;
    assert_eq!(gone.body["items"].as_array().unwrap().len(), 0);
    // SCIM tokens: made (shown once), working, revoked.
    let minted = form(
        &app,
        "/admin/integrations/scim-tokens",
        &[("csrf_token", &csrf), ("name", "Okta")],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(minted.status, 200, "{}", minted.text);
    let at =
        minted.text.find("id=\"scim-token\" value=\"").expect("the token, once") + "id=\"scim-token\" value=\"".len();
    let token = minted.text[at..].split('"').next().unwrap().to_string();
    assert!(token.starts_with("cs_"), "{token}");
    let users = |t: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/scim/v2/Users"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(users(token.clone()).await, 200);
    let listed = app.get("/api/v1/admin/scim-tokens", Some(&app.admin_token())).await;
    let token_id = listed.body["items"][0]["id"].as_str().unwrap().to_string();
    let shown = page(&app, "/admin/integrations", Some(&root)).await;
    assert!(
        shown.text.contains("Okta") && !shown.text.contains(&token),
        "listed, never shown again"
    );
    let revoked = form(
        &app,
        &format!("/admin/integrations/scim-tokens/{token_id}/revoke"),
        &[("csrf_token", &csrf)],
        Some(&root),
        &app.address,
    )
    .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(users(token).await, 401);

    let outbox = page(&app, "/admin/outbox", Some(&root)).await;
    assert!(
        outbox.text.contains("Slack and webhook deliveries") && outbox.text.contains("webhook.test"),
        "{}",
        outbox.text
    );
}

crate::on_both_backends!(webhooks_are_managed_from_the_console);
