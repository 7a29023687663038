//! Per-person totals over several buckets' rows, dense by person number: what a custom
//! period's buckets (`BoardMemory::parts`) add up to.

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
    /// The row's revision when read or written (see `boards::memory`).
    pub revision: i64,
    pub active: bool,
    pub listed: bool,
}

/// A person's totals over some buckets, with their standing (the same on all their rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub received: i64,
    pub given: i64,
    pub endorsements: i64,
    pub score: i64,
    pub department: u32,
    pub active: bool,
    /// Not opted out.
    pub listed: bool,
}

impl From<&Row> for Totals {
    fn from(row: &Row) -> Totals {
        Totals {
            received: i64::from(row.received),
            given: i64::from(row.given),
            endorsements: i64::from(row.endorsements),
            score: row.score,
            department: row.department,
            active: row.active,
            listed: row.listed,
        }
    }
}

/// Totals by person number; `None` for people with no row in the buckets.
pub type Sums = Vec<Option<Totals>>;

/// Adds the rows to the sums, growing them for people numbered since.
pub fn add_rows(sums: &mut Sums, rows: &[Row]) {
    if let Some(last) = rows.iter().map(|r| r.person as usize + 1).max() {
        if last > sums.len() {
            sums.resize(last, None);
        }
    }
    for row in rows {
        let t = sums[row.person as usize].get_or_insert_with(Totals::default);
        t.received += i64::from(row.received);
        t.given += i64::from(row.given);
        t.endorsements += i64::from(row.endorsements);
        t.score += row.score;
        t.department = row.department;
        t.active = row.active;
        t.listed = row.listed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(person: u32, received: i32, score: i64) -> Row {
        Row {
            person,
            department: 1,
            received,
            given: 1,
            endorsements: 0,
            score,
            revision: 0,
            active: true,
            listed: true,
        }
    }

    #[test]
    fn rows_of_one_person_add_up_and_the_sums_grow() {
        let mut sums = Sums::new();
        add_rows(&mut sums, &[row(2, 1, 3), row(0, 2, 6)]);
        add_rows(&mut sums, &[row(2, 1, 4), row(4, 1, 3)]);
        assert_eq!(sums.len(), 5);
        assert_eq!(sums[1], None);
        let two = sums[2].unwrap();
        assert_eq!((two.received, two.given, two.score), (2, 2, 7));
        assert_eq!(sums[4].unwrap().score, 3);
    }
}
