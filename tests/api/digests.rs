//! Weekly digests: the right stories to the right manager, once per week however often and
//! on however many instances it runs, previews, unsubscribing, and when a digest falls due.

use chrono::NaiveDateTime;
use serde_json::json;

use champion::domain::clock::now;
use champion::domain::period::Span;
use champion::services::digests::{self, DigestConfig};
use champion::services::postcards::{Rules, SendInput};
use champion::services::send_batch;
use champion::store::employees;

use crate::helpers::{Received, TestApp};
use crate::org::org;

/// Sends a postcard dated `at` (the API only sends now).
fn send_at(app: &TestApp, from: &str, to: &[&str], message: &str, at: NaiveDateTime) {
    let pool = app.pool();
    let mut conn = pool.get().expect("conn");
    let sender = employees::find_by_email(&mut conn, from)
        .expect("read")
        .expect("sender");
    let input = SendInput {
        recipients: to.iter().map(|s| s.to_string()).collect(),
        behaviour: "customer-obsessed".into(),
        message: message.into(),
        customer: Some(("Acme".into(), Some("You saved our month".into()))),
        visibility: champion::domain::postcard::Visibility::Private,
    };
    send_batch::send(&mut conn, &sender, input, &Rules::from_settings(&app.settings), at).expect("sent");
}

fn digests_to<'a>(mails: &'a [Received], who: &str, week: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains(who)))
        .filter(|m| m.header("Subject").is_some_and(|s| s.contains(week)))
        .collect()
}

fn weeks_ago(cfg: &DigestConfig, n: i64) -> (String, Span) {
    cfg.calendar.previous_week(now() - chrono::Duration::weeks(n))
}

async fn digest_tells_the_manager_about_the_team(app: TestApp) {
    let o = org(&app).await;
    let eve = app
        .create_employee("eve@example.com", "Eve Quiet", "Support", Some(&o.bea.id))
        .await;
    let cfg = DigestConfig::from_settings(&app.settings);
    let (week, span) = weeks_ago(&cfg, 0);
    send_at(
        &app,
        "bob@example.com",
        &[&o.ann.id],
        "Fixed Acme's invoices <script>alert(1)</script>",
        span.start + chrono::Duration::hours(30),
    );
    // Outside the week: not in this digest.
    send_at(
        &app,
        "cat@example.com",
        &[&o.ann.id],
        "Too early to count",
        span.start - chrono::Duration::hours(2),
    );

    let admin = app.admin_token();
    let run = app
        .post("/api/v1/admin/digests/run", &admin, &json!({ "week": week }))
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(
        run.body,
        json!({"week": week, "queued": 1, "empty": 0, "already_done": 0})
    );

    let mails = app
        .smtp
        .wait_for(10, "Bea's digest", |m| !digests_to(m, "bea@", &week).is_empty())
        .await;
    let digest = digests_to(&mails, "bea@", &week)[0].clone();
    let body = digest.decoded();
    assert!(body.contains("Ann Lee"), "{body}");
    assert!(body.contains("Fixed Acme's invoices"), "the story");
    assert!(!body.contains("Too early to count"), "only the week's postcards");
    assert!(body.contains("&#60;script&#62;"), "escaped in HTML");
    assert!(!body.contains("<script>alert(1)</script></p>"), "never markup");
    assert!(
        body.contains("Not recognised for 4 weeks") && body.contains("Eve Quiet"),
        "quiet members"
    );
    assert!(body.contains("Support ranked 1st of"), "the team's rank: {body}");
    assert!(digest
        .header("Message-ID")
        .is_some_and(|id| id.ends_with("@localhost>")));
    assert!(
        digest.from.contains("champion@localhost"),
        "envelope sender: {}",
        digest.from
    );
    let unsubscribe = digest.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        digest.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(eve["id"].is_string());

    // Never twice.
    let again = app
        .post("/api/v1/admin/digests/run", &admin, &json!({ "week": week }))
        .await;
    assert_eq!(
        again.body,
        json!({"week": week, "queued": 0, "empty": 0, "already_done": 1})
    );

    // One click (RFC 8058) turns the digest off; a forged link is refused.
    let url = unsubscribe
        .trim_matches(|c| c == '<' || c == '>')
        .replace("http://localhost:8080", &app.address);
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("unsubscribe");
    assert_eq!(res.status(), 200);
    let prefs = app.get("/api/v1/me/preferences", Some(&o.bea.token)).await;
    assert_eq!(prefs.body["weekly_digest"], false);
    let (older, _) = weeks_ago(&cfg, 1);
    let after = app
        .post("/api/v1/admin/digests/run", &admin, &json!({ "week": older }))
        .await;
    assert_eq!(after.body["queued"], 0, "unsubscribed: {}", after.text);
    let forged = url.replace(&o.bea.id, &o.ann.id);
    app.get(&forged.replace(&app.address, ""), None).await.assert_problem(
        400,
        "invalid_unsubscribe_token",
        "forged link",
    );
}

