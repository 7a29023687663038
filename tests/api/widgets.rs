//! Widget pages and the web app over HTTP: token checks, parameters, what a wall may show,
//! the security headers that let only the configured intranet frame a widget, and CORS.

use serde_json::json;

use crate::helpers::{Reply, TestApp};

const INTRANET: &str = "https://intranet.example.com";

async fn get_page(app: &TestApp, path: &str) -> Reply {
    Reply::from(app.client.get(app.url(path)).send().await.expect("request")).await
}

/// A widget URL as a program reads it: errors as problem+json (a browser gets a page).
async fn get_as_json(app: &TestApp, path: &str) -> Reply {
    let req = app.client.get(app.url(path)).header("accept", "application/json");
    Reply::from(req.send().await.expect("request")).await
}

/// The page's text with HTML's character references read back (to check what a reader sees).
fn unescape(html: &str) -> String {
    [
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#x2f;", "/"),
    ]
    .iter()
    .fold(html.to_string(), |s, (from, to)| s.replace(from, to))
    .replace("&amp;", "&")
}

/// A new widget token: `(token, id)`.
pub async fn mint(app: &TestApp) -> (String, String) {
    let minted = app
        .post(
            "/api/v1/admin/widget-tokens",
            &app.admin_token(),
            &json!({"name": "Lobby"}),
        )
        .await;
    assert_eq!(minted.status, 201, "{}", minted.text);
    (
        minted.body["token"].as_str().unwrap().to_string(),
        minted.body["id"].as_str().unwrap().to_string(),
    )
}

async fn widgets_need_a_live_token(app: TestApp) {
    for path in ["/widgets/leaderboard", "/widgets/wall", "/widgets/wall?token="] {
        get_as_json(&app, path).await.assert_problem(401, "missing_token", path);
    }
    get_as_json(&app, "/widgets/wall?token=cw_forged")
        .await
        .assert_problem(401, "invalid_token", "forged");
    // An employee's access token is not a widget token.
    let employee = app.token(crate::helpers::ROOT_ADMIN);
    get_as_json(&app, &format!("/widgets/wall?token={employee}"))
        .await
        .assert_problem(401, "invalid_token", "an access token");

    let (token, id) = mint(&app).await;
    for path in ["/widgets/leaderboard", "/widgets/wall"] {
        let page = get_page(&app, &format!("{path}?token={token}")).await;
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    }
    app.delete(&format!("/api/v1/admin/widget-tokens/{id}"), &app.admin_token())
        .await;
    get_as_json(&app, &format!("/widgets/leaderboard?token={token}"))
        .await
        .assert_problem(401, "invalid_token", "revoked: at once");
}

async fn bad_widget_parameters_name_the_parameter(app: TestApp) {
    let (token, _) = mint(&app).await;
    for (query, field) in [
        ("theme=neon", "theme"),
        ("refresh=1", "refresh"),
        ("refresh=soon", "refresh"),
        ("period=fortnight", "period"),
        ("period=custom", "period"),
        ("limit=500", "limit"),
    ] {
        let page = get_as_json(&app, &format!("/widgets/leaderboard?token={token}&{query}")).await;
        page.assert_problem(400, "invalid_parameter", query);
        assert_eq!(page.field_errors(), vec![field.to_string()], "{query}");
    }
    for (query, field) in [("limit=0", "limit"), ("limit=51", "limit"), ("theme=", "")] {
        let page = get_as_json(&app, &format!("/widgets/wall?token={token}&{query}")).await;
        if field.is_empty() {
            assert_eq!(page.status, 200, "{query}: an empty theme is the default");
        } else {
            page.assert_problem(400, "invalid_parameter", query);
        }
    }
}

