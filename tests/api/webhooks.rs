//! Webhook subscriptions: managed by admins, delivered through the outbox, signed per the
//! Standard Webhooks specification and verified here by its reference implementation (the
//! `standardwebhooks` package from PyPI, run by the test), retried with the same id,
//! switched off after failing, and refused for private targets.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::helpers::{TestApp, ROOT_ADMIN};
use crate::http_standin::{Recorded, Standin};
use crate::org::{card, org};

/// Verifies a delivery with the `standardwebhooks` package; the payload, or its error.
pub fn verify_standard(secret: &str, delivery: &Recorded) -> Result<Value, String> {
    let python = std::env::var("TEST_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python").to_string());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/verify_webhook.py");
    let headers: serde_json::Map<String, Value> = delivery
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let input = json!({"secret": secret, "headers": headers, "body": delivery.body}).to_string();
    let mut child = Command::new(&python)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{python} must run the standardwebhooks verifier ({e}); install it: \
                 python3 -m venv .venv && .venv/bin/pip install -r tests/tools/requirements.txt"
            )
        });
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "the standardwebhooks package is missing: .venv/bin/pip install -r tests/tools/requirements.txt\n{stderr}"
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(stderr)
    }
}

async fn subscribe(app: &TestApp, body: Value) -> Value {
    let made = app.post("/api/v1/admin/webhooks", &app.admin_token(), &body).await;
    assert_eq!(made.status, 201, "{}", made.text);
    made.body
}

