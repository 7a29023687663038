//! The outbox worker inside `champion serve`: claims due emails, sends them over SMTP with
//! lettre, and records the outcome. Temporary failures (4xx replies, a server that is down)
//! are retried with exponential backoff; permanent ones (5xx) and the last allowed attempt
//! end as `failed` with the error kept. Several instances may run it against one database:
//! a claimed row belongs to one worker until its claim expires.

use std::time::Duration;

use chrono::NaiveDateTime;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use super::render::one_line;
use crate::domain::clock::now;
use crate::settings::SmtpSettings;
use crate::store::db::{self, write_tx};
use crate::store::outbox::{self, OutboxRow};
use crate::store::Pool;

/// How many emails one claim takes, and how long it holds them.
const BATCH: i32 = 20;
const CLAIM_SECONDS: i64 = 300;

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    max_attempts: i32,
    retry_base_ms: u64,
}

/// Why one attempt failed, and whether another may succeed.
#[derive(Debug)]
pub struct SendFailure {
    pub message: String,
    pub permanent: bool,
}

impl Mailer {
    pub fn from_settings(s: &SmtpSettings) -> anyhow::Result<Mailer> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(s.url.expose_secret())
            .map_err(|e| anyhow::anyhow!("smtp.url: {e}"))?
            .timeout(Some(Duration::from_secs(s.timeout_seconds)))
            .build();
        Ok(Mailer {
            transport,
            from: s.from.parse().map_err(|e| anyhow::anyhow!("smtp.from: {e}"))?,
            max_attempts: i32::try_from(s.max_attempts).unwrap_or(i32::MAX),
            retry_base_ms: s.retry_base_ms,
        })
    }

    /// The MIME message of an outbox row.
    pub fn message(&self, row: &OutboxRow) -> Result<Message, SendFailure> {
        let permanent = |e: String| SendFailure {
            message: e,
            permanent: true,
        };
        // Rows are written with one-line names and subjects; folding again here keeps a row
        // from elsewhere (an older version, a hand edit) from breaking a header. lettre
        // panics on a line break in a display name.
        let to = Mailbox::new(
            Some(one_line(&row.to_name)),
            row.to_address
                .parse()
                .map_err(|e| permanent(format!("bad address: {e}")))?,
        );
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(one_line(&row.subject))
            .message_id(Some(row.message_id.clone()));
        if let Some(url) = &row.unsubscribe_url {
            // RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click` to the URL.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let text = part(ContentType::TEXT_PLAIN, &row.body_text);
        let body = match &row.body_html {
            Some(html) => MultiPart::alternative()
                .singlepart(text)
                .singlepart(part(ContentType::TEXT_HTML, html)),
            None => MultiPart::mixed().singlepart(text),
        };
        builder.multipart(body).map_err(|e| permanent(e.to_string()))
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<(), SendFailure> {
        let message = self.message(row)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| SendFailure {
            message: e.to_string(),
            permanent: e.is_permanent(),
        })
    }

    /// When to try again after `attempts` failed attempts, or None when it should fail now.
    pub fn retry_at(&self, attempts: i32, failure: &SendFailure, now: NaiveDateTime) -> Option<NaiveDateTime> {
        if failure.permanent || attempts >= self.max_attempts {
            return None;
        }
        Some(crate::domain::clock::retry_after(self.retry_base_ms, attempts, now))
    }
}

/// Claims one batch of due emails.
async fn claim(pool: &Pool) -> crate::error::AppResult<Vec<OutboxRow>> {
    db::run(pool, |conn| {
        let at = now();
        write_tx(conn, |conn| {
            Ok(outbox::claim_due(
                conn,
                at,
                at + chrono::Duration::seconds(CLAIM_SECONDS),
                BATCH,
            )?)
        })
    })
    .await
}

/// Sends every email due now; returns how many were attempted.
pub async fn send_due(pool: &Pool, mailer: &Mailer) -> crate::error::AppResult<usize> {
    let rows = claim(pool).await?;
    for row in &rows {
        let outcome = mailer.deliver(row).await;
        let id = row.id.clone();
        match outcome {
            Ok(()) => {
                tracing::info!(outbox_id = %id, kind = %row.kind, "email sent");
                db::run(pool, move |conn| Ok(outbox::mark_sent(conn, &id, now())?)).await?;
            }
            Err(failure) => {
                let retry = mailer.retry_at(row.attempts, &failure, now());
                tracing::warn!(outbox_id = %id, attempts = row.attempts, retry = ?retry, error = %failure.message, "email not sent");
                let error = failure.message;
                db::run(pool, move |conn| {
                    Ok(outbox::mark_attempt_failed(conn, &id, &error, retry)?)
                })
                .await?;
            }
        }
    }
    Ok(rows.len())
}

