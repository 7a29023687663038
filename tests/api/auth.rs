//! Bearer token checks (RFC 8725): every failure is a 401 problem with a code.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, TestApp, ROOT_ADMIN};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(email: &str) -> Value {
    json!({"email": email, "exp": now() + 600, "iss": "customer-champion", "aud": "customer-champion"})
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

fn unsigned(claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

fn with(mut c: Value, key: &str, value: Value) -> Value {
    c[key] = value;
    c
}

fn without(mut c: Value, key: &str) -> Value {
    c.as_object_mut().map(|o| o.remove(key));
    c
}

async fn bad_tokens_are_refused(app: TestApp) {
    let secret = b"development-secret-change-me-in-production-0123456789";
    let good = claims(ROOT_ADMIN);
    let cases: Vec<(&str, Option<String>, &str)> = vec![
        ("no header", None, "missing_token"),
        ("not a JWT", Some("Bearer not.a.jwt".into()), "invalid_token"),
        (
            "wrong scheme",
            Some(format!("Basic {}", hs256(&good, secret))),
            "invalid_token",
        ),
        ("empty bearer", Some("Bearer ".into()), "invalid_token"),
        ("alg none", Some(format!("Bearer {}", unsigned(&good))), "invalid_token"),
        (
            "wrong secret",
            Some(format!(
                "Bearer {}",
                hs256(&good, b"another-secret-of-at-least-32-bytes!!")
            )),
            "invalid_token",
        ),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "exp", json!(now() - 3600)), secret)
            )),
            "token_expired",
        ),
        (
            "exp never",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "exp", json!("never")), secret)
            )),
            "invalid_token",
        ),
        (
            "no exp",
            Some(format!("Bearer {}", hs256(&without(good.clone(), "exp"), secret))),
            "invalid_token",
        ),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "iss", json!("evil")), secret)
            )),
            "invalid_token",
        ),
        (
            "no issuer",
            Some(format!("Bearer {}", hs256(&without(good.clone(), "iss"), secret))),
            "invalid_token",
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "aud", json!("other-app")), secret)
            )),
            "invalid_token",
        ),
        (
            "no audience",
            Some(format!("Bearer {}", hs256(&without(good.clone(), "aud"), secret))),
            "invalid_token",
        ),
        (
            "not yet valid",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "nbf", json!(now() + 3600)), secret)
            )),
            "invalid_token",
        ),
        // CVE-2026-25537: a time claim of another JSON type must not be taken as absent.
        (
            "nbf a string",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "nbf", json!("soon")), secret)
            )),
            "invalid_token",
        ),
        (
            "iat a string",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "iat", json!("yesterday")), secret)
            )),
            "invalid_token",
        ),
        (
            "nbf an object",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "nbf", json!({"at": 1})), secret)
            )),
            "invalid_token",
        ),
        (
            "exp a fraction",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "exp", json!(now() as f64 + 600.5)), secret)
            )),
            "invalid_token",
        ),
        (
            "issued in the future",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "iat", json!(now() + 3600)), secret)
            )),
            "invalid_token",
        ),
        (
            "email not an email",
            Some(format!(
                "Bearer {}",
                hs256(&with(good.clone(), "email", json!("nobody")), secret)
            )),
            "invalid_token",
        ),
        (
            "no email",
            Some(format!("Bearer {}", hs256(&without(good.clone(), "email"), secret))),
            "invalid_token",
        ),
        (
            "unknown person",
            Some(format!("Bearer {}", app.token("stranger@example.com"))),
            "unknown_employee",
        ),
    ];
    for (why, header, code) in cases {
        let mut req = app.client.get(app.url("/api/v1/me"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let reply = crate::helpers::Reply::from(req.send().await.expect("request")).await;
        reply.assert_problem(401, code, why);
        assert_eq!(
            reply.headers.get("www-authenticate").and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{why}"
        );
    }
    // A small leeway absorbs clock skew.
    let skewed = hs256(&with(good, "exp", json!(now() - 5)), secret);
    assert_eq!(app.get("/api/v1/me", Some(&skewed)).await.status, 200);
}

async fn configured_admin_works_before_the_directory_exists(app: TestApp) {
    let me = app.get("/api/v1/me", Some(&app.admin_token())).await;
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["role"], "admin");
    assert!(me.body["id"].is_null());
    assert_eq!(me.body["is_manager"], false);
}

