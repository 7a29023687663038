//! Period boundaries in a non-UTC org timezone (America/New_York, weeks from Monday):
//! postcards minutes either side of local midnight, across the end of daylight saving time.

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::org::{org, Person};

/// Sends through the service with a chosen clock (the same code as `POST /postcards`);
/// answers the postcard's id.
pub(crate) fn send_at(db_url: &str, settings: &champion::settings::Settings, from: &str, to: &str, at: &str) -> String {
    let pool = champion::store::db::connect(db_url, 1).unwrap();
    let mut conn = pool.get().unwrap();
    let sender = champion::store::employees::find(&mut conn, from).unwrap().unwrap();
    let input = champion::services::postcards::SendInput {
        recipients: vec![to.to_string()],
        behaviour: "small-win".into(),
        message: format!("sent at {at} UTC"),
        customer: None,
        visibility: champion::domain::postcard::Visibility::Public,
    };
    let rules = champion::services::postcards::Rules::from_settings(settings);
    let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap();
    champion::services::send_batch::send(&mut conn, &sender, input, &rules, at)
        .unwrap()
        .id
}

fn received(board: &Value) -> Vec<(String, i64)> {
    figure(board, "received")
}

/// `(name, figure)` of each entry, in board order.
pub(crate) fn figure(board: &Value, figure: &str) -> Vec<(String, i64)> {
    board["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{board}"))
        .iter()
        .map(|e| {
            (
                e["employee"]["name"].as_str().unwrap().to_string(),
                e[figure].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn boundaries_follow_local_midnight_across_dst(app: TestApp) {
    let o = org(&app).await;
    let to = |p: &Person| p.id.clone();
    let sends = [
        // Sat 31 Oct 23:30 EDT (UTC-4): October, the week of Mon 26 Oct.
        (to(&o.bob), to(&o.ann), "2026-11-01 03:30"),
        // Sun 1 Nov 23:30 EST (UTC-5, daylight saving ended that morning): November, same week.
        (to(&o.bob), to(&o.cat), "2026-11-02 04:30"),
        // Mon 2 Nov 00:30 EST: a new week.
        (to(&o.bob), to(&o.dan), "2026-11-02 05:30"),
    ];
    let (url, settings) = (app.db.url.clone(), app.settings.clone());
    tokio::task::spawn_blocking(move || {
        for (from, to, at) in sends {
            send_at(&url, &settings, &from, &to, at);
        }
    })
    .await
    .unwrap();
    let t = &o.ann.token;
    let get = |q: String| {
        let req = app
            .client
            .get(app.url(&format!("/api/v1/leaderboard?metric=received&{q}")))
            .bearer_auth(t);
        async move { crate::helpers::Reply::from(req.send().await.unwrap()).await.body }
    };
    let week_before = get("period=week&at=2026-11-01".into()).await;
    assert_eq!(week_before["period"]["start"], "2026-10-26");
    assert_eq!(week_before["period"]["end"], "2026-11-01");
    assert_eq!(week_before["period"]["timezone"], "America/New_York");
    assert_eq!(
        received(&week_before),
        [("Ann Lee".to_string(), 1), ("Cat Ng".to_string(), 1)]
    );
    assert_eq!(
        received(&get("period=week&at=2026-11-02".into()).await),
        [("Dan Ode".to_string(), 1)]
    );
    assert_eq!(
        received(&get("period=month&at=2026-10-15".into()).await),
        [("Ann Lee".to_string(), 1)]
    );
    assert_eq!(
        received(&get("period=month&at=2026-11-20".into()).await),
        [("Cat Ng".to_string(), 1), ("Dan Ode".to_string(), 1)]
    );
    assert_eq!(
        received(&get("period=custom&from=2026-11-01&to=2026-11-01".into()).await),
        [("Cat Ng".to_string(), 1)]
    );
    assert_eq!(received(&get("period=quarter&at=2026-10-01".into()).await).len(), 3);
    assert_eq!(received(&get("period=year&at=2025-12-31".into()).await).len(), 0);
}

crate::on_both_backends!(with &[("CHAMPION__ORG__TIMEZONE", "America/New_York")];
    boundaries_follow_local_midnight_across_dst);
