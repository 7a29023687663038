//! SCIM 2.0 on both backends: scim2-tester (PyPI), the independent compliance checker, run
//! against the live server with zero failures; the request sequences Okta and Microsoft
//! Entra send, checked against the directory and the leaderboards; and SCIM's own errors.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};
use crate::org::card;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn scim_token(app: &TestApp) -> String {
    let made = app
        .post(
            "/api/v1/admin/scim-tokens",
            &app.admin_token(),
            &json!({"name": "okta"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    made.body["token"].as_str().unwrap().to_string()
}

async fn scim(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    let mut req = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.header("content-type", "application/scim+json").body(b.to_string());
    }
    Reply::from(req.send().await.unwrap()).await
}

fn scim_error(r: &Reply, status: u16, scim_type: Option<&str>, context: &str) {
    assert_eq!(r.status, status, "{context}: {}", r.text);
    assert_eq!(r.headers["content-type"], "application/scim+json", "{context}");
    assert_eq!(
        r.body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
        "{context}: {}",
        r.text
    );
    assert_eq!(r.body["status"], status.to_string(), "{context}");
    assert_eq!(r.body["scimType"].as_str(), scim_type, "{context}: {}", r.text);
}

async fn the_compliance_checker_finds_nothing_wrong(app: TestApp) {
    let token = scim_token(&app).await;
    let python = std::env::var("TEST_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python").to_string());
    let base = app.url("/scim/v2");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools/scim_check.py"))
            .arg(&base)
            .arg(&token)
            .output()
            .unwrap_or_else(|e| {
                panic!("{python} must run scim2-tester ({e}): .venv/bin/pip install -r tests/tools/requirements.txt")
            })
    })
    .await
    .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !report.contains("ModuleNotFoundError"),
        "scim2-tester is not installed: {report}"
    );
    assert!(out.status.success(), "scim2-tester found failures:\n{report}");
    assert!(report.contains(" 0 failed"), "{report}");
    for line in report
        .lines()
        .filter(|l| l.starts_with("by status") || l.ends_with(" failed"))
    {
        eprintln!("scim2-tester: {line}");
    }
}

async fn only_scim_tokens_open_scim_and_they_open_nothing_else(app: TestApp) {
    let token = scim_token(&app).await;
    let get = |t: String| {
        let app = &app;
        async move { scim(app, reqwest::Method::GET, "/Users", &t, None).await }
    };
    scim_error(&get(String::new()).await, 401, None, "no token");
    scim_error(&get(app.admin_token()).await, 401, None, "an admin's API token");
    assert_eq!(get(token.clone()).await.status, 200);
    let api = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(api.status, 401, "a SCIM token on the API: {}", api.text);
    let board = app.get("/api/v1/leaderboard", Some(&token)).await;
    assert_eq!(board.status, 401, "nor the boards widget tokens read");
    let listed = app.get("/api/v1/admin/scim-tokens", Some(&app.admin_token())).await;
    let id = listed.body["items"][0]["id"].as_str().unwrap().to_string();
    assert!(!listed.text.contains(&token));
    assert_eq!(
        app.get("/api/v1/admin/widget-tokens", Some(&app.admin_token()))
            .await
            .body["items"],
        json!([])
    );
    assert_eq!(
        app.delete(&format!("/api/v1/admin/scim-tokens/{id}"), &app.admin_token())
            .await
            .status,
        200
    );
    scim_error(&get(token).await, 401, None, "a revoked token");

    let token = scim_token(&app).await;
    let written = scim(
        &app,
        reqwest::Method::POST,
        "/ServiceProviderConfig",
        &token,
        Some(json!({})),
    )
    .await;
    scim_error(&written, 405, None, "a write to discovery");
    scim_error(
        &scim(&app, reqwest::Method::PUT, "/Schemas", &token, Some(json!({}))).await,
        405,
        None,
        "schemas",
    );
    scim_error(
        &scim(&app, reqwest::Method::GET, "/Groups", &token, None).await,
        404,
        None,
        "no Groups",
    );
    scim_error(
        &scim(&app, reqwest::Method::GET, "/Users/nobody", &token, None).await,
        404,
        None,
        "unknown user",
    );
    let broken = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&token)
        .header("content-type", "application/scim+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    scim_error(&Reply::from(broken).await, 400, Some("invalidSyntax"), "not JSON");
    let no_email = scim(
        &app,
        reqwest::Method::POST,
        "/Users",
        &token,
        Some(json!({"schemas": [USER], "userName": "x7f3k2"})),
    )
    .await;
    scim_error(
        &no_email,
        400,
        Some("invalidValue"),
        "neither email nor an email userName",
    );
    let ok = json!({"schemas": [USER], "userName": "ann@example.com", "displayName": "Ann Lee"});
    assert_eq!(
        scim(&app, reqwest::Method::POST, "/Users", &token, Some(ok.clone()))
            .await
            .status,
        201
    );
    let mut again = ok.clone();
    again["userName"] = json!("ANN@example.com");
    scim_error(
        &scim(&app, reqwest::Method::POST, "/Users", &token, Some(again)).await,
        409,
        Some("uniqueness"),
        "a taken userName",
    );
    let found = scim(
        &app,
        reqwest::Method::GET,
        "/Users?filter=userName%20eq%20%22Ann%40Example.com%22",
        &token,
        None,
    )
    .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.text);
    scim_error(
        &scim(
            &app,
            reqwest::Method::GET,
            "/Users?filter=userName%20zz%20%22a%22",
            &token,
            None,
        )
        .await,
        400,
        Some("invalidFilter"),
        "a bad filter",
    );
}