async fn subscriptions_are_managed_and_checked(app: TestApp) {
    let admin = app.admin_token();
    let o = org(&app).await;
    app.post(
        "/api/v1/admin/webhooks",
        &o.ann.token,
        &json!({"url": "https://x.example", "events": ["postcard.created"]}),
    )
    .await
    .assert_problem(403, "forbidden", "an employee");
    let bad = app
        .post(
            "/api/v1/admin/webhooks",
            &admin,
            &json!({"url": "ftp://x", "events": ["postcard.created", "postcard.burned"], "format": "xml", "description": "d".repeat(501)}),
        )
        .await;
    bad.assert_problem(422, "validation_failed", "bad values");
    assert_eq!(bad.field_errors(), ["url", "events[1]", "format", "description"]);
    let chat_private = app
        .post(
            "/api/v1/admin/webhooks",
            &admin,
            &json!({"url": "http://127.0.0.1:9/x", "events": ["postcard.created"], "format": "slack", "include_private": true}),
        )
        .await;
    chat_private.assert_problem(422, "validation_failed", "private postcards to a chat channel");
    assert_eq!(chat_private.field_errors(), ["include_private"]);

    let made = subscribe(
        &app,
        json!({"url": "http://127.0.0.1:9/hook", "events": ["postcard.created", "postcard.created"], "description": "CRM"}),
    )
    .await;
    let id = made["id"].as_str().unwrap();
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{made}");
    assert_eq!(made["events"], json!(["postcard.created"]));
    assert_eq!(
        (made["format"].as_str(), made["active"].as_bool()),
        (Some("standard"), Some(true))
    );
    let listed = app.get("/api/v1/admin/webhooks", Some(&admin)).await;
    assert_eq!(listed.body["items"][0]["id"], id);
    assert!(
        !listed.text.contains(&secret),
        "secrets are shown once: {}",
        listed.text
    );
    let path = format!("/api/v1/admin/webhooks/{id}");
    assert!(!app.get(&path, Some(&admin)).await.text.contains("whsec_"));
    let changed = app
        .patch(
            &path,
            &admin,
            &json!({"events": ["employee.created", "digest.sent"], "active": false}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["events"], json!(["employee.created", "digest.sent"]));
    assert_eq!(changed.body["active"], false);
    let rotated = app.post(&format!("{path}/rotate-secret"), &admin, &json!({})).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert!(rotated.body["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_ne!(rotated.body["secret"].as_str().unwrap(), secret);
    assert_eq!(app.delete(&path, &admin).await.status, 204);
    app.get(&path, Some(&admin))
        .await
        .assert_problem(404, "not_found", "deleted");
    let audit = app.get("/api/v1/admin/audit", Some(&admin)).await;
    for action in [
        "webhook.create",
        "webhook.update",
        "webhook.rotate_secret",
        "webhook.delete",
    ] {
        assert!(audit.text.contains(action), "{action} audited: {}", audit.text);
    }
}

async fn deliveries_verify_with_the_reference_library(app: TestApp) {
    let receiver = Standin::start().await;
    let o = org(&app).await;
    let public_only = subscribe(
        &app,
        json!({"url": format!("{}/public", receiver.url), "events": ["postcard.created", "postcard.endorsed"]}),
    )
    .await;
    let everything = subscribe(
        &app,
        json!({"url": format!("{}/all", receiver.url), "events": ["postcard.created"], "include_private": true}),
    )
    .await;
    let public = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    assert_eq!(public.status, 201);
    let mut private_card = card(&[&o.cat.id]);
    private_card["visibility"] = json!("private");
    let private = app.send_postcard(&o.bob.token, &private_card).await;
    assert_eq!(private.status, 201, "{}", private.text);
    let endorsed = app
        .post(
            &format!("/api/v1/postcards/{}/endorsements", public.body["id"].as_str().unwrap()),
            &o.dan.token,
            &json!({}),
        )
        .await;
    assert_eq!(endorsed.status, 200, "{}", endorsed.text);

    let seen = receiver.wait_for(20, "four deliveries", |s| s.len() >= 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let seen_public: Vec<_> = receiver.seen_at("/public");
    let seen_all: Vec<_> = receiver.seen_at("/all");
    assert_eq!((seen_public.len(), seen_all.len()), (2, 2), "{seen:#?}");
    let secret = public_only["secret"].as_str().unwrap();
    let mut types = Vec::new();
    for d in &seen_public {
        let payload = verify_standard(secret, d).expect("the reference library accepts our signature");
        assert_eq!(payload["data"]["id"], public.body["id"], "{payload}");
        assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
        types.push(payload["type"].as_str().unwrap().to_string());
        assert!(d.header("webhook-id").unwrap().starts_with("msg_"));
    }
    types.sort();
    assert_eq!(types, ["postcard.created", "postcard.endorsed"]);
    let all_ids: Vec<Value> = seen_all
        .iter()
        .map(|d| verify_standard(everything["secret"].as_str().unwrap(), d).unwrap()["data"]["id"].clone())
        .collect();
    assert!(
        all_ids.contains(&private.body["id"]),
        "include_private gets private postcards: {all_ids:?}"
    );

    // The verifier is not a rubber stamp: a changed body, another secret, an old timestamp fail.
    let mut tampered = seen_public[0].clone();
    tampered.body = tampered.body.replace("postcard", "postcarx");
    assert!(verify_standard(secret, &tampered).is_err());
    assert!(verify_standard(everything["secret"].as_str().unwrap(), &seen_public[0]).is_err());
    let mut stale = seen_public[0].clone();
    for (k, v) in &mut stale.headers {
        if k == "webhook-timestamp" {
            *v = (v.parse::<i64>().unwrap() - 3600).to_string();
        }
    }
    assert!(verify_standard(secret, &stale).is_err());
}

async fn failures_retry_with_the_same_id_and_are_logged(app: TestApp) {
    let receiver = Standin::start().await;
    receiver.script([(500, vec![], "boom".to_string()), (503, vec![], "down".to_string())]);
    let made = subscribe(
        &app,
        json!({"url": receiver.url.clone() + "/hook", "events": ["employee.created"]}),
    )
    .await;
    app.create_employee("new@example.com", "New Person", "Ops", None).await;
    let seen = receiver.wait_for(20, "three attempts", |s| s.len() >= 3).await;
    let ids: Vec<_> = seen
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_string())
        .collect();
    assert!(
        ids.iter().all(|i| i == &ids[0]),
        "one webhook-id on every retry: {ids:?}"
    );
    let payload = verify_standard(made["secret"].as_str().unwrap(), &seen[2]).unwrap();
    assert_eq!(payload["type"], "employee.created");
    assert_eq!(payload["data"]["email"], "new@example.com");
    let log_path = format!("/api/v1/admin/webhooks/{}/deliveries", made["id"].as_str().unwrap());
    let log = app
        .wait_until(10, &log_path, "three logged attempts", |b| {
            b["items"].as_array().is_some_and(|i| i.len() == 3)
        })
        .await;
    let items = log["items"].as_array().unwrap();
    let rows: Vec<(i64, &str, i64)> = items
        .iter()
        .map(|i| {
            (
                i["attempt"].as_i64().unwrap(),
                i["status"].as_str().unwrap(),
                i["response_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(3, "delivered", 200), (2, "failed", 503), (1, "failed", 500)],
        "{log}"
    );
    assert_eq!(items[2]["webhook_id"], ids[0].as_str());
    assert_eq!(items[2]["event"], "employee.created");
    assert!(items[1]["error"].as_str().unwrap().contains("503"), "{log}");
    // Healthy again: still on.
    let hook = app
        .get(
            &format!("/api/v1/admin/webhooks/{}", made["id"].as_str().unwrap()),
            Some(&app.admin_token()),
        )
        .await;
    assert_eq!(hook.body["active"], true);
}

async fn test_events_and_chat_formats(app: TestApp) {
    let receiver = Standin::start().await;
    let o = org(&app).await;
    let standard = subscribe(
        &app,
        json!({"url": receiver.url.clone() + "/std", "events": ["digest.sent"], "active": false}),
    )
    .await;
    subscribe(
        &app,
        json!({"url": receiver.url.clone() + "/slack", "events": ["postcard.created"], "format": "slack"}),
    )
    .await;
    subscribe(
        &app,
        json!({"url": receiver.url.clone() + "/teams", "events": ["postcard.created"], "format": "teams"}),
    )
    .await;
    let test = app
        .post(
            &format!("/api/v1/admin/webhooks/{}/test", standard["id"].as_str().unwrap()),
            &app.admin_token(),
            &json!({}),
        )
        .await;
    assert_eq!(test.status, 202, "{}", test.text);
    let mut c = card(&[&o.ann.id]);
    c["customer"] = json!({"name": "Acme", "quote": "Saved our quarter"});
    assert_eq!(app.send_postcard(&o.bob.token, &c).await.status, 201);
    receiver.wait_for(20, "three deliveries", |s| s.len() >= 3).await;
    let std = &receiver.seen_at("/std")[0];
    let payload = verify_standard(standard["secret"].as_str().unwrap(), std).unwrap();
    assert_eq!(payload["type"], "webhook.test");
    assert_eq!(std.header("webhook-id"), test.body["delivery_id"].as_str());
    let slack = receiver.seen_at("/slack")[0].json();
    assert!(
        slack["text"].as_str().unwrap().contains("Bob Ray recognised Ann Lee"),
        "{slack}"
    );
    assert!(slack["blocks"].to_string().contains("Saved our quarter"), "{slack}");
    let teams = receiver.seen_at("/teams")[0].json();
    let content = &teams["attachments"][0]["content"];
    assert_eq!(
        (content["type"].as_str(), content["version"].as_str()),
        (Some("AdaptiveCard"), Some("1.4")),
        "{teams}"
    );
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
}

async fn a_day_of_failures_switches_off_and_tells_the_admins(app: TestApp) {
    let receiver = Standin::start_with(|_| (500, vec![], "broken".into())).await;
    let made = subscribe(
        &app,
        json!({"url": receiver.url.clone() + "/hook", "events": ["employee.created"]}),
    )
    .await;
    app.create_employee("new@example.com", "New Person", "Ops", None).await;
    let path = format!("/api/v1/admin/webhooks/{}", made["id"].as_str().unwrap());
    let hook = app
        .wait_until(20, &path, "switched off", |b| b["active"] == false)
        .await;
    assert!(hook["disabled_reason"].as_str().unwrap().contains("HTTP 500"), "{hook}");
    let to_admin =
        |m: &crate::helpers::Received| m.to.iter().any(|t| t.contains(ROOT_ADMIN)) && m.data.contains("webhook");
    let mail = app
        .smtp
        .wait_for(20, "the admins' email", |m| m.iter().any(to_admin))
        .await;
    let to_admin = mail.iter().find(|m| to_admin(m)).unwrap();
    assert!(to_admin.data.contains("switched off"), "{}", to_admin.data);
    // Further events are not delivered while it is off; switching it on starts afresh.
    let before = receiver.seen().len();
    app.create_employee("later@example.com", "Later Person", "Ops", None)
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(receiver.seen().len(), before);
    let on = app.patch(&path, &app.admin_token(), &json!({"active": true})).await;
    assert_eq!(
        (on.body["active"].as_bool(), &on.body["disabled_reason"]),
        (Some(true), &Value::Null)
    );
}

async fn private_targets_are_refused_when_saved_and_when_delivered(app: TestApp) {
    let admin = app.admin_token();
    for url in [
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://192.168.1.20/x",
    ] {
        let r = app
            .post(
                "/api/v1/admin/webhooks",
                &admin,
                &json!({"url": url, "events": ["employee.created"]}),
            )
            .await;
        r.assert_problem(422, "validation_failed", url);
        assert_eq!(r.field_errors(), ["url"], "{url}");
        assert!(r.text.contains("may not reach"), "{url}: {}", r.text);
    }
    // A subscription saved when its name pointed elsewhere (here: written straight to the
    // database) is refused again at delivery, and nothing reaches the private address.
    let receiver = Standin::start().await;
    let id = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().naive_utc();
    let row = champion::store::webhooks::WebhookRow {
        id: id.clone(),
        url: receiver.url.replace("127.0.0.1", "localhost") + "/hook",
        events: "employee.created".into(),
        format: "standard".into(),
        description: String::new(),
        active: true,
        include_private: false,
        secret: champion::domain::signatures::new_webhook_secret(),
        failing_since: None,
        disabled_reason: None,
        created_at: now,
        updated_at: now,
    };
    champion::store::webhooks::insert(&mut app.pool().get().unwrap(), &row).unwrap();
    app.create_employee("new@example.com", "New Person", "Ops", None).await;
    let log = app
        .wait_until(
            20,
            &format!("/api/v1/admin/webhooks/{id}/deliveries"),
            "a refused attempt",
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    assert_eq!(log["items"][0]["status"], "refused", "{log}");
    assert!(log["items"][0]["error"].as_str().unwrap().contains("loopback"), "{log}");
    assert!(receiver.seen().is_empty(), "nothing reached the private address");
}

crate::on_both_backends!(
    subscriptions_are_managed_and_checked,
    deliveries_verify_with_the_reference_library,
    failures_retry_with_the_same_id_and_are_logged,
    test_events_and_chat_formats,
);

mod switched_off {
    use super::*;
    crate::on_both_backends!(with &[("CHAMPION__WEBHOOKS__DISABLE_AFTER_MINUTES", "0")];
        a_day_of_failures_switches_off_and_tells_the_admins);
}

mod refused {
    use super::*;
    crate::on_both_backends!(with &[("CHAMPION__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "false")];
        private_targets_are_refused_when_saved_and_when_delivered);
}
