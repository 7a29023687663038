//! End to end in headless Chromium: the web app (magic-link sign-in through the test SMTP
//! server, sending with colleague search, a validation error next to its field, the wall,
//! endorsing, the leaderboard, a manager's digest) and the widgets inside an intranet page
//! on another origin. Screenshots go to `$CARGO_TARGET_TMPDIR/screenshots/`.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::webdriver::Browser;

const STORY: &str = "<script>window.__pwned = 1</script><b>Stayed late</b> so Acme's payroll ran on time";

fn shot_name(app: &TestApp, name: &str) -> String {
    format!(
        "{}-{name}",
        if app.backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    )
}

struct People {
    ada: Value,
    bob: Value,
}

async fn org(app: &TestApp) -> People {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob Builder", "Support", ada["id"].as_str())
        .await;
    app.create_employee("cy@example.com", "Cy Young", "Sales", None).await;
    People { ada, bob }
}

/// The sign-in link from the newest email to `to`, pointed at the test server.
async fn sign_in_link(app: &TestApp, to: &str) -> String {
    let mails = app
        .smtp
        .wait_for(15, "the sign-in email", |m| {
            m.iter().any(|m| m.to.iter().any(|t| t.contains(to)))
        })
        .await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(to)))
        .unwrap();
    let token = crate::sign_in::magic_token(mail);
    assert!(
        mail.decoded().contains(&format!("/sign-in?magic_token={token}")),
        "the email links to the app's sign-in page"
    );
    app.url(&format!("/sign-in?magic_token={token}"))
}

