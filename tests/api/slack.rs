//! Slack: requests signed exactly as Slack signs them, against a local stand-in of Slack's
//! Web API (recording every call, answering in Slack's shapes, 429s and errors on demand).
//! Slack user `U-<name>` is `<name>@example.com` in the stand-in's profiles.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, Reply, TestApp};
use crate::http_standin::{Answer, Recorded, Standin};
use crate::org::{card, org};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const CHANNEL: &str = "C-ANNOUNCE";

fn form(body: &str) -> std::collections::HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

/// Slack's Web API as far as we use it. `announce_failures` answers (503 first, then 429
/// with Retry-After: 1) come before announcements succeed; `delay` slows every answer.
fn slack_api(announce_failures: usize, delay: Duration) -> impl Fn(&Recorded) -> Answer + Send + Sync {
    let failures = Arc::new(AtomicUsize::new(0));
    let ts = Arc::new(AtomicUsize::new(0));
    move |r: &Recorded| {
        std::thread::sleep(delay);
        let ok = |v: Value| (200, vec![], v.to_string());
        match r.path.as_str() {
            "/users.info" => {
                let user = form(&r.body).get("user").cloned().unwrap_or_default();
                let name = user.trim_start_matches("U-").to_string();
                match name.as_str() {
                    "noemail" => ok(json!({"ok": true, "user": {"id": user, "profile": {}}})),
                    "unconfirmed" => ok(
                        json!({"ok": true, "user": {"id": user, "is_email_confirmed": false, "profile": {"email": "ann@example.com"}}}),
                    ),
                    _ => ok(
                        json!({"ok": true, "user": {"id": user, "is_email_confirmed": true, "profile": {"email": format!("{name}@example.com")}}}),
                    ),
                }
            }
            "/users.lookupByEmail" => {
                let email = form(&r.body).get("email").cloned().unwrap_or_default();
                ok(json!({"ok": true, "user": {"id": format!("U-{}", email.split('@').next().unwrap_or_default())}}))
            }
            "/chat.postMessage" => {
                let channel = r.json()["channel"].as_str().unwrap_or_default().to_string();
                if channel == CHANNEL {
                    let n = failures.fetch_add(1, Ordering::SeqCst);
                    if n < announce_failures {
                        return if n.is_multiple_of(2) {
                            (503, vec![], "upstream down".into())
                        } else {
                            (
                                429,
                                vec![("Retry-After".into(), "1".into())],
                                json!({"ok": false, "error": "ratelimited"}).to_string(),
                            )
                        };
                    }
                }
                let t = ts.fetch_add(1, Ordering::SeqCst);
                ok(json!({"ok": true, "channel": channel, "ts": format!("1700000000.{t:06}")}))
            }
            _ => ok(json!({"ok": true})),
        }
    }
}

async fn slack_app(backend: Backend, standin: &Standin) -> TestApp {
    spawn_app_with(
        backend,
        &[
            ("CHAMPION__SLACK__SIGNING_SECRET", SECRET),
            ("CHAMPION__SLACK__BOT_TOKEN", "xoxb-test"),
            ("CHAMPION__SLACK__ANNOUNCE_CHANNEL", CHANNEL),
            ("CHAMPION__SLACK__API_BASE_URL", &standin.url),
        ],
    )
    .await
}

/// POSTs a body signed as Slack signs it, `age` seconds ago.
async fn signed_at(app: &TestApp, path: &str, content_type: &str, body: &str, age: i64) -> Reply {
    let ts = chrono::Utc::now().timestamp() - age;
    let sig = champion::domain::signatures::slack_signature(SECRET, ts, body.as_bytes());
    raw(app, path, content_type, body, Some((ts.to_string(), sig))).await
}

async fn raw(app: &TestApp, path: &str, content_type: &str, body: &str, signed: Option<(String, String)>) -> Reply {
    let mut req = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body.to_string());
    if let Some((ts, sig)) = signed {
        req = req
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", sig);
    }
    Reply::from(req.send().await.unwrap()).await
}

