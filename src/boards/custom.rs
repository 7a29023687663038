//! Boards of several buckets (custom periods): the buckets' rows (from `BoardMemory`) added
//! up per person, ranked on the totals, and only the people who can be on the page looked up
//! by name. Adding up thirty buckets of twenty thousand people is a millisecond here; in the
//! database it was a hundred or more.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::boards::memory::BoardMemory;
use crate::boards::sums::{Sums, Totals};
use crate::domain::buckets::Bucket;
use crate::domain::period::{start_of_day_utc, Span};
use crate::domain::ranking;
use crate::error::AppResult;
use crate::store::board_read::{self, BoardFilter, EntryRow, Metric};
use crate::store::{employees, DbConnection};

/// Where the buckets' rows come from, and which of them may be kept.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub memory: &'a BoardMemory,
    /// `domain::buckets::kept_before` at the time of the request.
    pub kept_before: NaiveDate,
    /// The organisation's timezone, which buckets' days are in.
    pub tz: Tz,
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
struct Combined {
    sums: Sums,
    department: Option<u32>,
    /// `Parts::ended_buckets` and `ended_version`, for what else is kept about those buckets.
    ended_buckets: Vec<Bucket>,
    ended_version: i64,
}

impl Combined {
    fn read(conn: &mut DbConnection, src: Source, f: &BoardFilter) -> AppResult<Combined> {
        let parts = src.memory.parts(conn, f.buckets, f.behaviour, src.kept_before)?;
        // A department no row was ever read in has nobody on this board (no number is MAX).
        let department = f
            .department
            .map(|d| src.memory.department_number(d).unwrap_or(u32::MAX));
        Ok(Combined {
            sums: parts.sums(),
            department,
            ended_buckets: parts.ended_buckets,
            ended_version: parts.ended_version,
        })
    }

    fn kept(&self, t: Totals) -> Option<Totals> {
        Some(t).filter(|t| t.active && self.department.is_none_or(|d| t.department == d))
    }

    /// A person's totals, if they count on this board.
    fn get(&self, person: u32) -> Option<Totals> {
        self.kept(self.sums.get(person as usize).copied().flatten()?)
    }

    /// Every person's totals that count on this board, in people's order.
    fn each(&self, mut f: impl FnMut(u32, Totals)) {
        for (n, t) in self.sums.iter().enumerate() {
            if let Some(t) = t.and_then(|t| self.kept(t)) {
                f(n as u32, t);
            }
        }
    }
}

/// Whether the filter's board shows this person.
fn shown(t: &Totals, f: &BoardFilter) -> bool {
    t.listed || !f.only_listed
}

fn narrow(x: i64) -> i32 {
    i32::try_from(x).unwrap_or(i32::MAX)
}

/// Entry rows for these people's totals, with their names, in the same order (`None` for
/// anyone no longer in the directory); unique senders are filled in for the page alone.
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
                unique_senders: 0,
            })
        })
        .collect())
}

/// Counts the unique senders of the people on a page.
fn with_unique_senders(
    conn: &mut DbConnection,
    src: Source,
    f: &BoardFilter,
    sums: &Combined,
    mut rows: Vec<(i64, EntryRow)>,
) -> AppResult<Vec<(i64, EntryRow)>> {
    if rows.is_empty() {
        return Ok(rows);
    }
    let ids: Vec<String> = rows.iter().map(|(_, r)| r.employee_id.clone()).collect();
    let senders = unique_senders(conn, src, f, sums, &ids)?;
    for (_, row) in &mut rows {
        row.unique_senders = narrow(senders.get(&row.employee_id).copied().unwrap_or(0));
    }
    Ok(rows)
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
    let sums = Combined::read(conn, src, f)?;
    // (value, person number): small entries, as there are as many as people.
    let mut ranked: Vec<(i64, u32)> = Vec::new();
    sums.each(|n, t| {
        let v = value(&t, metric);
        if v > 0 && shown(&t, f) {
            ranked.push((v, n));
        }
    });
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
    let ranks: Vec<(i64, i64)> = ranking::competition(ranked.iter().map(|&(v, _)| v), 0, 1)
        .zip(ranked.iter().map(|&(v, _)| v))
        .take_while(|&(rank, _)| rank <= last)
        .collect();
    ranked.truncate(ranks.len());
    // Only the people whose value lies within the page's values need a name: those ranked
    // above the page's first value come before it whatever their names, so a page deep in
    // the board costs what the first page does, plus the tie it starts in.
    let start = usize::try_from(offset).unwrap_or(usize::MAX);
    let Some(&(first_value, _)) = ranked.get(start) else {
        return Ok(Vec::new());
    };
    let page_end = end.min(ranked.len());
    let last_value = ranked[page_end - 1].0;
    let from = ranked.partition_point(|(v, _)| *v > first_value);
    let to = ranked.partition_point(|(v, _)| *v >= last_value);
    let rank_of: HashMap<i64, i64> = ranks.iter().map(|&(r, v)| (v, r)).collect();
    let candidates = &ranked[from..to];
    let people: Vec<(u32, Totals)> = candidates
        .iter()
        .filter_map(|&(_, n)| Some((n, sums.get(n)?)))
        .collect();
    let mut rows: Vec<(i64, EntryRow)> = named(conn, src, &people)?
        .into_iter()
        .flatten()
        .map(|row| (rank_of.get(&row.value(metric)).copied().unwrap_or(0), row))
        .collect();
    rows.sort_by(|(_, a), (_, b)| {
        b.value(metric)
            .cmp(&a.value(metric))
            .then_with(|| a.sort_name.cmp(&b.sort_name))
            .then_with(|| a.employee_id.cmp(&b.employee_id))
    });
    let page: Vec<(i64, EntryRow)> = rows
        .into_iter()
        .skip(start - from)
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    with_unique_senders(conn, src, f, &sums, page)
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
    let sums = Combined::read(conn, src, f)?;
    let mine = src
        .memory
        .person_number(employee_id)
        .and_then(|me| Some((me, sums.get(me)?)));
    let own = mine.map_or(0, |(_, t)| value(&t, metric));
    let mut above = 0;
    sums.each(|_, t| above += i64::from(shown(&t, f) && value(&t, metric) > own));
    let row = match mine {
        Some(me) => named(conn, src, &[me])?.pop().flatten(),
        None => None,
    };
    let row = match row {
        Some(row) => with_unique_senders(conn, src, f, &sums, vec![(0, row)])?
            .pop()
            .map(|(_, r)| r),
        None => None,
    };
    Ok((row, above))
}