async fn employee_journey(app: TestApp) {
    let people = org(&app).await;
    let b = Browser::start(1280).await;

    // Sign in by magic link: the app sends a signed-out visitor to the sign-in page, the
    // emailed link asks before it signs in, and the session is a cookie no script can read.
    b.goto(&app.url("/")).await;
    b.type_into("#email", "ada@example.com").await;
    b.click("form button[type=submit]").await;
    b.wait_for_text(".notice", "Check your inbox", 15).await;
    let link = sign_in_link(&app, "ada@").await;
    b.goto(&link).await;
    b.wait_for_text("#use-link", "Sign in as Ada Lovelace", 15).await;
    b.click("#use-link").await;
    b.wait_for_text("#who-name", "Ada Lovelace", 15).await;
    assert_eq!(
        b.js("return [document.cookie, window.localStorage.length];", json!([]))
            .await,
        json!(["", 0]),
        "the session is in an HttpOnly cookie, nothing in storage"
    );
    assert!(
        !b.current_url().await.contains("magic_token"),
        "the token leaves the address bar"
    );
    b.wait_for_text("main", "No postcards yet this week. Be the first", 15)
        .await;
    b.screenshot(&shot_name(&app, "app-empty-wall")).await;

    // Send: colleague search as you type, keyboard choice, a refused empty story said in words.
    b.click("nav a[href='/send']").await;
    b.wait_for_text("#allowance", "You can send 10 more this week", 15)
        .await;
    b.type_into("#recipients", "bob").await;
    b.wait_for_text("#colleague-options", "Bob Builder", 15).await;
    b.press_enter("#recipients").await;
    b.wait_for_text("#chips", "Bob Builder", 15).await;
    b.click("input[name=behaviour][value=above-and-beyond]").await;
    b.click("#send").await;
    let error = b.wait_for_text("#message-error", "Tell the story", 15).await;
    assert_eq!(error, "Tell the story: what did they do for the customer?");
    assert_eq!(b.attribute("#message", "aria-invalid").await.as_deref(), Some("true"));
    assert_eq!(
        b.attribute("#recipients", "aria-invalid").await,
        None,
        "only the bad field is marked"
    );
    assert_eq!(
        b.js("return document.activeElement && document.activeElement.id;", json!([]))
            .await,
        json!("message"),
        "the first bad field has the focus"
    );
    assert!(b.text("#chips").await.contains("Bob Builder"), "the choices are kept");
    b.screenshot(&shot_name(&app, "app-validation-error")).await;
    b.type_into("#message", STORY).await;
    assert_eq!(
        b.js(
            "var e = document.getElementById('message-error'); return !e || e.hidden;",
            json!([])
        )
        .await,
        json!(true),
        "the problem goes as the field is fixed"
    );
    b.type_into("#customer-name", "Acme Ltd").await;
    b.type_into("#customer-quote", "Best support we ever had").await;
    // The rest by keyboard: Tab to the send button (the focus visible on the way), Enter.
    b.tab_to("#send", 12).await;
    b.keys("\u{E007}").await;
    b.wait_for_text(".sent-banner", "Sent", 15).await;
    assert!(b.text(".sent-banner").await.contains("Bob Builder"));
    // The story is text: the tags show, nothing ran, no element was made from it.
    assert_eq!(b.text(".pc .story").await, STORY);
    let safe = b
        .js(
            "return window.__pwned === undefined && document.querySelector('.pc .story b') === null;",
            json!([]),
        )
        .await;
    assert_eq!(safe, json!(true), "a story never becomes markup");
    assert!(b.text(".pc-quote").await.contains("Best support we ever had"));
    b.screenshot(&shot_name(&app, "app-sent")).await;
    b.click("a[href='/send']").await;
    b.wait_for_text("#allowance", "You can send 9 more this week", 15).await;
    b.goto(&app.url("/")).await;
    b.wait_for(".pc", 15).await;
    b.screenshot(&shot_name(&app, "app-wall")).await;

    // The leaderboard: a podium, with a period switch.
    b.click("nav a[href='/leaderboard']").await;
    let podium = b.wait_for_text(".podium", "Bob Builder", 15).await;
    assert!(podium.contains("Gold") && podium.contains("3 pts"), "{podium}");
    b.select("#period", "all").await;
    b.click(".filters button[type=submit]").await;
    b.wait_for_text("main .help", "All time", 15).await;
    b.screenshot(&shot_name(&app, "app-leaderboard")).await;

    // A manager's digest, its links opening a new tab; and "my postcards".
    b.click("nav a[href='/team']").await;
    b.wait_for("iframe.digest", 15).await;
    b.frame(Some(0)).await;
    b.wait_for_text("body", "Ada", 15).await;
    assert_eq!(
        b.js(
            "var base = document.querySelector('base'); return base && base.target;",
            json!([])
        )
        .await,
        json!("_blank")
    );
    b.frame(None).await;
    b.screenshot(&shot_name(&app, "app-team-digest")).await;
    b.goto(&app.url("/me/postcards?sent=1")).await;
    b.wait_for_text(".feed", "Stayed late", 15).await;

    // Someone opens the postcard's page (as from an email) signed out, signs in with a
    // pasted token, lands on that page and endorses the postcard.
    b.click("#sign-out").await;
    b.wait_for_text(".notice", "You have signed out", 15).await;
    let sent = app
        .get(
            &format!("/api/v1/postcards?sender={}", people.ada["id"].as_str().unwrap()),
            Some(&app.token("ada@example.com")),
        )
        .await;
    let id = sent.body["items"][0]["id"].as_str().expect("the postcard").to_string();
    b.goto(&app.url(&format!("/postcards/{id}"))).await;
    b.wait_for("#email", 15).await;
    b.click("details summary").await;
    b.type_into("#access-token", &app.token("cy@example.com")).await;
    b.click("details button[type=submit]").await;
    b.wait_for_text("#who-name", "Cy Young", 15).await;
    assert!(b.current_url().await.ends_with(&format!("/postcards/{id}")));
    assert!(b.text(".pc .story").await.contains("Stayed late"));
    b.click(".pc .endorse").await;
    b.wait_until(15, "the endorsement", || async {
        b.attribute(".pc .endorse", "aria-pressed").await.as_deref() == Some("true")
    })
    .await;
    assert_eq!(b.text(".pc .endorse").await.trim(), "+1 · 1");
    b.screenshot(&shot_name(&app, "app-endorsed")).await;

    // The settings an unsubscribe page points at.
    b.click("nav a[href='/settings']").await;
    b.wait_for("#pref-show_on_leaderboard", 15).await;
    b.click("#pref-show_on_leaderboard").await;
    b.click("#save-settings").await;
    b.wait_for_text("#settings-status", "Saved", 15).await;
    let prefs = app
        .get("/api/v1/me/preferences", Some(&app.token("cy@example.com")))
        .await;
    assert_eq!(prefs.body["show_on_leaderboard"], false, "{}", prefs.text);
    assert_eq!(prefs.body["notify_on_postcard"], true, "only the box clicked changed");
    // Dark by choice, whatever the device prefers (the browser here prefers light).
    b.click("#theme-dark").await;
    b.click("#save-settings").await;
    // The page before the save also said "Saved": wait for the one after it.
    let background = || async {
        b.js("return getComputedStyle(document.body).backgroundColor;", json!([]))
            .await
    };
    b.wait_until(15, "the dark page after saving", || async {
        background().await == json!("rgb(15, 23, 42)")
    })
    .await;
    b.wait_for_text("#settings-status", "Saved", 15).await;
    let dark = b
        .js(
            "return [document.documentElement.className, getComputedStyle(document.body).backgroundColor];",
            json!([]),
        )
        .await;
    assert_eq!(dark, json!(["theme-dark", "rgb(15, 23, 42)"]), "the dark palette");
    b.screenshot(&shot_name(&app, "app-settings-dark")).await;
    b.click("#theme-system").await;
    b.click("#save-settings").await;
    b.wait_until(15, "the light page after saving", || async {
        background().await == json!("rgb(246, 247, 249)")
    })
    .await;
    b.wait_for_text("#settings-status", "Saved", 15).await;
    assert_eq!(
        b.js("return getComputedStyle(document.body).backgroundColor;", json!([]))
            .await,
        json!("rgb(246, 247, 249)"),
        "back to the device's (light) choice"
    );
    b.resize(360, 780).await;
    for path in ["/", "/send", "/leaderboard", "/me/postcards", "/settings"] {
        b.goto(&app.url(path)).await;
        b.wait_for("h1", 15).await;
        let fits = b
            .js(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                json!([]),
            )
            .await;
        assert_eq!(fits, json!(true), "no sideways scrolling on a phone: {path}");
    }
    b.goto(&app.url("/send")).await;
    b.screenshot(&shot_name(&app, "app-send-phone")).await;
    // The smallest phones: a postcard still fits, its stamp above the story.
    b.resize(320, 700).await;
    b.goto(&app.url(&format!("/postcards/{id}"))).await;
    b.wait_for(".pc", 15).await;
    let fits = b
        .js(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            json!([]),
        )
        .await;
    assert_eq!(fits, json!(true), "a postcard at 320 px");
    b.screenshot(&shot_name(&app, "app-postcard-320")).await;
    b.goto(&app.url("/")).await;
    b.screenshot(&shot_name(&app, "app-wall-phone")).await;

    let feed = app
        .get(
            &format!("/api/v1/postcards?recipient={}", people.bob["id"].as_str().unwrap()),
            Some(&app.token("cy@example.com")),
        )
        .await;
    assert_eq!(feed.body["items"][0]["endorsement_count"], 1);
    assert_eq!(feed.body["items"][0]["sender"]["id"], people.ada["id"]);
}

