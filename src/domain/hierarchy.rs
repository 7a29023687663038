//! Reporting lines must stay a forest: nobody may end up (indirectly) managing themselves.

use std::collections::HashMap;

/// Follows manager links up from `start`; returns the path if it comes back to `start`.
/// `manager_of` answers the manager of a person, after any planned change.
pub fn cycle_through<F>(start: &str, mut manager_of: F) -> Option<Vec<String>>
where
    F: FnMut(&str) -> Option<String>,
{
    let mut path = vec![start.to_string()];
    let mut current = manager_of(start)?;
    // Bounded so that even corrupt data cannot loop forever.
    for _ in 0..100_000 {
        path.push(current.clone());
        if current == start {
            return Some(path);
        }
        current = manager_of(&current)?;
    }
    None
}

/// Convenience over a map of person -> manager.
pub fn cycle_in_map(start: &str, managers: &HashMap<String, String>) -> Option<Vec<String>> {
    cycle_through(start, |p| managers.get(p).cloned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn finds_cycles() {
        let m = map(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]);
        assert_eq!(cycle_in_map("a", &m).unwrap(), vec!["a", "b", "c", "a"]);
        assert!(cycle_in_map("d", &m).is_none(), "d is below a cycle, not in it");
        assert!(cycle_in_map("x", &m).is_none());
        assert!(cycle_in_map("s", &map(&[("s", "s")])).is_some());
    }
}