/// Per department: total score over the buckets, and how many active people took part (sent
/// or received) in any of them, each counted once.
pub fn departments(conn: &mut DbConnection, src: Source, f: &BoardFilter) -> AppResult<Vec<(String, i64, i64)>> {
    let sums = Combined::read(conn, src, f)?;
    let mut per: HashMap<u32, (i64, i64)> = HashMap::new();
    sums.each(|_, t| {
        let d = per.entry(t.department).or_default();
        d.0 += t.score;
        d.1 += i64::from(t.received > 0 || t.given > 0);
    });
    let names = src.memory.departments();
    Ok(per
        .into_iter()
        .filter_map(|(n, (score, active))| Some((names.get(n as usize)?.clone(), score, active)))
        .collect())
}

/// The UTC instants the local days of these buckets cover, first to last (`None` for all
/// time, which no tiling holds).
fn span_of(buckets: &[Bucket], tz: Tz) -> Option<Span> {
    let days: Vec<_> = buckets.iter().map(|b| b.days()).collect::<Option<_>>()?;
    let first = days.iter().map(|d| d.0).min()?;
    let last = days.iter().map(|d| d.1).max()?;
    Some(Span {
        start: start_of_day_utc(first, tz),
        end: start_of_day_utc(last.succ_opt()?, tz),
    })
}

/// How many different people sent each of `people` a visible postcard in the filter's
/// buckets: over the ended ones (a prefix of the tiling) from `BoardMemory::senders` when
/// asked before, over the rest (today's) from the postcards.
fn unique_senders(
    conn: &mut DbConnection,
    src: Source,
    f: &BoardFilter,
    sums: &Combined,
    people: &[String],
) -> AppResult<HashMap<String, i64>> {
    let Some(span) = span_of(f.buckets, src.tz).filter(|_| !people.is_empty()) else {
        return Ok(HashMap::new());
    };
    let split = span_of(&sums.ended_buckets, src.tz).map(|ended| ended.end.clamp(span.start, span.end));
    let mut senders: HashMap<String, HashSet<String>> = HashMap::new();
    let rest = match split {
        Some(split) => {
            let before = Span {
                start: span.start,
                end: split,
            };
            let kept = src.memory.senders.ended(
                &sums.ended_buckets,
                sums.ended_version,
                f.behaviour,
                people,
                |missing| {
                    let mut pairs = Vec::new();
                    for chunk in missing.chunks(500) {
                        pairs.extend(board_read::sender_pairs(conn, before, f.behaviour, chunk)?);
                    }
                    Ok(pairs)
                },
            )?;
            for (p, list) in kept {
                senders.entry(p).or_default().extend(list.iter().cloned());
            }
            Span {
                start: split,
                end: span.end,
            }
        }
        None => span,
    };
    if rest.start < rest.end {
        for chunk in people.chunks(500) {
            for (recipient, sender) in board_read::sender_pairs(conn, rest, f.behaviour, chunk)? {
                senders.entry(recipient).or_default().insert(sender);
            }
        }
    }
    Ok(senders.into_iter().map(|(p, s)| (p, s.len() as i64)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::memory::{Parts, Row};
    use std::sync::Arc;

    fn row(person: u32, received: i32, department: u32) -> Row {
        Row {
            person,
            department,
            received,
            given: 0,
            endorsements: 0,
            score: i64::from(received) * 3,
            revision: 0,
            active: true,
            listed: true,
        }
    }

    #[test]
    fn buckets_add_up_with_the_latest_standing() {
        // Ended buckets, then today's (person 2 moved department today).
        let parts = Parts {
            ended: vec![
                Arc::new(vec![row(0, 2, 1), row(2, 1, 1)]),
                Arc::new(vec![row(2, 1, 1), row(3, 4, 1)]),
            ],
            fresh: vec![Arc::new(vec![row(2, 1, 2)])],
            ended_buckets: Vec::new(),
            ended_version: 0,
        };
        let combined = Combined {
            sums: parts.sums(),
            department: None,
            ended_buckets: Vec::new(),
            ended_version: 0,
        };
        let mut all = Vec::new();
        combined.each(|n, t| all.push((n, t.received, t.score, t.department)));
        assert_eq!(all, vec![(0, 2, 6, 1), (2, 3, 9, 2), (3, 4, 12, 1)]);
        assert_eq!(combined.get(2).map(|t| t.received), Some(3));
        assert_eq!(combined.get(1), None);
        let in_one = Combined {
            department: Some(1),
            ..combined
        };
        assert_eq!(in_one.get(2), None, "moved out of department 1 today");
        let mut people = Vec::new();
        in_one.each(|n, _| people.push(n));
        assert_eq!(people, vec![0, 3]);
    }
}