/// A stand-in intranet on another origin: serves whatever page the test sets.
struct Intranet {
    origin: String,
    page: Arc<Mutex<String>>,
}

impl Intranet {
    fn start() -> Intranet {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("intranet port");
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let page = Arc::new(Mutex::new(String::new()));
        let served = page.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let body = served.lock().unwrap().clone();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Intranet { origin, page }
    }
}

async fn widgets_in_an_intranet_page(intranet: Intranet, app: TestApp) {
    let people = org(&app).await;
    let ada = app.token("ada@example.com");
    let bob_id = people.bob["id"].as_str().unwrap().to_string();
    let sent = app
        .send_postcard(
            &ada,
            &json!({"recipients": [bob_id], "behaviour": "small-win", "message": STORY}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let (token, token_id) = crate::widgets::mint(&app).await;

    // The README's one-line snippet, in a page on the allowed origin.
    *intranet.page.lock().unwrap() = format!(
        "<!DOCTYPE html><html><body><h1>Intranet</h1>\
         <iframe src=\"{}/widgets/leaderboard?token={token}&theme=dark\" width=\"300\" height=\"400\" title=\"Customer Champions\"></iframe>\
         </body></html>",
        app.address
    );
    let b = Browser::start(360).await;
    b.goto(&intranet.origin).await;
    b.wait_for("iframe", 15).await;
    b.frame(Some(0)).await;
    let board = b.wait_for_text(".board", "Bob Builder", 15).await;
    assert!(board.contains("3 pts"), "{board}");
    assert_eq!(
        b.js("return document.body.className;", json!([])).await,
        json!("widget theme-dark")
    );
    b.frame(None).await;
    b.screenshot(&shot_name(&app, "widget-leaderboard-in-intranet")).await;

    // The wall: the story as text, refreshing in place when a postcard arrives.
    b.goto(&app.url(&format!("/widgets/wall?token={token}&refresh=5&rotate=3")))
        .await;
    let wall = b.wait_for_text(".wall", "Stayed late", 15).await;
    assert!(wall.contains("<script>"), "shown as text: {wall}");
    b.js("window.__marker = 42; return true;", json!([])).await;
    assert_eq!(
        b.js(
            "return window.__pwned === undefined && !document.querySelector('.story b');",
            json!([])
        )
        .await,
        json!(true)
    );
    app.send_postcard(
        &ada,
        &json!({"recipients": [bob_id], "behaviour": "team-player", "message": "Covered the late shift for a customer call"}),
    )
    .await;
    b.wait_for_text(".wall", "Covered the late shift", 30).await;
    assert_eq!(
        b.js("return window.__marker;", json!([])).await,
        json!(42),
        "refreshed without reloading the page"
    );
    b.screenshot(&shot_name(&app, "widget-wall-narrow")).await;
    b.resize(1920, 1080).await;
    let big = b
        .js(
            "return parseFloat(getComputedStyle(document.body).fontSize);",
            json!([]),
        )
        .await;
    assert!(
        big.as_f64().unwrap_or(0.0) >= 24.0,
        "text grows on a wall screen: {big}"
    );
    b.screenshot(&shot_name(&app, "widget-wall-screen")).await;

    // A small screen: only what fits shows, never a scrollbar, and the rest comes round.
    b.resize(360, 300).await;
    b.wait_until(10, "the wall to fit the screen", || async {
        b.js(
            "return getComputedStyle(document.documentElement).overflowY === 'hidden' && \
                    document.querySelector('.wall').getAttribute('data-shown') === '1';",
            json!([]),
        )
        .await
            == json!(true)
    })
    .await;
    let shown = "return document.querySelector('.wall > li:not([hidden]) .story').textContent;";
    let first = b.js(shown, json!([])).await;
    b.wait_until(10, "the next postcard to come round", || async {
        b.js(shown, json!([])).await != first
    })
    .await;
    b.screenshot(&shot_name(&app, "widget-wall-small-screen")).await;

    // No token, or a revoked one: refused.
    b.goto(&app.url("/widgets/wall")).await;
    b.wait_for_text("body", "link has no token", 15).await;
    app.delete(&format!("/api/v1/admin/widget-tokens/{token_id}"), &app.admin_token())
        .await;
    b.goto(&app.url(&format!("/widgets/leaderboard?token={token}"))).await;
    b.wait_for_text("body", "unknown or has been revoked", 15).await;
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn employee_journey() {
        super::employee_journey(crate::helpers::spawn_app(Backend::Sqlite).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn widgets_in_an_intranet_page() {
        let intranet = Intranet::start();
        let origin = intranet.origin.clone();
        let app =
            crate::helpers::spawn_app_with(Backend::Sqlite, &[("CHAMPION__SERVER__ALLOWED_ORIGINS", &origin)]).await;
        super::widgets_in_an_intranet_page(intranet, app).await
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn employee_journey() {
        super::employee_journey(crate::helpers::spawn_app(Backend::Postgres).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn widgets_in_an_intranet_page() {
        let intranet = Intranet::start();
        let origin = intranet.origin.clone();
        let app =
            crate::helpers::spawn_app_with(Backend::Postgres, &[("CHAMPION__SERVER__ALLOWED_ORIGINS", &origin)]).await;
        super::widgets_in_an_intranet_page(intranet, app).await
    }
}
