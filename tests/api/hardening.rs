//! Hostile input, class by class, on both backends: look-alike identities, invisible and
//! look-alike addresses in the directory, dates at the ends of the calendar, NUL bytes,
//! HEAD requests and widget errors. Each table row says why its input must fail.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{Reply, TestApp};

const SECRET: &[u8] = b"development-secret-change-me-in-production-0123456789";

/// A token whose `email` claim is exactly `email` (as an identity provider would sign it).
fn token_claiming(email: &str) -> String {
    let claims = json!({
        "email": email,
        "exp": chrono::Utc::now().timestamp() + 600,
        "iss": "customer-champion",
        "aud": "customer-champion",
    });
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    )
    .expect("sign")
}

async fn look_alike_identities_never_sign_in_as_someone_else(app: TestApp) {
    app.create_employee("kim@acme.test", "Kim", "Support", None).await;
    let cases = [
        ("KIM@ACME.TEST", Some("kim@acme.test"), "ASCII case is the same mailbox"),
        (
            "  kim@acme.test ",
            Some("kim@acme.test"),
            "surrounding spaces are trimmed",
        ),
        (
            "\u{212A}im@acme.test",
            None,
            "KELVIN SIGN folds onto k under to_lowercase",
        ),
        ("\u{FF4B}im@acme.test", None, "fullwidth k"),
        ("k\u{200B}im@acme.test", None, "a zero-width space hides in the name"),
        ("kim\u{202E}@acme.test", None, "a bidi override"),
        ("kim@acme\u{2024}test", None, "ONE DOT LEADER for a dot"),
        ("k\u{456}m@acme.test", None, "a Cyrillic і among Latin letters"),
    ];
    for (claim, signs_in_as, why) in cases {
        let me = app.get("/api/v1/me", Some(&token_claiming(claim))).await;
        match signs_in_as {
            Some(email) => {
                assert_eq!(me.status, 200, "{why}: {}", me.text);
                assert_eq!(me.body["email"], email, "{why}");
            }
            None => me.assert_problem(401, "invalid_token", why),
        }
        // The magic-link path compares addresses the same way.
        let link = app
            .post("/api/v1/auth/magic-link", "", &json!({ "email": claim }))
            .await;
        match signs_in_as {
            Some(_) => assert_eq!(link.status, 202, "{why}: {}", link.text),
            None => {
                link.assert_problem(422, "validation_failed", why);
                assert_eq!(link.field_errors(), vec!["email"], "{why}");
            }
        }
    }
}