async fn widgets_show_only_public_visible_postcards_as_text(app: TestApp) {
    let ada = app
        .create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let bob = app
        .create_employee("bob@example.com", "Bob <b>Builder</b>", "Sales & Ops", None)
        .await;
    let cy = app
        .create_employee("cy@example.com", "Cy Young", "Sales & Ops", None)
        .await;
    let ada_token = app.token("ada@example.com");
    let send = |to: &serde_json::Value, message: &str, visibility: &str| {
        json!({"recipients": [to["id"]], "behaviour": "small-win", "message": message, "visibility": visibility,
               "customer": {"name": "Acme", "quote": "\"Wow\" <i>really</i>"}})
    };
    app.send_postcard(
        &ada_token,
        &send(&bob, "A public <script>alert(1)</script> story", "public"),
    )
    .await;
    app.send_postcard(&ada_token, &send(&bob, "A private story", "private"))
        .await;
    let hidden = app
        .send_postcard(&ada_token, &send(&cy, "A hidden story", "public"))
        .await;
    let hidden_id = hidden.body["id"].as_str().unwrap();
    let hide = app
        .post(
            &format!("/api/v1/postcards/{hidden_id}/hide"),
            &app.admin_token(),
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(hide.status, 200, "{}", hide.text);
    let (token, _) = mint(&app).await;

    let wall = get_page(&app, &format!("/widgets/wall?token={token}")).await;
    assert_eq!(wall.status, 200);
    assert!(
        unescape(&wall.text).contains("A public <script>alert(1)</script> story"),
        "the story, as text: {}",
        wall.text
    );
    assert!(!wall.text.contains("<script>alert"), "never raw");
    assert!(!wall.text.contains("<i>really"), "quotes escaped too");
    assert!(
        !wall.text.contains("A private story"),
        "private postcards never reach widgets"
    );
    assert!(
        !wall.text.contains("A hidden story"),
        "hidden postcards leave every feed"
    );
    assert!(!wall.text.contains("<b>Builder"), "names escaped");
    assert!(wall.text.contains(ada["name"].as_str().unwrap()), "the sender is named");

    let board = get_page(
        &app,
        &format!("/widgets/leaderboard?token={token}&period=all&theme=dark"),
    )
    .await;
    assert_eq!(board.status, 200);
    assert!(unescape(&board.text).contains("Bob <b>Builder</b>"), "{}", board.text);
    // Private postcards count for the score, as on the API board; only their stories stay private.
    assert!(
        board.text.contains("<b>6</b> pts"),
        "two postcards count: {}",
        board.text
    );
    assert!(board.text.contains("theme-dark"));
    assert!(!board.text.contains("Cy Young"), "a hidden postcard scores nothing");
    assert!(board.text.contains("All time"));
    let other_department = get_page(
        &app,
        &format!("/widgets/leaderboard?token={token}&period=all&department=Support"),
    )
    .await;
    assert!(!other_department.text.contains("Builder"), "department filter");
    assert!(
        other_department.text.contains("No postcards yet"),
        "{}",
        other_department.text
    );
}

/// Widgets are served from the answer cache with an ETag: a screen whose board or wall has
/// not changed gets a 304 (no body), and a change shows with a new tag.
async fn unchanged_widgets_answer_304_and_changes_show(app: TestApp) {
    let ada = app.create_employee("ada@example.com", "Ada", "Support", None).await;
    let bob = app.create_employee("bob@example.com", "Bob", "Support", None).await;
    let (token, _) = mint(&app).await;
    let card = |to: &serde_json::Value, text: &str| json!({"recipients": [to["id"]], "behaviour": "small-win", "message": text});
    app.send_postcard(&app.token("ada@example.com"), &card(&bob, "First story"))
        .await;
    for path in [
        format!("/widgets/leaderboard?token={token}&period=week"),
        format!("/widgets/wall?token={token}"),
    ] {
        let first = get_page(&app, &path).await;
        assert_eq!(first.status, 200, "{path}: {}", first.text);
        let etag = first
            .headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_string();
        assert!(
            !first.text.contains(champion::http::widget_page::UPDATED_AT),
            "{path}: stamped"
        );
        let again = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("again");
        assert_eq!(again.status(), 304, "{path}: unchanged");
        assert!(again.headers().get("content-security-policy").is_some(), "{path}");
        assert!(again.bytes().await.expect("body").is_empty());
        // A change: a new postcard (this instance clears its cache at once).
        app.send_postcard(&app.token("bob@example.com"), &card(&ada, &format!("Reply for {path}")))
            .await;
        let changed = app
            .client
            .get(app.url(&path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("changed");
        assert_eq!(changed.status(), 200, "{path}: changed");
        let new_tag = changed
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert_ne!(new_tag, etag, "{path}");
        let text = changed.text().await.unwrap_or_default();
        if path.contains("wall") {
            assert!(text.contains("Reply for"), "{text}");
        } else {
            assert!(text.contains("Ada"), "Ada is on the board now: {text}");
        }
    }
}

async fn only_allowed_origins_may_frame_widgets(app: TestApp) {
    let (token, _) = mint(&app).await;
    let page = get_page(&app, &format!("/widgets/wall?token={token}")).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains(&format!("frame-ancestors 'self' {INTRANET}")), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );
    assert!(page.headers.get("x-frame-options").is_none(), "it must stay frameable");
    assert_eq!(
        page.headers["referrer-policy"], "no-referrer",
        "the token stays private"
    );

    // CORS for the JSON API follows the same list.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/leaderboard"))
        .header("Origin", INTRANET)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], INTRANET);
    let other = app
        .client
        .get(app.url("/api/v1/leaderboard"))
        .header("Origin", "https://evil.example.com")
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

async fn without_allowed_origins_widgets_frame_only_here(app: TestApp) {
    let (token, _) = mint(&app).await;
    let page = get_page(&app, &format!("/widgets/leaderboard?token={token}")).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.ends_with("frame-ancestors 'self'"), "{csp}");
}

