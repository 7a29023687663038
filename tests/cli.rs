//! The `champion` binary as operators use it: settings errors, token, migrate, import, seed.

use std::process::{Command, Output};

fn champion(db_url: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_champion"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAMPION_CONFIG_DIR", "/nonexistent")
        .env("CHAMPION__DATABASE__URL", db_url);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().expect("run champion")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("cli.db").display())
}

#[test]
fn token_prints_only_a_token() {
    let dir = tempfile::tempdir().expect("dir");
    let out = champion(
        &sqlite_url(&dir),
        &["token", "--email", "Ann@Example.com", "--ttl", "1h"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let token = stdout.trim_end_matches('\n');
    assert_eq!(token.split('.').count(), 3, "a JWT and nothing else: {stdout:?}");
    assert!(!token.contains(char::is_whitespace));

    let bad = champion(&sqlite_url(&dir), &["token", "--email", "nope"], &[]);
    assert!(!bad.status.success());
    assert!(text(&bad.stdout).is_empty());
}

#[test]
fn bad_settings_stop_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let cases = [
        ("CHAMPION__SERVER__PORT", "eighty", "server.port"),
        ("CHAMPION__ORG__TIMEZONE", "Nowhere/Land", "org.timezone"),
        ("CHAMPION__RULES__WEEKLY_ALLOWANCE", "-3", "rules.weekly_allowance"),
    ];
    for (key, value, named) in cases {
        let out = champion(&sqlite_url(&dir), &["migrate"], &[(key, value)]);
        assert!(!out.status.success(), "{key}={value} must stop start-up");
        assert!(text(&out.stderr).contains(named), "{key}: {}", text(&out.stderr));
    }
    let prod = champion(&sqlite_url(&dir), &["migrate"], &[("CHAMPION_ENV", "production")]);
    assert!(!prod.status.success());
    assert!(
        text(&prod.stderr).contains("auth.hs256_secret"),
        "{}",
        text(&prod.stderr)
    );
    assert!(
        !text(&prod.stderr).contains("development-secret"),
        "the secret itself is never printed"
    );
}

#[test]
fn import_file_and_seed_demo() {
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "email,name,department,manager_email\nann@x.com,Ann,Support,bea@x.com\nbea@x.com,Bea,Support,\nbad,Bad,Support,\n")
        .expect("write csv");
    let out = champion(&url, &["employees", "import", file.to_str().unwrap_or_default()], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["created"], 2);
    assert_eq!(report["errors"][0]["line"], 4);
    assert!(text(&out.stderr).contains("line 4"));

    let seeded = champion(&url, &["seed", "--demo"], &[]);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    let stdout = text(&seeded.stdout);
    assert!(stdout.contains("51 people created"), "{stdout}");
    assert!(stdout.contains("Authorization: Bearer"), "tells what to try next");
}

