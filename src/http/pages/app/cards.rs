//! Postcards as the pages draw them: the API's view plus what the design needs (the
//! behaviour's icon, initials avatars, dates in words).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::http::pages::encode;
use crate::http::pagination::encode_time_cursor;
use crate::services::postcard_views::{PersonRef, PostcardView};
use crate::store::behaviours::BehaviourRow;
use crate::store::postcards::PostcardRow;
use crate::store::DbConnection;

/// Avatar colours: six tones of the palette, picked by the person's id.
const TONES: u64 = 6;

#[derive(Clone, Debug)]
pub struct Avatar {
    pub initials: String,
    pub tone: u64,
}

pub fn avatar(p: &PersonRef) -> Avatar {
    let initials: String = p
        .name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .take(2)
        .collect();
    // FNV-1a: stable across releases, unlike the standard library's hasher.
    let hash =
        p.id.bytes()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    Avatar {
        initials: if initials.is_empty() { "?".into() } else { initials },
        tone: hash % TONES,
    }
}

pub struct Card {
    pub v: PostcardView,
    pub icon: String,
    /// "30 Nov", for the postmark.
    pub day: String,
    /// "Monday 30 November 2026", for people.
    pub date: String,
    pub datetime: String,
    /// The viewer sent or received it (no "+1" of their own).
    pub mine: bool,
    pub private: bool,
    pub to: Vec<(PersonRef, Avatar)>,
    pub from: Avatar,
}

/// Icons by behaviour slug (the catalogue is short: read whole).
pub fn icons(conn: &mut DbConnection) -> crate::error::AppResult<HashMap<String, String>> {
    Ok(icons_of(&crate::store::behaviours::list(conn, true)?))
}

/// Icons by behaviour slug, from a catalogue already read.
pub fn icons_of(behaviours: &[BehaviourRow]) -> HashMap<String, String> {
    behaviours
        .iter()
        .map(|b| (b.slug.clone(), b.icon.clone().unwrap_or_else(|| "star".into())))
        .collect()
}

pub fn card(v: PostcardView, icons: &HashMap<String, String>, viewer: Option<&str>) -> Card {
    let at: DateTime<Utc> = v.created_at;
    let mine = viewer.is_some_and(|me| v.sender.id == me || v.recipients.iter().any(|r| r.id == me));
    Card {
        icon: icons.get(&v.behaviour.slug).cloned().unwrap_or_else(|| "star".into()),
        day: at.format("%-d %b").to_string(),
        date: at.format("%A %-d %B %Y").to_string(),
        datetime: at.to_rfc3339(),
        mine,
        private: v.visibility.as_str() == "private",
        to: v.recipients.iter().map(|p| (p.clone(), avatar(p))).collect(),
        from: avatar(&v.sender),
        v,
    }
}

/// A page of a feed as cards (`rows` holds one more than `page` when there is a next page),
/// and the address of the next page: `next_url` (ending in `?` or `&`) and its cursor.
pub fn page_of(
    rows: Vec<(PostcardRow, PostcardView)>,
    page: i64,
    icons: &HashMap<String, String>,
    viewer: Option<&str>,
    next_url: &str,
) -> (Vec<Card>, Option<String>) {
    let more = (rows.len() as i64 > page)
        .then(|| rows.get(page as usize - 1))
        .flatten()
        .map(|(r, _)| format!("{next_url}cursor={}", encode(&encode_time_cursor(&r.created_at, &r.id))));
    let cards = rows
        .into_iter()
        .take(page as usize)
        .map(|(_, v)| card(v, icons, viewer))
        .collect();
    (cards, more)
}

impl Card {
    pub fn endorsements_label(&self) -> String {
        format!("+1 · {}", self.v.endorsement_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, name: &str) -> PersonRef {
        PersonRef {
            id: id.into(),
            name: name.into(),
            department: String::new(),
        }
    }

    #[test]
    fn initials_and_tones() {
        let a = avatar(&person("01", "Ada Lovelace"));
        assert_eq!(a.initials, "AL");
        assert!(a.tone < TONES);
        assert_eq!(avatar(&person("01", "Ada Lovelace")).tone, a.tone, "stable");
        assert_eq!(avatar(&person("02", "inés garcía lópez")).initials, "IG");
        assert_eq!(avatar(&person("03", "  ")).initials, "?");
    }
}
