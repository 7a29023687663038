//! Slack's Web API: a POST of JSON (or a form) with the bot token, answering `{"ok": ...}`.
//! Rate limits come back as 429 with `Retry-After`; other errors as `ok: false`.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::client::error_chain;
use crate::settings::SlackSettings;

#[derive(Clone)]
pub struct SlackApi {
    http: reqwest::Client,
    base: String,
    token: SecretString,
}

/// Why a call failed, and whether to try again.
#[derive(Debug)]
pub enum SlackError {
    /// 429: try again after this many seconds.
    RateLimited(u64),
    /// Slack or the network had trouble: try again later.
    Temporary(String),
    /// Slack refused the call itself (a bad token, a channel the bot is not in): retrying
    /// would give the same answer.
    Permanent(String),
}

impl std::fmt::Display for SlackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlackError::RateLimited(s) => write!(f, "rate limited by Slack (retry after {s} s)"),
            SlackError::Temporary(m) | SlackError::Permanent(m) => write!(f, "{m}"),
        }
    }
}

/// Errors Slack answers with that pass.
const TEMPORARY: [&str; 5] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

impl SlackApi {
    /// The client of a connected Slack app; None when Slack is not configured.
    pub fn from_settings(s: &SlackSettings, timeout: Duration) -> anyhow::Result<Option<SlackApi>> {
        let Some((_, token)) = s.connected() else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .user_agent(concat!("CustomerChampion/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Some(SlackApi {
            http,
            base: s.api_base_url.trim_end_matches('/').to_string(),
            token: token.clone(),
        }))
    }

    /// Calls `method` with JSON arguments; answers Slack's reply when `ok`.
    pub async fn call(&self, method: &str, args: &Value) -> Result<Value, SlackError> {
        self.send(method, |req| req.json(args)).await
    }

    /// Calls a method that takes form arguments (`users.info`, `users.lookupByEmail`).
    pub async fn call_form(&self, method: &str, args: &[(&str, &str)]) -> Result<Value, SlackError> {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(args)
            .finish();
        self.send(method, |req| {
            req.header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
        })
        .await
    }

    /// POSTs to `method` with the bot token and the body `with` adds; reads Slack's answer.
    async fn send(
        &self,
        method: &str,
        with: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Value, SlackError> {
        let req = self
            .http
            .post(format!("{}/{method}", self.base))
            .bearer_auth(self.token.expose_secret());
        let res = with(req)
            .send()
            .await
            .map_err(|e| SlackError::Temporary(format!("{method}: {}", error_chain(&e))))?;
        let status = res.status().as_u16();
        if status == 429 {
            let after = res
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(30);
            return Err(SlackError::RateLimited(after));
        }
        if status >= 500 {
            return Err(SlackError::Temporary(format!("{method}: Slack answered HTTP {status}")));
        }
        let body: Value = res
            .json()
            .await
            .map_err(|e| SlackError::Temporary(format!("{method}: unreadable answer: {e}")))?;
        if body["ok"] == Value::Bool(true) {
            return Ok(body);
        }
        let error = body["error"].as_str().unwrap_or("unknown_error").to_string();
        let message = format!("{method}: {error}");
        if TEMPORARY.contains(&error.as_str()) {
            Err(SlackError::Temporary(message))
        } else {
            Err(SlackError::Permanent(message))
        }
    }
}