async fn employees_are_not_admins_and_deactivated_ones_are_locked_out(app: TestApp) {
    let ann = app.create_employee("ann@example.com", "Ann", "Support", None).await;
    let token = app.token("Ann@Example.com");
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["role"], "employee", "{}", me.text);
    assert_eq!(me.body["email"], "ann@example.com");
    assert_eq!(me.body["remaining_allowance"], 10);
    let refused = app
        .post(
            "/api/v1/employees",
            &token,
            &json!({"email": "b@example.com", "name": "B"}),
        )
        .await;
    refused.assert_problem(403, "forbidden", "employee creating employees");

    let path = format!("/api/v1/employees/{}", ann["id"].as_str().unwrap_or_default());
    let off = app.patch(&path, &app.admin_token(), &json!({"active": false})).await;
    assert_eq!(off.status, 200, "{}", off.text);
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(401, "inactive_employee", "deactivated");

    // A stored admin role counts too.
    app.patch(&path, &app.admin_token(), &json!({"active": true, "role": "admin"}))
        .await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.body["role"], "admin");
}

async fn provider_tokens_by_kid(backend: Backend) {
    let jwks = format!("{FIXTURES}/jwks.json");
    let app = spawn_app_with(backend, &[("CHAMPION__AUTH__JWKS_FILE", &jwks)]).await;
    let claims = claims(ROOT_ADMIN);
    let rsa_pem = std::fs::read(format!("{FIXTURES}/idp-rsa.pem")).expect("rsa fixture");
    let ec_pem = std::fs::read(format!("{FIXTURES}/idp-ec.pem")).expect("ec fixture");
    let rsa = EncodingKey::from_rsa_pem(&rsa_pem).expect("rsa key");
    let ec = EncodingKey::from_ec_pem(&ec_pem).expect("ec key");
    let header = |alg, kid: &str| Header {
        kid: Some(kid.to_string()),
        ..Header::new(alg)
    };

    let ok_rsa = encode(&header(Algorithm::RS256, "idp-rsa-1"), &claims, &rsa).expect("sign");
    assert_eq!(app.get("/api/v1/me", Some(&ok_rsa)).await.status, 200);
    let ok_ec = encode(&header(Algorithm::ES256, "idp-ec-1"), &claims, &ec).expect("sign");
    assert_eq!(app.get("/api/v1/me", Some(&ok_ec)).await.status, 200);

    let refused = [
        (
            "unknown kid",
            encode(&header(Algorithm::RS256, "other"), &claims, &rsa).expect("sign"),
        ),
        (
            "no kid",
            encode(&Header::new(Algorithm::RS256), &claims, &rsa).expect("sign"),
        ),
        (
            "kid of another algorithm",
            encode(&header(Algorithm::ES256, "idp-rsa-1"), &claims, &ec).expect("sign"),
        ),
        (
            "RS384 not allowed",
            encode(&header(Algorithm::RS384, "idp-rsa-1"), &claims, &rsa).expect("sign"),
        ),
    ];
    for (why, token) in refused {
        app.get("/api/v1/me", Some(&token))
            .await
            .assert_problem(401, "invalid_token", why);
    }
}

crate::on_both_backends!(
    bad_tokens_are_refused,
    configured_admin_works_before_the_directory_exists,
    employees_are_not_admins_and_deactivated_ones_are_locked_out,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_tokens_by_kid_sqlite() {
    provider_tokens_by_kid(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_tokens_by_kid_postgres() {
    provider_tokens_by_kid(Backend::Postgres).await
}
