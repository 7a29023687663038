//! In headless Chromium: an admin's journey through the console (signing in and importing
//! with the keyboard only, a CSV with a bad line, moderating, minting a widget token and
//! seeing it live, sending a week's digests), every page at 360 px without sideways
//! scrolling, and axe-core on every page and widget, light and dark, at 360 and 1280 px.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::webdriver::Browser;

const TAB_LIMIT: u32 = 40;

fn shot(app: &TestApp, name: &str) -> String {
    let backend = if app.backend == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    };
    format!("{backend}-{name}")
}

struct Org {
    grace: Value,
    postcard: String,
    hidden_one: String,
}

/// Grace (an admin in the directory), Ada and her report Bob, Cy; two postcards to Bob.
async fn org(app: &TestApp) -> Org {
    let grace = app
        .post(
            "/api/v1/employees",
            &app.admin_token(),
            &json!({"email": "grace@example.com", "name": "Grace Hopper", "department": "Customer Experience", "role": "admin"}),
        )
        .await;
    assert_eq!(grace.status, 201, "{}", grace.text);
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Support", ada["id"].as_str())
        .await;
    // Grace manages Cy, so her own pages include a team's digest.
    app.create_employee("cy@example.com", "Cy Young", "Sales", grace.body["id"].as_str())
        .await;
    let kept = app
        .send_postcard(
            &app.token("ada@example.com"),
            &json!({"recipients": [bob["id"]], "behaviour": "above-and-beyond", "message": "Stayed late so Acme's payroll ran on time",
                    "customer": {"name": "Acme Ltd", "quote": "Best support we ever had"}}),
        )
        .await;
    assert_eq!(kept.status, 201, "{}", kept.text);
    let hidden = app
        .send_postcard(
            &app.token("cy@example.com"),
            &json!({"recipients": [bob["id"]], "behaviour": "small-win", "message": "Gave the customer's card number 4111 to the team"}),
        )
        .await;
    Org {
        grace: grace.body,
        postcard: kept.body["id"].as_str().unwrap().to_string(),
        hidden_one: hidden.body["id"].as_str().unwrap().to_string(),
    }
}

async fn fits_the_width(b: &Browser) -> bool {
    b.js(
        "return document.documentElement.scrollWidth <= window.innerWidth;",
        json!([]),
    )
    .await
        == json!(true)
}

