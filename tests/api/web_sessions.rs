//! The web app's cookie sessions: the emailed link's page signs in only when its button is
//! pressed; the cookie is HttpOnly and SameSite (Secure over https); writes with the cookie
//! need the session's CSRF token; sign-out ends the session on the server; another site can
//! neither sign someone in nor write with their cookie.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::{Reply, TestApp};
use crate::sign_in::magic_token;

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A form post as a page of `origin` makes it, with `cookie` if any.
pub async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)], cookie: Option<&str>, origin: &str) -> Reply {
    let mut req = browser().post(app.url(path)).form(fields).header("Origin", origin);
    if let Some(c) = cookie {
        req = req.header(COOKIE, format!("champion_session={c}"));
    }
    Reply::from(req.send().await.unwrap()).await
}

/// A page as a browser asks for it (with the session's cookie, if any).
pub async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = browser().get(app.url(path)).header("Accept", "text/html");
    if let Some(c) = cookie {
        req = req.header(COOKIE, format!("champion_session={c}"));
    }
    Reply::from(req.send().await.unwrap()).await
}

/// The session cookie a sign-in answer sets, and its attributes.
fn session_cookie(reply: &Reply) -> (String, String) {
    let set = reply
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("champion_session="))
        .unwrap_or_else(|| panic!("a session cookie: {:?}", reply.headers));
    let value = set["champion_session=".len()..].split(';').next().unwrap().to_string();
    (value, set)
}

pub fn csrf_of(page: &Reply) -> String {
    let at = page
        .text
        .find("name=\"csrf_token\" value=\"")
        .expect("a form with the CSRF token")
        + "name=\"csrf_token\" value=\"".len();
    page.text[at..].split('"').next().unwrap().to_string()
}

/// Asks for a link for `email` on the sign-in page and answers the link's token (and the
/// email's text).
pub async fn emailed_link(app: &TestApp, email: &str, next: &str) -> (String, String) {
    let asked = form(
        app,
        "/sign-in/email",
        &[("email", email), ("next", next)],
        None,
        &app.address,
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert!(asked.text.contains("Check your inbox"), "{}", asked.text);
    let mails = app
        .smtp
        .wait_for(15, "the sign-in email", |m| {
            m.iter().any(|m| m.to.iter().any(|t| t.contains(email)))
        })
        .await;
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains(email)))
        .unwrap();
    (magic_token(mail), mail.decoded())
}

/// A session for `email` (opened with a pasted token) and its CSRF token.
pub async fn session(app: &TestApp, email: &str) -> (String, String) {
    let signed = form(
        app,
        "/sign-in/token",
        &[("access_token", &app.token(email))],
        None,
        &app.address,
    )
    .await;
    assert_eq!(signed.status, 303, "{}", signed.text);
    let cookie = session_cookie(&signed).0;
    let home = page(app, "/", Some(&cookie)).await;
    assert_eq!(home.status, 200, "{}", home.text);
    (cookie.clone(), csrf_of(&home))
}