async fn command(app: &TestApp, user: &str, text: &str) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("command", "/champion"),
            ("text", text),
            ("user_id", user),
            ("channel_id", "C-GENERAL"),
            ("trigger_id", &format!("trigger-{}", uuid::Uuid::new_v4())),
        ])
        .finish();
    signed_at(
        app,
        "/integrations/slack/commands",
        "application/x-www-form-urlencoded",
        &body,
        0,
    )
    .await
}

async fn interaction(app: &TestApp, payload: Value) -> Reply {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish();
    signed_at(
        app,
        "/integrations/slack/interactions",
        "application/x-www-form-urlencoded",
        &body,
        0,
    )
    .await
}

fn said(r: &Reply) -> String {
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["response_type"], "ephemeral", "{}", r.text);
    r.body["text"].as_str().unwrap().to_string()
}

async fn requests_must_be_signed_by_slack(app: TestApp, _slack: Standin) {
    let path = "/integrations/slack/events";
    let body = json!({"type": "url_verification", "challenge": "c-123"}).to_string();
    raw(&app, path, "application/json", &body, None)
        .await
        .assert_problem(401, "invalid_signature", "unsigned");
    let ts = chrono::Utc::now().timestamp();
    let wrong = champion::domain::signatures::slack_signature("another secret", ts, body.as_bytes());
    raw(&app, path, "application/json", &body, Some((ts.to_string(), wrong)))
        .await
        .assert_problem(401, "invalid_signature", "signed with another secret");
    let good = champion::domain::signatures::slack_signature(SECRET, ts, body.as_bytes());
    let tampered = body.replace("c-123", "c-999");
    raw(
        &app,
        path,
        "application/json",
        &tampered,
        Some((ts.to_string(), good.clone())),
    )
    .await
    .assert_problem(401, "invalid_signature", "a changed body");
    signed_at(&app, path, "application/json", &body, 301)
        .await
        .assert_problem(401, "invalid_signature", "six minutes old");
    let ok = raw(
        &app,
        path,
        "application/json",
        &body,
        Some((ts.to_string(), good.clone())),
    )
    .await;
    assert_eq!(
        (ok.status, &ok.body["challenge"]),
        (200, &json!("c-123")),
        "{}",
        ok.text
    );
    raw(&app, path, "application/json", &body, Some((ts.to_string(), good)))
        .await
        .assert_problem(401, "invalid_signature", "a replay");
}

