//! `spawn_app()`: the real application on a free port, with its own SQLite file or its own
//! fresh Postgres database (dropped afterwards), and typed helpers for the tests.

use std::path::PathBuf;

use champion::auth::TokenKeys;
use champion::domain::email::Email;
use champion::settings::{Settings, Sources};
use champion::startup::Application;
use diesel::{Connection, RunQueryDsl};
use serde_json::Value;

pub use crate::smtp_sink::{Mode as SmtpMode, Received, SmtpSink};

pub const ROOT_ADMIN: &str = "root@example.com";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_base() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// The test's own database; Postgres ones are dropped when the test ends.
pub struct TestDb {
    pub url: String,
    postgres_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("champion.db").display());
                TestDb {
                    url,
                    postgres_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("champion_test_{}", uuid::Uuid::new_v4().simple());
                // Fails (never skips) when Postgres is missing: CI must prove both backends.
                let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", postgres_base()))
                    .expect("Postgres must be reachable on 127.0.0.1:5432 (or set TEST_POSTGRES_URL)");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                TestDb {
                    url: format!("{}/{name}", postgres_base()),
                    postgres_name: Some(name),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_name.take() {
            let base = postgres_base();
            // On its own thread: Drop may run inside the async runtime.
            let _ = std::thread::spawn(move || {
                if let Ok(mut admin) = diesel::PgConnection::establish(&format!("{base}/postgres")) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
                }
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub backend: Backend,
    pub db: TestDb,
    keys: TokenKeys,
    pub smtp: SmtpSink,
    /// Background tasks of every instance, stopped before the database goes.
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Ok(tasks) = self.tasks.lock() {
            tasks.iter().for_each(|t| t.abort());
        }
        // Let a database call already under way finish before the database is dropped.
        std::thread::sleep(std::time::Duration::from_millis(60));
    }
}

pub fn test_settings(db_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env_vars = vec![
        ("CHAMPION__DATABASE__URL".to_string(), db_url.to_string()),
        ("CHAMPION__SERVER__PORT".to_string(), "0".to_string()),
        ("CHAMPION__AUTH__ADMINS".to_string(), ROOT_ADMIN.to_string()),
        ("CHAMPION__DATABASE__POOL_SIZE".to_string(), "4".to_string()),
        // Two writers, so concurrent sends in tests are batched and batches run side by side.
        ("CHAMPION__DATABASE__SEND_WRITERS".to_string(), "2".to_string()),
    ];
    env_vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::load(&Sources {
        environment: Some("test".into()),
        config_dir: Some(PathBuf::from("/nonexistent")),
        env_vars,
    })
    .expect("test settings")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    spawn_app_mailing_to(backend, extra, SmtpSink::start().await).await
}

/// The app with its mail going to `smtp` (which may not be listening yet). The outbox
/// worker polls often and retries soon; the digest clock ticks once at start (tests drive
/// digests through the API and the services).
pub async fn spawn_app_mailing_to(backend: Backend, extra: &[(&str, &str)], smtp: SmtpSink) -> TestApp {
    let smtp_url = smtp.url();
    let mut extra_settings: Vec<(&str, &str)> = vec![
        ("CHAMPION__SMTP__URL", smtp_url.as_str()),
        ("CHAMPION__SMTP__POLL_MS", "50"),
        ("CHAMPION__SMTP__RETRY_BASE_MS", "200"),
        ("CHAMPION__SMTP__TIMEOUT_SECONDS", "5"),
        ("CHAMPION__DIGEST__CHECK_SECONDS", "3600"),
        // Webhook receivers and Slack's stand-in listen on loopback; deliveries retry soon.
        ("CHAMPION__WEBHOOKS__ALLOW_PRIVATE_TARGETS", "true"),
        ("CHAMPION__WEBHOOKS__POLL_MS", "50"),
        ("CHAMPION__WEBHOOKS__RETRY_BASE_MS", "200"),
    ];
    extra_settings.extend_from_slice(extra);
    let extra = extra_settings.as_slice();
    if std::env::var("TEST_LOG").is_ok() {
        champion::telemetry::init(&champion::settings::LogSettings {
            level: "debug".into(),
            json: false,
        });
    }
    let db = TestDb::create(backend);
    let settings = test_settings(&db.url, extra);
    let app = Application::build(settings.clone()).await.expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let tasks = std::sync::Arc::new(std::sync::Mutex::new(app.background_tasks()));
    tokio::spawn(app.run_until_stopped());
    let keys = TokenKeys::from_settings(&settings.auth).expect("keys");
    TestApp {
        address,
        client: reqwest::Client::new(),
        settings,
        backend,
        db,
        keys,
        smtp,
        tasks,
    }
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(res: reqwest::Response) -> Reply {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Asserts a problem+json error with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str, context: &str) {
        assert_eq!(self.status, status, "{context}: {}", self.text);
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            ct.starts_with("application/problem+json"),
            "{context}: content-type {ct}"
        );
        assert_eq!(self.body["code"], code, "{context}: {}", self.text);
        assert_eq!(self.body["status"], status, "{context}");
        assert!(
            self.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{context}: detail"
        );
    }

    pub fn field_errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect())
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn token(&self, email: &str) -> String {
        self.keys
            .issue(&Email::parse(email).expect("email"), None)
            .expect("token")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Reply::from(req.send().await.expect("request")).await
    }

    pub async fn send_json(&self, method: reqwest::Method, path: &str, token: &str, body: &Value) -> Reply {
        let req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body);
        Reply::from(req.send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::POST, path, token, body).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send_json(reqwest::Method::PATCH, path, token, body).await
    }

    pub async fn post_raw(&self, path: &str, token: &str, content_type: &str, body: impl Into<reqwest::Body>) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body);
        Reply::from(req.send().await.expect("request")).await
    }

    pub fn admin_token(&self) -> String {
        self.token(ROOT_ADMIN)
    }

    /// Creates an employee through the API and returns its JSON.
    pub async fn create_employee(&self, email: &str, name: &str, department: &str, manager_id: Option<&str>) -> Value {
        let body =
            serde_json::json!({"email": email, "name": name, "department": department, "manager_id": manager_id});
        let reply = self.post("/api/v1/employees", &self.admin_token(), &body).await;
        assert_eq!(reply.status, 201, "create {email}: {}", reply.text);
        reply.body
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        let req = self.client.delete(self.url(path)).bearer_auth(token);
        Reply::from(req.send().await.expect("request")).await
    }

    /// Sends a postcard as the owner of `token`.
    pub async fn send_postcard(&self, token: &str, body: &Value) -> Reply {
        self.post("/api/v1/postcards", token, body).await
    }

    /// Another instance of the service on the same database (a restart, or a second node);
    /// returns its base URL.
    pub async fn another_instance(&self) -> String {
        self.another_instance_with(|_| {}).await
    }

    /// Another instance with some settings of its own.
    pub async fn another_instance_with(&self, change: impl FnOnce(&mut Settings)) -> String {
        let mut settings = self.settings.clone();
        change(&mut settings);
        let app = Application::build(settings).await.expect("second instance builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.extend(app.background_tasks());
        }
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// A pool on the test's database, for driving the services directly (a week in the
    /// past, a clock set to a chosen instant).
    pub fn pool(&self) -> champion::store::Pool {
        champion::store::db::connect(&self.db.url, 2).expect("pool")
    }

    /// Polls `path` (as admin) until `pred` holds for its JSON, or panics after `secs`.
    pub async fn wait_until(&self, secs: u64, path: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let reply = self.get(path, Some(&self.admin_token())).await;
            if pred(&reply.body) {
                return reply.body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {}",
                reply.text
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    pub async fn import_csv(&self, csv: &str, dry_run: bool) -> Reply {
        let path = format!("/api/v1/employees/import?dry_run={dry_run}");
        self.post_raw(&path, &self.admin_token(), "text/csv", csv.to_string())
            .await
    }
}

/// Runs each listed `async fn(TestApp)` as one test on SQLite and one on Postgres,
/// optionally with extra settings: `on_both_backends!(with &[("CHAMPION__X__Y", "1")]; a, b)`.
#[macro_export]
macro_rules! on_both_backends {
    (with $settings:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $settings).await;
                super::$name(app).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $settings).await;
                super::$name(app).await
            })*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
            })*
        }
    };
}
