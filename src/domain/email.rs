//! A validated email address in its one canonical form, the identity every sign-in path
//! (tokens, magic links, the directory, CSV import) compares people by.
//!
//! The form must never make two different mailboxes equal, so it is conservative:
//! - NFC, so a decomposed accent (`e` + U+0301) and a precomposed `é` are one address;
//! - ASCII letters lower-cased; other letters lower-cased only to another non-ASCII letter
//!   (`É` to `é`), never onto ASCII the way `to_lowercase` folds KELVIN SIGN onto `k`;
//! - refused, not repaired: invisible format characters (zero-width, soft hyphen, BOM, bidi
//!   controls, word joiner), characters that NFC replaces by another one (KELVIN SIGN,
//!   OHM SIGN), characters UTS #39 does not allow in identifiers (fullwidth, ligatures,
//!   symbols), a local part or domain label that mixes scripts (`аnn` with a Cyrillic `а`),
//!   and international domains that do not survive IDNA unchanged.

use std::collections::HashMap;
use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_security::{GeneralSecurityProfile, MixedScript};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Refuses characters that cannot be part of a canonical address, naming the first.
fn check_characters(s: &str) -> Result<(), String> {
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            return Err("must not contain spaces or control characters".into());
        }
        if c.is_ascii() {
            continue;
        }
        if c.general_category() == GeneralCategory::Format {
            return Err(format!(
                "contains an invisible formatting character ({}); type the address again",
                code_point(c)
            ));
        }
        // A character NFC replaces by another (KELVIN SIGN by `K`) is a look-alike.
        if std::iter::once(c).nfc().ne(std::iter::once(c)) {
            return Err(format!(
                "contains {}, which stands in for another character; type the address as it is spelled",
                code_point(c)
            ));
        }
    }
    Ok(())
}

/// Lower-cases without ever turning a non-ASCII letter into an ASCII one.
fn lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            continue;
        }
        let mut lowered = c.to_lowercase();
        match (lowered.next(), lowered.next()) {
            (Some(l), None) if !l.is_ascii() => out.push(l),
            _ => out.push(c),
        }
    }
    out.nfc().collect()
}

