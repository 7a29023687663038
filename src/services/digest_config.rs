//! What composing and queueing weekly digests needs from the settings (its own module, so
//! that `digests` and `digest_content` both use it without using each other).

use chrono_tz::Tz;

use crate::domain::digest_week::DigestCalendar;
use crate::settings::{parse_weekday, Settings};
use crate::store::employees::EmployeeRow;

/// Everything composing and queueing digests needs from the settings.
#[derive(Clone)]
pub struct DigestConfig {
    pub enabled: bool,
    pub calendar: DigestCalendar,
    pub quiet_weeks: u32,
    pub public_url: String,
    pub secret: Vec<u8>,
}

impl DigestConfig {
    pub fn from_settings(s: &Settings) -> DigestConfig {
        use secrecy::ExposeSecret;
        DigestConfig {
            enabled: s.digest.enabled,
            calendar: DigestCalendar {
                org_tz: s.org_timezone(),
                week_starts: s.week_starts(),
                weekday: parse_weekday(&s.digest.weekday).unwrap_or(chrono::Weekday::Mon),
                hour: s.digest.hour,
            },
            quiet_weeks: s.digest.quiet_weeks.max(1),
            public_url: s.server.public_url.trim_end_matches('/').to_string(),
            secret: s.auth.hs256_secret.expose_secret().as_bytes().to_vec(),
        }
    }

    pub fn manager_tz(&self, manager: &EmployeeRow) -> Tz {
        manager
            .timezone
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(self.calendar.org_tz)
    }
}
