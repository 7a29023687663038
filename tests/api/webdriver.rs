//! A small W3C WebDriver client over reqwest, driving Debian's headless Chromium through
//! `chromedriver` (one per test, on a free port). No browser download, no extra crates.
//! Missing `chromedriver` or `chromium` fails the test: CI must prove the pages work.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A browser session; the driver process and the profile go when it is dropped.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session closes Chromium; the driver is then killed.
        let _ = delete_session(&self.base);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// DELETE the session without an async runtime (`Drop` may run outside one).
fn delete_session(url: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    Ok(())
}

#[derive(Clone, Debug)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium 1280x900 (or `width` wide).
    pub async fn start(width: u32) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e}. Install Debian's chromium and chromium-driver (.ci/run does).",
                    chromedriver()
                )
            });
        let http = reqwest::Client::new();
        let root = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = http.get(format!("{root}/status")).send().await;
            if let Ok(res) = ready {
                if res.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir");
        // The flags keep Chromium off the network it would otherwise call home on.
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--window-size={width},900"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium(), "args": args}
        }}});
        let res: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let id = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromium did not start ({} missing?): {res}", chromium()))
            .to_string();
        Browser {
            http,
            base: format!("{root}/session/{id}"),
            driver,
            _profile: profile,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res: Value = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("webdriver {method} {path}: {e}"))
            .json()
            .await
            .expect("webdriver json");
        if res["value"].get("error").is_some() {
            panic!("webdriver {method} {path}: {}", res["value"]);
        }
        res["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    pub async fn current_url(&self) -> String {
        self.get("/url").await.as_str().unwrap_or_default().to_string()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Runs `script` asynchronously: it ends by calling `arguments[arguments.length - 1]`
    /// with the result.
    pub async fn js_async(&self, script: &str, args: Value) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": args }))
            .await
    }

    /// `prefers-color-scheme: dark` (or light) for the pages, as a user's setting would.
    pub async fn color_scheme(&self, scheme: &str) {
        self.post(
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia",
                   "params": {"features": [{"name": "prefers-color-scheme", "value": scheme}]}}),
        )
        .await;
    }

    /// Presses keys on whatever has the focus (WebDriver key codes, e.g. `\u{E004}` Tab,
    /// `\u{E007}` Enter).
    pub async fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.post(
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        )
        .await;
        self.call(reqwest::Method::DELETE, "/actions", None).await;
    }

    /// Presses Tab until the element matching `css` has the focus, as someone using only
    /// the keyboard would; fails after `most` presses. Checks the focus can be seen (an
    /// outline) on the way. Answers how many presses it took.
    pub async fn tab_to(&self, css: &str, most: u32) -> u32 {
        for n in 1..=most {
            self.keys("\u{E004}").await;
            let state = self
                .js(
                    "var a = document.activeElement; if (!a) { return null; } \
                     var s = getComputedStyle(a); \
                     return [a.matches(arguments[0]), s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, \
                             a.tagName + (a.id ? '#' + a.id : '') + (a.name ? '[' + a.name + ']' : '')];",
                    json!([css]),
                )
                .await;
            if let Some(focused) = state.as_array() {
                assert_eq!(
                    focused[1],
                    json!(true),
                    "the keyboard focus on {} cannot be seen",
                    focused[2]
                );
                if focused[0] == json!(true) {
                    return n;
                }
            }
        }
        let shot = self.screenshot(&format!("tab-to-{}", slug(css))).await;
        panic!("{css} not reached with {most} presses of Tab (screenshot {shot})");
    }

    /// Answers yes to the next `confirm()` the page asks (destructive actions ask).
    pub async fn accept_confirms(&self) {
        self.js("window.confirm = function () { return true; }; return true;", json!([]))
            .await;
    }

    pub async fn find(&self, css: &str) -> Element {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        Element(v[ELEMENT].as_str().expect("element id").to_string())
    }

    pub async fn click(&self, css: &str) {
        let e = self.wait_for(css, 15).await;
        self.post(&format!("/element/{}/click", e.0), json!({})).await;
    }

    /// Types as a keyboard would (key events, so listeners run).
    pub async fn type_into(&self, css: &str, text: &str) {
        let e = self.wait_for(css, 15).await;
        self.post(&format!("/element/{}/value", e.0), json!({ "text": text }))
            .await;
    }

    pub async fn press_enter(&self, css: &str) {
        self.type_into(css, "\u{E007}").await;
    }

    /// Chooses the `<option>` with this value.
    pub async fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]")).await;
    }

    /// The first element matching `css` that is displayed, waiting up to `secs`.
    pub async fn wait_for(&self, css: &str, secs: u64) -> Element {
        self.wait_until(secs, &format!("{css} to show"), || async {
            let found = self
                .js(
                    // An <option> shows when its <select> does.
                    "var e = document.querySelector(arguments[0]); if (!e) { return false; } \
                     var box = e.closest('select') || e; return box.tagName === 'BODY' || box.offsetParent !== null;",
                    json!([css]),
                )
                .await;
            found.as_bool() == Some(true)
        })
        .await;
        self.find(css).await
    }

    /// The text of the first element matching `css` ("" when there is none).
    pub async fn text(&self, css: &str) -> String {
        self.js(
            "var e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
            json!([css]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.js(
            "var e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            json!([css, name]),
        )
        .await
        .as_str()
        .map(String::from)
    }

    /// Waits until the first element matching `css` holds `needle` in its text.
    pub async fn wait_for_text(&self, css: &str, needle: &str, secs: u64) -> String {
        self.wait_until(secs, &format!("{css} to contain {needle:?}"), || async {
            self.text(css).await.contains(needle)
        })
        .await;
        self.text(css).await
    }

    pub async fn wait_until<F, Fut>(&self, secs: u64, what: &str, check: F)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            if started.elapsed() > Duration::from_secs(secs) {
                let shot = self.screenshot(&format!("timeout-{}", slug(what))).await;
                panic!(
                    "timed out after {secs}s waiting for {what} (page {}; screenshot {shot})",
                    self.current_url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG under `$CARGO_TARGET_TMPDIR/screenshots/` and returns its path.
    pub async fn screenshot(&self, name: &str) -> String {
        let data = self.get("/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or_default())
            .expect("screenshot base64");
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path.display().to_string()
    }

    /// Resizes the window (to check a narrow screen).
    pub async fn resize(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await;
    }

    /// Enters the `index`-th iframe of the page (`None`: back to the top document).
    pub async fn frame(&self, index: Option<u32>) {
        self.post("/frame", json!({ "id": index })).await;
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect()
}
