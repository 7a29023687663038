//! The HTTP client for webhook deliveries. Targets are checked on the addresses they
//! resolve to (`domain::targets`), by the client's own resolver, so the address checked is
//! the address connected to (a DNS answer cannot change in between), and no redirect is
//! followed (a public target cannot bounce a request to a private one).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::targets::{self, refused_address};

const RESOLVE_TIMEOUT: Duration = Duration::from_secs(3);

/// Resolves names, refusing answers with a private address (unless allowed).
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_allowed(&host, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host`, or why it may not be a target.
async fn resolve_allowed(
    host: &str,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    // A resolver that does not answer must not hold a request (or the worker) for long.
    let lookup = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, 0)))
        .await
        .map_err(|_| format!("{host} did not resolve within {} s", RESOLVE_TIMEOUT.as_secs()))?;
    let addrs: Vec<SocketAddr> = lookup.map_err(|e| format!("{host} does not resolve: {e}"))?.collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve").into());
    }
    if !allow_private {
        if let Some(why) = addrs.iter().find_map(|a| refused_address(a.ip())) {
            return Err(format!("{host} resolves to {why}, which webhooks may not reach").into());
        }
    }
    Ok(addrs)
}

/// An answer from a target.
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// `Retry-After` in seconds, when given.
    pub retry_after: Option<u64>,
}

/// Why nothing was delivered: the target is not allowed, or the request failed.
#[derive(Debug)]
pub enum Failure {
    Refused(String),
    Transport(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(m) => write!(f, "refused: {m}"),
            Failure::Transport(m) => write!(f, "{m}"),
        }
    }
}

#[derive(Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl WebhookClient {
    pub fn new(timeout: Duration, allow_private: bool) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("CustomerChampion-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { allow_private }))
            .build()?;
        Ok(WebhookClient { http, allow_private })
    }

    /// Whether every address the host of `raw` has may be a target now. A URL of the wrong
    /// shape passes: the subscription's own checks say what is wrong with it, by field.
    pub async fn check_target(&self, raw: &str) -> Result<(), String> {
        let Ok(url) = targets::parse_url(raw) else {
            return Ok(());
        };
        match url.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => resolve_allowed(name, self.allow_private)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err("must name a host".into()),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        match refused_address(ip) {
            Some(why) if !self.allow_private => Err(format!("is {why}, which webhooks may not reach")),
            _ => Ok(()),
        }
    }

    /// POSTs a JSON body with extra headers.
    pub async fn post_json(&self, url: &str, headers: &[(&str, String)], body: String) -> Result<Answer, Failure> {
        // Literal addresses never reach the resolver: check them here.
        let parsed = targets::parse_url(url).map_err(Failure::Refused)?;
        match parsed.host() {
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)).map_err(Failure::Refused)?,
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)).map_err(Failure::Refused)?,
            _ => {}
        }
        let mut req = self
            .http
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let res = req.send().await.map_err(|e| {
            // The resolver's refusal arrives wrapped as a connect error.
            let text = error_chain(&e);
            if text.contains("which webhooks may not reach") {
                Failure::Refused(text)
            } else {
                Failure::Transport(text)
            }
        })?;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        // Only the start of an answer is kept (the log shows it).
        let body = res.text().await.unwrap_or_default().chars().take(1000).collect();
        Ok(Answer {
            status,
            body,
            retry_after,
        })
    }
}

/// An error with its causes, which is where reqwest keeps the useful part.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
