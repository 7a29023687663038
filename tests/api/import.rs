//! The directory CSV import: upsert by email, managers anywhere in the file, a per-line
//! error report, good lines applied together, bad lines never half-applied, dry runs.

use serde_json::Value;

use crate::helpers::TestApp;

const FILE: &str = "email,name,department,manager_email,timezone,active\n\
ann@example.com,Ann Lee,Support,bea@example.com,Europe/London,true\n\
bea@example.com,Bea Boss,Support,,Europe/London,true\n\
cal@example.com,Cal Diaz,Sales,bea@example.com,,true\n";

fn lines(reply: &Value) -> Vec<u64> {
    reply["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["line"].as_u64())
        .collect()
}

async fn employees(app: &TestApp) -> Vec<Value> {
    let reply = app
        .get(
            "/api/v1/employees?include_inactive=true&limit=100",
            Some(&app.admin_token()),
        )
        .await;
    reply.body["items"].as_array().cloned().unwrap_or_default()
}

async fn imports_then_reimports_idempotently(app: TestApp) {
    let first = app.import_csv(FILE, false).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        (first.body["created"].as_u64(), first.body["updated"].as_u64()),
        (Some(3), Some(0))
    );
    let people = employees(&app).await;
    let bea = people
        .iter()
        .find(|p| p["email"] == "bea@example.com")
        .cloned()
        .unwrap_or_default();
    let ann = people
        .iter()
        .find(|p| p["email"] == "ann@example.com")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        ann["manager_id"], bea["id"],
        "manager named before it appears in the file"
    );
    assert_eq!(ann["timezone"], "Europe/London");

    let again = app.import_csv(FILE, false).await;
    assert_eq!(again.body["unchanged"], 3, "{}", again.text);
    assert_eq!(again.body["created"], 0);

    let changed = "email,name,active\nANN@example.com,Ann Lee-Smith,true\ncal@example.com,Cal Diaz,false\n";
    let third = app.import_csv(changed, false).await;
    assert_eq!(
        (third.body["updated"].as_u64(), third.body["deactivated"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        third.text
    );
    let people = employees(&app).await;
    let ann = people
        .iter()
        .find(|p| p["email"] == "ann@example.com")
        .cloned()
        .unwrap_or_default();
    assert_eq!(ann["name"], "Ann Lee-Smith");
    assert_eq!(ann["manager_id"], bea["id"], "columns left out keep their values");
    assert_eq!(ann["department"], "Support");
}

async fn bad_lines_are_reported_and_good_lines_applied(app: TestApp) {
    let csv = "email,name,department,manager_email,timezone,active\n\
good@example.com,Good One,Support,,,\n\
not-an-email,Bad Email,Support,,,\n\
tz@example.com,Bad Tz,Support,,Mars/Base,\n\
orphan@example.com,Orphan,Support,ghost@example.com,,\n\
good@example.com,Duplicate,Support,,,\n\
active@example.com,Bad Active,Support,,,sometimes\n\
under@example.com,Under Bad,Support,tz@example.com,,\n\
loop1@example.com,Loop 1,Support,loop2@example.com,,\n\
loop2@example.com,Loop 2,Support,loop1@example.com,,\n\
\"quoted@example.com\",\"Quoted, Name\",Support,good@example.com,,\n";
    let reply = app.import_csv(csv, false).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(lines(&reply.body), vec![3, 4, 5, 6, 7, 8, 9, 10], "{}", reply.text);
    assert_eq!(reply.body["created"], 2);
    let emails: Vec<String> = employees(&app)
        .await
        .iter()
        .filter_map(|p| p["email"].as_str().map(String::from))
        .collect();
    assert_eq!(emails, vec!["good@example.com", "quoted@example.com"]);
    let messages = reply.body["errors"].to_string();
    for fragment in ["email", "timezone", "ghost@example.com", "line 2", "active", "cycle"] {
        assert!(messages.contains(fragment), "{fragment} in {messages}");
    }
}

async fn dry_run_changes_nothing(app: TestApp) {
    let reply = app.import_csv(FILE, true).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["created"], 3);
    assert_eq!(reply.body["dry_run"], true);
    assert!(employees(&app).await.is_empty());
}

async fn cycles_against_the_stored_directory(app: TestApp) {
    app.import_csv(FILE, false).await;
    // bea would report to ann, who reports to bea.
    let reply = app
        .import_csv(
            "email,name,manager_email\nbea@example.com,Bea Boss,ann@example.com\n",
            false,
        )
        .await;
    assert_eq!(lines(&reply.body), vec![2], "{}", reply.text);
    let people = employees(&app).await;
    let bea = people
        .iter()
        .find(|p| p["email"] == "bea@example.com")
        .cloned()
        .unwrap_or_default();
    assert!(bea["manager_id"].is_null(), "the bad line changed nothing");
}

async fn bad_files(app: TestApp) {
    let cases = [
        ("unknown column", "email,name,salary\n", 422, "invalid_csv"),
        ("missing name column", "email,department\n", 422, "invalid_csv"),
        ("empty file", "", 422, "invalid_csv"),
    ];
    for (why, body, status, code) in cases {
        app.import_csv(body, false).await.assert_problem(status, code, why);
    }
    let token = app.admin_token();
    app.post_raw("/api/v1/employees/import", &token, "application/json", "{}")
        .await
        .assert_problem(415, "unsupported_media_type", "json body");
    app.post_raw("/api/v1/employees/import", &token, "text/csv", vec![0xff, 0xfe, 0x00])
        .await
        .assert_problem(422, "invalid_csv", "not utf-8");
    app.post_raw("/api/v1/employees/import?dry_run=perhaps", &token, "text/csv", FILE)
        .await
        .assert_problem(400, "invalid_parameter", "bad dry_run");
    app.create_employee("emp@example.com", "Emp", "X", None).await;
    let employee = app.token("emp@example.com");
    app.post_raw("/api/v1/employees/import", &employee, "text/csv", FILE)
        .await
        .assert_problem(403, "forbidden", "not admin");
}

/// The sample file the README points newcomers to imports cleanly: a dry run reports every
/// line, the import creates everyone, and managers and the inactive line are as written.
async fn the_example_file_imports_cleanly(app: TestApp) {
    let file = include_str!("../../examples/people.csv");
    let people = file.lines().count() as u64 - 1;
    let dry = app.import_csv(file, true).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!((dry.body["created"].as_u64(), lines(&dry.body)), (Some(people), vec![]));
    assert!(employees(&app)
        .await
        .iter()
        .all(|p| p["email"] != "maya.patel@example.com"));
    let done = app.import_csv(file, false).await;
    assert_eq!(
        (done.body["created"].as_u64(), lines(&done.body)),
        (Some(people), vec![]),
        "{}",
        done.text
    );
    let all = employees(&app).await;
    let by = |email: &str| all.iter().find(|p| p["email"] == email).cloned().unwrap_or_default();
    assert_eq!(by("ines.garcia@example.com")["name"], "Inés García");
    assert_eq!(
        by("ines.garcia@example.com")["manager_id"],
        by("leo.martin@example.com")["id"]
    );
    assert_eq!(by("old.timer@example.com")["active"], false);
}

crate::on_both_backends!(
    the_example_file_imports_cleanly,
    imports_then_reimports_idempotently,
    bad_lines_are_reported_and_good_lines_applied,
    dry_run_changes_nothing,
    cycles_against_the_stored_directory,
    bad_files,
);
