//! The behaviour catalogue: seeded defaults, admin curation, archived behaviours.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["slug"].as_str().map(String::from))
        .collect()
}

async fn defaults_curation_and_archiving(app: TestApp) {
    let admin = app.admin_token();
    app.create_employee("emp@example.com", "Emp", "X", None).await;
    let employee = app.token("emp@example.com");

    let listed = app.get("/api/v1/behaviours", Some(&employee)).await;
    let defaults = slugs(&listed.body);
    for slug in [
        "customer-obsessed",
        "above-and-beyond",
        "listens-to-customers",
        "small-win",
        "team-player",
    ] {
        assert!(defaults.contains(&slug.to_string()), "{slug} seeded");
    }

    let created = app
        .post(
            "/api/v1/behaviours",
            &admin,
            &json!({"slug": "first-call-fix", "title": "First-call fix"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.headers.get("location").and_then(|v| v.to_str().ok()),
        Some("/api/v1/behaviours/first-call-fix")
    );

    let archived = app
        .patch(
            "/api/v1/behaviours/small-win",
            &admin,
            &json!({"active": false, "description": "Archived"}),
        )
        .await;
    assert_eq!(archived.body["active"], false, "{}", archived.text);
    let now = slugs(&app.get("/api/v1/behaviours", Some(&employee)).await.body);
    assert!(!now.contains(&"small-win".to_string()));
    assert_eq!(now.last().map(String::as_str), Some("first-call-fix"));
    let all = slugs(
        &app.get("/api/v1/behaviours?include_archived=true", Some(&admin))
            .await
            .body,
    );
    assert!(all.contains(&"small-win".to_string()));
}

async fn bad_behaviour_requests(app: TestApp) {
    let admin = app.admin_token();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "bad slug",
            json!({"slug": "Not A Slug", "title": "T"}),
            422,
            "validation_failed",
        ),
        (
            "blank title",
            json!({"slug": "ok-slug", "title": " "}),
            422,
            "validation_failed",
        ),
        (
            "unknown field",
            json!({"slug": "ok-slug", "title": "T", "points": 5}),
            422,
            "validation_failed",
        ),
        (
            "duplicate",
            json!({"slug": "team-player", "title": "Again"}),
            409,
            "slug_taken",
        ),
    ];
    for (why, body, status, code) in cases {
        app.post("/api/v1/behaviours", &admin, &body)
            .await
            .assert_problem(status, code, why);
    }
    app.patch("/api/v1/behaviours/nope", &admin, &json!({"title": "X"}))
        .await
        .assert_problem(404, "not_found", "unknown slug");
    app.create_employee("emp@example.com", "Emp", "X", None).await;
    let employee = app.token("emp@example.com");
    app.post(
        "/api/v1/behaviours",
        &employee,
        &json!({"slug": "mine", "title": "Mine"}),
    )
    .await
    .assert_problem(403, "forbidden", "not admin");
    app.get("/api/v1/behaviours?include_archived=yes", Some(&employee))
        .await
        .assert_problem(400, "invalid_parameter", "bad bool");
}

crate::on_both_backends!(defaults_curation_and_archiving, bad_behaviour_requests);
