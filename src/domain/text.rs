//! Cleaning of free text typed by people: trimmed, NFC-normalised, without control or
//! bidi-override characters (they can hide or reorder text shown to others).

use unicode_normalization::UnicodeNormalization;

fn is_unwanted(c: char) -> bool {
    let bidi_control =
        matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
    (c.is_control() && c != '\n' && c != '\t') || bidi_control
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
    fn normalises_to_nfc() {
        assert_eq!(clean_line("e\u{0301}"), "\u{e9}");
    }
}
