//! Layered settings: defaults compiled into the binary, then `config/{CHAMPION_ENV}.toml`,
//! then `CHAMPION__SECTION__KEY` environment variables. Values are validated once, here,
//! so the rest of the program holds only settings that make sense.

use std::path::PathBuf;
use std::str::FromStr;

use chrono::Weekday;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The secret shipped in `config/default.toml`; production refuses it.
pub const DEVELOPMENT_SECRET: &str = "development-secret-change-me-in-production-0123456789";
const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub org: OrgSettings,
    pub rules: RulesSettings,
    pub scoring: ScoringSettings,
    pub digest: DigestSettings,
    pub smtp: SmtpSettings,
    pub export: ExportSettings,
    pub log: LogSettings,
    #[serde(default)]
    pub slack: SlackSettings,
    #[serde(default)]
    pub teams: TeamsSettings,
    pub webhooks: WebhookSettings,
    pub oidc: OidcSettings,
}

/// Sign-in with the company's OpenID provider: `issuer_url` turns it on.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    pub issuer_url: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub scopes: String,
    /// The ID token claim holding the employee's email.
    pub email_claim: String,
    /// Whether someone the directory lacks is added when they sign in (else refused).
    pub create_unknown: bool,
    pub button_label: String,
    /// `client_secret_basic` or `client_secret_post`.
    pub client_auth: String,
    /// Discovery and keys are fetched again this often...
    pub refresh_seconds: u64,
    /// ...or this soon while the provider does not answer.
    pub retry_seconds: u64,
}

impl OidcSettings {
    /// The issuer, client id and secret, when sign-in by OIDC is on.
    pub fn configured(&self) -> Option<(&str, &str, &SecretString)> {
        Some((
            self.issuer_url.as_deref()?,
            self.client_id.as_deref()?,
            self.client_secret.as_ref()?,
        ))
    }
}

/// The company's Slack app: both secrets set turns it on.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// Signs every request Slack sends us (Basic Information, "Signing Secret").
    pub signing_secret: Option<SecretString>,
    /// The bot's token (`xoxb-...`) for the Web API calls we make.
    pub bot_token: Option<SecretString>,
    /// Where public postcards are announced (a channel id such as `C0123456789`).
    pub announce_channel: Option<String>,
    /// The Web API; tests point it at a local stand-in.
    #[serde(default = "slack_api_default")]
    pub api_base_url: String,
}

fn slack_api_default() -> String {
    "https://slack.com/api".into()
}

impl SlackSettings {
    /// The signing secret and bot token, when Slack is connected.
    pub fn connected(&self) -> Option<(&SecretString, &SecretString)> {
        Some((self.signing_secret.as_ref()?, self.bot_token.as_ref()?))
    }
}

/// A Teams outgoing webhook: its HMAC security token turns the command on.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TeamsSettings {
    pub outgoing_secret: Option<SecretString>,
}

/// Outgoing HTTP deliveries (webhooks and Slack calls): the worker, its retries, and where
/// it may connect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Loopback, private, link-local and metadata addresses are refused unless this is on.
    pub allow_private_targets: bool,
    /// Off: deliveries stay queued for other instances.
    pub worker: bool,
    pub poll_ms: u64,
    /// The first retry; doubling after each failure, at most an hour.
    pub retry_base_ms: u64,
    /// A subscription failing this long is disabled and the admins are emailed.
    pub disable_after_minutes: u64,
    pub timeout_seconds: u64,
}