#[test]
fn demo_postcards_and_export() {
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    let seeded = champion(&url, &["seed", "--demo"], &[]);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    assert!(text(&seeded.stdout).contains("postcards over the last four weeks"));

    let export = |args: &[&str]| {
        let out = champion(&url, args, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
        rows
    };
    let all = export(&["export", "postcards"]);
    assert!(all.len() > 100, "a few weeks of postcards: {}", all.len());
    assert!(all.iter().all(|r| r[2].ends_with("@demo.example") && !r[13].is_empty()));
    let endorsements: u64 = all.iter().map(|r| r[10].parse::<u64>().expect("count")).sum();
    assert!(endorsements > 0);

    let again = champion(&url, &["seed", "--demo"], &[]);
    assert!(again.status.success());
    assert_eq!(
        export(&["export", "postcards"]).len(),
        all.len(),
        "seeding twice adds no postcards"
    );
    assert!(export(&["export", "postcards", "--since", "2999-01-01"]).is_empty());
    let bad = champion(&url, &["export", "postcards", "--since", "soon"], &[]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--since"));
}

#[test]
fn bulk_seed_verify_and_widget_token() {
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    let seeded = champion(
        &url,
        &["seed", "--employees", "60", "--postcards", "400", "--weeks", "8"],
        &[],
    );
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
    assert!(
        text(&seeded.stdout).contains("Seeded 60 employees, 400 postcards"),
        "{}",
        text(&seeded.stdout)
    );
    let again = champion(&url, &["seed", "--employees", "60", "--postcards", "400"], &[]);
    assert!(!again.status.success(), "only into an empty database");

    let verify = champion(&url, &["leaderboard", "verify"], &[]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    // Changing the weights makes the stored totals wrong until they are rebuilt.
    let weights = [("CHAMPION__SCORING__POSTCARD", "5")];
    assert!(!champion(&url, &["leaderboard", "verify"], &weights).status.success());
    assert!(champion(&url, &["leaderboard", "rebuild"], &weights).status.success());
    assert!(champion(&url, &["leaderboard", "verify"], &weights).status.success());

    let minted = champion(&url, &["widget-token", "--name", "Lobby"], &[]);
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let token = text(&minted.stdout);
    assert!(
        token.starts_with("cw_") && token.trim_end().lines().count() == 1,
        "only the token: {token:?}"
    );
}

#[test]
fn scim_token_prints_only_a_scim_token() {
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    let minted = champion(&url, &["scim-token", "--name", "okta"], &[]);
    assert!(minted.status.success(), "{}", text(&minted.stderr));
    let token = text(&minted.stdout).trim_end().to_string();
    assert!(
        token.starts_with("cs_") && !token.contains('\n'),
        "only the token: {token:?}"
    );
    assert!(text(&minted.stderr).contains("scim token"), "{}", text(&minted.stderr));
    // Stored as a hash, as a SCIM token (not one that reads widgets).
    let pool = champion::store::db::connect_with(&url, 1, champion::store::db::Checkpoints::OnCommit).unwrap();
    let mut conn = pool.get().unwrap();
    let hash = champion::services::widget_tokens::hash(&token);
    let mut found = |kind| {
        champion::store::widget_tokens::find_live(&mut conn, &hash, kind)
            .unwrap()
            .map(|t| t.name)
    };
    assert_eq!(found("scim"), Some("okta".to_string()));
    assert_eq!(found("widget"), None);
}

#[test]
fn digest_preview_and_run() {
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    let seeded = champion(&url, &["seed", "--demo"], &[]);
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));

    // Grace Hopper heads the demo org; her digest of the last finished week.
    let html = champion(
        &url,
        &["digest", "preview", "--manager", "grace.hopper@demo.example"],
        &[],
    );
    assert!(html.status.success(), "{}", text(&html.stderr));
    assert!(text(&html.stdout).starts_with("<!DOCTYPE html>"));
    assert!(text(&html.stderr).contains("Subject: Your team's week"));
    let plain = champion(
        &url,
        &["digest", "preview", "--manager", "grace.hopper@demo.example", "--text"],
        &[],
    );
    assert!(text(&plain.stdout).starts_with("Hello Grace Hopper,"));

    let run = champion(&url, &["digest", "run"], &[]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let first: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json summary");
    assert!(first["queued"].as_i64().unwrap_or(0) > 0, "{first}");
    let again = champion(&url, &["digest", "run", "--week", first["week"].as_str().unwrap()], &[]);
    let second: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json summary");
    assert_eq!(second["queued"], 0, "never twice: {second}");
    assert_eq!(
        second["already_done"],
        first["queued"].as_i64().unwrap() + first["empty"].as_i64().unwrap()
    );

    let bad = champion(&url, &["digest", "run", "--week", "2026-W60"], &[]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("--week"), "{}", text(&bad.stderr));
    let nobody = champion(&url, &["digest", "preview", "--manager", "nobody@demo.example"], &[]);
    assert!(!nobody.status.success());
    assert!(text(&nobody.stderr).contains("--manager"));
}

/// `champion export postcards` with its stdout on a pipe that the test reads when it likes.
fn spawn_export(url: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_champion"))
        .args(["export", "postcards"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAMPION_CONFIG_DIR", "/nonexistent")
        .env("CHAMPION__DATABASE__URL", url)
        .env("CHAMPION__EXPORT__BATCH_ROWS", "20")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn export")
}

fn seed_many(url: &str) {
    let seeded = champion(
        url,
        &["seed", "--employees", "60", "--postcards", "3000", "--weeks", "8"],
        &[],
    );
    assert!(seeded.status.success(), "{}", text(&seeded.stderr));
}

#[test]
fn export_into_a_closed_pipe_ends_quietly() {
    use std::io::{BufRead, Read};
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    seed_many(&url);
    // `champion export postcards | head -n 1`: more than a pipe holds, read one line, close.
    let mut child = spawn_export(&url);
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    assert!(first.starts_with("id,created_at"), "{first}");
    let status = child.wait().expect("exit");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(status.success(), "a closed pipe is a normal end: {status:?} {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn an_export_that_fails_part_way_exits_non_zero() {
    use diesel::{Connection, RunQueryDsl};
    use std::io::Read;
    let dir = tempfile::tempdir().expect("dir");
    let url = sqlite_url(&dir);
    seed_many(&url);
    let mut child = spawn_export(&url);
    // The export fills the pipe and waits; meanwhile a table it reads goes away.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let path = url.trim_start_matches("sqlite://");
    let mut conn = diesel::SqliteConnection::establish(path).expect("sqlite");
    diesel::sql_query("ALTER TABLE postcard_recipients RENAME TO postcard_recipients_gone")
        .execute(&mut conn)
        .expect("rename");
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(&mut out)
        .expect("stdout");
    let status = child.wait().expect("exit");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(!status.success(), "an incomplete export must fail: {stderr}");
    assert!(stderr.contains("the export stopped after"), "{stderr}");
    let rows = csv::Reader::from_reader(out.as_slice()).records().count();
    assert!(rows < 3000, "{rows} rows");
}

/// A newcomer's first sign-in: `serve --demo` prints each sign-in link to the log, so no mail
/// catcher is needed; the printed link signs in.
#[tokio::test]
async fn the_demo_prints_sign_in_links() {
    use std::io::{BufRead, BufReader};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_champion"))
        .args(["serve", "--demo"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CHAMPION_CONFIG_DIR", "/nonexistent")
        .env("CHAMPION__DATABASE__URL", sqlite_url(&dir))
        .env("CHAMPION__SERVER__PORT", port.to_string())
        .env("CHAMPION__SMTP__WORKER", "false")
        .env("CHAMPION__DIGEST__ENABLED", "false")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start champion");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "serve --demo did not start: {}", log.lock().unwrap());
    let asked = http
        .post(format!("{base}/api/v1/auth/magic-link"))
        .json(&serde_json::json!({"email": "grace.hopper@demo.example"}))
        .send()
        .await
        .expect("ask for a link");
    assert_eq!(asked.status(), 202);
    let mut token = None;
    for _ in 0..50 {
        token = log.lock().unwrap().split("magic_token=").nth(1).map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c))
                .collect::<String>()
        });
        if token.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = token.unwrap_or_else(|| panic!("no link in the log: {}", log.lock().unwrap()));
    let signed_in = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&serde_json::json!({"magic_token": token}))
        .send()
        .await
        .expect("exchange the link");
    let status = signed_in.status();
    let body: serde_json::Value = signed_in.json().await.unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
}
