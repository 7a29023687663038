//! A real HTTP server on loopback standing in for the other side of an integration (a
//! webhook receiver, Slack's Web API): it records every request as it arrived and answers
//! with scripted replies first, then with its default answer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// An answer: status, headers, body.
pub type Answer = (u16, Vec<(String, String)>, String);
type Responder = dyn Fn(&Recorded) -> Answer + Send + Sync;

struct Inner {
    seen: Mutex<Vec<Recorded>>,
    script: Mutex<VecDeque<Answer>>,
    default: Box<Responder>,
}

#[derive(Clone)]
pub struct Standin {
    inner: Arc<Inner>,
    pub url: String,
}

async fn handle(req: HttpRequest, body: web::Bytes, inner: web::Data<Arc<Inner>>) -> HttpResponse {
    let rec = Recorded {
        path: req.path().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).to_string(),
    };
    let scripted = inner.script.lock().unwrap().pop_front();
    let (status, headers, text) = scripted.unwrap_or_else(|| (inner.default)(&rec));
    inner.seen.lock().unwrap().push(rec);
    let mut res = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    for (k, v) in headers {
        res.insert_header((k, v));
    }
    res.content_type("application/json").body(text)
}

impl Standin {
    /// Answers `200 {}` unless scripted otherwise.
    pub async fn start() -> Standin {
        Standin::start_with(|_| (200, vec![], "{}".into())).await
    }

    pub async fn start_with(default: impl Fn(&Recorded) -> Answer + Send + Sync + 'static) -> Standin {
        let inner = Arc::new(Inner {
            seen: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            default: Box::new(default),
        });
        let data = web::Data::new(inner.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(handle)))
            .workers(4)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        tokio::spawn(server);
        Standin {
            inner,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The next answers, in order, before the default takes over.
    pub fn script(&self, answers: impl IntoIterator<Item = Answer>) {
        self.inner.script.lock().unwrap().extend(answers);
    }

    pub fn seen(&self) -> Vec<Recorded> {
        self.inner.seen.lock().unwrap().clone()
    }

    pub fn seen_at(&self, path: &str) -> Vec<Recorded> {
        self.seen().into_iter().filter(|r| r.path == path).collect()
    }

    /// Waits until `pred` holds of what was seen (at most `secs`).
    pub async fn wait_for(&self, secs: u64, what: &str, pred: impl Fn(&[Recorded]) -> bool) -> Vec<Recorded> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let seen = self.seen();
            if pred(&seen) {
                return seen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}; saw {seen:#?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