/// Non-ASCII letters must be ones UTS #39 allows in identifiers, all of one script.
fn check_script(part: &str, what: &str) -> Result<(), String> {
    if part.is_ascii() {
        return Ok(());
    }
    if let Some(c) = part.chars().find(|c| !c.is_ascii() && !c.identifier_allowed()) {
        return Err(format!(
            "contains {}, which is not allowed in an address",
            code_point(c)
        ));
    }
    if !part.is_single_script() {
        return Err(format!(
            "mixes scripts in the {what} (e.g. Latin and Cyrillic letters), so it could pass for another address"
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), String> {
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !labels_ok {
        return Err("has an invalid domain".into());
    }
    if domain.is_ascii() {
        return Ok(());
    }
    for label in domain.split('.') {
        check_script(label, "domain")?;
    }
    // An international domain must come back from IDNA as it went in (UTS #46 maps some
    // characters onto others, and those are look-alikes).
    let ascii = idna::domain_to_ascii(domain).map_err(|_| "has an invalid international domain".to_string())?;
    match idna::domain_to_unicode(&ascii) {
        (unicode, Ok(())) if unicode == domain => Ok(()),
        _ => Err("has an international domain that is not in its standard form".into()),
    }
}

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 254 {
            return Err("is longer than 254 characters".into());
        }
        check_characters(s)?;
        let s = lower(s);
        let (local, domain) = s.rsplit_once('@').ok_or_else(|| "must contain '@'".to_string())?;
        if local.is_empty() || local.contains('@') {
            return Err("must have one '@' with a name before it".into());
        }
        if "<>\"(),;:[]\\".chars().any(|c| local.contains(c)) {
            return Err("contains characters not allowed in an address".into());
        }
        check_domain(domain)?;
        check_script(local, "name before '@'")?;
        if s.len() > 254 {
            return Err("is longer than 254 characters".into());
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }

    /// What the address looks like on screen (UTS #39 skeleton): two addresses with one
    /// skeleton pass for each other (`асе@x.test` in Cyrillic and `ace@x.test`).
    pub fn skeleton(&self) -> String {
        unicode_security::skeleton(&self.0).collect()
    }

    /// Whether `self` would pass on screen for the different address `other`. Only pairs
    /// with a non-ASCII letter are compared: ASCII confusables (`rn`, `m`) are ordinary.
    pub fn looks_like(&self, other: &Email) -> bool {
        self != other && !(self.is_ascii() && other.is_ascii()) && self.skeleton() == other.skeleton()
    }
}

/// The addresses already taken, by skeleton, to find the one a new address would pass for.
#[derive(Default)]
pub struct LookAlikes {
    by_skeleton: HashMap<String, Vec<Email>>,
}

impl LookAlikes {
    /// Stored addresses that no longer parse (written before canonicalisation) are skipped:
    /// they can still be found by their exact text.
    pub fn new<'a>(taken: impl IntoIterator<Item = &'a str>) -> LookAlikes {
        let mut set = LookAlikes::default();
        for email in taken.into_iter().filter_map(|e| Email::parse(e).ok()) {
            set.add(email);
        }
        set
    }

    pub fn add(&mut self, email: Email) {
        self.by_skeleton.entry(email.skeleton()).or_default().push(email);
    }

    /// A different address taken already that `email` would pass for on screen.
    pub fn twin_of(&self, email: &Email) -> Option<&Email> {
        self.by_skeleton
            .get(&email.skeleton())?
            .iter()
            .find(|e| email.looks_like(e))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Email, LookAlikes};

    #[test]
    fn canonical_forms() {
        for (raw, canonical, why) in [
            (
                "  Ann.Lee@Example.COM ",
                "ann.lee@example.com",
                "ASCII is case-insensitive",
            ),
            (
                "jose\u{301}@acme.test",
                "jos\u{e9}@acme.test",
                "NFC joins a decomposed accent",
            ),
            (
                "JOS\u{c9}@acme.test",
                "jos\u{e9}@acme.test",
                "non-ASCII letters lower-case to non-ASCII",
            ),
            (
                "\u{418}\u{432}\u{430}\u{43d}@acme.test",
                "\u{438}\u{432}\u{430}\u{43d}@acme.test",
                "one script",
            ),
            (
                "ann@b\u{fc}cher.test",
                "ann@b\u{fc}cher.test",
                "an international domain in standard form",
            ),
            ("ann+cx@acme.test", "ann+cx@acme.test", "sub-addresses stay"),
        ] {
            assert_eq!(
                Email::parse(raw).map(Email::into_string),
                Ok(canonical.to_string()),
                "{why}"
            );
        }
    }

    #[test]
    fn refuses_what_it_cannot_canonicalise_safely() {
        for (bad, why) in [
            ("", "empty"),
            ("no-at", "no @"),
            ("@example.com", "no local part"),
            ("a@", "no domain"),
            ("a@@b.com", "two @"),
            ("a b@c.com", "space"),
            ("a@b..com", "empty label"),
            ("a\r\n@b.com", "control characters"),
            ("<a>@b.com", "angle brackets"),
            ("a\u{0}@b.com", "NUL"),
            ("\u{212A}im@acme.test", "KELVIN SIGN would fold onto k"),
            ("\u{2126}mega@acme.test", "OHM SIGN stands in for omega"),
            ("ki\u{200B}m@acme.test", "zero-width space"),
            ("ki\u{AD}m@acme.test", "soft hyphen"),
            ("\u{FEFF}kim@acme.test", "byte order mark"),
            ("kim\u{202E}@acme.test", "bidi override"),
            ("ki\u{2060}m@acme.test", "word joiner"),
            ("ki\u{200D}m@acme.test", "zero-width joiner"),
            ("\u{430}nn@acme.test", "Cyrillic а among Latin letters"),
            ("ann@\u{430}cme.test", "a mixed-script domain label"),
            ("\u{FF4B}im@acme.test", "fullwidth k"),
            ("\u{FB01}n@acme.test", "a ligature"),
            ("kim@ac\u{212A}me.test", "IDNA would map the domain onto another"),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused: {why}");
        }
    }

    #[test]
    fn look_alikes_across_scripts() {
        let latin = Email::parse("ace@acme.test").unwrap();
        let cyrillic = Email::parse("\u{430}\u{441}\u{435}@acme.test").unwrap();
        assert!(cyrillic.looks_like(&latin) && latin.looks_like(&cyrillic));
        let rn = Email::parse("rnary@acme.test").unwrap();
        let m = Email::parse("mary@acme.test").unwrap();
        assert!(!rn.looks_like(&m), "ASCII addresses are told apart by their letters");
        assert!(!latin.looks_like(&latin));
        let taken = LookAlikes::new(["ace@acme.test", "not an address", "mary@acme.test"]);
        assert_eq!(taken.twin_of(&cyrillic), Some(&latin));
        assert_eq!(
            taken.twin_of(&latin),
            None,
            "the same address is a duplicate, not a twin"
        );
        assert_eq!(taken.twin_of(&rn), None);
    }
}