/// The postcards export (`GET /admin/export/postcards.csv`): read in batches that each take
/// and return a pooled connection, so a slow download never holds one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSettings {
    /// Exports streaming at once on this instance; more answer 429 with `Retry-After`.
    pub max_concurrent: usize,
    /// A client that takes no data for this long is cut off (the download ends incomplete).
    pub send_timeout_seconds: u64,
    /// Postcards read per batch.
    pub batch_rows: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub allowed_origins: Vec<String>,
    /// How far behind another instance's writes a board may be (answers and today's rows kept
    /// in memory); this instance's own writes show at once.
    pub leaderboard_cache_ms: u64,
    /// Identical leaderboard answers kept at most (`http::board_cache`; 0 keeps none).
    pub answer_cache_entries: usize,
    /// Board rows of ended buckets kept in memory for custom periods (`boards::memory`).
    pub board_memory_rows: usize,
    /// Days of ended buckets read into that memory when the server starts (0: none).
    pub board_memory_warm_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May carry a password, so it is kept secret.
    pub url: SecretString,
    pub pool_size: u32,
    /// Transactions writing queued sends at once; 0 writes each send in its own transaction.
    pub send_writers: u32,
    /// Most sends one such transaction takes.
    pub send_batch_max: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub hs256_secret: SecretString,
    pub jwks_file: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
    pub token_ttl_minutes: i64,
    pub leeway_seconds: u64,
    pub admins: Vec<String>,
    /// Sign-in links one address may ask for per hour.
    pub magic_links_per_hour: u32,
    /// Development only (`serve --demo` turns it on): each sign-in link also goes to the log,
    /// so trying the product needs no mail catcher. Production refuses it: a log that holds
    /// links holds sign-ins.
    pub log_sign_in_links: bool,
    /// How long a web app sign-in lasts (the cookie session), in days.
    pub session_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgSettings {
    pub timezone: String,
    pub week_starts: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSettings {
    pub weekly_allowance: u32,
    pub same_pair_per_week: u32,
    pub max_recipients: u32,
    pub message_max_chars: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringSettings {
    pub postcard: i64,
    pub endorsement: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestSettings {
    pub enabled: bool,
    pub weekday: String,
    pub hour: u32,
    pub quiet_weeks: u32,
    /// How often `champion serve` looks for digests that have fallen due.
    pub check_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub url: SecretString,
    pub from: String,
    /// The outbox worker: how often it looks for due mail, how many attempts an email gets,
    /// and the first retry delay (doubling after each temporary failure, at most an hour).
    pub poll_ms: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub timeout_seconds: u64,
    /// Off: emails stay queued (for instances that should only serve HTTP).
    pub worker: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub json: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration error: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration error: `{key}` {message}")]
    Invalid { key: &'static str, message: String },
}

fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

/// Where the settings come from; tests build this explicitly instead of touching the
/// process environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub environment: Option<String>,
    pub config_dir: Option<PathBuf>,
    pub env_vars: Vec<(String, String)>,
}

impl Sources {
    /// Reads `CHAMPION_ENV`, `CHAMPION_CONFIG_DIR` and every `CHAMPION__*` variable.
    pub fn from_process_env() -> Self {
        Sources {
            environment: std::env::var("CHAMPION_ENV").ok(),
            config_dir: std::env::var_os("CHAMPION_CONFIG_DIR").map(PathBuf::from),
            env_vars: std::env::vars().filter(|(k, _)| k.starts_with("CHAMPION__")).collect(),
        }
    }
}

impl Settings {
    pub fn load(sources: &Sources) -> Result<Settings, SettingsError> {
        let environment = sources.environment.clone().unwrap_or_else(|| "development".into());
        let dir = sources.config_dir.clone().unwrap_or_else(|| PathBuf::from("config"));
        let env_source = config::Environment::with_prefix("CHAMPION")
            .prefix_separator("__")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("server.allowed_origins")
            .with_list_parse_key("auth.admins")
            .try_parsing(true)
            .source(Some(sources.env_vars.iter().cloned().collect()));
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(dir.join(&environment)).required(false))
            .add_source(env_source)
            .build()?
            .try_deserialize()?;
        settings.validate(&environment)?;
        Ok(settings)
    }

    fn validate(&self, environment: &str) -> Result<(), SettingsError> {
        let url = self.database.url.expose_secret();
        if !(url.starts_with("sqlite://") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("database.url", "must start with sqlite:// or postgres://"));
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1"));
        }
        if self.database.send_writers >= self.database.pool_size {
            return Err(invalid(
                "database.send_writers",
                "must be less than database.pool_size (the writers hold a connection each)",
            ));
        }
        if self.export.max_concurrent == 0 {
            return Err(invalid("export.max_concurrent", "must be at least 1"));
        }
        if self.export.send_timeout_seconds == 0 {
            return Err(invalid("export.send_timeout_seconds", "must be at least 1"));
        }
        if !(1..=10_000).contains(&self.export.batch_rows) {
            return Err(invalid("export.batch_rows", "must be from 1 to 10000"));
        }
        if self.database.send_batch_max == 0 {
            return Err(invalid("database.send_batch_max", "must be at least 1"));
        }
        let secret = self.auth.hs256_secret.expose_secret();
        if secret.len() < 32 {
            return Err(invalid("auth.hs256_secret", "must be at least 32 bytes"));
        }
        if environment == "production" && secret == DEVELOPMENT_SECRET {
            return Err(invalid(
                "auth.hs256_secret",
                "is the development secret; set CHAMPION__AUTH__HS256_SECRET in production",
            ));
        }
        if environment == "production" && self.auth.log_sign_in_links {
            return Err(invalid(
                "auth.log_sign_in_links",
                "puts sign-in links in the log; it is for development only",
            ));
        }
        if !(1..=365).contains(&self.auth.session_days) {
            return Err(invalid("auth.session_days", "must be from 1 to 365"));
        }
        if self.auth.token_ttl_minutes <= 0 {
            return Err(invalid("auth.token_ttl_minutes", "must be positive"));
        }
        for origin in &self.server.allowed_origins {
            if !is_origin(origin) {
                return Err(invalid(
                    "server.allowed_origins",
                    format!("{origin:?} is not an origin like https://intranet.example.com"),
                ));
            }
        }
        for admin in &self.auth.admins {
            crate::domain::email::Email::parse(admin).map_err(|e| invalid("auth.admins", format!("{admin:?}: {e}")))?;
        }
        self.org
            .timezone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| invalid("org.timezone", "is not an IANA timezone name"))?;
        parse_weekday(&self.org.week_starts).ok_or_else(|| invalid("org.week_starts", "must be a weekday name"))?;
        parse_weekday(&self.digest.weekday).ok_or_else(|| invalid("digest.weekday", "must be a weekday name"))?;
        if self.digest.hour > 23 {
            return Err(invalid("digest.hour", "must be 0..=23"));
        }
        if self.rules.max_recipients == 0 {
            return Err(invalid("rules.max_recipients", "must be at least 1"));
        }
        if self.rules.message_max_chars == 0 {
            return Err(invalid("rules.message_max_chars", "must be at least 1"));
        }
        lettre::message::Mailbox::from_str(&self.smtp.from)
            .map_err(|e| invalid("smtp.from", format!("is not a mailbox: {e}")))?;
        let smtp_url = self.smtp.url.expose_secret();
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(invalid("smtp.url", "must start with smtp:// or smtps://"));
        }
        if self.smtp.max_attempts == 0 {
            return Err(invalid("smtp.max_attempts", "must be at least 1"));
        }
        if self.smtp.poll_ms == 0 {
            return Err(invalid("smtp.poll_ms", "must be at least 1"));
        }
        if self.digest.check_seconds == 0 {
            return Err(invalid("digest.check_seconds", "must be at least 1"));
        }
        if !self.server.public_url.starts_with("http://") && !self.server.public_url.starts_with("https://") {
            return Err(invalid("server.public_url", "must be an http(s) URL"));
        }
        if self.webhooks.poll_ms == 0 || self.webhooks.timeout_seconds == 0 {
            return Err(invalid(
                "webhooks.poll_ms",
                "and webhooks.timeout_seconds must be at least 1",
            ));
        }
        if !self.slack.api_base_url.starts_with("http://") && !self.slack.api_base_url.starts_with("https://") {
            return Err(invalid("slack.api_base_url", "must be an http(s) URL"));
        }
        if let Some(issuer) = &self.oidc.issuer_url {
            if !issuer.starts_with("https://") && !issuer.starts_with("http://") {
                return Err(invalid("oidc.issuer_url", "must be an http(s) URL"));
            }
            if self.oidc.client_id.is_none() || self.oidc.client_secret.is_none() {
                return Err(invalid(
                    "oidc.client_id",
                    "and oidc.client_secret are needed with oidc.issuer_url",
                ));
            }
        }
        if !matches!(
            self.oidc.client_auth.as_str(),
            "client_secret_basic" | "client_secret_post"
        ) {
            return Err(invalid(
                "oidc.client_auth",
                "must be client_secret_basic or client_secret_post",
            ));
        }
        if self.oidc.refresh_seconds == 0 || self.oidc.retry_seconds == 0 {
            return Err(invalid(
                "oidc.refresh_seconds",
                "and oidc.retry_seconds must be at least 1",
            ));
        }
        if self.slack.signing_secret.is_some() != self.slack.bot_token.is_some() {
            return Err(invalid(
                "slack.bot_token",
                "and slack.signing_secret must be set together (both connect the Slack app)",
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level).map_err(|e| invalid("log.level", e.to_string()))?;
        Ok(())
    }

    pub fn org_timezone(&self) -> chrono_tz::Tz {
        // Validated in `validate`, so the fallback is never taken.
        self.org.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    pub fn week_starts(&self) -> Weekday {
        parse_weekday(&self.org.week_starts).unwrap_or(Weekday::Mon)
    }
}

pub fn parse_weekday(s: &str) -> Option<Weekday> {
    s.trim().to_ascii_lowercase().parse::<Weekday>().ok()
}

/// `scheme://host[:port]` and nothing else: origins go verbatim into CORS and into the
/// widgets' `Content-Security-Policy`, where a space or `;` would change the policy.
fn is_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_env(vars: &[(&str, &str)], environment: Option<&str>) -> Result<Settings, SettingsError> {
        Settings::load(&Sources {
            environment: environment.map(String::from),
            config_dir: Some(PathBuf::from("/nonexistent")),
            env_vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        })
    }

    #[test]
    fn defaults_load() {
        let s = with_env(&[], None).unwrap();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.rules.weekly_allowance, 10);
        assert_eq!(s.org_timezone(), chrono_tz::UTC);
    }

    #[test]
    fn env_overrides_and_lists() {
        let s = with_env(
            &[
                ("CHAMPION__SERVER__PORT", "0"),
                ("CHAMPION__AUTH__ADMINS", "a@example.com,b@example.com"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(s.server.port, 0);
        assert_eq!(s.auth.admins, vec!["a@example.com", "b@example.com"]);
    }

    #[test]
    fn bad_values_name_the_key() {
        let cases = [
            ("CHAMPION__SERVER__PORT", "eighty", "server.port"),
            ("CHAMPION__ORG__TIMEZONE", "Mars/Base", "org.timezone"),
            ("CHAMPION__DATABASE__URL", "mysql://x", "database.url"),
            ("CHAMPION__DIGEST__HOUR", "25", "digest.hour"),
            ("CHAMPION__ORG__WEEK_STARTS", "someday", "org.week_starts"),
            ("CHAMPION__SMTP__FROM", "not a mailbox", "smtp.from"),
            (
                "CHAMPION__SERVER__ALLOWED_ORIGINS",
                "https://a.example; script-src *",
                "server.allowed_origins",
            ),
            (
                "CHAMPION__SERVER__ALLOWED_ORIGINS",
                "intranet.example.com",
                "server.allowed_origins",
            ),
            ("CHAMPION__SMTP__URL", "http://mail", "smtp.url"),
        ];
        for (key, value, named) in cases {
            let err = with_env(&[(key, value)], None).unwrap_err().to_string();
            assert!(err.contains(named), "{key}={value}: {err}");
        }
    }

    #[test]
    fn production_refuses_development_secret() {
        let err = with_env(&[], Some("production")).unwrap_err().to_string();
        assert!(err.contains("auth.hs256_secret"), "{err}");
        let ok = with_env(
            &[(
                "CHAMPION__AUTH__HS256_SECRET",
                "a-real-production-secret-of-enough-length",
            )],
            Some("production"),
        );
        assert!(ok.is_ok());
        let logged = with_env(
            &[
                (
                    "CHAMPION__AUTH__HS256_SECRET",
                    "a-real-production-secret-of-enough-length",
                ),
                ("CHAMPION__AUTH__LOG_SIGN_IN_LINKS", "true"),
            ],
            Some("production"),
        );
        assert!(logged.unwrap_err().to_string().contains("auth.log_sign_in_links"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = with_env(&[], None).unwrap();
        assert!(!format!("{s:?}").contains(DEVELOPMENT_SECRET));
    }
}
