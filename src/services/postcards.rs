//! Sending postcards under the contract's rules, and reading the feed. The allowance and the
//! same-pair cap are counted inside the write transaction with the sender locked, so a burst
//! of concurrent sends cannot overspend on either backend.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Weekday};
use chrono_tz::Tz;

use super::postcard_views::{self, Looker, PostcardView};
use crate::boards::scoreboard::BoardConfig;
use crate::domain::period::{week_containing, Span};
use crate::domain::postcard::{check_recipients, parse_customer, Customer, Message, RecipientProblem, Visibility};
use crate::email::queue::{self, Outgoing, KIND_POSTCARD};
use crate::email::render::{customer_line, PostcardNotice};
use crate::email::unsubscribe::{self, Topic};
use crate::error::{AppError, AppResult, Checks};
use crate::settings::Settings;
use crate::store::behaviours::BehaviourRow;
use crate::store::employees::EmployeeRow;
use crate::store::outbox::OutboxRow;
use crate::store::postcards::{self, FeedFilter, PairRow, PostcardRow, Viewer};
use crate::store::DbConnection;

/// The `[rules]` and `[org]` settings that sending depends on.
#[derive(Debug, Clone)]
pub struct Rules {
    pub weekly_allowance: i64,
    pub same_pair_per_week: i64,
    pub max_recipients: usize,
    pub message_max_chars: usize,
    pub timezone: Tz,
    pub week_starts: Weekday,
    pub board: BoardConfig,
    /// Email recipients who asked for it (`notify_on_postcard`); `None` for seeders, whose
    /// postcards are history nobody should be mailed about.
    pub notify: Option<NoticeLinks>,
}

/// What a notification email links to.
#[derive(Debug, Clone)]
pub struct NoticeLinks {
    pub public_url: String,
    pub secret: Vec<u8>,
}

impl Rules {
    pub fn from_settings(s: &Settings) -> Rules {
        Rules {
            weekly_allowance: i64::from(s.rules.weekly_allowance),
            same_pair_per_week: i64::from(s.rules.same_pair_per_week),
            max_recipients: s.rules.max_recipients as usize,
            message_max_chars: s.rules.message_max_chars as usize,
            timezone: s.org_timezone(),
            week_starts: s.week_starts(),
            board: BoardConfig::from_settings(s),
            notify: Some(NoticeLinks {
                public_url: s.server.public_url.trim_end_matches('/').to_string(),
                secret: secrecy::ExposeSecret::expose_secret(&s.auth.hs256_secret)
                    .as_bytes()
                    .to_vec(),
            }),
        }
    }

    pub fn week_of(&self, at: NaiveDateTime) -> Span {
        week_containing(at, self.timezone, self.week_starts)
    }
}

#[derive(Debug, Clone)]
pub struct SendInput {
    pub recipients: Vec<String>,
    pub behaviour: String,
    pub message: String,
    pub customer: Option<(String, Option<String>)>,
    pub visibility: Visibility,
}

/// Where to store the response of an `Idempotency-Key` request, in the same transaction.
pub struct IdempotencyTicket<'a> {
    pub caller: &'a str,
    pub key: &'a str,
}

fn rule(code: &'static str, field: impl Into<String>, detail: impl Into<String>) -> AppError {
    AppError::Rule {
        code,
        detail: detail.into(),
        field: Some(field.into()),
    }
}

/// The checks that need no database, every bad field reported at once.
pub(super) fn check_input(input: &SendInput, sender_id: &str, rules: &Rules) -> AppResult<(Message, Option<Customer>)> {
    let mut checks = Checks::new();
    let message = checks.check("message", Message::parse(&input.message, rules.message_max_chars));
    if input.behaviour.trim().is_empty() {
        checks.fail("behaviour", "is required");
    }
    let customer = match &input.customer {
        None => None,
        Some((name, quote)) => match parse_customer(name, quote.as_deref()) {
            Ok(c) => Some(c),
            Err(errors) => {
                errors.into_iter().for_each(|(field, msg)| checks.fail(field, msg));
                None
            }
        },
    };
    if input.recipients.is_empty() {
        checks.fail("recipients", "name at least one colleague");
    }
    checks.finish()?;
    match check_recipients(&input.recipients, sender_id, rules.max_recipients) {
        Ok(()) | Err(RecipientProblem::Empty) => {}
        Err(RecipientProblem::TooMany { max }) => {
            return Err(rule(
                "too_many_recipients",
                "recipients",
                format!("a postcard goes to at most {max} colleagues"),
            ))
        }
        Err(RecipientProblem::ToSelf { index }) => {
            return Err(rule(
                "self_postcard",
                format!("recipients[{index}]"),
                "you cannot send a postcard to yourself",
            ))
        }
        Err(RecipientProblem::Duplicate { index }) => {
            return Err(rule(
                "duplicate_recipient",
                format!("recipients[{index}]"),
                "this colleague is already named on the postcard",
            ))
        }
    }
    let message = message.ok_or_else(|| AppError::internal(anyhow::anyhow!("checked message missing")))?;
    Ok((message, customer))
}

