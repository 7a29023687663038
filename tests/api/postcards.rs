//! Sending and reading postcards: the happy path, every refused input, visibility and the feed.

use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::org::{card, ids, org};

async fn send_and_read(app: TestApp) {
    let o = org(&app).await;
    let body = json!({
        "recipients": [o.ann.id, o.cat.id],
        "behaviour": "listens-to-customers",
        "message": "  Heard what Acme \u{202E}really needed\u{0007}.\n\nThen built it.  ",
        "customer": {"name": "Acme\nLtd", "quote": "They listened."},
        "visibility": "public",
    });
    let sent = app.send_postcard(&o.bob.token, &body).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let id = sent.body["id"].as_str().expect("id").to_string();
    assert_eq!(uuid::Uuid::parse_str(&id).expect("uuid").get_version_num(), 7);
    let location = sent.headers["location"].to_str().expect("location").to_string();
    assert_eq!(location, format!("/api/v1/postcards/{id}"));
    let p = &sent.body;
    assert_eq!(p["message"], "Heard what Acme really needed.\n\nThen built it.");
    assert_eq!(p["customer"], json!({"name": "Acme Ltd", "quote": "They listened."}));
    assert_eq!(p["sender"]["name"], "Bob Ray");
    let names: Vec<&str> = p["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ann Lee", "Cat Ng"], "recipients in the order named");
    assert_eq!(
        p["behaviour"],
        json!({"slug": "listens-to-customers", "title": "Listens to customers"})
    );
    assert_eq!(p["visibility"], "public");
    assert_eq!(p["endorsement_count"], 0);
    assert!(p.get("hidden").is_none(), "only admins see `hidden`");
    assert!(p["created_at"].as_str().unwrap().ends_with('Z'));

    let read = app.get(&location, Some(&o.dan.token)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["message"], p["message"]);
    let as_admin = app.get(&location, Some(&app.admin_token())).await;
    assert_eq!(as_admin.body["hidden"], false);

    // A second postcard, private, with defaults: no customer.
    let private = app
        .send_postcard(&o.bob.token, &json!({"recipients": [o.ann.id], "behaviour": "small-win", "message": "Quick fix.", "visibility": "private"}))
        .await;
    assert_eq!(private.status, 201, "{}", private.text);
    assert_eq!(private.body["customer"], Value::Null);

    let me = app.get("/api/v1/me", Some(&o.bob.token)).await;
    assert_eq!(me.body["remaining_allowance"], 8, "10 a week, 2 sent");
    let feed = app.get("/api/v1/postcards", Some(&o.bob.token)).await;
    assert_eq!(
        ids(&feed.body),
        [private.body["id"].as_str().unwrap(), id.as_str()],
        "newest first"
    );
}

async fn bad_sends_are_refused_with_their_code(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    let gone = app.create_employee("gone@example.com", "Gone Away", "Ops", None).await;
    let gone = gone["id"].as_str().unwrap().to_string();
    app.patch(&format!("/api/v1/employees/{gone}"), &admin, &json!({"active": false}))
        .await;
    app.patch("/api/v1/behaviours/team-player", &admin, &json!({"active": false}))
        .await;
    let with = |key: &str, value: Value| {
        let mut b = card(&[&o.ann.id]);
        b[key] = value;
        b
    };
    let six: Vec<String> = (0..6).map(|i| format!("someone-{i}")).collect();
    let cases: Vec<(&str, Value, u16, &str, Option<&str>)> = vec![
        (
            "no recipients",
            with("recipients", json!([])),
            422,
            "validation_failed",
            Some("recipients"),
        ),
        (
            "to yourself",
            with("recipients", json!([o.ann.id, o.bob.id])),
            422,
            "self_postcard",
            Some("recipients[1]"),
        ),
        (
            "twice the same",
            with("recipients", json!([o.ann.id, o.ann.id])),
            422,
            "duplicate_recipient",
            Some("recipients[1]"),
        ),
        (
            "more than max_recipients",
            with("recipients", json!(six)),
            422,
            "too_many_recipients",
            Some("recipients"),
        ),
        (
            "unknown recipient",
            with("recipients", json!([o.ann.id, "nobody"])),
            422,
            "unknown_recipient",
            Some("recipients[1]"),
        ),
        (
            "deactivated recipient",
            with("recipients", json!([gone])),
            422,
            "inactive_recipient",
            Some("recipients[0]"),
        ),
        (
            "unknown behaviour",
            with("behaviour", json!("telepathy")),
            422,
            "unknown_behaviour",
            Some("behaviour"),
        ),
        (
            "archived behaviour",
            with("behaviour", json!("team-player")),
            422,
            "archived_behaviour",
            Some("behaviour"),
        ),
        (
            "empty behaviour",
            with("behaviour", json!(" ")),
            422,
            "validation_failed",
            Some("behaviour"),
        ),
        (
            "blank message",
            with("message", json!(" \n\t ")),
            422,
            "validation_failed",
            Some("message"),
        ),
        (
            "message of only bidi controls",
            with("message", json!("\u{202E}\u{2066}")),
            422,
            "validation_failed",
            Some("message"),
        ),
        (
            "message too long",
            with("message", json!("x".repeat(2001))),
            422,
            "validation_failed",
            Some("message"),
        ),
        (
            "customer without a name",
            with("customer", json!({"name": " ", "quote": "Great"})),
            422,
            "validation_failed",
            Some("customer.name"),
        ),
        (
            "customer quote too long",
            with("customer", json!({"name": "Acme", "quote": "q".repeat(1001)})),
            422,
            "validation_failed",
            Some("customer.quote"),
        ),
        (
            "unknown visibility",
            with("visibility", json!("secret")),
            422,
            "validation_failed",
            Some("visibility"),
        ),
        (
            "unknown field",
            with("points", json!(5)),
            422,
            "validation_failed",
            Some("points"),
        ),
        (
            "recipients not a list",
            with("recipients", json!(o.ann.id)),
            422,
            "validation_failed",
            Some("recipients"),
        ),
        (
            "message not text",
            with("message", json!(42)),
            422,
            "validation_failed",
            Some("message"),
        ),
    ];
    for (why, body, status, code, field) in cases {
        let reply = app.send_postcard(&o.bob.token, &body).await;
        reply.assert_problem(status, code, why);
        if let Some(field) = field {
            assert!(
                reply.field_errors().contains(&field.to_string()),
                "{why}: {}",
                reply.text
            );
        }
    }
    // 2000 characters, counted after NFC ("e" + combining accent is one), is fine.
    let long = "e\u{0301}".repeat(2000);
    let ok = app.send_postcard(&o.bob.token, &with("message", json!(long))).await;
    assert_eq!(ok.status, 201, "{}", ok.text);

    let raw = app
        .post_raw("/api/v1/postcards", &o.bob.token, "text/plain", "hello")
        .await;
    raw.assert_problem(415, "unsupported_media_type", "not JSON");
    let broken = app
        .post_raw(
            "/api/v1/postcards",
            &o.bob.token,
            "application/json",
            "{\"recipients\":",
        )
        .await;
    broken.assert_problem(400, "invalid_json", "broken JSON");
    let admin_without_entry = app.send_postcard(&admin, &card(&[&o.ann.id])).await;
    admin_without_entry.assert_problem(403, "forbidden", "an admin who is not in the directory");
    let anonymous = app
        .client
        .post(app.url("/api/v1/postcards"))
        .json(&card(&[&o.ann.id]))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    let feed = app.get("/api/v1/postcards", Some(&o.bob.token)).await;
    assert_eq!(ids(&feed.body).len(), 1, "refused sends stored nothing");
}