async fn digests_happen_once_with_instances_racing(app: TestApp) {
    let o = org(&app).await;
    let cfg = DigestConfig::from_settings(&app.settings);
    let (week, span) = weeks_ago(&cfg, 2);
    send_at(
        &app,
        "bob@example.com",
        &[&o.ann.id],
        "Calmed an angry customer",
        span.start + chrono::Duration::hours(50),
    );
    let second = app.another_instance().await;
    let third = app.another_instance().await;
    let admin = app.admin_token();
    let runs = [app.address.clone(), second, third].map(|base| {
        let client = app.client.clone();
        let (admin, week) = (admin.clone(), week.clone());
        tokio::spawn(async move {
            let res = client
                .post(format!("{base}/api/v1/admin/digests/run"))
                .bearer_auth(admin)
                .json(&json!({ "week": week }))
                .send()
                .await
                .expect("run");
            assert_eq!(res.status(), 200);
            res.json::<serde_json::Value>().await.expect("json")
        })
    });
    let mut queued = 0;
    let mut already = 0;
    for run in runs {
        let body = run.await.expect("task");
        queued += body["queued"].as_i64().unwrap_or(0);
        already += body["already_done"].as_i64().unwrap_or(0);
    }
    assert_eq!((queued, already), (1, 2), "one digest for Bea's week");
    app.smtp
        .wait_for(10, "the digest", |m| !digests_to(m, "bea@", &week).is_empty())
        .await;
    // Three outbox workers are running: give them time to (wrongly) send it again.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(digests_to(&app.smtp.messages(), "bea@", &week).len(), 1);
}

