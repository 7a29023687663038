//! Sign-in with the company's OpenID provider, against a real, independent provider: the
//! certified `oidc-provider` package from npm (tests/tools), started by the test, its login
//! and consent pages driven by headless Chromium (and, for the failure cases, over HTTP with a
//! cookie jar). Success, wrong state, a replayed code, an unverified email, an unknown
//! employee, denied consent, key rotation and a provider that is down at start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{spawn_app_with, Backend, TestApp};
use crate::webdriver::{free_port, Browser};

const CLIENT: &str = "customer-champion";
const SECRET: &str = "a-client-secret-for-the-tests";

/// The provider, killed when dropped.
struct Provider {
    child: Child,
    /// What it printed after starting (how token requests authenticated).
    said: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Provider {
    fn start(port: u16, app_url: &str) -> Provider {
        Provider::start_with(port, app_url, "client_secret_basic")
    }

    fn start_with(port: u16, app_url: &str, auth_method: &str) -> Provider {
        let tools = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools");
        assert!(
            std::path::Path::new(&format!("{tools}/node_modules/oidc-provider")).exists(),
            "oidc-provider is not installed: npm ci --prefix tests/tools (.ci/run does)"
        );
        let mut child = Command::new("node")
            .arg(format!("{tools}/oidc_provider.mjs"))
            .args([
                &port.to_string(),
                CLIENT,
                SECRET,
                &format!("{app_url}/auth/oidc/callback"),
                auth_method,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node must run the OpenID provider");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert!(line.starts_with("ready"), "the provider did not start: {line:?}");
        // Keep reading what it prints: a closed pipe would end it at its next line.
        let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = said.clone();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                keep.lock().unwrap().push(line);
            }
        });
        Provider { child, said }
    }
}

impl Provider {
    /// How the token requests so far authenticated the client.
    fn token_auths(&self) -> Vec<String> {
        self.said
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.starts_with("token-auth"))
            .cloned()
            .collect()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The app on a port chosen first (the provider must know its redirect URI), pointed at a
/// provider on `provider_port`.
async fn app_for(backend: Backend, provider_port: u16) -> (TestApp, String) {
    app_with(backend, provider_port, &[]).await
}

async fn app_with(backend: Backend, provider_port: u16, more: &[(&str, &str)]) -> (TestApp, String) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let port_s = port.to_string();
    let mut settings = vec![
        ("CHAMPION__SERVER__PORT", port_s.as_str()),
        ("CHAMPION__SERVER__PUBLIC_URL", url.as_str()),
        ("CHAMPION__OIDC__ISSUER_URL", issuer.as_str()),
        ("CHAMPION__OIDC__CLIENT_ID", CLIENT),
        ("CHAMPION__OIDC__CLIENT_SECRET", SECRET),
        ("CHAMPION__OIDC__BUTTON_LABEL", "Sign in with Acme"),
        ("CHAMPION__OIDC__RETRY_SECONDS", "1"),
    ];
    settings.extend_from_slice(more);
    let app = spawn_app_with(backend, &settings).await;
    (app, url)
}

fn jar_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(res: &reqwest::Response, from: &str) -> String {
    let loc = res
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect from {from}: {}", res.status()));
    let loc = loc.to_str().unwrap();
    if loc.starts_with("http") {
        loc.to_string()
    } else {
        let base = url::Url::parse(from).unwrap();
        base.join(loc).unwrap().to_string()
    }
}

/// Signs in as `login` at the provider over HTTP (its login and consent forms), starting at
/// the app's `/auth/oidc/login`; answers the callback address the provider sends back to,
/// not yet visited.
async fn through_the_provider(http: &reqwest::Client, app_url: &str, login: &str) -> String {
    let mut url = format!("{app_url}/auth/oidc/login");
    for _ in 0..20 {
        if url.starts_with(&format!("{app_url}/auth/oidc/callback")) {
            return url;
        }
        let res = http.get(&url).send().await.unwrap();
        if res.status().is_redirection() {
            url = location(&res, &url);
            continue;
        }
        let page = res.text().await.unwrap();
        assert!(page.contains("<form"), "a page without a form at {url}: {page}");
        let action = page
            .split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let target = url::Url::parse(&url).unwrap().join(&action).unwrap().to_string();
        let form: Vec<(&str, &str)> = if page.contains("name=\"login\"") {
            vec![("prompt", "login"), ("login", login), ("password", "any")]
        } else {
            vec![("prompt", "consent")]
        };
        let res = http.post(&target).form(&form).send().await.unwrap();
        url = location(&res, &target);
    }
    panic!("never came back to the app");
}

