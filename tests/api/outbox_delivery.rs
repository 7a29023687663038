//! Delivery through the outbox: retries with backoff while the SMTP server is down or says
//! "try later", a final `failed` on a permanent refusal, and no email sent twice when
//! several instances' workers share one database.

use serde_json::Value;

use crate::helpers::{spawn_app_mailing_to, Backend, SmtpMode, SmtpSink, TestApp};

async fn ask_link(app: &TestApp, email: &str) {
    assert_eq!(crate::sign_in::ask(app, email).await.status, 202);
}

fn rows_to<'a>(outbox: &'a Value, who: &str) -> Vec<&'a Value> {
    outbox["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["to"].as_str().is_some_and(|t| t.starts_with(who)))
        .collect()
}

async fn retries_until_the_server_comes_back(backend: Backend) {
    let smtp = SmtpSink::reserved();
    let app = spawn_app_mailing_to(backend, &[], smtp.clone()).await;
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    ask_link(&app, "ada@example.com").await;
    // Connection refused: queued again with the error, attempt after attempt.
    let outbox = app
        .wait_until(10, "/api/v1/admin/outbox", "two failed attempts", |b| {
            rows_to(b, "ada@")
                .first()
                .is_some_and(|r| r["attempts"].as_i64() >= Some(2) && r["status"] == "queued")
        })
        .await;
    let row = rows_to(&outbox, "ada@")[0];
    assert!(row["last_error"].as_str().is_some_and(|e| !e.is_empty()), "{row}");

    smtp.listen().await;
    smtp.wait_for(15, "delivery once the server is up", |m| m.len() == 1)
        .await;
    app.wait_until(5, "/api/v1/admin/outbox?status=sent", "sent", |b| {
        rows_to(b, "ada@").len() == 1
    })
    .await;

    // "451 try again later" is temporary too.
    smtp.set_mode(SmtpMode::TempFail);
    app.create_employee("bob@example.com", "Bob Ray", "Sales", None).await;
    ask_link(&app, "bob@example.com").await;
    app.wait_until(10, "/api/v1/admin/outbox?status=queued", "a 451", |b| {
        rows_to(b, "bob@")
            .first()
            .is_some_and(|r| r["last_error"].as_str().is_some_and(|e| e.contains("451")))
    })
    .await;
    smtp.set_mode(SmtpMode::Accept);
    smtp.wait_for(15, "delivery after the 451s", |m| m.len() == 2).await;

    // "550" is permanent: failed at once, with the reason.
    smtp.set_mode(SmtpMode::PermFail);
    app.create_employee("cat@example.com", "Cat Ng", "Sales", None).await;
    ask_link(&app, "cat@example.com").await;
    let failed = app
        .wait_until(10, "/api/v1/admin/outbox?status=failed", "a failure", |b| {
            rows_to(b, "cat@").len() == 1
        })
        .await;
    let row = rows_to(&failed, "cat@")[0];
    assert_eq!(row["attempts"], 1);
    assert!(row["last_error"].as_str().unwrap_or("").contains("550"), "{row}");
    app.get("/api/v1/admin/outbox?status=lost", Some(&app.admin_token()))
        .await
        .assert_problem(400, "invalid_parameter", "unknown status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_retries_until_the_server_comes_back() {
    retries_until_the_server_comes_back(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_retries_until_the_server_comes_back() {
    retries_until_the_server_comes_back(Backend::Postgres).await
}

/// Three workers (three instances) on one database send each of 30 emails exactly once.
async fn several_workers_never_send_twice(app: TestApp) {
    app.another_instance().await;
    app.another_instance().await;
    let n = 30;
    for i in 0..n {
        let email = format!("p{i}@example.com");
        app.create_employee(&email, &format!("Person {i}"), "Support", None)
            .await;
        ask_link(&app, &email).await;
    }
    app.smtp.wait_for(20, "every email", |m| m.len() >= n).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let mails = app.smtp.messages();
    assert_eq!(mails.len(), n, "no email twice");
    let mut ids: Vec<String> = mails.iter().filter_map(|m| m.header("Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "every email its own Message-ID");
}

crate::on_both_backends!(several_workers_never_send_twice);
