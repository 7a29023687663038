//! Competition ranking (1, 2, 2, 4), the one way every board ranks people and departments.

/// The ranks of `values`, sorted best first, of which the first is at position `offset`
/// (from 0) of the whole board and has rank `first_rank` (it may tie with people before it).
pub fn competition(values: impl IntoIterator<Item = i64>, offset: i64, first_rank: i64) -> impl Iterator<Item = i64> {
    let mut previous: Option<i64> = None;
    let mut rank = first_rank;
    values.into_iter().enumerate().map(move |(i, v)| {
        if previous.is_some_and(|p| p != v) {
            rank = offset + i as i64 + 1;
        }
        previous = Some(v);
        rank
    })
}

#[cfg(test)]
mod tests {
    use super::competition;

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        let ranks: Vec<i64> = competition([9, 7, 7, 5, 5, 5, 1], 0, 1).collect();
        assert_eq!(ranks, [1, 2, 2, 4, 4, 4, 7]);
        // A page from position 3 whose first row ties with the row before it (rank 2).
        let page: Vec<i64> = competition([7, 5, 1], 2, 2).collect();
        assert_eq!(page, [2, 4, 5]);
        assert_eq!(competition([], 0, 1).count(), 0);
    }
}
