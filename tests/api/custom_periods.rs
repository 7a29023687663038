//! Custom periods tiled by years, quarters, months, weeks and days (America/New_York, weeks
//! from Monday): on postcards spread over fourteen months, every board of a custom period
//! says what the sends themselves say, whichever buckets make it up.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use champion::domain::buckets::Bucket;

use crate::board_periods::{figure, send_at};
use crate::helpers::TestApp;
use crate::org::org;

/// `(sender, recipient, UTC instant, local date)`: local dates worked out by hand.
const SENDS: [(&str, &str, &str, &str); 14] = [
    ("bob", "ann", "2025-11-20 17:00", "2025-11-20"),
    ("cat", "ann", "2025-11-25 17:00", "2025-11-25"),
    // 23:30 EST on New Year's Eve, and 00:30 the next day.
    ("dan", "bob", "2026-01-01 04:30", "2025-12-31"),
    ("bob", "cat", "2026-01-01 05:30", "2026-01-01"),
    ("ann", "dan", "2026-03-31 17:00", "2026-03-31"),
    ("cat", "dan", "2026-04-01 16:00", "2026-04-01"),
    ("dan", "ann", "2026-06-30 16:00", "2026-06-30"),
    ("ann", "bob", "2026-07-01 16:00", "2026-07-01"),
    ("bob", "ann", "2026-09-30 16:00", "2026-09-30"),
    ("cat", "bob", "2026-10-31 16:00", "2026-10-31"),
    ("dan", "cat", "2026-11-01 17:00", "2026-11-01"),
    ("ann", "cat", "2026-11-09 17:00", "2026-11-09"),
    ("bob", "dan", "2026-11-22 17:00", "2026-11-22"),
    ("cat", "ann", "2026-11-24 17:00", "2026-11-24"),
];

const PEOPLE: [(&str, &str, &str); 5] = [
    ("bea", "Bea Boss", "Support"),
    ("ann", "Ann Lee", "Support"),
    ("bob", "Bob Ray", "Sales"),
    ("cat", "Cat Ng", "Sales"),
    ("dan", "Dan Ode", "Ops"),
];

fn name(who: &str) -> String {
    PEOPLE.iter().find(|p| p.0 == who).unwrap().1.to_string()
}

/// Per person in `from..=to`: postcards received, given, and different senders.
fn expected(from: &str, to: &str) -> BTreeMap<&'static str, (i64, i64, usize)> {
    let mut senders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut figures: BTreeMap<&str, (i64, i64, usize)> = BTreeMap::new();
    for (s, r, ..) in SENDS.iter().filter(|s| (from..=to).contains(&s.3)) {
        figures.entry(r).or_default().0 += 1;
        figures.entry(s).or_default().1 += 1;
        senders.entry(r).or_default().insert(s);
    }
    for (who, f) in figures.iter_mut() {
        f.2 = senders.get(who).map_or(0, BTreeSet::len);
    }
    figures
}

/// Competition rank of `value` among `values`.
fn rank(values: &[i64], value: i64) -> i64 {
    1 + values.iter().filter(|v| **v > value).count() as i64
}

/// `(name, rank, value, score, unique senders)` of each entry, by name.
fn entries(board: &Value, metric: &str) -> Vec<(String, i64, i64, i64, i64)> {
    let mut got: Vec<_> = board["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{board}"))
        .iter()
        .map(|e| {
            let n = |k: &str| e[k].as_i64().unwrap();
            let who = e["employee"]["name"].as_str().unwrap().to_string();
            (who, n("rank"), n(metric), n("score"), n("unique_senders"))
        })
        .collect();
    got.sort();
    got
}

