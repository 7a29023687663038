//! Employee field rules shared by the API, the CSV import and the demo seed.

use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 200;
pub const DEPARTMENT_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Employee,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Employee => "employee",
            Role::Admin => "admin",
        }
    }

    pub fn from_db(s: &str) -> Role {
        if s == "admin" {
            Role::Admin
        } else {
            Role::Employee
        }
    }
}

pub fn parse_name(raw: &str) -> Result<String, String> {
    super::text::required_line(raw, NAME_MAX)
}

pub fn parse_department(raw: &str) -> Result<String, String> {
    let s = super::text::clean_line(raw);
    if s.chars().count() > DEPARTMENT_MAX {
        return Err(format!("must be at most {DEPARTMENT_MAX} characters"));
    }
    Ok(s)
}

/// An empty timezone means "the organisation's".
pub fn parse_timezone(raw: &str) -> Result<Option<String>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<chrono_tz::Tz>()
        .map(|tz| Some(tz.name().to_string()))
        .map_err(|_| format!("{s:?} is not an IANA timezone such as Europe/Paris"))
}

/// The key people are sorted by: case-insensitive, so both backends order alike.
pub fn sort_key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones() {
        assert_eq!(parse_timezone("").unwrap(), None);
        assert_eq!(parse_timezone("Europe/Paris").unwrap().as_deref(), Some("Europe/Paris"));
        assert!(parse_timezone("Europe/Atlantis").is_err());
    }

    #[test]
    fn names() {
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(201)).is_err());
        assert_eq!(parse_name(" Ann  Lee ").unwrap(), "Ann Lee");
    }
}