async fn admin_journey(app: TestApp) {
    let o = org(&app).await;
    let b = Browser::start(1280).await;

    // Signed out, the console sends you to sign in, and back. Keyboard only.
    b.goto(&app.url("/admin")).await;
    b.wait_for("#email", 15).await;
    b.tab_to("details summary", TAB_LIMIT).await;
    b.keys("\u{E007}").await;
    b.tab_to("#access-token", TAB_LIMIT).await;
    b.keys(&app.token("grace@example.com")).await;
    b.tab_to("details button[type=submit]", TAB_LIMIT).await;
    b.keys("\u{E007}").await;
    b.wait_for_text("h1", "Admin console", 15).await;
    assert!(b.current_url().await.ends_with("/admin"), "back where she was going");
    b.screenshot(&shot(&app, "admin-overview")).await;

    // Import a CSV with a bad line: previewed first, the line marked; applied with the keyboard.
    b.goto(&app.url("/admin/directory")).await;
    b.type_into(
        "#csv",
        "email,name,department,manager_email,timezone,active\n\
         maya@example.com,Maya Patel,Support,ada@example.com,Europe/London,true\n\
         oops-no-at-sign,Broken Line,Support,,,true\n\
         leo@example.com,Leo Martin,Sales,,,true\n",
    )
    .await;
    b.tab_to("#preview-import", TAB_LIMIT).await;
    b.keys("\u{E007}").await;
    let marked = b.wait_for_text("tr.bad-line", "3", 15).await;
    assert!(marked.contains("Problem"), "{marked}");
    assert!(b.text("#preview-h").await.contains("nothing is changed yet"));
    b.screenshot(&shot(&app, "admin-import-preview")).await;
    b.tab_to("#apply-import", TAB_LIMIT).await;
    b.keys("\u{E007}").await;
    b.wait_for_text(".notice", "Imported: 2 new", 15).await;
    assert!(b.text("table.data").await.contains("Maya Patel"));
    b.screenshot(&shot(&app, "admin-directory")).await;

    // Moderate: hiding asks for a reason; the postcard leaves the feeds.
    b.goto(&app.url("/admin/moderation")).await;
    let reason = format!("#hide-{}", o.hidden_one);
    b.type_into(&reason, "Shares a customer's card number").await;
    b.click(&format!("#p-{} button.danger", o.hidden_one)).await;
    b.wait_for_text(".notice", "Hidden", 15).await;
    let feed = app.get("/api/v1/postcards", Some(&app.token("bob@example.com"))).await;
    let ids: Vec<&str> = feed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [o.postcard.as_str()], "only the kept postcard is on the feed");
    assert!(b
        .text("#audit ~ .table-wrap")
        .await
        .contains("Shares a customer's card number"));
    b.screenshot(&shot(&app, "admin-moderation")).await;

    // Mint a widget token: shown once, the embed code uses it, the preview is live.
    b.goto(&app.url("/admin/widgets")).await;
    b.type_into("#token-name", "Lobby screen").await;
    b.click("#mint-token").await;
    let token = b.wait_for("#minted-token", 15).await;
    let _ = token;
    let minted = b
        .js("return document.getElementById('minted-token').value;", json!([]))
        .await;
    let minted = minted.as_str().unwrap().to_string();
    assert!(b
        .js("return document.getElementById('embed-code').value;", json!([]))
        .await
        .as_str()
        .unwrap()
        .contains(&minted));
    b.select("#embed-theme", "dark").await;
    b.wait_until(15, "the snippet to follow the options", || async {
        b.js("return document.getElementById('embed-code').value;", json!([]))
            .await
            .as_str()
            .is_some_and(|c| c.contains("theme=dark"))
    })
    .await;
    b.frame(Some(0)).await;
    b.wait_for_text(".board", "Bob Builder", 15).await;
    b.frame(None).await;
    b.screenshot(&shot(&app, "admin-widgets")).await;

    // Digests: a manager's week in a sandboxed frame, then the week sent.
    b.goto(&app.url("/admin/digests")).await;
    b.wait_for("iframe.email-frame", 15).await;
    b.accept_confirms().await;
    b.click("#run-digests").await;
    b.wait_for_text(".notice", "Week ", 15).await;
    b.screenshot(&shot(&app, "admin-digests")).await;

    for (path, name) in [
        ("/admin/outbox", "outbox"),
        ("/admin/integrations", "integrations"),
        ("/admin/stats?period=all", "stats"),
        ("/admin/behaviours", "behaviours"),
    ] {
        b.goto(&app.url(path)).await;
        b.wait_for("h1", 15).await;
        b.screenshot(&shot(&app, &format!("admin-{name}"))).await;
    }

    // A phone: every console page fits without sideways scrolling.
    b.resize(360, 780).await;
    let grace_page = format!("/admin/directory/{}", o.grace["id"].as_str().unwrap());
    for path in [
        "/admin",
        "/admin/moderation",
        "/admin/directory",
        grace_page.as_str(),
        "/admin/behaviours",
        "/admin/widgets",
        "/admin/digests",
        "/admin/outbox",
        "/admin/integrations",
        "/admin/stats",
    ] {
        b.goto(&app.url(path)).await;
        b.wait_for("h1", 15).await;
        if !fits_the_width(&b).await {
            let shot = b.screenshot(&shot(&app, "too-wide")).await;
            let wide = b
                .js(
                    "return Array.from(document.querySelectorAll('body *')).filter(function (e) { \
                       return e.getBoundingClientRect().right > window.innerWidth + 1; }) \
                       .slice(0, 5).map(function (e) { return e.tagName + '.' + e.className + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right); });",
                    json!([]),
                )
                .await;
            panic!("{path} scrolls sideways at 360 px: {wide} (screenshot {shot})");
        }
    }
    b.goto(&app.url("/admin/moderation")).await;
    b.screenshot(&shot(&app, "admin-moderation-phone")).await;
}

/// A page to scan, and what shows it is ready.
struct Stop {
    path: String,
    ready: &'static str,
}

fn stop(path: impl Into<String>, ready: &'static str) -> Stop {
    Stop {
        path: path.into(),
        ready,
    }
}

async fn scan(b: &Browser, app: &TestApp, stops: &[Stop], width: u32, scheme: &str, found: &mut Vec<String>) {
    for s in stops {
        b.goto(&app.url(&s.path)).await;
        b.wait_for(s.ready, 15).await;
        // Judged as people read it: after the send animation has played.
        b.wait_until(5, "animations to finish", || async {
            b.js(
                "return document.getAnimations().every(function (a) { return a.playState !== 'running'; });",
                json!([]),
            )
            .await
                == json!(true)
        })
        .await;
        for v in crate::axe::violations(b).await {
            found.push(format!("{} ({width} px, {scheme}): {v}", s.path));
        }
        if !fits_the_width(b).await {
            found.push(format!("{} ({width} px, {scheme}): scrolls sideways", s.path));
        }
        let name = format!(
            "{}-{width}-{scheme}",
            s.path.trim_start_matches('/').replace(['/', '?', '=', '&', '#'], "_")
        );
        b.screenshot(&shot(app, &format!("axe-{name}"))).await;
    }
}

/// Signs in with a pasted token, landing on the app.
async fn sign_in(b: &Browser, app: &TestApp, email: &str) {
    b.goto(&app.url("/sign-in")).await;
    b.click("details summary").await;
    b.type_into("#access-token", &app.token(email)).await;
    b.click("details button[type=submit]").await;
    b.wait_for("#who-name", 15).await;
}

