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
