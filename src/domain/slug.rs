//! Behaviour slugs: short, lower-case, hyphenated, stable identifiers used in URLs.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, String> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 64 {
            return Err("must be 1 to 64 characters".into());
        }
        let valid_chars = s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err("must be lower-case letters and digits separated by single hyphens".into());
        }
        Ok(Slug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Slug;

    #[test]
    fn accepts_and_refuses() {
        assert!(Slug::parse("customer-obsessed").is_ok());
        for bad in ["", "Upper", "-lead", "trail-", "dou--ble", "sp ace", "ünï"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?}");
        }
    }
}
