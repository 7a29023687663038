//! Names (people's ids, departments, behaviours, bucket keys) numbered in the order first
//! seen, so that tables of many rows hold small numbers; numbers are never reused.

use rustc_hash::FxHashMap;

#[derive(Default)]
pub struct Names {
    numbers: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Names {
    /// The name's number, if it has one.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.numbers.get(name).copied()
    }

    /// The name's number, given one if it has none.
    pub fn number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.numbers.get(name) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(name.to_string());
        self.numbers.insert(name.to_string(), n);
        n
    }

    /// The name numbered `n` ("" for a number not given).
    pub fn name(&self, n: u32) -> &str {
        self.names.get(n as usize).map_or("", String::as_str)
    }

    /// Every name, by number.
    pub fn all(&self) -> &[String] {
        &self.names
    }
}