/// Runs until the process stops: sends what is due, then waits `poll`.
pub async fn run(pool: Pool, mailer: Mailer, poll: Duration) {
    loop {
        match send_due(&pool, &mailer).await {
            // A full batch: more may be waiting, go on at once.
            Ok(n) if n == BATCH as usize => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox worker: database unavailable"),
        }
        tokio::time::sleep(poll).await;
    }
}

/// A text part sent as it is (7bit when ASCII, else 8bit) whenever every line fits SMTP's
/// hard limit of 998 bytes, as our emails' lines do: links then reach readers, and catchers
/// that show the raw message, unbroken, where quoted-printable would cut a long link with soft
/// breaks and turn its `=` into `=3D` (lettre picks it for any line over 76 characters).
/// Anything else gets lettre's own choice.
fn part(content_type: ContentType, text: &str) -> SinglePart {
    let crlf = text.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n");
    let fits = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    let body = match (fits, crlf.is_ascii()) {
        (true, true) => Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit),
        (true, false) => Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit),
        (false, _) => Body::new(text.to_string()),
    };
    SinglePart::builder().header(content_type).body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_keep_long_links_whole() {
        let link = format!("https://champion.example.com/sign-in?magic_token=cm_{}", "x".repeat(43));
        let sent = |text: &str| String::from_utf8(part(ContentType::TEXT_PLAIN, text).formatted()).unwrap();
        let ascii = sent(&format!("Hello Ada,\n\n{link}\n"));
        assert!(
            ascii.contains("Content-Transfer-Encoding: 7bit") && ascii.contains(&link),
            "{ascii}"
        );
        let utf8 = sent(&format!("Hola Inés,\n{link}"));
        assert!(
            utf8.contains("Content-Transfer-Encoding: 8bit") && utf8.contains(&link),
            "{utf8}"
        );
        let too_long = sent(&"y".repeat(1200));
        assert!(
            !too_long.contains("7bit") && !too_long.contains(&"y".repeat(999)),
            "{too_long}"
        );
    }
    use crate::settings::{Settings, Sources};

    fn mailer() -> Mailer {
        let s = Settings::load(&Sources {
            config_dir: Some("/nonexistent".into()),
            ..Sources::default()
        })
        .unwrap();
        Mailer::from_settings(&s.smtp).unwrap()
    }

    fn row() -> OutboxRow {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap();
        OutboxRow {
            id: "0196-a".into(),
            kind: "digest".into(),
            dedupe_key: None,
            to_address: "ada@example.com".into(),
            to_name: "Ada\r\nBcc: eve@example.com".into(),
            subject: "Hello\r\nBcc: eve@example.com".into(),
            body_text: "text".into(),
            body_html: Some("<p>html</p>".into()),
            unsubscribe_url: Some("http://localhost:8080/unsubscribe?token=t".into()),
            message_id: "<0196-a@localhost>".into(),
            status: "queued".into(),
            attempts: 1,
            next_attempt_at: at,
            claimed_until: None,
            last_error: None,
            created_at: at,
            sent_at: None,
        }
    }

    #[test]
    fn headers_cannot_be_injected() {
        let raw = String::from_utf8(mailer().message(&row()).unwrap().formatted()).unwrap();
        let head = raw.split("\r\n\r\n").next().unwrap();
        assert!(
            !head.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
            "{head}"
        );
        assert!(head.contains("Message-ID: <0196-a@localhost>"), "{head}");
        assert!(head.contains("List-Unsubscribe: <http://localhost:8080/unsubscribe?token=t>"));
        assert!(head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    }

    #[test]
    fn backoff_doubles_then_gives_up() {
        let m = mailer();
        let now = row().created_at;
        let temporary = SendFailure {
            message: "451".into(),
            permanent: false,
        };
        let delay = |attempts| (m.retry_at(attempts, &temporary, now).unwrap() - now).num_milliseconds();
        assert_eq!(delay(1), 30_000);
        assert_eq!(delay(2), 60_000);
        assert_eq!(delay(3), 120_000);
        assert_eq!(delay(7), 1_920_000);
        assert_eq!(m.retry_at(8, &temporary, now), None, "max_attempts reached");
        let permanent = SendFailure {
            message: "550".into(),
            permanent: true,
        };
        assert_eq!(m.retry_at(1, &permanent, now), None);
    }
}