async fn the_directory_refuses_invisible_and_look_alike_addresses(app: TestApp) {
    app.create_employee("jos\u{e9}@acme.test", "José", "Support", None)
        .await;
    app.create_employee("ace@acme.test", "Ace", "Support", None).await;
    let other = app.create_employee("zoe@acme.test", "Zoe", "Sales", None).await;
    let admin = app.admin_token();
    let cases: [(&str, u16, &str); 12] = [
        ("jo\u{200B}se@acme.test", 422, "zero-width space"),
        ("jo\u{AD}se@acme.test", 422, "soft hyphen"),
        ("\u{FEFF}jose@acme.test", 422, "byte order mark"),
        ("jose\u{202E}@acme.test", 422, "bidi override"),
        ("jo\u{2066}se@acme.test", 422, "bidi isolate"),
        ("jo\u{2060}se@acme.test", 422, "word joiner"),
        ("jo\u{200D}se@acme.test", 422, "zero-width joiner"),
        (
            "jose\u{301}@acme.test",
            409,
            "a decomposed accent is the same address (NFC)",
        ),
        ("JOS\u{c9}@acme.test", 409, "upper-case É is the same address"),
        (
            "\u{430}\u{441}\u{435}@acme.test",
            422,
            "Cyrillic асе passes for ace on screen",
        ),
        ("\u{430}ce@acme.test", 422, "one Cyrillic letter among Latin ones"),
        ("\u{212A}im@acme.test", 422, "KELVIN SIGN stands in for K"),
    ];
    for (email, status, why) in cases {
        let reply = app
            .post("/api/v1/employees", &admin, &json!({"email": email, "name": "Twin"}))
            .await;
        assert_eq!(reply.status, status, "{why}: {}", reply.text);
        if status == 422 {
            assert_eq!(reply.field_errors(), vec!["email"], "{why}");
        } else {
            assert_eq!(reply.body["code"], "email_taken", "{why}");
        }
        // Changing someone's address to it is refused alike.
        let path = format!("/api/v1/employees/{}", other["id"].as_str().unwrap_or_default());
        let patched = app.patch(&path, &admin, &json!({ "email": email })).await;
        assert_eq!(patched.status, status, "PATCH, {why}: {}", patched.text);
    }

    // Names lose invisible characters too, so one cannot pass for a colleague's on screen.
    let named = app
        .post(
            "/api/v1/employees",
            &admin,
            &json!({"email": "kim@acme.test", "name": "Ki\u{200B}m\u{AD} \u{2066}Lee\u{2069}\u{FEFF}"}),
        )
        .await;
    assert_eq!(named.status, 201, "{}", named.text);
    assert_eq!(named.body["name"], "Kim Lee", "{}", named.text);

    // The CSV import reports each such line, naming it, and still takes the good ones.
    let mut csv = String::from("email,name\n");
    for (email, _, _) in cases {
        csv.push_str(&format!("{email},Twin\n"));
    }
    csv.push_str("new.person@acme.test,New Person\n");
    csv.push_str("\u{44e}\u{43b}\u{44f}@acme.test,Юля\n"); // one script: fine
    csv.push_str("\u{44e}\u{43b}\u{44f}x@acme.test,Twin\n"); // mixed with that line's script
    let reply = app.import_csv(&csv, false).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
    let lines: Vec<u64> = errors.iter().filter_map(|e| e["line"].as_u64()).collect();
    // The decomposed twin of José (line 9) is José himself; the upper-case one repeats line 9.
    let expected: Vec<u64> = vec![2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 16];
    assert_eq!(lines, expected, "{}", reply.text);
    assert!(
        errors
            .iter()
            .all(|e| e["message"].as_str().is_some_and(|m| m.starts_with("email:"))),
        "{}",
        reply.text
    );
    let twin = errors
        .iter()
        .find(|e| e["line"] == 11)
        .map(|e| e["message"].to_string());
    assert!(
        twin.is_some_and(|m| m.contains("looks like ace@acme.test")),
        "{}",
        reply.text
    );
    assert_eq!(reply.body["created"], 2, "{}", reply.text);
    let jose = app.get("/api/v1/employees?query=Twin", Some(&admin)).await;
    assert_eq!(
        jose.body["items"].as_array().map(Vec::len),
        Some(1),
        "only José, renamed: {}",
        jose.text
    );
}

const FAR_DATES: [(&str, &str); 6] = [
    ("+262142-12-31", "chrono's last year: a week's end overflowed"),
    ("-262143-01-01", "chrono's first year"),
    ("-5000-01-01", "before the earliest date Postgres stores (was a 500)"),
    ("0000-01-01", "year zero"),
    ("1969-12-31", "a day before the range"),
    ("10000-01-01", "after the range"),
];

