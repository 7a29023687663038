//! How a behaviour looks on a postcard: a colour and an icon from the built-in set.

/// Icons vendored into the binary (Lucide, ISC licence; see `src/web/static/icons.svg`).
pub const ICONS: &[&str] = &[
    "heart",
    "star",
    "ear",
    "shield-check",
    "sparkles",
    "users",
    "rocket",
    "message-circle",
    "trophy",
    "handshake",
    "lightbulb",
    "smile",
];

/// The default colours: each reads at 4.5:1 or better against the card (and under white).
pub const PALETTE: &[&str] = &["#0b6e4f", "#b42318", "#1d4ed8", "#7c3aed", "#b45309", "#0e7490"];

/// The contrast a behaviour's colour needs against white (WCAG AA for text).
const MIN_CONTRAST: f64 = 4.5;

fn channel(hex: &str) -> Option<f64> {
    let v = u8::from_str_radix(hex, 16).ok()? as f64 / 255.0;
    Some(if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    })
}

/// WCAG contrast ratio of `#rrggbb` against white.
pub fn contrast_with_white(color: &str) -> Option<f64> {
    let hex = color.strip_prefix('#')?;
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let (r, g, b) = (channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?);
    let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    Some(1.05 / (luminance + 0.05))
}

/// A colour as `#rrggbb` (lower case), dark enough to read on a card.
pub fn parse_color(raw: &str) -> Result<String, String> {
    let color = raw.trim().to_ascii_lowercase();
    let contrast = contrast_with_white(&color).ok_or_else(|| "must be a colour written like #0b6e4f".to_string())?;
    if contrast < MIN_CONTRAST {
        return Err(format!(
            "is too light to read on a postcard (contrast {contrast:.1}:1, at least {MIN_CONTRAST}:1 is needed); pick a darker shade"
        ));
    }
    Ok(color)
}

pub fn parse_icon(raw: &str) -> Result<String, String> {
    let icon = raw.trim();
    if ICONS.contains(&icon) {
        Ok(icon.to_string())
    } else {
        Err(format!("must be one of {}", ICONS.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_reads_on_a_card() {
        for c in PALETTE {
            assert!(contrast_with_white(c).unwrap() >= MIN_CONTRAST, "{c}");
            assert_eq!(parse_color(c).as_deref(), Ok(*c));
        }
    }

    #[test]
    fn light_or_malformed_colours_are_refused() {
        assert!(parse_color("#ffff00").unwrap_err().contains("too light"));
        assert!(parse_color("#fff").unwrap_err().contains("#0b6e4f"));
        assert!(parse_color("0b6e4f").is_err());
        assert!(parse_color("#0b6e4g").is_err());
        assert_eq!(parse_color(" #0B6E4F ").as_deref(), Ok("#0b6e4f"));
        assert!((contrast_with_white("#000000").unwrap() - 21.0).abs() < 0.01);
    }

    #[test]
    fn icons_come_from_the_set() {
        assert_eq!(parse_icon("heart").as_deref(), Ok("heart"));
        assert!(parse_icon("skull").unwrap_err().contains("heart"));
    }
}
