//! What the board memory keeps, shared by its parts (`board_memory`, `board_sums`,
//! `board_senders`) without their using each other: a person's row in a bucket, and how
//! kept copies are checked against the versions a read saw.

/// One person's totals in a bucket, with their standing; people and departments by their
/// number in the memory's tables (`BoardMemory::person_ids`, `BoardMemory::departments`).
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub person: u32,
    pub department: u32,
    pub received: i32,
    pub given: i32,
    pub endorsements: i32,
    pub score: i64,
    /// The row's revision when read or written (see `board_memory`).
    pub revision: i64,
    pub active: bool,
    pub listed: bool,
}

/// Whether versions `have` are each at least the matching one of `want`.
pub fn at_least(have: &[i64], want: &[i64]) -> bool {
    have.len() == want.len() && have.iter().zip(want).all(|(h, w)| h >= w)
}