async fn dates_at_the_ends_of_the_calendar_are_400s(app: TestApp) {
    app.create_employee("kim@acme.test", "Kim", "Support", None).await;
    let kim = app.token("kim@acme.test");
    let admin = app.admin_token();
    for (date, why) in FAR_DATES {
        let d = urlencode(date);
        let cases = [
            (format!("/api/v1/leaderboard?at={d}"), "at", &kim),
            (format!("/api/v1/leaderboard?period=month&at={d}"), "at", &kim),
            (
                format!("/api/v1/leaderboard?period=custom&from={d}&to=2026-01-01"),
                "from",
                &kim,
            ),
            (
                format!("/api/v1/leaderboard?period=custom&from=2026-01-01&to={d}"),
                "to",
                &kim,
            ),
            (
                format!("/api/v1/leaderboard/departments?period=year&at={d}"),
                "at",
                &kim,
            ),
            (format!("/api/v1/leaderboard/me?period=quarter&at={d}"), "at", &kim),
            (format!("/api/v1/stats?at={d}"), "at", &admin),
            (
                format!("/api/v1/stats?period=custom&from={d}&to=2026-01-01"),
                "from",
                &admin,
            ),
            (format!("/api/v1/postcards?since={d}"), "since", &kim),
            (format!("/api/v1/admin/export/postcards.csv?since={d}"), "since", &admin),
        ];
        for (path, field, token) in cases {
            let reply = app.get(&path, Some(token)).await;
            reply.assert_problem(400, "invalid_parameter", &format!("{path}: {why}"));
            assert_eq!(reply.field_errors(), vec![field], "{path}");
        }
        // Weeks are named by year: the same range.
        let year = &date[..date.len() - 6];
        let week = app
            .get(
                &format!("/api/v1/digests/preview?week={}-W01", urlencode(year)),
                Some(&kim),
            )
            .await;
        week.assert_problem(422, "validation_failed", &format!("week of {year}"));
        assert_eq!(week.field_errors(), vec!["week"]);
    }
    // The ends of the range itself are fine, in every kind of period.
    for ok in ["1970-01-01", "9999-12-31"] {
        for period in ["week", "month", "quarter", "year"] {
            let reply = app
                .get(&format!("/api/v1/leaderboard?period={period}&at={ok}"), Some(&kim))
                .await;
            assert_eq!(reply.status, 200, "{period} at {ok}: {}", reply.text);
        }
        let custom = app
            .get(
                &format!("/api/v1/leaderboard?period=custom&from={ok}&to={ok}"),
                Some(&kim),
            )
            .await;
        assert_eq!(custom.status, 200, "custom {ok}: {}", custom.text);
        let since = app.get(&format!("/api/v1/postcards?since={ok}"), Some(&kim)).await;
        assert_eq!(since.status, 200, "since {ok}: {}", since.text);
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn nul_bytes_are_client_errors_on_both_backends(app: TestApp) {
    let kim = app.create_employee("kim@acme.test", "Kim", "Support", None).await;
    let kim_id = kim["id"].as_str().unwrap_or_default().to_string();
    let admin = app.admin_token();
    use reqwest::Method;
    let get_cases: [(String, u16, &str); 10] = [
        ("/api/v1/postcards/%00".into(), 400, "path"),
        (format!("/api/v1/employees/{kim_id}%00"), 400, "path"),
        ("/api/v1/postcards?behaviour=%00".into(), 400, "behaviour"),
        ("/api/v1/postcards?recipient=a%00b".into(), 400, "recipient"),
        ("/api/v1/employees?query=%00".into(), 400, "query"),
        ("/api/v1/employees?department=Sup%00port".into(), 400, "department"),
        ("/api/v1/leaderboard?department=%00".into(), 400, "department"),
        ("/api/v1/admin/audit?actor=%00".into(), 400, "actor"),
        (format!("/api/v1/postcards?cursor={}", forged_cursor()), 400, "cursor"),
        ("/api/v1/leaderboard?period=week%00".into(), 400, "period"),
    ];
    for (path, status, field) in get_cases {
        let reply = app.get(&path, Some(&admin)).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
        assert_eq!(reply.field_errors(), vec![field], "{path}: {}", reply.text);
    }
    let body_cases: [(Method, String, Value, &str); 7] = [
        (
            Method::POST,
            "/api/v1/employees".into(),
            json!({"email": "a@acme.test", "name": "A\u{0}"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            json!({"email": "a\u{0}@acme.test", "name": "A"}),
            "email",
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{kim_id}"),
            json!({"department": "\u{0}"}),
            "department",
        ),
        (
            Method::POST,
            "/api/v1/behaviours".into(),
            json!({"slug": "x\u{0}", "title": "X", "description": "x"}),
            "slug",
        ),
        (
            Method::POST,
            "/api/v1/auth/magic-link".into(),
            json!({"email": "\u{0}"}),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/auth/token".into(),
            json!({"magic_token": "abc\u{0}"}),
            "magic_token",
        ),
        (
            Method::POST,
            "/api/v1/admin/widget-tokens".into(),
            json!({"name": "Lobby\u{0}"}),
            "name",
        ),
    ];
    for (method, path, body, field) in body_cases {
        let reply = app.send_json(method.clone(), &path, &admin, &body).await;
        assert_eq!(reply.status, 422, "{method} {path} {body}: {}", reply.text);
        assert_eq!(reply.field_errors(), vec![field], "{path}: {}", reply.text);
    }
    let send = app
        .send_postcard(
            &app.token("kim@acme.test"),
            &json!({"recipients": ["\u{0}"], "behaviour": "small-win", "message": "Thanks"}),
        )
        .await;
    assert_eq!(send.status, 422, "{}", send.text);
    assert_eq!(send.field_errors(), vec!["recipients[0]"], "{}", send.text);
    // A NUL in a CSV line is that line's error, not the import's.
    let import = app
        .import_csv("email,name\nann\u{0}@acme.test,Ann\nbo@acme.test,Bo\n", false)
        .await;
    assert_eq!(import.status, 200, "{}", import.text);
    assert_eq!(import.body["created"], 1, "{}", import.text);
    assert_eq!(import.body["errors"][0]["line"], 2, "{}", import.text);
}

async fn identifiers_are_validated_at_the_edge(app: TestApp) {
    let kim = app.create_employee("kim@acme.test", "Kim", "Support", None).await;
    let kim_id = kim["id"].as_str().unwrap_or_default().to_string();
    let admin = app.admin_token();
    use reqwest::Method;
    let cases: [(Method, String, &str); 8] = [
        (Method::GET, "/api/v1/employees/not-a-uuid".into(), "a word"),
        (
            Method::GET,
            format!("/api/v1/employees/{kim_id}x"),
            "a UUID with more after it",
        ),
        (Method::GET, "/api/v1/postcards/123".into(), "a number"),
        (
            Method::POST,
            "/api/v1/postcards/%E2%80%8B/endorsements".into(),
            "a zero-width space",
        ),
        (
            Method::POST,
            "/api/v1/postcards/..%2F..%2Fetc/hide".into(),
            "an encoded path",
        ),
        (Method::DELETE, "/api/v1/admin/widget-tokens/%FF".into(), "not UTF-8"),
        (Method::PATCH, "/api/v1/behaviours/Small_Win".into(), "not a slug"),
        (Method::PATCH, "/api/v1/behaviours/%C0%80".into(), "an overlong NUL"),
    ];
    for (method, path, why) in cases {
        let reply = app
            .send_json(method.clone(), &path, &admin, &json!({"reason": "x", "title": "x"}))
            .await;
        reply.assert_problem(404, "not_found", &format!("{method} {path}: {why}"));
    }
    // An id in capitals is the same UUID.
    let upper = app
        .get(&format!("/api/v1/employees/{}", kim_id.to_uppercase()), Some(&admin))
        .await;
    assert_eq!(upper.status, 200, "{}", upper.text);
    assert_eq!(upper.body["id"], kim_id.as_str());
}

/// A cursor the API never handed out, holding a NUL.
fn forged_cursor() -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    URL_SAFE_NO_PAD.encode(json!(["2026-11-02T10:00:00.000000", "id\u{0}"]).to_string())
}

async fn head_is_answered_like_get(app: TestApp) {
    let (token, _) = crate::widgets::mint(&app).await;
    let admin = app.admin_token();
    let paths = [
        "/healthz".to_string(),
        "/readyz".to_string(),
        "/".to_string(),
        "/sign-in".to_string(),
        "/assets/app.css".to_string(),
        "/api-docs/openapi.json".to_string(),
        format!("/widgets/wall?token={token}"),
        format!("/widgets/leaderboard?token={token}"),
        "/widgets/wall".to_string(),
        "/api/v1/me".to_string(),
        "/api/v1/behaviours".to_string(),
    ];
    for path in paths {
        let get = app
            .client
            .get(app.url(&path))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("GET");
        let head = app
            .client
            .head(app.url(&path))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("HEAD");
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        let body = head.bytes().await.expect("HEAD body");
        assert!(body.is_empty(), "{path}: HEAD has no body");
    }
}

async fn widget_errors_are_pages_that_say_what_is_wrong(app: TestApp) {
    let (token, _) = crate::widgets::mint(&app).await;
    app.create_employee("kim@acme.test", "Kim", "Support", None).await;
    let cases = [
        (
            format!("/widgets/leaderboard?token={token}&department=Nowhere"),
            400,
            "department",
        ),
        (
            format!("/widgets/leaderboard?token={token}&period=fortnight"),
            400,
            "period",
        ),
        (format!("/widgets/wall?token={token}&limit=500"), 400, "limit"),
        (format!("/widgets/wall?token={token}&theme=neon"), 400, "theme"),
        ("/widgets/wall?token=cw_unknown".to_string(), 401, "token"),
        ("/widgets/leaderboard".to_string(), 401, "token"),
    ];
    for (path, status, names) in cases {
        let page = Reply::from(app.client.get(app.url(&path)).send().await.expect("page")).await;
        assert_eq!(page.status, status, "{path}: {}", page.text);
        let ct = page
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(page.text.contains(names), "{path} names {names}: {}", page.text);
        assert!(page.headers.get("content-security-policy").is_some(), "{path}");
        let json = app
            .client
            .get(app.url(&path))
            .header("accept", "application/json")
            .send()
            .await
            .expect("json");
        let json = Reply::from(json).await;
        assert_eq!(json.status, status, "{path}");
        assert!(
            json.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{path}"
        );
    }
    let known = app
        .client
        .get(app.url(&format!("/widgets/leaderboard?token={token}&department=Support")))
        .send()
        .await;
    assert_eq!(known.expect("known").status(), 200);
}

crate::on_both_backends!(
    look_alike_identities_never_sign_in_as_someone_else,
    the_directory_refuses_invisible_and_look_alike_addresses,
    dates_at_the_ends_of_the_calendar_are_400s,
    nul_bytes_are_client_errors_on_both_backends,
    identifiers_are_validated_at_the_edge,
    head_is_answered_like_get,
    widget_errors_are_pages_that_say_what_is_wrong,
);