async fn custom_boards_equal_the_sends_they_cover(app: TestApp) {
    let o = org(&app).await;
    let ids: BTreeMap<&str, String> = [
        ("bea", &o.bea),
        ("ann", &o.ann),
        ("bob", &o.bob),
        ("cat", &o.cat),
        ("dan", &o.dan),
    ]
    .into_iter()
    .map(|(k, p)| (k, p.id.clone()))
    .collect();
    let (url, settings, sends) = (app.db.url.clone(), app.settings.clone(), ids.clone());
    tokio::task::spawn_blocking(move || {
        for (from, to, at, _) in SENDS {
            send_at(&url, &settings, &sends[from], &sends[to], at);
        }
    })
    .await
    .unwrap();
    let get = |q: String| {
        let req = app
            .client
            .get(app.url(&format!("/api/v1/{q}")))
            .bearer_auth(&o.ann.token);
        async move { crate::helpers::Reply::from(req.send().await.unwrap()).await.body }
    };
    let ranges = [
        // Days, a month, three quarters, a month, then days and weeks.
        ("2025-11-25", "2026-11-24"),
        ("2025-12-31", "2026-01-01"),
        ("2026-03-31", "2026-07-01"),
        ("2026-10-31", "2026-11-22"),
        ("2025-11-01", "2026-10-31"),
        // One bucket each: a year, a day.
        ("2026-01-01", "2026-12-31"),
        ("2025-11-20", "2025-11-20"),
    ];
    for (from, to) in ranges {
        let want = expected(from, to);
        let period = format!("period=custom&from={from}&to={to}");
        for (metric, pick) in [("received", 0), ("given", 1)] {
            let value = |f: &(i64, i64, usize)| if pick == 0 { f.0 } else { f.1 };
            let values: Vec<i64> = want.values().map(value).collect();
            let mut wanted: Vec<_> = want
                .iter()
                .filter(|(_, f)| value(f) > 0)
                .map(|(who, f)| (name(who), rank(&values, value(f)), value(f), 3 * f.0, f.2 as i64))
                .collect();
            wanted.sort();
            let board = get(format!("leaderboard?metric={metric}&{period}")).await;
            assert_eq!(entries(&board, metric), wanted, "{metric} in {from}..={to}");
            assert_eq!(board["period"]["start"], from);
            assert_eq!(board["period"]["end"], to);
            // Every later page is that slice of the whole board, ranks, ties (by name) and
            // unique senders included, however deep it starts.
            let all = board["entries"].as_array().unwrap();
            for limit in [1, 2, 3] {
                for offset in 0..=all.len() {
                    let page = get(format!(
                        "leaderboard?metric={metric}&{period}&limit={limit}&offset={offset}"
                    ))
                    .await;
                    assert_eq!(
                        page["entries"].as_array().unwrap().as_slice(),
                        all.get(offset..(offset + limit).min(all.len())).unwrap_or(&[]),
                        "{metric} in {from}..={to}, limit {limit} offset {offset}"
                    );
                }
            }
        }
        let mine = get(format!("leaderboard/me?metric=received&{period}")).await;
        let ann = want.get("ann").copied().unwrap_or_default();
        let received: Vec<i64> = want.values().map(|f| f.0).collect();
        assert_eq!(mine["received"], ann.0, "{from}..={to}: {mine}");
        assert_eq!(mine["unique_senders"], ann.2 as i64);
        let wanted_rank = if ann.0 > 0 {
            Value::from(rank(&received, ann.0))
        } else {
            Value::Null
        };
        assert_eq!(mine["rank"], wanted_rank, "{from}..={to}: {mine}");

        let depts = get(format!("leaderboard/departments?{period}")).await;
        for d in ["Support", "Sales", "Ops"] {
            let members: Vec<&str> = PEOPLE.iter().filter(|p| p.2 == d).map(|p| p.0).collect();
            let score: i64 = members.iter().filter_map(|m| want.get(m)).map(|f| 3 * f.0).sum();
            let took_part = members.iter().filter(|m| want.contains_key(*m)).count() as f64;
            let entry = depts["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["department"] == d)
                .unwrap_or_else(|| panic!("{d}: {depts}"));
            assert_eq!(entry["total_score"], score, "{d} in {from}..={to}");
            let share = ((took_part / members.len() as f64) * 1000.0).round() / 1000.0;
            assert_eq!(entry["participation"].as_f64(), Some(share), "{d} in {from}..={to}");
        }
    }
}

fn scores(board: &Value) -> Vec<(String, i64)> {
    figure(board, "score")
}

fn named(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(who, score)| (name(who), *score)).collect()
}

