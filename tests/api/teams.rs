//! The Teams outgoing webhook: requests signed as Teams signs them (HMAC-SHA256 of the body
//! under the base64 security token), people matched by their Entra object id.

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};
use crate::org::org;

fn secret() -> String {
    base64::engine::general_purpose::STANDARD.encode(b"the security token Teams showed us")
}

async fn post(app: &TestApp, body: &str, authorization: Option<String>) -> Reply {
    let mut req = app
        .client
        .post(app.url("/integrations/teams/messages"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn signed(app: &TestApp, activity: &Value) -> Reply {
    let body = activity.to_string();
    let auth = champion::domain::signatures::teams_signature(&secret(), body.as_bytes()).unwrap();
    post(app, &body, Some(auth)).await
}

fn message(from: &str, text: &str, mentions: &[(&str, &str)]) -> Value {
    let mut entities = vec![json!({"type": "mention", "text": "<at>Champion</at>",
        "mentioned": {"id": "28:champion-bot", "name": "Champion"}})];
    for (id, name) in mentions {
        entities.push(json!({"type": "mention", "text": format!("<at>{name}</at>"),
            "mentioned": {"id": format!("29:{id}"), "aadObjectId": id, "name": name}}));
    }
    json!({
        "type": "message",
        "id": uuid::Uuid::new_v4().to_string(),
        "timestamp": chrono::Utc::now().to_rfc3339(),
        "text": text,
        "from": {"id": format!("29:{from}"), "aadObjectId": from, "name": "Someone"},
        "entities": entities,
    })
}

async fn link(app: &TestApp, employee_id: &str, object_id: &str) -> Reply {
    app.patch(
        &format!("/api/v1/employees/{employee_id}"),
        &app.admin_token(),
        &json!({"external_id": object_id}),
    )
    .await
}

async fn teams_commands_send_for_linked_people(app: TestApp) {
    let o = org(&app).await;
    assert_eq!(link(&app, &o.bob.id, "aad-bob").await.status, 200);
    let linked = link(&app, &o.ann.id, "aad-ann").await;
    assert_eq!(linked.body["external_id"], "aad-ann", "{}", linked.text);
    link(&app, &o.cat.id, "aad-ann")
        .await
        .assert_problem(409, "external_id_taken", "one object id, one employee");

    let hello = message(
        "aad-bob",
        "<at>Champion</at> thank <at>Ann Lee</at> above-and-beyond Calmed Acme&#39;s CFO",
        &[("aad-ann", "Ann Lee")],
    );
    let body = hello.to_string();
    post(&app, &body, None)
        .await
        .assert_problem(401, "invalid_signature", "unsigned");
    let other = base64::engine::general_purpose::STANDARD.encode(b"another token");
    let wrong = champion::domain::signatures::teams_signature(&other, body.as_bytes()).unwrap();
    post(&app, &body, Some(wrong))
        .await
        .assert_problem(401, "invalid_signature", "another secret");
    let mut stale = hello.clone();
    stale["timestamp"] = json!((chrono::Utc::now() - chrono::Duration::minutes(10)).to_rfc3339());
    signed(&app, &stale)
        .await
        .assert_problem(401, "invalid_signature", "ten minutes old");

    let sent = signed(&app, &hello).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["type"], "message");
    assert_eq!(
        sent.body["text"],
        "Sent: Bob Ray recognised Ann Lee for Above and beyond."
    );
    let card = &sent.body["attachments"][0];
    assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["content"]["version"], "1.4");
    signed(&app, &hello)
        .await
        .assert_problem(401, "invalid_signature", "a replay");
    let feed = app.get("/api/v1/postcards", Some(&o.dan.token)).await;
    assert_eq!(feed.body["items"][0]["message"], "Calmed Acme's CFO");
    assert_eq!(feed.body["items"][0]["sender"]["id"], o.bob.id.as_str());

    let stranger = signed(
        &app,
        &message(
            "aad-nobody",
            "<at>Champion</at> thank <at>Ann Lee</at> above-and-beyond x",
            &[("aad-ann", "Ann Lee")],
        ),
    )
    .await;
    let text = stranger.body["text"].as_str().unwrap();
    assert!(text.contains("not linked") && text.contains("aad-nobody"), "{text}");
    let unlinked = signed(
        &app,
        &message(
            "aad-bob",
            "<at>Champion</at> thank <at>Dan Ode</at> above-and-beyond x",
            &[("aad-dan", "Dan Ode")],
        ),
    )
    .await;
    let text = unlinked.body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Nothing was sent. Dan Ode is not linked") && text.contains("aad-dan"),
        "{text}"
    );
    let myself = signed(
        &app,
        &message(
            "aad-bob",
            "<at>Champion</at> thank <at>Bob Ray</at> above-and-beyond me!",
            &[("aad-bob", "Bob Ray")],
        ),
    )
    .await;
    let text = myself.body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Nothing was sent. Colleagues:") && text.contains("yourself"),
        "{text}"
    );
    let me = signed(&app, &message("aad-ann", "<at>Champion</at> me", &[])).await;
    assert!(
        me.body["text"]
            .as_str()
            .unwrap()
            .starts_with("You are #1 this week with 3 points"),
        "{}",
        me.text
    );
    let help = signed(&app, &message("aad-ann", "<at>Champion</at>", &[])).await;
    assert!(
        help.body["text"].as_str().unwrap().contains("@Champion @colleague"),
        "{}",
        help.text
    );
    let feed = app.get("/api/v1/postcards", Some(&o.dan.token)).await;
    assert_eq!(
        feed.body["items"].as_array().unwrap().len(),
        1,
        "only the one postcard was sent"
    );

    // The directory CSV links people too (its `external_id` column), one id per person.
    let csv = "email,name,external_id\ncat@example.com,Cat Ng,aad-cat\ndan@example.com,Dan Ode,aad-ann\n";
    let report = app.import_csv(csv, false).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(report.body["updated"], 1, "{}", report.text);
    let error = &report.body["errors"][0];
    assert_eq!(error["line"], 3);
    assert_eq!(
        error["message"],
        "external_id: aad-ann already belongs to ann@example.com"
    );
    let from_cat = signed(
        &app,
        &message(
            "aad-cat",
            "<at>Champion</at> thank <at>Ann Lee</at> above-and-beyond Thanks!",
            &[("aad-ann", "Ann Lee")],
        ),
    )
    .await;
    assert!(
        from_cat.body["text"]
            .as_str()
            .unwrap()
            .starts_with("Sent: Cat Ng recognised Ann Lee"),
        "{}",
        from_cat.text
    );
    let cat = app
        .get(&format!("/api/v1/employees/{}", o.cat.id), Some(&app.admin_token()))
        .await;
    assert_eq!(cat.body["external_id"], "aad-cat");
}

crate::on_both_backends!(with &[("CHAMPION__TEAMS__OUTGOING_SECRET", "dGhlIHNlY3VyaXR5IHRva2VuIFRlYW1zIHNob3dlZCB1cw==")];
    teams_commands_send_for_linked_people);
