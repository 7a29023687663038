//! Magic-link sign-in for companies without an identity provider. Asking for a link always
//! looks the same from outside (202), whether or not the address belongs to anyone; a known
//! active employee gets an email with a one-time link valid `LINK_MINUTES`. Requests are
//! limited per address (counted for unknown addresses too, so the limit reveals nothing).

use chrono::{Duration, NaiveDateTime};

use super::idempotency::request_hash as sha256_hex;
use crate::domain::email::Email;
use crate::email::queue::{self, Outgoing, KIND_MAGIC_LINK};
use crate::email::render::MagicLinkMail;
use crate::error::{AppError, AppResult};
use crate::store::db::write_tx;
use crate::store::employees::{self, EmployeeRow};
use crate::store::magic_links::{self, MagicLinkRow};
use crate::store::DbConnection;

pub const LINK_MINUTES: i64 = 15;
/// Magic tokens start with this, so they are told from other tokens at a glance.
const PREFIX: &str = "cm_";

pub struct SignInConfig<'a> {
    pub public_url: &'a str,
    pub per_hour: u32,
    /// The local page to open once signed in (carried in the link), if not the wall.
    pub return_to: Option<&'a str>,
    /// `auth.log_sign_in_links` (development only): each link also goes to the log.
    pub log_link: bool,
}

impl<'a> SignInConfig<'a> {
    pub fn new(settings: &'a crate::settings::Settings, return_to: Option<&'a str>) -> SignInConfig<'a> {
        SignInConfig {
            public_url: &settings.server.public_url,
            per_hour: settings.auth.magic_links_per_hour,
            return_to,
            log_link: settings.auth.log_sign_in_links,
        }
    }
}

fn new_token() -> String {
    super::secrets::random_token(PREFIX)
}

/// Handles `POST /auth/magic-link` (and the sign-in page): records the request and, for a
/// known active employee, queues the email in the same transaction.
pub fn request_link(conn: &mut DbConnection, cfg: &SignInConfig, raw_email: &str, now: NaiveDateTime) -> AppResult<()> {
    let email = Email::parse(raw_email).map_err(|m| AppError::validation("email", m))?;
    let address = email.as_str().to_string();
    let link = write_tx(conn, |conn| {
        // Old links can no longer be used or count towards the limit.
        magic_links::purge_before(conn, now - Duration::days(1))?;
        let recent = magic_links::count_since(conn, &address, now - Duration::hours(1))?;
        if recent >= i64::from(cfg.per_hour) {
            return Err(AppError::TooManyRequests {
                detail: format!(
                    "at most {} sign-in links per address an hour; try again later",
                    cfg.per_hour
                ),
                retry_after: 3600,
            });
        }
        let employee = employees::find_by_email(conn, &address)?.filter(|e| e.active);
        let token = new_token();
        magic_links::insert(
            conn,
            &MagicLinkRow {
                token_hash: sha256_hex(&token),
                email: address.clone(),
                employee_id: employee.as_ref().map(|e| e.id.clone()),
                created_at: now,
                expires_at: now + Duration::minutes(LINK_MINUTES),
                used_at: None,
            },
        )?;
        match employee {
            Some(e) => queue_link_email(conn, cfg, &e, &token, now).map(Some),
            None => Ok(None),
        }
    })?;
    // Logged once committed (a retried transaction would log a link that never was).
    if let Some(link) = link.filter(|_| cfg.log_link) {
        tracing::warn!(%link, "sign-in link (auth.log_sign_in_links is on: development only)");
    }
    Ok(())
}

fn queue_link_email(
    conn: &mut DbConnection,
    cfg: &SignInConfig,
    employee: &EmployeeRow,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<String> {
    let mut url = format!("{}/sign-in?magic_token={token}", cfg.public_url.trim_end_matches('/'));
    if let Some(next) = cfg.return_to.filter(|n| *n != "/") {
        url.push_str("&next=");
        url.extend(form_urlencoded::byte_serialize(next.as_bytes()));
    }
    let mail = MagicLinkMail {
        name: employee.name.clone(),
        url: url.clone(),
        minutes: LINK_MINUTES,
    };
    queue::enqueue(
        conn,
        &queue::new_id(),
        Outgoing {
            kind: KIND_MAGIC_LINK,
            dedupe_key: None,
            to_address: &employee.email,
            to_name: &employee.name,
            rendered: mail.rendered().map_err(AppError::internal)?,
            unsubscribe_url: None,
        },
        cfg.public_url,
        now,
    )?;
    Ok(url)
}

/// The name of the active employee a link would sign in, if it is still usable.
pub fn link_holder(conn: &mut DbConnection, magic_token: &str, now: NaiveDateTime) -> AppResult<Option<String>> {
    let Some(id) = magic_links::peek(conn, &sha256_hex(magic_token.trim()), now)? else {
        return Ok(None);
    };
    Ok(employees::find(conn, &id)?.filter(|e| e.active).map(|e| e.name))
}

/// Handles `POST /auth/token`: uses the link up (once) and names its employee.
pub fn exchange(conn: &mut DbConnection, magic_token: &str, now: NaiveDateTime) -> AppResult<EmployeeRow> {
    let refused = || {
        AppError::unauthorized(
            "invalid_magic_token",
            "this sign-in link is unknown, expired or already used; ask for a new one",
        )
    };
    let token = magic_token.trim();
    if token.is_empty() {
        return Err(AppError::validation("magic_token", "is required"));
    }
    write_tx(conn, |conn| {
        let employee_id = magic_links::consume(conn, &sha256_hex(token), now)?.ok_or_else(refused)?;
        employees::find(conn, &employee_id)?
            .filter(|e| e.active)
            .ok_or_else(refused)
    })
}