async fn a_link_signs_in_to_a_cookie_session_that_sign_out_ends(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let (token, mail) = emailed_link(&app, "ada@example.com", "/postcards/123").await;
    assert!(
        mail.contains("&next=%2Fpostcards%2F123"),
        "the link comes back to the page asked for"
    );

    // Opening the link (as a mail scanner would) uses nothing up: it asks first.
    for _ in 0..2 {
        let opened = page(
            &app,
            &format!("/sign-in?magic_token={token}&next=%2Fpostcards%2F123"),
            None,
        )
        .await;
        assert_eq!(opened.status, 200);
        assert!(opened.text.contains("Sign in as Ada Lovelace"), "{}", opened.text);
        assert!(opened.headers.get(SET_COOKIE).is_none());
    }
    // Another site's form cannot press the button for you (login CSRF).
    let forged = form(
        &app,
        "/sign-in/link",
        &[("magic_token", &token)],
        None,
        "https://evil.example",
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    assert!(forged.headers.get(SET_COOKIE).is_none());

    let used = form(
        &app,
        "/sign-in/link",
        &[("magic_token", &token), ("next", "/postcards/123")],
        None,
        &app.address,
    )
    .await;
    assert_eq!(used.status, 303, "{}", used.text);
    assert_eq!(used.headers[LOCATION], "/postcards/123");
    let (cookie, set) = session_cookie(&used);
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain http in tests: {set}");

    // The cookie opens the API for the web app's reads...
    let me = Reply::from(
        app.client
            .get(app.url("/api/v1/me"))
            .header(COOKIE, format!("champion_session={cookie}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["name"], "Ada Lovelace");
    // ...and for writes only with the page's CSRF token.
    let home = page(&app, "/", Some(&cookie)).await;
    assert_eq!(home.status, 200, "{}", home.text);
    let csrf = csrf_of(&home);
    let patch = |token: Option<String>| {
        let mut req = app
            .client
            .patch(app.url("/api/v1/me/preferences"))
            .header(COOKIE, format!("champion_session={cookie}"))
            .json(&json!({"notify_on_postcard": false}));
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        async move { Reply::from(req.send().await.unwrap()).await }
    };
    patch(None)
        .await
        .assert_problem(403, "forbidden", "a write without the CSRF token");
    patch(Some("0".repeat(64)))
        .await
        .assert_problem(403, "forbidden", "a wrong CSRF token");
    assert_eq!(patch(Some(csrf.clone())).await.status, 200);

    // The link worked once.
    let again = page(&app, &format!("/sign-in?magic_token={token}"), None).await;
    assert!(
        again.text.contains("already been used or has expired"),
        "{}",
        again.text
    );

    // Signing out needs the token too, then ends the session on the server.
    let forged_out = form(
        &app,
        "/sign-out",
        &[("csrf_token", "nope")],
        Some(&cookie),
        &app.address,
    )
    .await;
    assert_eq!(forged_out.status, 403);
    let out = form(&app, "/sign-out", &[("csrf_token", &csrf)], Some(&cookie), &app.address).await;
    assert_eq!(out.status, 303, "{}", out.text);
    assert_eq!(out.headers[LOCATION], "/sign-in?signed_out=1");
    assert!(session_cookie(&out).1.contains("Max-Age=0"), "the browser forgets it");
    let after = page(&app, "/", Some(&cookie)).await;
    assert_eq!(after.status, 303, "an old copy of the cookie opens nothing");
    assert_eq!(after.headers[LOCATION], "/sign-in?next=%2F");
    let api = Reply::from(
        app.client
            .get(app.url("/api/v1/me"))
            .header(COOKIE, format!("champion_session={cookie}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    api.assert_problem(401, "session_ended", "after sign-out");
}

async fn a_pasted_token_signs_in_and_a_bad_one_says_why(app: TestApp) {
    app.create_employee("cy@example.com", "Cy Young", "Sales", None).await;
    let bad = form(
        &app,
        "/sign-in/token",
        &[("access_token", "not-a-token")],
        None,
        &app.address,
    )
    .await;
    assert_eq!(bad.status, 401);
    assert!(bad.text.contains("not a token this service issued"), "{}", bad.text);
    assert!(!bad.text.contains("session"), "no session had begun: {}", bad.text);
    let stranger = app.token("nobody@example.com");
    let unknown = form(
        &app,
        "/sign-in/token",
        &[("access_token", &stranger)],
        None,
        &app.address,
    )
    .await;
    assert!(unknown.text.contains("not an active employee"), "{}", unknown.text);

    let good = form(
        &app,
        "/sign-in/token",
        &[
            ("access_token", &app.token("cy@example.com")),
            ("next", "//evil.example"),
        ],
        None,
        &app.address,
    )
    .await;
    assert_eq!(good.status, 303, "{}", good.text);
    assert_eq!(good.headers[LOCATION], "/", "never sent to another site");
    let (cookie, _) = session_cookie(&good);
    assert_eq!(page(&app, "/", Some(&cookie)).await.status, 200);

    // A deactivation ends the use of the session at once.
    let cy = app.get("/api/v1/employees?query=cy", Some(&app.admin_token())).await;
    let id = cy.body["items"][0]["id"].as_str().unwrap().to_string();
    app.patch(
        &format!("/api/v1/employees/{id}"),
        &app.admin_token(),
        &json!({"active": false}),
    )
    .await;
    assert_eq!(page(&app, "/", Some(&cookie)).await.status, 303);

    // Bearer tokens stay for the API, without any CSRF token.
    let bearer = app
        .patch(
            "/api/v1/me/preferences",
            &app.token("ada@example.com"),
            &json!({"weekly_digest": false}),
        )
        .await;
    assert_eq!(
        bearer.status, 401,
        "unknown person, but not a CSRF refusal: {}",
        bearer.text
    );
}

async fn pages_say_what_is_wrong(app: TestApp) {
    let missing = page(&app, "/no/such/page", None).await;
    assert_eq!(missing.status, 404);
    assert!(missing.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(missing.text.contains("Page not found"), "{}", missing.text);
    let api = app.get("/api/v1/no-such-thing", None).await;
    api.assert_problem(404, "not_found", "the API keeps problem+json");

    let csp = missing.headers["content-security-policy"].to_str().unwrap();
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");

    let bad_email = form(
        &app,
        "/sign-in/email",
        &[("email", "not an address")],
        None,
        &app.address,
    )
    .await;
    assert_eq!(bad_email.status, 422);
    assert!(
        bad_email.text.contains("Enter your work email address"),
        "{}",
        bad_email.text
    );
    assert!(bad_email.text.contains("aria-invalid=\"true\""));

    // A form no page sends: problem+json naming what is wrong.
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let (cookie, _) = session(&app, "ada@example.com").await;
    let missing = form(&app, "/settings", &[("timezone", "")], Some(&cookie), &app.address).await;
    missing.assert_problem(400, "invalid_form", "a form without its CSRF field");
    assert_eq!(missing.field_errors(), vec!["csrf_token"]);
    let as_json = Reply::from(
        browser()
            .post(app.url("/sign-in/email"))
            .json(&json!({"email": "ada@example.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    as_json.assert_problem(415, "unsupported_media_type", "JSON where a form belongs");
}

async fn the_cookie_is_secure_over_https(app: TestApp) {
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let good = form(
        &app,
        "/sign-in/token",
        &[("access_token", &app.token("ada@example.com"))],
        None,
        &app.address,
    )
    .await;
    let (_, set) = session_cookie(&good);
    assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");
}

crate::on_both_backends!(
    a_link_signs_in_to_a_cookie_session_that_sign_out_ends,
    a_pasted_token_signs_in_and_a_bad_one_says_why,
    pages_say_what_is_wrong
);

mod over_https {
    crate::on_both_backends!(
        with &[("CHAMPION__SERVER__PUBLIC_URL", "https://champion.example.com")];
        the_cookie_is_secure_over_https
    );
    use super::*;
}

async fn expired_sessions_open_nothing_and_are_deleted(app: TestApp) {
    use champion::services::web_sessions;
    let email = champion::domain::email::Email::parse("ada@example.com").unwrap();
    app.create_employee("ada@example.com", "Ada Lovelace", "Support", None)
        .await;
    let mut conn = app.pool().get().expect("conn");
    let long_ago = champion::domain::clock::now() - chrono::Duration::days(30);
    let old = web_sessions::open(&mut conn, &email, long_ago, 14).unwrap();
    let fresh = web_sessions::open(&mut conn, &email, champion::domain::clock::now(), 14).unwrap();
    drop(conn);
    assert_eq!(
        page(&app, "/", Some(&old)).await.status,
        303,
        "an expired session opens nothing"
    );
    assert_eq!(page(&app, "/", Some(&fresh)).await.status, 200);
    let mut conn = app.pool().get().expect("conn");
    let purged = web_sessions::purge_expired(&mut conn, champion::domain::clock::now()).unwrap();
    assert_eq!(purged, 1, "only the expired one");
    assert_eq!(
        web_sessions::email_of(&mut conn, &fresh, champion::domain::clock::now())
            .unwrap()
            .as_deref(),
        Some("ada@example.com")
    );
}

mod expiry {
    use super::*;
    crate::on_both_backends!(expired_sessions_open_nothing_and_are_deleted);
}