/// What Okta sends: userName is the work email; changes come as PATCH `replace` with a value
/// object, deactivation as `active: false`.
async fn an_okta_sequence_keeps_directory_and_boards_in_step(app: TestApp) {
    let token = scim_token(&app).await;
    let post = |body: Value| {
        let (app, token) = (&app, token.clone());
        async move { scim(app, reqwest::Method::POST, "/Users", &token, Some(body)).await }
    };
    let boss = post(
        json!({"schemas": [USER], "userName": "bea@example.com", "name": {"givenName": "Bea", "familyName": "Boss"},
        "emails": [{"value": "bea@example.com", "primary": true, "type": "work"}], "active": true}),
    )
    .await;
    assert_eq!(boss.status, 201, "{}", boss.text);
    let boss_id = boss.body["id"].as_str().unwrap().to_string();
    let ann = post(json!({"schemas": [USER, ENTERPRISE], "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": "ann@example.com", "primary": true, "type": "work"}], "active": true,
        ENTERPRISE: {"department": "Support", "manager": {"value": boss_id}}})).await;
    assert_eq!(ann.status, 201, "{}", ann.text);
    assert_eq!(ann.headers["location"], ann.body["meta"]["location"].as_str().unwrap());
    let id = ann.body["id"].as_str().unwrap().to_string();
    let admin = app.admin_token();
    let employee = app.get(&format!("/api/v1/employees/{id}"), Some(&admin)).await;
    assert_eq!(employee.body["name"], "Ann Lee");
    assert_eq!(employee.body["department"], "Support");
    assert_eq!(employee.body["manager_id"], boss_id.as_str());

    // A postcard for Ann, so the boards have her.
    let bob = app.create_employee("bob@example.com", "Bob Ray", "Sales", None).await;
    let _ = bob;
    assert_eq!(
        app.send_postcard(&app.token("bob@example.com"), &card(&[&id]))
            .await
            .status,
        201
    );

    let patch = |ops: Value| {
        let (app, token, id) = (&app, token.clone(), id.clone());
        async move {
            scim(
                app,
                reqwest::Method::PATCH,
                &format!("/Users/{id}"),
                &token,
                Some(json!({"schemas": [PATCH], "Operations": ops})),
            )
            .await
        }
    };
    let renamed = patch(json!([{"op": "replace", "value": {"name": {"givenName": "Anna", "familyName": "Lee"}, "displayName": "Anna Lee"}}])).await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let moved = patch(json!([{"op": "replace", "value": {ENTERPRISE: {"department": "Customer Success"}}}])).await;
    assert_eq!(
        moved.body[ENTERPRISE]["department"], "Customer Success",
        "{}",
        moved.text
    );
    let employee = app.get(&format!("/api/v1/employees/{id}"), Some(&admin)).await;
    assert_eq!(
        (employee.body["name"].as_str(), employee.body["department"].as_str()),
        (Some("Anna Lee"), Some("Customer Success"))
    );
    let board = app.get("/api/v1/leaderboard", Some(&admin)).await;
    assert_eq!(
        board.body["entries"][0]["employee"]["name"], "Anna Lee",
        "{}",
        board.text
    );
    assert_eq!(board.body["entries"][0]["employee"]["department"], "Customer Success");
    let departments = app.get("/api/v1/leaderboard/departments", Some(&admin)).await;
    assert!(
        departments.text.contains("Customer Success") && !departments.text.contains("\"Support\""),
        "{}",
        departments.text
    );

    let off = patch(json!([{"op": "replace", "value": {"active": false}}])).await;
    assert_eq!(off.body["active"], false);
    let board = app.get("/api/v1/leaderboard", Some(&admin)).await;
    assert!(
        !board.text.contains("Anna Lee"),
        "deactivated people leave the board: {}",
        board.text
    );
    let on = patch(json!([{"op": "replace", "value": {"active": true}}])).await;
    assert_eq!(on.body["active"], true);
    let board = app.get("/api/v1/leaderboard", Some(&admin)).await;
    assert!(board.text.contains("Anna Lee"), "and come back: {}", board.text);
    let audit = app.get("/api/v1/admin/audit?actor=scim%3Aokta", Some(&admin)).await;
    assert!(
        audit.text.contains("employee.create") && audit.text.contains("employee.deactivate"),
        "{}",
        audit.text
    );
}