/// Each instance keeps ended buckets in memory for custom periods: a change to them made on
/// another instance (an old postcard hidden, endorsed or restored, someone opting out or
/// moving department) shows on the very next read, with that instance's answer cache off.
async fn changes_to_ended_buckets_show_on_every_instance(app: TestApp) {
    let o = org(&app).await;
    let (url, settings) = (app.db.url.clone(), app.settings.clone());
    let (ann, bob, cat, dan) = (o.ann.id.clone(), o.bob.id.clone(), o.cat.id.clone(), o.dan.id.clone());
    let cards = tokio::task::spawn_blocking(move || {
        [
            (&bob, &ann, "2026-09-30 16:00"),
            (&cat, &ann, "2026-10-05 16:00"),
            (&dan, &bob, "2026-10-20 16:00"),
            (&ann, &cat, "2026-10-21 16:00"),
        ]
        .map(|(from, to, at)| send_at(&url, &settings, from, to, at))
    })
    .await
    .unwrap();
    let other = app.another_instance_with(|s| s.server.leaderboard_cache_ms = 0).await;
    // A day and a month, both long ended: kept by the other instance after its first read.
    let period = "period=custom&from=2026-09-30&to=2026-10-31";
    let read = |path: String| {
        let req = app
            .client
            .get(format!("{other}/api/v1/{path}"))
            .bearer_auth(&o.bea.token);
        async move { crate::helpers::Reply::from(req.send().await.unwrap()).await.body }
    };
    let board = || read(format!("leaderboard?{period}"));
    let department = |name: &'static str| {
        let got = read(format!("leaderboard/departments?{period}"));
        async move {
            let got = got.await;
            got["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["department"] == name)
                .map(|e| e["total_score"].as_i64().unwrap())
        }
    };
    assert_eq!(scores(&board().await), named(&[("ann", 6), ("bob", 3), ("cat", 3)]));
    assert_eq!(scores(&board().await), named(&[("ann", 6), ("bob", 3), ("cat", 3)]));
    assert_eq!(department("Sales").await, Some(6));

    let admin = app.admin_token();
    let hide = app
        .post(
            &format!("/api/v1/postcards/{}/hide", cards[0]),
            &admin,
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(hide.status, 200, "{}", hide.text);
    assert_eq!(scores(&board().await), named(&[("ann", 3), ("bob", 3), ("cat", 3)]));

    let endorse = app
        .post(
            &format!("/api/v1/postcards/{}/endorsements", cards[1]),
            &o.dan.token,
            &json!({}),
        )
        .await;
    assert_eq!(endorse.status, 200, "{}", endorse.text);
    assert_eq!(scores(&board().await), named(&[("ann", 4), ("bob", 3), ("cat", 3)]));

    let restore = app
        .post(&format!("/api/v1/postcards/{}/restore", cards[0]), &admin, &json!({}))
        .await;
    assert_eq!(restore.status, 200, "{}", restore.text);
    assert_eq!(scores(&board().await), named(&[("ann", 7), ("bob", 3), ("cat", 3)]));

    let optout = app
        .patch(
            "/api/v1/me/preferences",
            &o.bob.token,
            &json!({"show_on_leaderboard": false}),
        )
        .await;
    assert_eq!(optout.status, 200, "{}", optout.text);
    assert_eq!(scores(&board().await), named(&[("ann", 7), ("cat", 3)]));

    let moved = app
        .patch(
            &format!("/api/v1/employees/{}", o.cat.id),
            &admin,
            &json!({"department": "Ops"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(department("Sales").await, Some(3));
    assert_eq!(department("Ops").await, Some(3));
}

/// Today's sends, endorsements and hides show on the very next read of a custom period, on
/// the instance that made them (which puts its sends' rows into the today's rows it keeps)
/// and on another whose answer cache is off (which reads today's rows again), though both
/// keep today's rows.
async fn todays_changes_show_on_every_instance(app: TestApp) {
    let o = org(&app).await;
    let other = app.another_instance_with(|s| s.server.leaderboard_cache_ms = 0).await;
    let app = &app;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    // Yesterday to tomorrow: days only, whenever the test runs.
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let read = |at: &str| {
        let req = app
            .client
            .get(format!("{at}/api/v1/leaderboard?period=custom&from={from}&to={to}"))
            .bearer_auth(&o.bea.token);
        async move { scores(&crate::helpers::Reply::from(req.send().await.unwrap()).await.body) }
    };
    let boards = || async { [read(&app.address).await, read(&other).await] };
    let both = |list: &[(&str, i64)]| [named(list), named(list)];
    assert_eq!(boards().await, both(&[]));
    let send = |from: &crate::org::Person, to: &crate::org::Person| {
        let body = json!({"recipients": [to.id], "behaviour": "above-and-beyond", "message": "Thanks!"});
        let token = from.token.clone();
        async move {
            let r = app.send_postcard(&token, &body).await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let card = send(&o.bob, &o.ann).await;
    assert_eq!(boards().await, both(&[("ann", 3)]));
    assert_eq!(boards().await, both(&[("ann", 3)]), "read again from memory");
    send(&o.cat, &o.dan).await;
    assert_eq!(boards().await, both(&[("ann", 3), ("dan", 3)]));
    send(&o.dan, &o.ann).await;
    assert_eq!(boards().await, both(&[("ann", 6), ("dan", 3)]));
    let endorse = app
        .post(
            &format!("/api/v1/postcards/{card}/endorsements"),
            &o.dan.token,
            &json!({}),
        )
        .await;
    assert_eq!(endorse.status, 200, "{}", endorse.text);
    assert_eq!(boards().await, both(&[("ann", 7), ("dan", 3)]));
    let hide = app
        .post(
            &format!("/api/v1/postcards/{card}/hide"),
            &app.admin_token(),
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(hide.status, 200, "{}", hide.text);
    assert_eq!(boards().await, both(&[("ann", 3), ("dan", 3)]));
    send(&o.ann, &o.cat).await;
    assert_eq!(boards().await, both(&[("ann", 3), ("cat", 3), ("dan", 3)]));
}

/// Unique senders of a custom period that reaches today, counted from the postcards: one
/// sender counted once across ended days and today. Read on the instance that sends and on another
/// (answer caches off), after sends today and hides of old and new postcards.
async fn unique_senders_join_kept_and_todays(app: TestApp) {
    use chrono::{Duration, NaiveTime, TimeZone};
    let o = org(&app).await;
    let other = app.another_instance_with(|s| s.server.leaderboard_cache_ms = 0).await;
    let app = &app;
    let tz = chrono_tz::America::New_York;
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    // Noon, local, some days ago: in ended day buckets (a week's, too, some weeks).
    let noon = move |days_ago: i64| {
        let local = (today - Duration::days(days_ago)).and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        let utc = tz.from_local_datetime(&local).unwrap().naive_utc();
        utc.format("%Y-%m-%d %H:%M").to_string()
    };
    let (url, settings) = (app.db.url.clone(), app.settings.clone());
    let (ann, bob, cat) = (o.ann.id.clone(), o.bob.id.clone(), o.cat.id.clone());
    let (bob_then, cat_then) = tokio::task::spawn_blocking(move || {
        (
            send_at(&url, &settings, &bob, &ann, &noon(1)),
            send_at(&url, &settings, &cat, &ann, &noon(9)),
        )
    })
    .await
    .unwrap();
    let (from, to) = (today - Duration::days(12), today.succ_opt().unwrap());
    let read = |at: &str| {
        let req = app
            .client
            .get(format!("{at}/api/v1/leaderboard?period=custom&from={from}&to={to}"))
            .bearer_auth(&o.bea.token);
        async move {
            let board = crate::helpers::Reply::from(req.send().await.unwrap()).await.body;
            figure(&board, "unique_senders")
                .into_iter()
                .zip(figure(&board, "received"))
                .map(|((who, senders), (_, received))| (who, senders, received))
                .collect::<Vec<_>>()
        }
    };
    let boards = || async { [read(&app.address).await, read(&other).await] };
    let ann_has = |senders: i64, received: i64| {
        let row = vec![(name("ann"), senders, received)];
        [row.clone(), row]
    };
    assert_eq!(boards().await, ann_has(2, 2));
    assert_eq!(boards().await, ann_has(2, 2), "read again, senders kept");
    let send = |from: &crate::org::Person| {
        let body = json!({"recipients": [o.ann.id], "behaviour": "above-and-beyond", "message": "Thanks!"});
        let token = from.token.clone();
        async move {
            let r = app.send_postcard(&token, &body).await;
            assert_eq!(r.status, 201, "{}", r.text);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    let bob_now = send(&o.bob).await;
    assert_eq!(boards().await, ann_has(2, 3), "bob sent before and today: one sender");
    send(&o.dan).await;
    assert_eq!(boards().await, ann_has(3, 4));
    let hide = |card: String| async move {
        let r = app
            .post(
                &format!("/api/v1/postcards/{card}/hide"),
                &app.admin_token(),
                &json!({"reason": "test"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    };
    hide(bob_then).await;
    assert_eq!(boards().await, ann_has(3, 3), "bob still sent one today");
    hide(bob_now).await;
    assert_eq!(boards().await, ann_has(2, 2));
    hide(cat_then).await;
    assert_eq!(boards().await, ann_has(1, 1));
}

/// The memory keeps ended buckets, at most `board_memory_rows` rows of them (the least
/// recently used go first), and copies of today's; a recorded change replaces what it
/// touched; what it answers is the same either way.
async fn kept_buckets_stay_within_their_bound(app: TestApp) {
    use champion::boards::memory::{BoardMemory, Parts};
    use std::sync::Arc;
    let o = org(&app).await;
    let (url, settings) = (app.db.url.clone(), app.settings.clone());
    let (ann, bob, cat, dan) = (o.ann.id.clone(), o.bob.id.clone(), o.cat.id.clone(), o.dan.id.clone());
    let pool = app.pool();
    tokio::task::spawn_blocking(move || {
        for (from, to, at) in [
            (&bob, &ann, "2026-10-05 16:00"),
            (&cat, &dan, "2026-10-06 16:00"),
            (&dan, &cat, "2026-10-07 16:00"),
        ] {
            send_at(&url, &settings, from, to, at);
        }
        let mut conn = pool.get().unwrap();
        let days: Vec<Bucket> = ["d:2026-10-05", "d:2026-10-06", "d:2026-10-07"]
            .map(|k| Bucket::parse(k).unwrap())
            .to_vec();
        let today = chrono::Utc::now().date_naive();
        // (people with totals, rows of the ended buckets and of the others, postcards
        // received in all)
        type Rows = [Arc<Vec<champion::boards::sums::Row>>];
        let lengths = |b: &Rows| b.iter().map(|r| r.len()).collect::<Vec<_>>();
        let shape = |parts: &Parts| {
            let sums = parts.sums();
            (
                sums.iter().flatten().count(),
                lengths(&parts.ended),
                lengths(&parts.fresh),
                sums.iter().flatten().map(|t| t.received).sum::<i64>(),
            )
        };
        let same = |a: &Rows, b: &Rows| a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| Arc::ptr_eq(x, y)));
        // Two rows a day (sender and recipient): room for two of the three days.
        let small = BoardMemory::new(4, std::time::Duration::ZERO);
        for _ in 0..2 {
            assert_eq!(
                shape(&small.parts(&mut conn, &days, "", today).unwrap()),
                (4, vec![2, 2, 2], vec![], 3)
            );
            assert_eq!(small.kept_rows(), 4);
        }
        // With room, the days' rows are kept and used again.
        let roomy = BoardMemory::new(100, std::time::Duration::ZERO);
        let first = roomy.parts(&mut conn, &days, "", today).unwrap();
        assert_eq!(roomy.kept_rows(), 6);
        let again = roomy.parts(&mut conn, &days, "", today).unwrap();
        assert!(same(&first.ended, &again.ended));
        assert_eq!(shape(&again), (4, vec![2, 2, 2], vec![], 3));
        // A change recorded to one of them: that day is read again, the others are kept.
        let mut conn2 = pool.get().unwrap();
        champion::store::board::record_changes(&mut conn2, &["d:2026-10-06"]).unwrap();
        let changed = roomy.parts(&mut conn, &days, "", today).unwrap();
        let kept = |a: &Parts, b: &Parts| {
            let in_b = |x: &Arc<_>| b.ended.iter().any(|y| Arc::ptr_eq(x, y));
            a.ended.iter().filter(|x| in_b(x)).count()
        };
        assert_eq!(kept(&first, &changed), 2, "only the changed day was read again");
        assert_eq!(shape(&changed), (4, vec![2, 2, 2], vec![], 3));
        assert_eq!(roomy.kept_rows(), 6, "the stale day was replaced");
        // Totals changed behind the memory's back (no version bumped) are not seen; a rebuild
        // puts them right and records a change to every bucket, which every memory then sees.
        diesel::RunQueryDsl::execute(
            diesel::sql_query("UPDATE board_totals SET received = received + 5 WHERE period = 'd:2026-10-07'"),
            &mut conn2,
        )
        .unwrap();
        assert_eq!(
            shape(&roomy.parts(&mut conn, &days, "", today).unwrap()),
            (4, vec![2, 2, 2], vec![], 3)
        );
        let cfg = champion::boards::scoreboard::BoardConfig::from_settings(&settings);
        champion::boards::recount::rebuild(&mut conn2, &cfg, champion::boards::recount::Readers::Live, &|_, _| {})
            .unwrap();
        let rebuilt = roomy.parts(&mut conn, &days, "", today).unwrap();
        assert_eq!(kept(&changed, &rebuilt), 0, "every day read again");
        assert_eq!(shape(&rebuilt), (4, vec![2, 2, 2], vec![], 3));
        // Buckets that have not ended (by `kept_before`) are kept apart, as read (for at most
        // the memory's age, zero here: read on every use).
        let open = BoardMemory::new(100, std::time::Duration::ZERO);
        let on_the_6th = chrono::NaiveDate::from_ymd_opt(2026, 10, 6).unwrap();
        let got = open.parts(&mut conn, &days, "", on_the_6th).unwrap();
        assert_eq!(shape(&got), (4, vec![2], vec![2, 2], 3));
        assert_eq!(open.kept_rows(), 6);
        let weeks: Vec<Bucket> = ["w:2026-10-05", "w:2026-10-12"]
            .map(|k| Bucket::parse(k).unwrap())
            .to_vec();
        let on_the_13th = chrono::NaiveDate::from_ymd_opt(2026, 10, 13).unwrap();
        assert_eq!(
            shape(&open.parts(&mut conn, &weeks, "", on_the_13th).unwrap()),
            (4, vec![4], vec![0], 3)
        );
        assert_eq!(open.kept_rows(), 6 + 4, "the week of the 5th had ended, not the next");
        let none = BoardMemory::new(0, std::time::Duration::ZERO);
        assert_eq!(
            shape(&none.parts(&mut conn, &days, "", today).unwrap()),
            (4, vec![2, 2, 2], vec![], 3)
        );
        assert_eq!(none.kept_rows(), 0);
        // Warming reads ended buckets ahead of any board (not the others), until full.
        let warmed = BoardMemory::new(100, std::time::Duration::ZERO);
        assert_eq!(warmed.warm(&mut conn, &days, "", on_the_6th).unwrap(), 1);
        assert_eq!(warmed.kept_rows(), 2);
        assert_eq!(warmed.warm(&mut conn, &days, "", today).unwrap(), 3);
        assert_eq!(warmed.kept_rows(), 6);
        let after_warming = warmed.parts(&mut conn, &days, "", today).unwrap();
        assert_eq!(shape(&after_warming), (4, vec![2, 2, 2], vec![], 3));
        let again = warmed.parts(&mut conn, &days, "", today).unwrap();
        assert!(same(&after_warming.ended, &again.ended));
        assert_eq!(warmed.kept_rows(), 6, "the days were there");
        // Buckets that have not ended are checked once past half their age (1 s here), by
        // the first read to find them so (the copy serves the others meanwhile), and read again
        // only when a row of theirs changed (another instance's write).
        let timed = BoardMemory::new(100, std::time::Duration::from_millis(1000));
        let mut fresh = |m: &BoardMemory| m.parts(&mut conn, &days, "", on_the_6th).unwrap().fresh;
        let received = |rows: &Rows| -> i32 { rows.iter().flat_map(|r| r.iter()).map(|r| r.received).sum() };
        let first = fresh(&timed);
        assert_eq!(received(&first), 2);
        let half = std::time::Duration::from_millis(600);
        std::thread::sleep(half);
        assert!(
            same(&first, &fresh(&timed)),
            "past half its age and unchanged: the copy"
        );
        diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "UPDATE board_totals SET received = received + 1, revision = revision + 1 \
                 WHERE period = 'd:2026-10-06' AND behaviour = ''",
            ),
            &mut conn2,
        )
        .unwrap();
        assert!(
            same(&first, &fresh(&timed)),
            "just checked: the copy, for up to its age"
        );
        std::thread::sleep(half);
        let renewed = fresh(&timed);
        assert!(!same(&first, &renewed), "changed: read again");
        assert_eq!(received(&renewed), 4, "with the change");
        let full = BoardMemory::new(4, std::time::Duration::ZERO);
        let sixty_days = champion::domain::buckets::ended_within(today, 60, chrono::Weekday::Mon);
        assert!(full.warm(&mut conn, &sixty_days, "", today).unwrap() < sixty_days.len());
        assert!(full.kept_rows() <= 4);
    })
    .await
    .unwrap();
}

/// The freshness contract: today's sends write no version row (nothing every send on every
/// instance must update); another instance whose answer cache is on may show a board that is
/// behind, but never by more than `leaderboard_cache_ms`; the instance that wrote shows its
/// writes at once, in any order of reads and writes.
async fn another_instance_is_at_most_the_cache_time_behind(app: TestApp) {
    use diesel::prelude::*;
    let o = org(&app).await;
    let cache = std::time::Duration::from_millis(600);
    let other = app
        .another_instance_with(|s| s.server.leaderboard_cache_ms = cache.as_millis() as u64)
        .await;
    let app = &app;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let (from, to) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    let read = |at: String| {
        let req = app
            .client
            .get(format!("{at}/api/v1/leaderboard?period=custom&from={from}&to={to}"))
            .bearer_auth(&o.bea.token);
        async move { scores(&crate::helpers::Reply::from(req.send().await.unwrap()).await.body) }
    };
    assert_eq!(read(other.clone()).await, named(&[]));
    assert_eq!(read(app.address.clone()).await, named(&[]));
    let mut expected: Vec<(&str, i64)> = Vec::new();
    for (i, (from, to)) in [(&o.bob, "ann"), (&o.cat, "ann"), (&o.dan, "bob")]
        .into_iter()
        .enumerate()
    {
        let id = match to {
            "ann" => &o.ann.id,
            _ => &o.bob.id,
        };
        let body = json!({"recipients": [id], "behaviour": "above-and-beyond", "message": "Thanks!"});
        let r = app.send_postcard(&from.token, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        // The send committed before its answer: a read begun this long after then may not
        // miss it (measured from the answer, so a slow send cannot fail the test).
        let committed = std::time::Instant::now();
        match expected.iter_mut().find(|(who, _)| *who == to) {
            Some((_, score)) => *score += 3,
            None => expected.push((to, 3)),
        }
        expected.sort();
        // Exact at once where it was sent.
        assert_eq!(read(app.address.clone()).await, named(&expected), "send {i}");
        // Elsewhere, within the cache time of the send (read again until then).
        loop {
            let asked = std::time::Instant::now();
            let seen = read(other.clone()).await;
            if seen == named(&expected) {
                break;
            }
            let after = asked.duration_since(committed);
            assert!(after < cache, "send {i} not on the other instance {after:?} after it");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let pool = app.pool();
    let day = Bucket::Day(today);
    // In the last minutes of a day, writers record changes to it (it is about to end).
    let ending = day.ends_before(champion::domain::buckets::recorded_before(
        chrono::Utc::now().naive_utc(),
        chrono_tz::America::New_York,
    ));
    let day = day.key();
    let versions: i64 = tokio::task::spawn_blocking(move || {
        use champion::store::schema::board_changes;
        let mut conn = pool.get().unwrap();
        board_changes::table
            .filter(board_changes::period.eq(day))
            .count()
            .get_result(&mut conn)
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(versions > 0, ending, "sends today wrote a version row: {versions}");
}

crate::on_both_backends!(with &[("CHAMPION__ORG__TIMEZONE", "America/New_York")];
    custom_boards_equal_the_sends_they_cover,
    changes_to_ended_buckets_show_on_every_instance,
    todays_changes_show_on_every_instance,
    unique_senders_join_kept_and_todays,
    kept_buckets_stay_within_their_bound,
    another_instance_is_at_most_the_cache_time_behind);