async fn private_postcards_exist_only_for_their_audience(app: TestApp) {
    let o = org(&app).await;
    let mut body = card(&[&o.ann.id]);
    body["visibility"] = json!("private");
    let sent = app.send_postcard(&o.bob.token, &body).await;
    let id = sent.body["id"].as_str().unwrap().to_string();
    let public = app.send_postcard(&o.cat.token, &card(&[&o.dan.id])).await;
    let public_id = public.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/postcards/{id}");
    let admin = app.admin_token();
    for (who, token, sees) in [
        ("sender", &o.bob.token, true),
        ("recipient", &o.ann.token, true),
        ("recipient's manager", &o.bea.token, true),
        ("admin", &admin, true),
        ("stranger", &o.dan.token, false),
        ("colleague of the sender", &o.cat.token, false),
    ] {
        let one = app.get(&path, Some(token)).await;
        let feed = ids(&app.get("/api/v1/postcards", Some(token)).await.body);
        if sees {
            assert_eq!(one.status, 200, "{who}: {}", one.text);
            assert!(feed.contains(&id), "{who} sees it in the feed");
        } else {
            one.assert_problem(404, "not_found", who);
            assert!(!feed.contains(&id), "{who} must not see it in the feed");
        }
        assert!(feed.contains(&public_id), "{who} sees public postcards");
    }
    let filtered = app
        .get(&format!("/api/v1/postcards?recipient={}", o.ann.id), Some(&o.dan.token))
        .await;
    assert!(
        ids(&filtered.body).is_empty(),
        "filters cannot reveal private postcards"
    );
}

async fn feed_filters_and_pages(app: TestApp) {
    let o = org(&app).await;
    let mut sent = Vec::new();
    for (from, to, behaviour) in [
        (&o.bob, &o.ann, "small-win"),
        (&o.cat, &o.bob, "above-and-beyond"),
        (&o.ann, &o.dan, "small-win"),
        (&o.dan, &o.cat, "customer-obsessed"),
    ] {
        let mut body = card(&[&to.id]);
        body["behaviour"] = json!(behaviour);
        let r = app.send_postcard(&from.token, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        sent.push(r.body["id"].as_str().unwrap().to_string());
    }
    let t = &o.dan.token;
    let app = &app;
    let get = |q: String| async move { ids(&app.get(&format!("/api/v1/postcards{q}"), Some(t)).await.body) };
    assert_eq!(get(format!("?recipient={}", o.ann.id)).await, [sent[0].clone()]);
    assert_eq!(get(format!("?sender={}", o.cat.id)).await, [sent[1].clone()]);
    assert_eq!(
        get("?behaviour=small-win".into()).await,
        [sent[2].clone(), sent[0].clone()]
    );
    assert_eq!(
        get("?department=Sales".into()).await,
        [sent[3].clone(), sent[1].clone()]
    );
    assert_eq!(get("?since=2000-01-01".into()).await.len(), 4);
    assert!(get("?since=2999-01-01T00:00:00Z".into()).await.is_empty());

    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/postcards?limit=3&cursor={cursor}"), Some(t))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first, "pages join up without gaps or repeats");

    for (query, field) in [
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?cursor=garbage", "cursor"),
        ("?since=yesterday", "since"),
        ("?include_hidden=maybe", "include_hidden"),
    ] {
        let r = app.get(&format!("/api/v1/postcards{query}"), Some(t)).await;
        r.assert_problem(400, "invalid_parameter", query);
        assert_eq!(r.field_errors(), [field], "{query}");
    }
    app.get("/api/v1/postcards/no-such-id", Some(t))
        .await
        .assert_problem(404, "not_found", "unknown id");
}

crate::on_both_backends!(
    send_and_read,
    bad_sends_are_refused_with_their_code,
    private_postcards_exist_only_for_their_audience,
    feed_filters_and_pages,
);