async fn the_web_app_and_its_assets_come_from_the_binary(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let (cookie, _) = crate::web_sessions::session(&app, "ada@example.com").await;
    for (path, script, session) in [
        ("/", "/assets/pages.js", Some(cookie.as_str())),
        ("/sign-in", "/assets/pages.js", None),
        ("/sign-in?magic_token=x", "/assets/pages.js", None),
    ] {
        let page = crate::web_sessions::page(&app, path, session).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(page.text.contains(&format!("<script src=\"{script}\"")), "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe"), "{path}: {csp}");
        assert_eq!(page.headers["x-frame-options"], "DENY");
    }
    for (asset, kind) in [
        ("app.css", "text/css"),
        ("pages.js", "text/javascript"),
        ("pages.css", "text/css"),
        ("icons.svg", "image/svg+xml"),
        ("widget.js", "text/javascript"),
        ("widget.css", "text/css"),
    ] {
        let res = get_page(&app, &format!("/assets/{asset}")).await;
        assert_eq!(res.status, 200, "{asset}");
        assert!(
            res.headers["content-type"].to_str().unwrap().starts_with(kind),
            "{asset}"
        );
        // An SVG names its XML namespace by URL; nothing is fetched from it.
        let text = res.text.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(
            !text.contains("http://") && !text.contains("https://"),
            "{asset}: nothing from elsewhere"
        );
    }
    get_page(&app, "/assets/missing.js")
        .await
        .assert_problem(404, "not_found", "an unknown asset");
}

mod with_intranet {
    crate::on_both_backends!(with &[("CHAMPION__SERVER__ALLOWED_ORIGINS", super::INTRANET)];
        widgets_need_a_live_token,
        bad_widget_parameters_name_the_parameter,
        widgets_show_only_public_visible_postcards_as_text,
        only_allowed_origins_may_frame_widgets,
        the_web_app_and_its_assets_come_from_the_binary
    );
    use super::*;
}

crate::on_both_backends!(
    without_allowed_origins_widgets_frame_only_here,
    unchanged_widgets_answer_304_and_changes_show
);