async fn the_slash_command_sends_and_the_channel_hears(app: TestApp, slack: Standin) {
    let o = org(&app).await;
    let text = said(
        &command(
            &app,
            "U-bob",
            "<@U-ann|ann> <@U-cat|cat> above-and-beyond Stayed late to fix Acme's invoice",
        )
        .await,
    );
    assert_eq!(
        text,
        "Sent: Bob Ray recognised Ann Lee and Cat Ng for Above and beyond. Everyone can see it on the wall."
    );
    let feed = app.get("/api/v1/postcards", Some(&o.dan.token)).await;
    let postcard = &feed.body["items"][0];
    assert_eq!(postcard["message"], "Stayed late to fix Acme's invoice");
    let id = postcard["id"].as_str().unwrap();
    let seen = slack
        .wait_for(20, "the announcement and two direct messages", |s| {
            s.iter().filter(|r| r.path == "/chat.postMessage").count() >= 3
        })
        .await;
    let posts: Vec<Value> = seen
        .iter()
        .filter(|r| r.path == "/chat.postMessage")
        .map(Recorded::json)
        .collect();
    let announcement = posts.iter().find(|p| p["channel"] == CHANNEL).expect("announced");
    let blocks = announcement["blocks"].to_string();
    assert!(
        blocks.contains("Above and beyond") && blocks.contains("Stayed late to fix Acme"),
        "{blocks}"
    );
    assert!(
        blocks.contains(&format!("\"value\":\"{id}\"")),
        "the +1 button carries the postcard: {blocks}"
    );
    let mut dms: Vec<&str> = posts
        .iter()
        .filter_map(|p| p["channel"].as_str())
        .filter(|c| *c != CHANNEL)
        .collect();
    dms.sort();
    assert_eq!(
        dms,
        ["U-ann", "U-cat"],
        "recipients who want notices get a direct message"
    );
    assert!(seen
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer xoxb-test")));
}

async fn refusals_are_answered_in_words(app: TestApp, slack: Standin) {
    let o = org(&app).await;
    let ghost = said(&command(&app, "U-ghost", "<@U-ann> above-and-beyond x").await);
    assert!(
        ghost.contains("ghost@example.com") && ghost.contains("not in the Customer Champion directory"),
        "{ghost}"
    );
    let unknown_colleague = said(&command(&app, "U-bob", "<@U-ghost> above-and-beyond x").await);
    assert!(
        unknown_colleague.starts_with("Nothing was sent.") && unknown_colleague.contains("ghost@example.com"),
        "{unknown_colleague}"
    );
    let no_email = said(&command(&app, "U-bob", "<@U-noemail> above-and-beyond x").await);
    assert!(no_email.contains("no verified email"), "{no_email}");
    let unconfirmed = said(&command(&app, "U-unconfirmed", "me").await);
    assert!(unconfirmed.contains("no verified email"), "{unconfirmed}");
    let myself = said(&command(&app, "U-bob", "<@U-bob> above-and-beyond Great work, me").await);
    assert!(
        myself.starts_with("Nothing was sent. Colleagues:") && myself.contains("yourself"),
        "{myself}"
    );
    let behaviour = said(&command(&app, "U-bob", "<@U-ann> flying Great work").await);
    assert!(behaviour.starts_with("Nothing was sent. Behaviour:"), "{behaviour}");
    let story = said(&command(&app, "U-bob", "<@U-ann> above-and-beyond").await);
    assert!(story.starts_with("Nothing was sent. Story:"), "{story}");
    let plain_at = said(&command(&app, "U-bob", "@ann above-and-beyond x").await);
    assert!(plain_at.contains("mention"), "{plain_at}");
    // The pair limit (2 a week) in words, the third time.
    for _ in 0..2 {
        assert!(said(&command(&app, "U-bob", "<@U-ann> above-and-beyond Again").await).starts_with("Sent"));
    }
    let pair = said(&command(&app, "U-bob", "<@U-ann> above-and-beyond Again").await);
    assert!(
        pair.contains("already sent this colleague 2 postcards this week"),
        "{pair}"
    );
    let me = said(&command(&app, "U-bob", "me").await);
    assert!(me.contains("8 postcards left to send this week"), "{me}");
    let ann = said(&command(&app, "U-ann", "me").await);
    assert!(ann.starts_with("You are #1 this week with 6 points"), "{ann}");
    let top = said(&command(&app, "U-dan", "top").await);
    assert!(top.contains("1. Ann Lee (Support) 6 points"), "{top}");
    // The App Home shows this week's board.
    let home = json!({"type": "event_callback", "event": {"type": "app_home_opened", "user": "U-dan"}}).to_string();
    assert_eq!(
        signed_at(&app, "/integrations/slack/events", "application/json", &home, 0)
            .await
            .status,
        200
    );
    let published = slack
        .wait_for(10, "views.publish", |s| s.iter().any(|r| r.path == "/views.publish"))
        .await;
    let published = published.iter().find(|r| r.path == "/views.publish").unwrap().json();
    assert_eq!(published["user_id"], "U-dan");
    assert!(
        published["view"].to_string().contains("1. Ann Lee (Support) 6 points"),
        "{published}"
    );
    // No words: the modal opens on Slack's trigger.
    let help = command(&app, "U-bob", "").await;
    assert_eq!((help.status, help.text.as_str()), (200, ""));
    let opened = slack.seen_at("/views.open");
    let view = &opened.last().expect("views.open").json()["view"];
    assert_eq!(view["callback_id"], "champion_send");
    assert!(view.to_string().contains("above-and-beyond"), "behaviours offered");
    let _ = o;
}

fn submission(user: &str, view_id: &str, recipients: &[&str], behaviour: &str, story: &str, visibility: &str) -> Value {
    json!({
        "type": "view_submission",
        "user": {"id": user},
        "view": {
            "id": view_id,
            "callback_id": "champion_send",
            "private_metadata": "C-GENERAL",
            "state": {"values": {
                "recipients": {"value": {"type": "multi_users_select", "selected_users": recipients}},
                "behaviour": {"value": {"type": "static_select", "selected_option": {"value": behaviour}}},
                "story": {"value": {"type": "plain_text_input", "value": story}},
                "customer": {"value": {"type": "plain_text_input", "value": "Acme"}},
                "quote": {"value": {"type": "plain_text_input", "value": "You saved our launch"}},
                "visibility": {"value": {"type": "radio_buttons", "selected_option": {"value": visibility}}}
            }}
        }
    })
}

async fn the_modal_shows_errors_by_field_and_sends(app: TestApp, slack: Standin) {
    let o = org(&app).await;
    let blank = interaction(
        &app,
        submission("U-bob", "V1", &["U-ann"], "above-and-beyond", "  ", "public"),
    )
    .await;
    assert_eq!(blank.body["response_action"], "errors", "{}", blank.text);
    assert!(
        blank.body["errors"]["story"].as_str().unwrap().starts_with("Story:"),
        "{}",
        blank.text
    );
    let ghost = interaction(
        &app,
        submission("U-bob", "V2", &["U-ghost"], "above-and-beyond", "Great", "public"),
    )
    .await;
    assert!(ghost.body["errors"]["recipients"]
        .as_str()
        .unwrap()
        .contains("not in the Customer Champion directory"));
    let ok = interaction(
        &app,
        submission(
            "U-bob",
            "V3",
            &["U-ann"],
            "above-and-beyond",
            "Fixed the invoice",
            "private",
        ),
    )
    .await;
    assert_eq!((ok.status, ok.text.as_str()), (200, ""));
    // Slack sending the same submission again (a second later: a new signature) sends nothing twice.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let again = interaction(
        &app,
        submission(
            "U-bob",
            "V3",
            &["U-ann"],
            "above-and-beyond",
            "Fixed the invoice",
            "private",
        ),
    )
    .await;
    assert_eq!(again.status, 200);
    let mine = app
        .get("/api/v1/postcards?sender=".to_string().as_str(), Some(&o.bob.token))
        .await;
    let mine: Vec<&Value> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["sender"]["id"] == o.bob.id.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(
        (mine[0]["visibility"].as_str(), mine[0]["customer"]["quote"].as_str()),
        (Some("private"), Some("You saved our launch"))
    );
    slack
        .wait_for(10, "the confirmation to the sender", |s| {
            s.iter().any(|r| r.path == "/chat.postEphemeral")
        })
        .await;
    // A private postcard is never announced in the channel.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!slack
        .seen_at("/chat.postMessage")
        .iter()
        .any(|r| r.json()["channel"] == CHANNEL));
    // The message shortcut opens the modal with the message as the story and its author chosen.
    let shortcut = interaction(
        &app,
        json!({"type": "message_action", "callback_id": "champion_from_message", "trigger_id": "t-9",
               "user": {"id": "U-bob"}, "channel": {"id": "C-GENERAL"},
               "message": {"text": "Ann just calmed down Acme's CFO", "user": "U-ann"}}),
    )
    .await;
    assert_eq!(shortcut.status, 200);
    let view = slack.seen_at("/views.open").last().unwrap().json();
    assert_eq!(view["trigger_id"], "t-9");
    assert!(view["view"].to_string().contains("Ann just calmed down Acme's CFO"));
    assert!(view["view"].to_string().contains("\"initial_users\":[\"U-ann\"]"));
}

