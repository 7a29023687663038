//! Employees: create, read, search, paginate, edit, deactivate, and every bad input.

use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

async fn create_read_and_edit(app: TestApp) {
    let admin = app.admin_token();
    let boss = app
        .create_employee("boss@example.com", "Bea Boss", "Support", None)
        .await;
    let created = app
        .post(
            "/api/v1/employees",
            &admin,
            &json!({"email": " Ann.Lee@Example.com ", "name": "  Ann   Lee ", "department": "Support", "manager_id": id(&boss), "timezone": "Europe/Paris"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let location = created
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(location, format!("/api/v1/employees/{}", id(&created.body)));
    assert_eq!(created.body["email"], "ann.lee@example.com");
    assert_eq!(created.body["name"], "Ann Lee");
    assert_eq!(created.body["role"], "employee");

    let read = app.get(&location, Some(&app.token("ann.lee@example.com"))).await;
    assert_eq!(read.body, created.body);

    let edited = app
        .patch(
            &location,
            &admin,
            &json!({"department": "Sales", "timezone": null, "manager_id": null}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert_eq!(edited.body["department"], "Sales");
    assert_eq!(edited.body["timezone"], "UTC", "falls back to the org timezone");
    assert!(edited.body["manager_id"].is_null());

    let boss_me = app.get("/api/v1/me", Some(&app.token("boss@example.com"))).await;
    assert_eq!(boss_me.body["is_manager"], false, "no more reports");
}

async fn search_filter_and_paginate(app: TestApp) {
    for (i, dept) in ["Support", "Sales", "Support", "Support", "Sales"].iter().enumerate() {
        app.create_employee(&format!("person{i}@example.com"), &format!("Person {i}"), dept, None)
            .await;
    }
    app.create_employee("zed@other.org", "Zed 50%_Off", "Support", None)
        .await;
    let token = app.token("person0@example.com");

    let support = app.get("/api/v1/employees?department=Support", Some(&token)).await;
    assert_eq!(support.body["items"].as_array().map(Vec::len), Some(4));

    let found = app.get("/api/v1/employees?query=PERSON%203", Some(&token)).await;
    let names: Vec<&str> = found.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(names, vec!["Person 3"]);
    let by_email = app.get("/api/v1/employees?query=other.org", Some(&token)).await;
    assert_eq!(by_email.body["items"][0]["email"], "zed@other.org");
    let wildcard = app.get("/api/v1/employees?query=%25_", Some(&token)).await;
    assert_eq!(
        wildcard.body["items"].as_array().map(Vec::len),
        Some(1),
        "% and _ are literal"
    );

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/employees?limit=2&cursor={c}"),
            None => "/api/v1/employees?limit=2".to_string(),
        };
        let page = app.get(&path, Some(&token)).await;
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(
            page.body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["name"].as_str().map(String::from)),
        );
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec![
            "Person 0",
            "Person 1",
            "Person 2",
            "Person 3",
            "Person 4",
            "Zed 50%_Off"
        ]
    );
}

async fn deactivated_people_stay_but_leave_the_directory(app: TestApp) {
    let ann = app.create_employee("ann@example.com", "Ann", "Support", None).await;
    app.create_employee("bob@example.com", "Bob", "Support", None).await;
    let path = format!("/api/v1/employees/{}", id(&ann));
    assert_eq!(
        app.patch(&path, &app.admin_token(), &json!({"active": false}))
            .await
            .status,
        200
    );

    let bob = app.token("bob@example.com");
    let listed = app.get("/api/v1/employees", Some(&bob)).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    let asked = app.get("/api/v1/employees?include_inactive=true", Some(&bob)).await;
    assert_eq!(
        asked.body["items"].as_array().map(Vec::len),
        Some(1),
        "only admins see inactive people"
    );
    assert_eq!(
        app.get(&path, Some(&bob)).await.body["active"],
        false,
        "still readable by id"
    );

    let all = app
        .get("/api/v1/employees?include_inactive=true", Some(&app.admin_token()))
        .await;
    assert_eq!(all.body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.get(&path, Some(&app.admin_token())).await.body["active"], false);
}

async fn reporting_cycles_are_refused(app: TestApp) {
    let a = app.create_employee("a@example.com", "A", "X", None).await;
    let b = app.create_employee("b@example.com", "B", "X", Some(&id(&a))).await;
    let c = app.create_employee("c@example.com", "C", "X", Some(&id(&b))).await;
    let admin = app.admin_token();
    let reply = app
        .patch(
            &format!("/api/v1/employees/{}", id(&a)),
            &admin,
            &json!({"manager_id": id(&c)}),
        )
        .await;
    reply.assert_problem(422, "manager_cycle", "a under c under b under a");
    assert_eq!(reply.field_errors(), vec!["manager_id"]);
    let own = app
        .patch(
            &format!("/api/v1/employees/{}", id(&a)),
            &admin,
            &json!({"manager_id": id(&a)}),
        )
        .await;
    own.assert_problem(422, "manager_cycle", "own manager");
}

async fn bad_employee_bodies(app: TestApp) {
    let admin = app.admin_token();
    app.create_employee("taken@example.com", "Taken", "X", None).await;
    let cases: Vec<(&str, Value, u16, &str, Option<&str>)> = vec![
        (
            "email is not an address",
            json!({"email": "nope", "name": "N"}),
            422,
            "validation_failed",
            Some("email"),
        ),
        (
            "name is blank",
            json!({"email": "n@example.com", "name": "   "}),
            422,
            "validation_failed",
            Some("name"),
        ),
        (
            "name too long",
            json!({"email": "n@example.com", "name": "x".repeat(201)}),
            422,
            "validation_failed",
            Some("name"),
        ),
        (
            "unknown timezone",
            json!({"email": "n@example.com", "name": "N", "timezone": "Mars/Olympus"}),
            422,
            "validation_failed",
            Some("timezone"),
        ),
        (
            "unknown manager",
            json!({"email": "n@example.com", "name": "N", "manager_id": "nobody"}),
            422,
            "validation_failed",
            Some("manager_id"),
        ),
        (
            "unknown role",
            json!({"email": "n@example.com", "name": "N", "role": "king"}),
            422,
            "validation_failed",
            Some("role"),
        ),
        (
            "unknown field",
            json!({"email": "n@example.com", "name": "N", "salary": 1}),
            422,
            "validation_failed",
            Some("salary"),
        ),
        (
            "wrong type",
            json!({"email": "n@example.com", "name": 42}),
            422,
            "validation_failed",
            Some("name"),
        ),
        (
            "missing name",
            json!({"email": "n@example.com"}),
            422,
            "validation_failed",
            Some("name"),
        ),
        ("not an object", json!([1, 2]), 422, "validation_failed", None),
        (
            "email taken, any case",
            json!({"email": "TAKEN@example.com", "name": "T"}),
            409,
            "email_taken",
            None,
        ),
    ];
    for (why, body, status, code, field) in cases {
        let reply = app.post("/api/v1/employees", &admin, &body).await;
        reply.assert_problem(status, code, why);
        if let Some(field) = field {
            assert_eq!(reply.field_errors(), vec![field.to_string()], "{why}");
        }
    }
    let raw = [
        (
            "broken JSON",
            "application/json",
            "{\"email\": ".to_string(),
            400,
            "invalid_json",
        ),
        ("empty body", "application/json", String::new(), 400, "invalid_json"),
        (
            "not JSON",
            "text/plain",
            "{}".to_string(),
            415,
            "unsupported_media_type",
        ),
        (
            "over 64 KiB",
            "application/json",
            format!("{{\"email\":\"a@b.c\",\"name\":\"{}\"}}", "x".repeat(70_000)),
            413,
            "payload_too_large",
        ),
    ];
    for (why, content_type, body, status, code) in raw {
        app.post_raw("/api/v1/employees", &admin, content_type, body)
            .await
            .assert_problem(status, code, why);
    }
    let patch = app
        .patch("/api/v1/employees/no-such-id", &admin, &json!({"name": "X"}))
        .await;
    patch.assert_problem(404, "not_found", "patch unknown employee");
}

async fn bad_query_parameters(app: TestApp) {
    let token = app.admin_token();
    let cases = [
        ("limit zero", "/api/v1/employees?limit=0", "limit"),
        ("limit huge", "/api/v1/employees?limit=1000", "limit"),
        ("limit not a number", "/api/v1/employees?limit=ten", "limit"),
        ("garbage cursor", "/api/v1/employees?cursor=%%%", "cursor"),
        ("forged cursor", "/api/v1/employees?cursor=WyJhIl0", "cursor"),
        (
            "include_inactive not a bool",
            "/api/v1/employees?include_inactive=maybe",
            "include_inactive",
        ),
    ];
    for (why, path, field) in cases {
        let reply = app.get(path, Some(&token)).await;
        reply.assert_problem(400, "invalid_parameter", why);
        if !reply.field_errors().is_empty() {
            assert_eq!(reply.field_errors(), vec![field.to_string()], "{why}");
        }
    }
    let unknown = app.get("/api/v1/employees/not-a-real-id", Some(&token)).await;
    unknown.assert_problem(404, "not_found", "unknown id");
}

async fn deactivation_is_audited_and_never_deletes(app: TestApp) {
    let ann = app.create_employee("ann@example.com", "Ann", "Support", None).await;
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/employees/{}", id(&ann))))
        .bearer_auth(app.admin_token())
        .send()
        .await;
    let reply = Reply::from(res.expect("request")).await;
    reply.assert_problem(405, "method_not_allowed", "no deletes");
}

crate::on_both_backends!(
    create_read_and_edit,
    search_filter_and_paginate,
    deactivated_people_stay_but_leave_the_directory,
    reporting_cycles_are_refused,
    bad_employee_bodies,
    bad_query_parameters,
    deactivation_is_audited_and_never_deletes,
);