async fn previews_for_the_manager_and_admins(app: TestApp) {
    let o = org(&app).await;
    let cfg = DigestConfig::from_settings(&app.settings);
    let (week, span) = weeks_ago(&cfg, 0);
    send_at(
        &app,
        "bob@example.com",
        &[&o.ann.id],
        "Answered on a Sunday <b>fast</b>",
        span.start + chrono::Duration::hours(3),
    );
    let path = format!("/api/v1/digests/preview?week={week}");
    let own = app.get(&path, Some(&o.bea.token)).await;
    assert_eq!(own.status, 200, "{}", own.text);
    assert!(own.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(own.text.contains("Answered on a Sunday &#60;b&#62;fast&#60;/b&#62;"));
    let text = app.get(&format!("{path}&format=text"), Some(&o.bea.token)).await;
    assert!(text.text.contains("Answered on a Sunday <b>fast</b>"));
    let by_admin = app
        .get(&format!("{path}&manager_id={}", o.bea.id), Some(&app.admin_token()))
        .await;
    assert_eq!(by_admin.status, 200);
    let latest = app.get("/api/v1/digests/preview", Some(&o.bea.token)).await;
    assert_eq!(latest.status, 200, "the last finished week by default");

    app.get(&format!("{path}&manager_id={}", o.bea.id), Some(&o.ann.token))
        .await
        .assert_problem(404, "not_found", "someone else's digest");
    app.get(&path, Some(&o.ann.token))
        .await
        .assert_problem(404, "not_found", "not a manager");
    app.get("/api/v1/digests/preview?week=2026-W99", Some(&o.bea.token))
        .await
        .assert_problem(422, "validation_failed", "no such week");
    let (this_week, _) = cfg.calendar.week_of(now());
    app.get(&format!("/api/v1/digests/preview?week={this_week}"), Some(&o.bea.token))
        .await
        .assert_problem(422, "week_not_over", "unfinished week");
    app.get(&format!("{path}&format=pdf"), Some(&o.bea.token))
        .await
        .assert_problem(400, "invalid_parameter", "unknown format");
    app.post("/api/v1/admin/digests/run", &o.bea.token, &json!({}))
        .await
        .assert_problem(403, "forbidden", "admins run digests");
    app.post(
        "/api/v1/admin/digests/run",
        &app.admin_token(),
        &json!({"week": "last"}),
    )
    .await
    .assert_problem(422, "validation_failed", "bad week");
}

/// A digest falls due at 08:00 on Monday in the manager's own timezone and covers the org
/// week (UTC here) that had ended by then.
async fn digests_fall_due_in_each_managers_timezone(app: TestApp) {
    let o = org(&app).await;
    let tokyo = app
        .create_employee("kenji@example.com", "Kenji Sato", "Support", None)
        .await;
    let ny = app
        .create_employee("nora@example.com", "Nora York", "Sales", None)
        .await;
    for (who, tz) in [(&tokyo, "Asia/Tokyo"), (&ny, "America/New_York")] {
        let path = format!("/api/v1/employees/{}", who["id"].as_str().unwrap());
        let r = app.patch(&path, &app.admin_token(), &json!({"timezone": tz})).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    for (email, name, manager) in [("t1@example.com", "Taro", &tokyo), ("n1@example.com", "Ned", &ny)] {
        app.create_employee(email, name, "Support", manager["id"].as_str())
            .await;
    }
    joined_long_ago(&app);
    let cfg = DigestConfig::from_settings(&app.settings);
    let pool = app.pool();
    let mut conn = pool.get().expect("conn");
    let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    let weeks = |conn: &mut champion::store::DbConnection| {
        use champion::store::schema::digests::dsl;
        use diesel::prelude::*;
        let mut rows: Vec<(String, String)> = dsl::digests
            .select((dsl::manager_id, dsl::week))
            .load(conn)
            .expect("digests");
        rows.sort();
        rows
    };
    // Monday 2026-11-23 12:00 UTC: 08:00 has passed in Tokyo (Sunday 23:00 UTC, so W46),
    // in London (Bea, UTC: W47), but not yet in New York (13:00 UTC: W46 still).
    digests::queue_due(&mut conn, &cfg, at("2026-11-23 12:00")).expect("tick");
    let mut expected = vec![
        (o.bea.id.clone(), "2026-W47".to_string()),
        (tokyo["id"].as_str().unwrap().to_string(), "2026-W46".to_string()),
        (ny["id"].as_str().unwrap().to_string(), "2026-W46".to_string()),
    ];
    expected.sort();
    assert_eq!(weeks(&mut conn), expected);
    // 13:00 UTC is 08:00 in New York: its W47 digest is due; ticking again adds nothing else.
    digests::queue_due(&mut conn, &cfg, at("2026-11-23 13:00")).expect("tick");
    digests::queue_due(&mut conn, &cfg, at("2026-11-23 13:01")).expect("tick");
    expected.push((ny["id"].as_str().unwrap().to_string(), "2026-W47".to_string()));
    expected.sort();
    assert_eq!(weeks(&mut conn), expected);
    // Tokyo's W47 comes at its next Monday morning: Sunday 2026-11-29 23:00 UTC.
    digests::queue_due(&mut conn, &cfg, at("2026-11-29 22:59")).expect("tick");
    assert_eq!(weeks(&mut conn).len(), 4);
    digests::queue_due(&mut conn, &cfg, at("2026-11-29 23:00")).expect("tick");
    assert!(weeks(&mut conn).contains(&(tokyo["id"].as_str().unwrap().to_string(), "2026-W47".to_string())));
}

/// Everyone joined the directory long before the weeks these tests look at: the clock
/// queues no digest of a week that ended before its manager joined.
fn joined_long_ago(app: &TestApp) {
    let mut conn = app.pool().get().expect("conn");
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE employees SET created_at = '2020-01-01 00:00:00'"),
        &mut conn,
    )
    .expect("backdate");
}

/// The test org, the digest settings, and Bob's postcard to Ann (Bea's team) early in the
/// week whose digests are due now: that week's label and span.
async fn a_postcard_in_the_due_week(app: &TestApp) -> (crate::org::Org, DigestConfig, String, Span) {
    let o = org(app).await;
    let cfg = DigestConfig::from_settings(&app.settings);
    let (week, span) = cfg.calendar.due_week(now(), chrono_tz::UTC);
    send_at(
        app,
        "bob@example.com",
        &[&o.ann.id],
        "Rescued the Acme renewal",
        span.start + chrono::Duration::hours(1),
    );
    (o, cfg, week, span)
}

/// A first start (the demo's, or just after the first import) sends no digests of weeks that
/// ended before the managers joined; the next week's come as usual.
async fn a_first_start_sends_no_past_weeks(app: TestApp) {
    let (o, cfg, _, span) = a_postcard_in_the_due_week(&app).await;
    let mut conn = app.pool().get().expect("conn");
    assert_eq!(
        digests::queue_due(&mut conn, &cfg, now()).expect("tick"),
        0,
        "last week: nobody was here"
    );
    send_at(
        &app,
        "bob@example.com",
        &[&o.ann.id],
        "Kept the Acme launch on time",
        span.end + chrono::Duration::hours(1),
    );
    // A day into the week after this one: this week is due.
    let next_week = span.end + chrono::Duration::days(8);
    assert!(
        digests::queue_due(&mut conn, &cfg, next_week).expect("tick") > 0,
        "this week's, next week"
    );
    joined_long_ago(&app);
    assert!(
        digests::queue_due(&mut conn, &cfg, now()).expect("tick") > 0,
        "had they been here"
    );
}

/// The clock inside serve queues due digests by itself.
async fn the_clock_queues_due_digests(app: TestApp) {
    let (_, _, week, _) = a_postcard_in_the_due_week(&app).await;
    joined_long_ago(&app);
    app.another_instance_with(|s| s.digest.check_seconds = 1).await;
    app.smtp
        .wait_for(15, "the clock's digest", |m| !digests_to(m, "bea@", &week).is_empty())
        .await;
}

crate::on_both_backends!(
    digest_tells_the_manager_about_the_team,
    digests_happen_once_with_instances_racing,
    previews_for_the_manager_and_admins,
    digests_fall_due_in_each_managers_timezone,
    the_clock_queues_due_digests,
    a_first_start_sends_no_past_weeks
);