async fn plus_one_endorses_and_hiding_deletes_the_announcement(app: TestApp, slack: Standin) {
    let o = org(&app).await;
    let sent = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    let id = sent.body["id"].as_str().unwrap().to_string();
    let seen = slack
        .wait_for(20, "the announcement", |s| {
            s.iter()
                .any(|r| r.path == "/chat.postMessage" && r.json()["channel"] == CHANNEL)
        })
        .await;
    let _ = seen;
    let click = json!({"type": "block_actions", "user": {"id": "U-dan"}, "channel": {"id": CHANNEL},
        "actions": [{"action_id": "champion_endorse", "value": id}]});
    assert_eq!(interaction(&app, click.clone()).await.status, 200);
    let got = app.get(&format!("/api/v1/postcards/{id}"), Some(&o.dan.token)).await;
    assert_eq!(got.body["endorsement_count"], 1);
    // The announcement's button shows the count.
    let updated = slack
        .wait_for(10, "chat.update", |s| s.iter().any(|r| r.path == "/chat.update"))
        .await;
    let update = updated.iter().find(|r| r.path == "/chat.update").unwrap().json();
    assert_eq!(update["channel"].as_str(), Some(CHANNEL));
    let announced_ts = update["ts"].as_str().unwrap().to_string();
    assert!(update["blocks"].to_string().contains("+1 (1)"), "{update}");
    let told = slack
        .wait_for(10, "an ephemeral answer", |s| {
            s.iter().any(|r| r.path == "/chat.postEphemeral")
        })
        .await;
    let told = told.iter().find(|r| r.path == "/chat.postEphemeral").unwrap().json();
    assert_eq!(told["user"], "U-dan");
    assert!(told["text"].as_str().unwrap().contains("1 in all"), "{told}");
    // The sender cannot +1 their own postcard: told in words.
    interaction(
        &app,
        json!({"type": "block_actions", "user": {"id": "U-bob"}, "channel": {"id": CHANNEL},
        "actions": [{"action_id": "champion_endorse", "value": id}]}),
    )
    .await;
    slack
        .wait_for(10, "the refusal", |s| {
            s.iter()
                .any(|r| r.path == "/chat.postEphemeral" && r.body.contains("cannot endorse a postcard you sent"))
        })
        .await;

    let hid = app
        .post(
            &format!("/api/v1/postcards/{id}/hide"),
            &app.admin_token(),
            &json!({"reason": "names a customer"}),
        )
        .await;
    assert_eq!(hid.status, 200);
    let deleted = slack
        .wait_for(20, "chat.delete", |s| s.iter().any(|r| r.path == "/chat.delete"))
        .await;
    let delete = deleted.iter().find(|r| r.path == "/chat.delete").unwrap().json();
    assert_eq!(
        (delete["channel"].as_str(), delete["ts"].as_str()),
        (Some(CHANNEL), Some(announced_ts.as_str())),
        "{delete}"
    );
}