/// Behaviour and recipients must exist and be active; answers the behaviour's title.
/// `behaviour` is the row the slug names, `people` holds (at least) the recipients found.
pub(super) fn check_directory(
    input: &SendInput,
    behaviour: Option<&BehaviourRow>,
    people: &HashMap<String, EmployeeRow>,
) -> AppResult<String> {
    let title = match behaviour {
        None => {
            return Err(rule(
                "unknown_behaviour",
                "behaviour",
                format!("there is no behaviour {:?}", input.behaviour),
            ))
        }
        Some(b) if !b.active => {
            return Err(rule(
                "archived_behaviour",
                "behaviour",
                format!("the behaviour {:?} is archived", b.slug),
            ))
        }
        Some(b) => b.title.clone(),
    };
    for (i, id) in input.recipients.iter().enumerate() {
        match people.get(id) {
            None => {
                return Err(rule(
                    "unknown_recipient",
                    format!("recipients[{i}]"),
                    format!("no employee has id {id:?}"),
                ))
            }
            Some(e) if !e.active => {
                return Err(rule(
                    "inactive_recipient",
                    format!("recipients[{i}]"),
                    format!("{} has left the directory", e.name),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(title)
}

/// The weekly allowance and the same-pair cap, given what the sender has `sent` in `week`
/// and `earlier`, every postcard the sender sent these recipients (hidden ones count: they
/// were sent). Both must be read with the sender locked.
pub(super) fn check_limits(
    sent: i64,
    recipients: &[String],
    earlier: &[PairRow],
    rules: &Rules,
    week: Span,
) -> AppResult<()> {
    if sent >= rules.weekly_allowance {
        return Err(AppError::Rule {
            code: "weekly_allowance_exceeded",
            detail: format!(
                "you have sent {sent} of your {} postcards this week; the allowance renews at {} UTC",
                rules.weekly_allowance, week.end
            ),
            field: None,
        });
    }
    for (i, id) in recipients.iter().enumerate() {
        let to_them = earlier
            .iter()
            .filter(|(r, _, at, _)| r == id && week.start <= *at && *at < week.end)
            .count() as i64;
        if to_them >= rules.same_pair_per_week {
            return Err(rule(
                "pair_limit_exceeded",
                format!("recipients[{i}]"),
                format!(
                    "you have already sent this colleague {to_them} postcards this week (the limit is {})",
                    rules.same_pair_per_week
                ),
            ));
        }
    }
    Ok(())
}

/// The notification emails of a postcard to the recipients who want one.
pub(super) fn notices(
    links: &NoticeLinks,
    row: &PostcardRow,
    sender: &EmployeeRow,
    recipients: &[&EmployeeRow],
    (behaviour_title, behaviour_color): (&str, Option<&str>),
    now: NaiveDateTime,
) -> AppResult<Vec<OutboxRow>> {
    let mut rows = Vec::new();
    for r in recipients.iter().filter(|r| r.notify_on_postcard && r.active) {
        let notice = PostcardNotice {
            recipient_name: r.name.clone(),
            sender: sender.name.clone(),
            behaviour: behaviour_title.to_string(),
            color: behaviour_color.unwrap_or(crate::domain::looks::PALETTE[0]).to_string(),
            message: row.message.clone(),
            customer: customer_line(row.customer_name.as_deref(), row.customer_quote.as_deref()),
            url: format!("{}/postcards/{}", links.public_url, row.id),
            unsubscribe_url: unsubscribe::url(&links.public_url, &links.secret, &r.id, Topic::PostcardEmails),
        };
        rows.push(queue::row(
            &queue::new_id(),
            Outgoing {
                kind: KIND_POSTCARD,
                dedupe_key: Some(format!("postcard:{}:{}", row.id, r.id)),
                to_address: &r.email,
                to_name: &r.name,
                rendered: notice.rendered().map_err(AppError::internal)?,
                unsubscribe_url: Some(notice.unsubscribe_url.clone()),
            },
            &links.public_url,
            now,
        ));
    }
    Ok(rows)
}

/// A UUID v7 carrying the postcard's own time, so ids sort like `created_at` (also for
/// postcards dated in the past by the seeders).
pub fn id_at(at: NaiveDateTime) -> String {
    let t = at.and_utc();
    let secs = u64::try_from(t.timestamp()).unwrap_or(0);
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, secs, t.timestamp_subsec_nanos());
    uuid::Uuid::new_v7(ts).to_string()
}

pub fn location(id: &str) -> String {
    format!("/api/v1/postcards/{id}")
}

/// Postcards the employee may still send in the week holding `now`.
pub fn remaining_allowance(
    conn: &mut DbConnection,
    sender_id: &str,
    rules: &Rules,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let sent = postcards::count_sent(conn, sender_id, rules.week_of(now))?;
    Ok((rules.weekly_allowance - sent).max(0))
}

/// A page of the feed as the looker may see it, newest first (one extra row tells whether
/// there is a next page).
pub fn feed(
    conn: &mut DbConnection,
    looker: Looker,
    include_hidden: bool,
    filter: &FeedFilter,
) -> AppResult<Vec<(PostcardRow, PostcardView)>> {
    let viewer = match (looker.is_admin, looker.employee_id) {
        (true, _) => Viewer::Admin { include_hidden },
        (false, Some(me)) => Viewer::Employee(me.to_string()),
        (false, None) => Viewer::Public,
    };
    let rows = postcards::list(conn, &viewer, filter)?;
    let keys = rows.clone();
    let views = postcard_views::views(conn, rows, looker)?;
    Ok(keys.into_iter().zip(views).collect())
}
