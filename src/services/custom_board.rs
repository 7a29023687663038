//! Boards of several buckets (custom periods): the buckets' rows (from `BoardMemory`) added
//! up per person, ranked on the totals, and only the people who can be on the page looked up
//! by name. Adding up thirty buckets of twenty thousand people is a millisecond here; in the
//! database it was a hundred or more.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::error::AppResult;
use crate::store::board_memory::BoardMemory;
use crate::store::board_read::{BoardFilter, EntryRow, Metric};
use crate::store::board_sums::{add_rows, Sums, Totals};
use crate::store::{employees, DbConnection};

/// Where the buckets' rows come from, and which of them may be kept.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub memory: &'a BoardMemory,
    /// `domain::buckets::kept_before` at the time of the request.
    pub kept_before: NaiveDate,
}

fn value(t: &Totals, m: Metric) -> i64 {
    match m {
        Metric::Score => t.score,
        Metric::Received => t.received,
        Metric::Given => t.given,
    }
}

/// The filter's buckets added up per person, for active people (in its department when it
/// names one); whether the filter shows the opted-out is left to [`shown`], so one sum
/// serves a person's own standing and the public ranks.
fn totals(conn: &mut DbConnection, src: Source, f: &BoardFilter) -> AppResult<Sums> {
    let parts = src.memory.parts(conn, f.keys, f.behaviour, src.kept_before)?;
    let department = match f.department {
        // A department no row was ever read in has nobody on this board.
        Some(d) => match src.memory.department_number(d) {
            Some(n) => Some(n),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let mut sums = Sums::clone(&parts.ended);
    for rows in &parts.fresh {
        add_rows(&mut sums, rows);
    }
    for t in &mut sums {
        if t.is_some_and(|t| !t.active || department.is_some_and(|d| t.department != d)) {
            *t = None;
        }
    }
    Ok(sums)
}

/// Whether the filter's board shows this person.
fn shown(t: &Totals, f: &BoardFilter) -> bool {
    t.listed || !f.only_listed
}

fn narrow(x: i64) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

/// Entry rows for these people's totals, with their names, in the same order (`None` for
/// anyone no longer in the directory).
fn named(conn: &mut DbConnection, src: Source, people: &[(u32, Totals)]) -> AppResult<Vec<Option<EntryRow>>> {
    let numbers: Vec<u32> = people.iter().map(|(n, _)| *n).collect();
    let ids = src.memory.person_ids(&numbers);
    let mut found = HashMap::new();
    for chunk in ids.chunks(1000) {
        for e in employees::find_many(conn, chunk)? {
            found.insert(e.id.clone(), e);
        }
    }
    Ok(ids
        .iter()
        .zip(people)
        .map(|(id, (_, t))| {
            let e = found.remove(id)?;
            Some(EntryRow {
                employee_id: e.id,
                name: e.name,
                department: e.department,
                sort_name: e.sort_name,
                received: narrow(t.received),
                given: narrow(t.given),
                endorsements: narrow(t.endorsements),
                score: t.score,
                // Not additive: counted from the postcards by the caller.
                unique_senders: 0,
            })
        })
        .collect())
}

/// A page of the people with a non-zero value, best first (ties by name, then id), each with
/// their competition rank among all of them.
pub fn page(
    conn: &mut DbConnection,
    src: Source,
    f: &BoardFilter,
    metric: Metric,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<(i64, EntryRow)>> {
    let sums = totals(conn, src, f)?;
    // (value, person number): small entries, as there are as many as people.
    let mut ranked: Vec<(i64, u32)> = sums
        .iter()
        .enumerate()
        .filter_map(|(n, t)| {
            let t = t.as_ref().filter(|t| shown(t, f))?;
            Some((value(t, metric), n as u32)).filter(|(v, _)| *v > 0)
        })
        .collect();
    // Competition ranks on the values alone; a rank is at most a position, so only people
    // ranked within the page's end can be on it (ties there are then ordered by name): they
    // are picked out first (linear), and only they are sorted.
    let last = offset.saturating_add(limit);
    let end = usize::try_from(last).unwrap_or(usize::MAX);
    let best_first = |(v, _): &(i64, u32)| std::cmp::Reverse(*v);
    if end > 0 && end < ranked.len() {
        let (_, &mut (bar, _), _) = ranked.select_nth_unstable_by_key(end - 1, best_first);
        ranked.retain(|(v, _)| *v >= bar);
    }
    ranked.sort_unstable_by_key(best_first);
    let mut ranks = Vec::new();
    for (i, &(v, _)) in ranked.iter().enumerate() {
        let rank = match ranks.last() {
            Some(&(r, previous)) if previous == v => r,
            _ => i as i64 + 1,
        };
        if rank > last {
            break;
        }
        ranks.push((rank, v));
    }
    ranked.truncate(ranks.len());
    let people: Vec<(u32, Totals)> = ranked
        .iter()
        .filter_map(|&(_, n)| Some((n, sums[n as usize]?)))
        .collect();
    let mut rows: Vec<(i64, EntryRow)> = ranks
        .iter()
        .map(|&(r, _)| r)
        .zip(named(conn, src, &people)?)
        .filter_map(|(rank, row)| Some((rank, row?)))
        .collect();
    rows.sort_by(|(_, a), (_, b)| {
        b.value(metric)
            .cmp(&a.value(metric))
            .then_with(|| a.sort_name.cmp(&b.sort_name))
            .then_with(|| a.employee_id.cmp(&b.employee_id))
    });
    Ok(rows
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
}

/// One person's totals over the buckets (whatever the filter's listing), and how many people
/// the filter's board shows with more of `metric` than them: their rank is one more.
pub fn standing(
    conn: &mut DbConnection,
    src: Source,
    f: &BoardFilter,
    metric: Metric,
    employee_id: &str,
) -> AppResult<(Option<EntryRow>, i64)> {
    let sums = totals(conn, src, f)?;
    let mine = src
        .memory
        .person_number(employee_id)
        .and_then(|me| Some((me, sums.get(me as usize).copied().flatten()?)));
    let own = mine.map_or(0, |(_, t)| value(&t, metric));
    let above = sums
        .iter()
        .flatten()
        .filter(|t| shown(t, f) && value(t, metric) > own)
        .count() as i64;
    let row = match mine {
        Some(me) => named(conn, src, &[me])?.pop().flatten(),
        None => None,
    };
    Ok((row, above))
}

/// Per department: total score over the buckets, and how many active people took part (sent
/// or received) in any of them, each counted once.
pub fn departments(conn: &mut DbConnection, src: Source, f: &BoardFilter) -> AppResult<Vec<(String, i64, i64)>> {
    let sums = totals(conn, src, f)?;
    let mut per: HashMap<u32, (i64, i64)> = HashMap::new();
    for t in sums.iter().flatten() {
        let d = per.entry(t.department).or_default();
        d.0 += t.score;
        d.1 += i64::from(t.received > 0 || t.given > 0);
    }
    let names = src.memory.departments();
    Ok(per
        .into_iter()
        .filter_map(|(n, (score, active))| Some((names.get(n as usize)?.clone(), score, active)))
        .collect())
}