async fn slack_down_then_up_announces_once(app: TestApp, slack: Standin) {
    let o = org(&app).await;
    let sent = app.send_postcard(&o.bob.token, &card(&[&o.ann.id])).await;
    assert_eq!(sent.status, 201);
    let id = sent.body["id"].as_str().unwrap();
    // 503, then 429 with Retry-After: 1, then 503, then it works.
    let seen = slack
        .wait_for(30, "a successful announcement after failures", |s| {
            s.iter()
                .filter(|r| r.path == "/chat.postMessage" && r.json()["channel"] == CHANNEL)
                .count()
                >= 4
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let announcements: Vec<_> = slack
        .seen_at("/chat.postMessage")
        .into_iter()
        .filter(|r| r.json()["channel"] == CHANNEL)
        .collect();
    assert_eq!(
        announcements.len(),
        4,
        "three failures and one success, nothing more: {seen:#?}"
    );
    assert!(announcements.iter().all(|a| a.body.contains(id)));
}

async fn a_burst_is_announced_exactly_once_off_the_request_path(app: TestApp, slack: Standin) {
    // 100 people; each sends 10 postcards (the weekly allowance) to 10 different colleagues.
    let mut csv = String::from("email,name,department,manager_email,timezone,active\n");
    for i in 0..100 {
        csv.push_str(&format!("p{i}@example.com,Person {i},Team {},,,true\n", i % 7));
    }
    assert_eq!(app.import_csv(&csv, false).await.status, 200);
    let people = app.get("/api/v1/employees?limit=100", Some(&app.admin_token())).await;
    let ids: Vec<(String, String)> = people.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["email"].as_str().unwrap().to_string(),
                p["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(ids.len(), 100);
    let jobs: Vec<(String, String)> = (0..1000)
        .map(|n| {
            let (from, to) = (n / 10, (n / 10 + 1 + n % 10) % 100);
            (app.token(&ids[from].0), ids[to].1.clone())
        })
        .collect();
    let started = Instant::now();
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
    futures_util::stream::iter(jobs)
        .for_each_concurrent(16, |(token, to)| {
            let (app, latencies, sent) = (&app, latencies.clone(), sent.clone());
            async move {
                let t = Instant::now();
                let r = app.send_postcard(&token, &card(&[&to])).await;
                latencies.lock().unwrap().push(t.elapsed());
                assert_eq!(r.status, 201, "{}", r.text);
                sent.lock().unwrap().push(r.body["id"].as_str().unwrap().to_string());
            }
        })
        .await;
    let sending = started.elapsed();
    assert!(sending < Duration::from_secs(60), "1,000 postcards took {sending:?}");
    let mut l = latencies.lock().unwrap().clone();
    l.sort();
    let p99 = l[l.len() * 99 / 100];
    // Slack answers each call after 5 ms here: were announcements on the request path, a
    // send would wait for at least one.
    assert!(
        p99 < Duration::from_millis(1000),
        "p99 of POST /postcards {p99:?} with a slow Slack"
    );
    let announced = slack
        .wait_for(180, "1,000 announcements", |s| {
            s.iter()
                .filter(|r| r.path == "/chat.postMessage" && r.body.contains(CHANNEL))
                .count()
                >= 1000
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut announced_ids: Vec<String> = slack
        .seen_at("/chat.postMessage")
        .iter()
        .map(Recorded::json)
        .filter(|p| p["channel"] == CHANNEL)
        .map(|p| {
            p["blocks"].as_array().unwrap().last().unwrap()["elements"][0]["value"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let _ = announced;
    announced_ids.sort();
    let mut sent = sent.lock().unwrap().clone();
    sent.sort();
    assert_eq!(announced_ids.len(), 1000, "each announced once");
    assert_eq!(announced_ids, sent, "every postcard, exactly once");
    eprintln!("burst: 1,000 sends in {sending:?}, p99 {p99:?}");
}

use futures_util::StreamExt;

macro_rules! slack_tests {
    ($($name:ident: $failures:expr, $delay_ms:expr);* $(;)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let slack = super::Standin::start_with(super::slack_api($failures, super::Duration::from_millis($delay_ms))).await;
                let app = super::slack_app(super::Backend::Sqlite, &slack).await;
                super::$name(app, slack).await
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let slack = super::Standin::start_with(super::slack_api($failures, super::Duration::from_millis($delay_ms))).await;
                let app = super::slack_app(super::Backend::Postgres, &slack).await;
                super::$name(app, slack).await
            })*
        }
    };
}

slack_tests!(
    requests_must_be_signed_by_slack: 0, 0;
    the_slash_command_sends_and_the_channel_hears: 0, 0;
    refusals_are_answered_in_words: 0, 0;
    the_modal_shows_errors_by_field_and_sends: 0, 0;
    plus_one_endorses_and_hiding_deletes_the_announcement: 0, 0;
    slack_down_then_up_announces_once: 3, 0;
    a_burst_is_announced_exactly_once_off_the_request_path: 0, 5;
);

/// The app manifest in the repository names what the service serves and reads.
#[test]
fn the_slack_manifest_matches_the_service() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/slack-manifest.yml")).unwrap();
    for needed in [
        "url: https://champion.example.com/integrations/slack/commands",
        "request_url: https://champion.example.com/integrations/slack/interactions",
        "request_url: https://champion.example.com/integrations/slack/events",
        "command: /champion",
        // Mentions arrive escaped as <@U123|name>, which is what the command reads.
        "should_escape: true",
        "callback_id: champion_from_message",
        "- users:read.email",
        "- chat:write",
        "- app_home_opened",
    ] {
        assert!(manifest.contains(needed), "docs/slack-manifest.yml lacks {needed:?}");
    }
}