async fn every_page_passes_axe(app: TestApp) {
    let o = org(&app).await;
    let (widget_token, _) = crate::widgets::mint(&app).await;
    let reported = app
        .post(
            &format!("/api/v1/postcards/{}/report", o.postcard),
            &app.token("cy@example.com"),
            &json!({"reason": "Names the customer's account manager"}),
        )
        .await;
    assert_eq!(reported.status, 202, "{}", reported.text);
    let b = Browser::start(1280).await;
    let signed_out = [
        stop("/sign-in", "#email"),
        stop("/sign-in?magic_token=cm_unknown", ".error"),
        stop("/no/such/page", "h1"),
    ];
    let widgets = [
        stop(format!("/widgets/leaderboard?token={widget_token}"), ".board"),
        stop(
            format!("/widgets/leaderboard?token={widget_token}&theme=dark"),
            ".board",
        ),
        stop(format!("/widgets/wall?token={widget_token}"), ".wall"),
        stop(format!("/widgets/wall?token={widget_token}&theme=dark"), ".wall"),
        stop("/widgets/leaderboard", "body"),
    ];
    let outbox = app.get("/api/v1/admin/outbox", Some(&app.admin_token())).await;
    let email = outbox.body["items"][0]["id"].as_str().expect("an email").to_string();
    // A webhook (switched off, so nothing is sent), for the integrations page and its log.
    let hook = app
        .post(
            "/api/v1/admin/webhooks",
            &app.admin_token(),
            &serde_json::json!({"url": "http://127.0.0.1:9/hook", "events": ["postcard.created"], "active": false, "description": "CRM"}),
        )
        .await;
    let hook = hook.body["id"].as_str().expect("a webhook").to_string();
    let console = [
        stop("/admin", "h1"),
        stop("/admin/integrations", "#add-webhook"),
        stop(format!("/admin/integrations/webhooks/{hook}"), "h1"),
        stop("/admin/moderation", ".mod-item"),
        stop("/admin/moderation?show=hidden", "h1"),
        stop("/admin/moderation?show=reported", ".reports"),
        stop("/admin/directory", "table.data"),
        stop(format!("/admin/directory/{}", o.grace["id"].as_str().unwrap()), "#name"),
        stop("/admin/behaviours", ".behaviour-item"),
        stop("/admin/widgets", "#embed-code"),
        stop("/admin/digests", "iframe.email-frame"),
        stop("/admin/outbox", "table.data"),
        stop(format!("/admin/outbox/{email}"), ".facts"),
        stop("/admin/stats?period=all", ".figures"),
    ];
    let person = app.get("/api/v1/employees?query=bob", Some(&app.admin_token())).await;
    let bob = person.body["items"][0]["id"].as_str().unwrap().to_string();
    let app_pages = [
        stop("/", ".pc"),
        stop("/?for=me", "h1"),
        stop("/send", "#recipients"),
        stop(format!("/send?to={bob}"), "#chips li"),
        stop("/leaderboard", ".podium"),
        stop("/leaderboard?view=departments", ".places"),
        stop(
            "/leaderboard?period=custom&from=2026-01-01&to=2025-01-01",
            "#board-error",
        ),
        stop("/me/postcards", "h1"),
        stop("/me/postcards?sent=1", "h1"),
        stop("/team", "iframe.digest"),
        stop("/settings", "#pref-show_on_leaderboard"),
        stop(format!("/postcards/{}", o.postcard), ".pc"),
        stop(format!("/postcards/{}?sent=1", o.postcard), ".sent-banner"),
        stop(format!("/people/{bob}"), ".tally"),
    ];
    let mut found = Vec::new();
    for (width, scheme) in [(1280, "light"), (1280, "dark"), (360, "light"), (360, "dark")] {
        b.resize(width, 900).await;
        b.color_scheme(scheme).await;
        scan(&b, &app, &signed_out, width, scheme, &mut found).await;
        scan(&b, &app, &widgets, width, scheme, &mut found).await;
        sign_in(&b, &app, "grace@example.com").await;
        scan(&b, &app, &console, width, scheme, &mut found).await;
        scan(&b, &app, &app_pages, width, scheme, &mut found).await;
        b.click("#sign-out").await;
        b.wait_for_text(".notice", "You have signed out", 15).await;
    }
    // The 403 page, as someone who is not an admin.
    sign_in(&b, &app, "ada@example.com").await;
    scan(&b, &app, &[stop("/admin", "h1")], 360, "dark", &mut found).await;
    assert!(b.text("h1").await.contains("Admins only"));
    assert!(found.is_empty(), "{} problems:\n{}", found.len(), found.join("\n"));
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn admin_journey() {
        super::admin_journey(crate::helpers::spawn_app(Backend::Sqlite).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_page_passes_axe() {
        super::every_page_passes_axe(crate::helpers::spawn_app(Backend::Sqlite).await).await
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn admin_journey() {
        super::admin_journey(crate::helpers::spawn_app(Backend::Postgres).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_page_passes_axe() {
        super::every_page_passes_axe(crate::helpers::spawn_app(Backend::Postgres).await).await
    }
}
