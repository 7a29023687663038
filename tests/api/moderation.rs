//! Moderation (hide, restore), the audit log and the postcards export.

use serde_json::json;

use crate::helpers::TestApp;
use crate::org::{card, ids, org};

async fn hide_and_restore_are_audited(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    let sent = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    let id = sent.body["id"].as_str().unwrap().to_string();
    let hide = format!("/api/v1/postcards/{id}/hide");

    app.post(&hide, &o.dan.token, &json!({"reason": "x"}))
        .await
        .assert_problem(403, "forbidden", "an employee moderating");
    let no_reason = app.post(&hide, &admin, &json!({"reason": "  "})).await;
    no_reason.assert_problem(422, "validation_failed", "blank reason");
    assert_eq!(no_reason.field_errors(), ["reason"]);
    app.post(&hide, &admin, &json!({}))
        .await
        .assert_problem(422, "validation_failed", "missing reason");
    app.post("/api/v1/postcards/nope/hide", &admin, &json!({"reason": "spam"}))
        .await
        .assert_problem(404, "not_found", "unknown postcard");

    let hidden = app
        .post(
            &hide,
            &admin,
            &json!({"reason": "Names a customer who asked not to be named"}),
        )
        .await;
    assert_eq!(hidden.status, 200, "{}", hidden.text);
    assert_eq!(hidden.body["hidden"], true);
    for (who, token) in [
        ("sender", &o.bob.token),
        ("recipient", &o.ann.token),
        ("stranger", &o.dan.token),
    ] {
        app.get(&format!("/api/v1/postcards/{id}"), Some(token))
            .await
            .assert_problem(404, "not_found", who);
        assert!(
            ids(&app.get("/api/v1/postcards", Some(token)).await.body).is_empty(),
            "{who}'s feed"
        );
    }
    app.post(
        &format!("/api/v1/postcards/{id}/endorsements"),
        &o.dan.token,
        &json!({}),
    )
    .await
    .assert_problem(404, "not_found", "endorsing a hidden postcard");
    assert!(ids(&app.get("/api/v1/postcards", Some(&admin)).await.body).is_empty());
    let with_hidden = app.get("/api/v1/postcards?include_hidden=true", Some(&admin)).await;
    assert_eq!(ids(&with_hidden.body), vec![id.clone()]);
    assert_eq!(with_hidden.body["items"][0]["hidden"], true);
    assert_eq!(
        app.post(&hide, &admin, &json!({"reason": "again"})).await.status,
        200,
        "hiding twice is harmless"
    );

    let restore = format!("/api/v1/postcards/{id}/restore");
    let restored = app
        .client
        .post(app.url(&restore))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(restored.status(), 200, "restore needs no body");
    assert_eq!(
        app.get(&format!("/api/v1/postcards/{id}"), Some(&o.dan.token))
            .await
            .status,
        200
    );
    app.post(&restore, &admin, &json!({"reason": 7})).await.assert_problem(
        422,
        "validation_failed",
        "a reason that is not text",
    );

    let audit = app.get("/api/v1/admin/audit?target_type=postcard", Some(&admin)).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let entries = audit.body["items"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["postcard.restore", "postcard.hide"],
        "newest first, one entry per change"
    );
    assert_eq!(entries[1]["reason"], "Names a customer who asked not to be named");
    assert_eq!(entries[1]["actor"], "root@example.com");
    assert_eq!(entries[1]["target_id"], id.as_str());

    let everything = app.get("/api/v1/admin/audit?limit=2", Some(&admin)).await;
    assert_eq!(everything.body["items"].as_array().unwrap().len(), 2);
    let cursor = everything.body["next_cursor"]
        .as_str()
        .expect("more entries: employees were created");
    let next = app
        .get(&format!("/api/v1/admin/audit?limit=2&cursor={cursor}"), Some(&admin))
        .await;
    assert_eq!(next.body["items"][0]["action"], "employee.create");
    app.get("/api/v1/admin/audit", Some(&o.dan.token)).await.assert_problem(
        403,
        "forbidden",
        "an employee reading the audit log",
    );
    app.get("/api/v1/admin/audit?cursor=zz", Some(&admin))
        .await
        .assert_problem(400, "invalid_parameter", "bad cursor");
}

async fn export_is_csv_for_admins(app: TestApp) {
    let o = org(&app).await;
    let admin = app.admin_token();
    let mut body = card(&[&o.ann.id, &o.cat.id]);
    body["message"] = json!("=HYPERLINK(\"http://evil\")\nsecond line, with a comma");
    body["customer"] = json!({"name": "Acme", "quote": "Great"});
    app.send_postcard(&o.bob.token, &body).await;
    app.send_postcard(&o.dan.token, &card(&[&o.bob.id])).await;

    let res = app
        .client
        .get(app.url("/api/v1/admin/export/postcards.csv"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["id", "created_at", "sender_email"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    let first = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&first[col("sender_email")], "bob@example.com");
    assert_eq!(&first[col("recipient_emails")], "ann@example.com; cat@example.com");
    assert_eq!(&first[col("customer_quote")], "Great");
    assert!(first[col("message")].starts_with("'=HYPERLINK"), "formulas are defused");
    assert!(first[col("message")].ends_with("second line, with a comma"));

    let future = app
        .get("/api/v1/admin/export/postcards.csv?since=2999-01-01", Some(&admin))
        .await;
    assert_eq!(future.text.lines().count(), 1, "only the header");
    app.get("/api/v1/admin/export/postcards.csv?since=soon", Some(&admin))
        .await
        .assert_problem(400, "invalid_parameter", "bad since");
    app.get("/api/v1/admin/export/postcards.csv", Some(&o.bob.token))
        .await
        .assert_problem(403, "forbidden", "an employee exporting");
    let audit = app
        .get("/api/v1/admin/audit?action=postcards.export", Some(&admin))
        .await;
    assert_eq!(
        audit.body["items"].as_array().unwrap().len(),
        2,
        "each export is audited"
    );
}

crate::on_both_backends!(hide_and_restore_are_audited, export_is_csv_for_admins);
