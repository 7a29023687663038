//! Cleaning of free text typed by people: trimmed, NFC-normalised, without control, bidi or
//! other invisible format characters (they can hide or reorder text shown to others, or make
//! one name look like another).

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Format characters people's text needs: zero-width (non-)joiners (emoji sequences, Persian
/// and Indic spelling) and the tag characters of subdivision flags.
fn format_kept(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{E0020}'..='\u{E007F}')
}

fn is_unwanted(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || (c.general_category() == GeneralCategory::Format && !format_kept(c))
}

/// A message of the rules ("must be at most 80 characters") as a sentence: a capital letter
/// first, one full stop last.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Multi-line text (stories): keeps newlines and tabs.
pub fn clean_multiline(raw: &str) -> String {
    let cleaned: String = raw.nfc().filter(|c| !is_unwanted(*c)).collect();
    cleaned.trim().to_string()
}

/// One-line text (names, titles): no newlines at all, runs of whitespace folded.
pub fn clean_line(raw: &str) -> String {
    let cleaned: String = raw
        .nfc()
        .map(|c| if c == '\n' || c == '\t' || c == '\r' { ' ' } else { c })
        .filter(|c| !is_unwanted(*c))
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a cleaned one-line field's length in characters.
pub fn required_line(raw: &str, max: usize) -> Result<String, String> {
    let s = clean_line(raw);
    if s.is_empty() {
        return Err("is required".into());
    }
    if s.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_controls_and_bidi() {
        assert_eq!(clean_line(" Ann\r\nLee\u{202E} "), "Ann Lee");
        assert_eq!(clean_multiline("  a\u{0007}\nb  "), "a\nb");
    }

    #[test]
    fn strips_invisible_format_characters_but_keeps_emoji_joiners() {
        assert_eq!(clean_line("Ki\u{200B}m\u{AD}\u{FEFF}\u{2060}"), "Kim");
        assert_eq!(clean_line("\u{2066}Ann\u{2069}\u{061C}"), "Ann");
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(clean_multiline(family), family);
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert_eq!(clean_line(scotland), scotland);
    }

    #[test]
    fn normalises_to_nfc() {
        assert_eq!(clean_line("e\u{0301}"), "\u{e9}");
    }
}