/// Waits until the service has read the provider's discovery (sign-in then redirects to it).
async fn provider_read(app_url: &str) {
    let http = jar_client();
    let deadline = Instant::now() + Duration::from_secs(15);
    while http
        .get(format!("{app_url}/auth/oidc/login"))
        .send()
        .await
        .unwrap()
        .status()
        != 303
    {
        assert!(
            Instant::now() < deadline,
            "the service never read the provider's discovery"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn callback(http: &reqwest::Client, url: &str) -> (u16, String, Option<String>) {
    let res = http.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let to = res.headers().get("location").map(|l| l.to_str().unwrap().to_string());
    (status, res.text().await.unwrap(), to)
}

async fn signs_in_with_the_company_account(backend: Backend) {
    let provider_port = free_port();
    let (app, url) = app_for(backend, provider_port).await;
    let provider = Provider::start(provider_port, &url);
    app.create_employee("ann@example.com", "Ann Lee", "Support", None).await;
    app.create_employee("bea@example.com", "Bea Boss", "Support", None)
        .await;
    // The service reads discovery in the background: wait for it.
    provider_read(&url).await;

    // In a browser: the sign-in page's button, the provider's login and consent pages, home.
    let b = Browser::start(1280).await;
    b.goto(&format!("{url}/sign-in")).await;
    b.wait_for_text("#oidc-sign-in", "Sign in with Acme", 15).await;
    let problems = crate::axe::violations(&b).await;
    assert!(
        problems.is_empty(),
        "axe on the sign-in page with the provider's button: {problems:?}"
    );
    b.click("#oidc-sign-in").await;
    b.type_into("input[name=login]", "ann@example.com").await;
    b.type_into("input[name=password]", "anything").await;
    b.click("button[type=submit]").await;
    b.wait_for_text("button[type=submit]", "Continue", 15).await;
    b.click("button[type=submit]").await;
    b.wait_for_text("body", "Ann Lee", 15).await;
    assert_eq!(b.current_url().await, format!("{url}/"), "home, signed in");
    assert_eq!(
        provider.token_auths(),
        ["token-auth client_secret_basic"],
        "the secret went in Basic"
    );
    b.screenshot(&format!("{backend:?}-oidc-signed-in").to_lowercase())
        .await;

    // An unverified email: refused in words, in the browser too.
    let b2 = Browser::start(1280).await;
    b2.goto(&format!("{url}/auth/oidc/login")).await;
    b2.type_into("input[name=login]", "unverified+bea@example.com").await;
    b2.type_into("input[name=password]", "anything").await;
    b2.click("button[type=submit]").await;
    b2.wait_for_text("button[type=submit]", "Continue", 15).await;
    b2.click("button[type=submit]").await;
    let said = b2.wait_for_text(".error", "not verified", 15).await;
    assert!(said.contains("bea@example.com"), "{said}");
    let problems = crate::axe::violations(&b2).await;
    assert!(problems.is_empty(), "axe on the refusal: {problems:?}");

    // Someone the directory lacks.
    let http = jar_client();
    let back = through_the_provider(&http, &url, "nobody@example.com").await;
    let (status, page, _) = callback(&http, &back).await;
    assert_eq!(status, 403);
    assert!(page.contains("not in the Customer Champion directory"), "{page}");

    // A replayed code: the first use signs in, the provider refuses the second.
    let http = jar_client();
    let back = through_the_provider(&http, &url, "ann@example.com").await;
    let (status, _, to) = callback(&http, &back).await;
    assert_eq!((status, to.as_deref()), (303, Some("/")));
    let code = url::Url::parse(&back)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let fresh = http.get(format!("{url}/auth/oidc/login")).send().await.unwrap();
    let fresh_state = url::Url::parse(&location(&fresh, &url))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let (status, page, _) = callback(
        &http,
        &format!("{url}/auth/oidc/callback?code={code}&state={fresh_state}"),
    )
    .await;
    assert_eq!(status, 401, "{page}");
    assert!(page.contains("already used or has expired"), "{page}");

    // A state this browser did not start.
    let (status, page, _) = callback(&jar_client(), &format!("{url}/auth/oidc/callback?code=x&state=forged")).await;
    assert_eq!(status, 400);
    assert!(page.contains("state does not match"), "{page}");
    // Consent denied at the provider.
    let http = jar_client();
    let begun = http.get(format!("{url}/auth/oidc/login")).send().await.unwrap();
    let state = url::Url::parse(&location(&begun, &url))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let (status, page, _) = callback(
        &http,
        &format!("{url}/auth/oidc/callback?error=access_denied&state={state}"),
    )
    .await;
    assert_eq!(status, 403);
    assert!(page.contains("did not allow Customer Champion"), "{page}");

    // Key rotation: the provider starts again with a new signing key; the next sign-in works.
    drop(provider);
    let _rotated = Provider::start(provider_port, &url);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let http = jar_client();
    let back = through_the_provider(&http, &url, "ann@example.com").await;
    let (status, page, to) = callback(&http, &back).await;
    assert_eq!((status, to.as_deref()), (303, Some("/")), "{page}");
}

async fn a_provider_down_at_start_stops_nothing(backend: Backend) {
    let provider_port = free_port();
    let (app, url) = app_for(backend, provider_port).await;
    app.create_employee("ann@example.com", "Ann Lee", "Support", None).await;
    assert_eq!(app.get("/readyz", None).await.status, 200);
    let page = app
        .client
        .get(format!("{url}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Sign in with Acme") && page.contains("Email me a sign-in link"),
        "{page}"
    );
    let down = jar_client().get(format!("{url}/auth/oidc/login")).send().await.unwrap();
    assert_eq!(down.status(), 503);
    assert!(down.text().await.unwrap().contains("not answering"));
    // Magic links still work.
    let asked = app
        .post(
            "/api/v1/auth/magic-link",
            "",
            &serde_json::json!({"email": "ann@example.com"}),
        )
        .await;
    assert_eq!(asked.status, 202);
    app.smtp.wait_for(15, "the sign-in link", |m| !m.is_empty()).await;
    // The provider comes up: sign-in with it works once the service has read it.
    let _provider = Provider::start(provider_port, &url);
    provider_read(&url).await;
    let back = through_the_provider(&jar_client(), &url, "ann@example.com").await;
    assert!(back.contains("code="), "{back}");
}

/// `client_secret_post` and `create_unknown`: a newcomer signs in and joins the directory.
async fn posts_the_secret_and_adds_newcomers_when_asked(backend: Backend) {
    let provider_port = free_port();
    let (app, url) = app_with(
        backend,
        provider_port,
        &[
            ("CHAMPION__OIDC__CLIENT_AUTH", "client_secret_post"),
            ("CHAMPION__OIDC__CREATE_UNKNOWN", "true"),
        ],
    )
    .await;
    let provider = Provider::start_with(provider_port, &url, "client_secret_post");
    provider_read(&url).await;
    let http = jar_client();
    let back = through_the_provider(&http, &url, "newcomer@example.com").await;
    let (status, page, to) = callback(&http, &back).await;
    assert_eq!((status, to.as_deref()), (303, Some("/")), "{page}");
    assert_eq!(
        provider.token_auths(),
        ["token-auth client_secret_post"],
        "the secret went in the body"
    );
    let found = app
        .get("/api/v1/employees?query=newcomer", Some(&app.admin_token()))
        .await;
    assert_eq!(
        found.body["items"][0]["email"], "newcomer@example.com",
        "{}",
        found.text
    );
    assert_eq!(found.body["items"][0]["name"], "newcomer");
    // Signed in: the wall greets them.
    let home = http.get(format!("{url}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("newcomer"));
}

macro_rules! oidc_tests {
    ($($name:ident),*) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(crate::helpers::Backend::Sqlite).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(crate::helpers::Backend::Postgres).await
            })*
        }
    };
}

oidc_tests!(
    signs_in_with_the_company_account,
    a_provider_down_at_start_stops_nothing,
    posts_the_secret_and_adds_newcomers_when_asked
);
