//! Generated strings thrown at every parameter the OpenAPI document declares (query, path
//! and header, every operation): control and format characters, NUL, surrogate neighbours and
//! broken UTF-8, look-alikes, far dates and very long values. Every answer must be 2xx or
//! 4xx, never 5xx or a dropped connection, on both backends.

use serde_json::{json, Value};

use crate::hardening::urlencode;
use crate::helpers::TestApp;

/// Values as Rust strings (percent-encoded into the URL) ...
fn generated() -> Vec<String> {
    vec![
        String::new(),
        "\u{0}".into(),
        "a\u{0}b".into(),
        "\u{1}\u{8}\u{1b}[2J\u{1f}\u{7f}".into(),
        "\r\n\t ".into(),
        "\u{200B}\u{200C}\u{200D}\u{200E}\u{202E}\u{2066}\u{FEFF}\u{AD}\u{2060}".into(),
        "\u{D7FF}\u{E000}\u{FFFD}\u{FFFE}\u{FFFF}\u{10FFFF}".into(),
        "\u{1F600}\u{1F3FD}\u{200D}".into(),
        "\u{212A}im@acme.test".into(),
        "e\u{301}\u{301}\u{301}\u{301}".into(),
        "+262142-12-31".into(),
        "-5000-01-01".into(),
        "9999-12-31T23:59:59+14:00".into(),
        "2026-W99".into(),
        "-1".into(),
        "99999999999999999999999".into(),
        "' OR 1=1 --".into(),
        "%".into(),
        "../../etc/passwd".into(),
        "x".repeat(5000),
        "\u{e9}".repeat(1000),
    ]
}

/// ... and byte sequences that are not UTF-8 at all, put into the URL as they are.
const RAW: [&str; 4] = ["%ED%A0%80", "%ED%BF%BF", "%FF%FE", "%C0%80"];

fn percent_decode(s: &str) -> Vec<u8> {
    s.split('%')
        .filter(|h| !h.is_empty())
        .filter_map(|h| u8::from_str_radix(h, 16).ok())
        .collect()
}

struct Known {
    employee_id: String,
    postcard_id: String,
    widget_token: String,
    widget_token_id: String,
}

async fn arrange(app: &TestApp) -> (String, Known) {
    let boss = app.create_employee("grace@acme.test", "Grace", "Support", None).await;
    let boss_id = boss["id"].as_str().unwrap_or_default().to_string();
    let admin = app.admin_token();
    app.patch(
        &format!("/api/v1/employees/{boss_id}"),
        &admin,
        &json!({"role": "admin"}),
    )
    .await;
    let kim = app
        .create_employee("kim@acme.test", "Kim", "Sales", Some(&boss_id))
        .await;
    let grace = app.token("grace@acme.test");
    let sent = app
        .send_postcard(
            &grace,
            &json!({"recipients": [kim["id"]], "behaviour": "small-win", "message": "Thanks for the call"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let (widget_token, widget_token_id) = crate::widgets::mint(app).await;
    let known = Known {
        employee_id: kim["id"].as_str().unwrap_or_default().to_string(),
        postcard_id: sent.body["id"].as_str().unwrap_or_default().to_string(),
        widget_token,
        widget_token_id,
    };
    (grace, known)
}

/// A good value for a path parameter other than the one being fuzzed.
fn path_value(path: &str, name: &str, known: &Known) -> String {
    match name {
        "slug" => "small-win".into(),
        "name" => "app.css".into(),
        _ if path.contains("/postcards/") => known.postcard_id.clone(),
        _ if path.contains("/widget-tokens/") => known.widget_token_id.clone(),
        _ => known.employee_id.clone(),
    }
}

struct Operation {
    method: reqwest::Method,
    path: String,
    params: Vec<(String, String)>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else {
                continue;
            };
            let params = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p["in"].as_str()?.to_string(), p["name"].as_str()?.to_string())))
                .filter(|(place, _)| ["query", "path", "header"].contains(&place.as_str()))
                .collect();
            ops.push(Operation {
                method,
                path: path.clone(),
                params,
            });
        }
    }
    ops
}

fn url_for(op: &Operation, fuzzed: &str, value: &str, known: &Known) -> String {
    let mut path = op.path.clone();
    let mut query = Vec::new();
    if op.path.starts_with("/widgets/") && fuzzed != "token" {
        query.push(format!("token={}", known.widget_token));
    }
    for (place, name) in op.params.iter().filter(|(place, _)| place != "header") {
        let v = if name == fuzzed {
            value.to_string()
        } else if place == "path" {
            path_value(&op.path, name, known)
        } else {
            continue;
        };
        if place == "path" {
            path = path.replace(&format!("{{{name}}}"), &v);
        } else {
            query.push(format!("{name}={v}"));
        }
    }
    if query.is_empty() {
        path
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

async fn generated_strings_in_every_parameter_never_get_a_5xx(app: TestApp) {
    let (token, known) = arrange(&app).await;
    let doc = app.get("/api-docs/openapi.json", None).await.body;
    let ops = operations(&doc);
    assert!(ops.len() > 30, "the document lists the operations: {}", ops.len());
    let mut values: Vec<String> = generated().iter().map(|v| urlencode(v)).collect();
    values.extend(RAW.iter().map(|r| r.to_string()));
    // The same values as bytes, for header parameters (raw ones decoded from their escapes).
    let mut raw_values: Vec<Vec<u8>> = generated().into_iter().map(String::into_bytes).collect();
    raw_values.extend(RAW.iter().map(|r| percent_decode(r)));
    let mut failures = Vec::new();
    let mut sent = 0;
    for op in &ops {
        for (place, name) in &op.params {
            for (value, raw) in values.iter().zip(&raw_values) {
                let in_header = place == "header";
                let url = url_for(op, if in_header { "" } else { name }, value, &known);
                let mut req = app.client.request(op.method.clone(), app.url(&url)).bearer_auth(&token);
                if in_header {
                    // Only what a client can put in a header at all (no controls, no NUL).
                    let Ok(v) = reqwest::header::HeaderValue::from_bytes(raw) else {
                        continue;
                    };
                    req = req.header(name.as_str(), v);
                }
                if matches!(op.method, reqwest::Method::POST | reqwest::Method::PATCH) {
                    req = req.json(&json!({}));
                }
                sent += 1;
                match req.send().await {
                    Ok(res) if res.status().as_u16() < 500 => {}
                    Ok(res) => failures.push(format!("{} {url}: {}", op.method, res.status())),
                    Err(e) => failures.push(format!("{} {url}: {e}", op.method)),
                }
            }
        }
    }
    assert!(sent > 500, "only {sent} requests were made");
    let shown: Vec<String> = failures
        .iter()
        .take(20)
        .map(|f| f.chars().take(300).collect())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {sent} answers were not 2xx/4xx:\n{}",
        failures.len(),
        shown.join("\n")
    );
}

crate::on_both_backends!(generated_strings_in_every_parameter_never_get_a_5xx);