/// What Microsoft Entra sends: userName is the UPN, the email a work entry, externalId the
/// object id, capitalised ops with string booleans and URN paths, the manager as a bare id,
/// and DELETE for leavers.
async fn an_entra_sequence_deactivates_and_never_deletes(app: TestApp) {
    let token = scim_token(&app).await;
    let boss = scim(
        &app,
        reqwest::Method::POST,
        "/Users",
        &token,
        Some(json!({
        "schemas": [USER], "userName": "bea@contoso.onmicrosoft.com", "externalId": "aad-bea", "active": true,
        "displayName": "Bea Boss", "emails": [{"primary": true, "type": "work", "value": "bea@example.com"}]})),
    )
    .await;
    let boss_id = boss.body["id"].as_str().unwrap().to_string();
    let made = scim(&app, reqwest::Method::POST, "/Users", &token, Some(json!({
        "schemas": [USER, ENTERPRISE], "externalId": "aad-cat", "userName": "cat@contoso.onmicrosoft.com", "active": true,
        "displayName": "Cat Ng", "emails": [{"primary": true, "type": "work", "value": "cat@example.com"}],
        "name": {"formatted": "Cat Ng", "familyName": "Ng", "givenName": "Cat"},
        ENTERPRISE: {"department": "Sales"}}))).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().unwrap().to_string();
    let ops = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "cat.ng@example.com"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": boss_id},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Support"},
        {"op": "Replace", "path": "active", "value": "False"}]});
    let changed = scim(&app, reqwest::Method::PATCH, &format!("/Users/{id}"), &token, Some(ops)).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["active"], false);
    let admin = app.admin_token();
    let employee = app.get(&format!("/api/v1/employees/{id}"), Some(&admin)).await;
    assert_eq!(
        (
            employee.body["email"].as_str(),
            employee.body["manager_id"].as_str(),
            employee.body["department"].as_str(),
            employee.body["active"].as_bool(),
            employee.body["external_id"].as_str()
        ),
        (
            Some("cat.ng@example.com"),
            Some(boss_id.as_str()),
            Some("Support"),
            Some(false),
            Some("aad-cat")
        )
    );
    // A cycle in the reporting line is refused in SCIM's words.
    let cycle = json!({"schemas": [PATCH], "Operations": [{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": id}]});
    scim_error(
        &scim(
            &app,
            reqwest::Method::PATCH,
            &format!("/Users/{boss_id}"),
            &token,
            Some(cycle),
        )
        .await,
        400,
        Some("invalidValue"),
        "a cycle",
    );
    // Reactivated, recognised, then deleted: gone to SCIM, in the directory inactive with her postcard.
    let on = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]});
    assert_eq!(
        scim(&app, reqwest::Method::PATCH, &format!("/Users/{id}"), &token, Some(on))
            .await
            .body["active"],
        true
    );
    app.create_employee("dan@example.com", "Dan Ode", "Ops", None).await;
    let sent = app.send_postcard(&app.token("dan@example.com"), &card(&[&id])).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let gone = scim(&app, reqwest::Method::DELETE, &format!("/Users/{id}"), &token, None).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    scim_error(
        &scim(&app, reqwest::Method::GET, &format!("/Users/{id}"), &token, None).await,
        404,
        None,
        "after DELETE",
    );
    scim_error(
        &scim(&app, reqwest::Method::DELETE, &format!("/Users/{id}"), &token, None).await,
        404,
        None,
        "DELETE twice",
    );
    let employee = app.get(&format!("/api/v1/employees/{id}"), Some(&admin)).await;
    assert_eq!(employee.body["active"], false, "{}", employee.text);
    let postcard = app
        .get(
            &format!("/api/v1/postcards/{}", sent.body["id"].as_str().unwrap()),
            Some(&admin),
        )
        .await;
    assert_eq!(postcard.status, 200, "her postcards stay");
    let listed = scim(&app, reqwest::Method::GET, "/Users?startIndex=1&count=10", &token, None).await;
    assert_eq!(listed.body["totalResults"], 1, "{}", listed.text);
}

crate::on_both_backends!(
    the_compliance_checker_finds_nothing_wrong,
    only_scim_tokens_open_scim_and_they_open_nothing_else,
    an_okta_sequence_keeps_directory_and_boards_in_step,
    an_entra_sequence_deactivates_and_never_deletes,
);
