//! `/leaderboard`: a podium for the top three, then the list (cards, so phones need no
//! sideways scrolling), the viewer's own rank pinned when they are further down, a period
//! switch with a custom range, and a departments view.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::cards::{avatar, Avatar};
use crate::boards::leaderboard::{self, DepartmentEntry, EntryView, MyStanding};
use crate::error::AppError;
use crate::http::leaderboard::{parse, BoardQuery};
use crate::http::pages::{in_words, render, Chrome, PageError, Viewer};
use crate::http::State;
use crate::store::db;

const PERIODS: &[(&str, &str)] = &[
    ("week", "This week"),
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This year"),
    ("all", "All time"),
    ("custom", "Dates I choose"),
];
const SHOWN: i64 = 25;

struct Place {
    e: EntryView,
    avatar: Avatar,
    /// "1st", with the medal's name for the podium.
    medal: &'static str,
}

#[derive(Template)]
#[template(path = "pages/app/leaderboard.html")]
struct BoardPage {
    chrome: Option<Chrome>,
    periods: &'static [(&'static str, &'static str)],
    period: String,
    from: String,
    to: String,
    departments_view: bool,
    span: String,
    podium: Vec<Place>,
    rest: Vec<Place>,
    departments: Vec<DepartmentEntry>,
    me: Option<MyStanding>,
    my_id: String,
    /// The viewer is in the list shown (so their rank needs no pin).
    me_shown: bool,
    error: Option<String>,
    postcard_points: i64,
    endorsement_points: i64,
}

impl BoardPage {
    fn is_period(&self, p: &str) -> bool {
        self.period == p
    }

    fn is_me(&self, id: &str) -> bool {
        self.my_id == id
    }

    fn percent(&self, share: &f64) -> i64 {
        (share * 100.0).round() as i64
    }

    fn per_capita(&self, v: &f64) -> String {
        format!("{v:.1}")
    }
}

#[derive(Deserialize, Default)]
pub struct BoardPageQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    view: String,
}

fn medal(rank: i64) -> &'static str {
    match rank {
        1 => "Gold",
        2 => "Silver",
        3 => "Bronze",
        _ => "",
    }
}

pub async fn page(state: State, viewer: Viewer, q: web::Query<BoardPageQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let period = if PERIODS.iter().any(|(k, _)| *k == q.period) {
        q.period.clone()
    } else {
        "week".to_string()
    };
    let departments_view = q.view == "departments";
    let query = BoardQuery {
        period: Some(period.clone()),
        from: Some(q.from.clone()).filter(|f| !f.is_empty()),
        to: Some(q.to.clone()).filter(|t| !t.is_empty()),
        limit: Some(SHOWN.to_string()),
        ..BoardQuery::default()
    };
    let me = viewer.caller.employee.clone();
    let mut page = BoardPage {
        chrome: Some(viewer.chrome("leaderboard")),
        periods: PERIODS,
        period,
        from: q.from,
        to: q.to,
        departments_view,
        span: String::new(),
        podium: vec![],
        rest: vec![],
        departments: vec![],
        me: None,
        my_id: me.as_ref().map(|e| e.id.clone()).unwrap_or_default(),
        me_shown: false,
        error: None,
        postcard_points: state.settings.scoring.postcard,
        endorsement_points: state.settings.scoring.endorsement,
    };
    let p = match parse(&state, query) {
        Ok(p) => p,
        Err(e @ AppError::BadRequest { .. }) => {
            page.error = Some(match page.period.as_str() {
                "custom" => format!(
                    "Choose a first and a last day, at most a year apart. ({})",
                    in_words(&e)
                ),
                _ => in_words(&e),
            });
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return Err(e.into()),
    };
    let (board, departments, standing) = db::run(&state.pool, move |conn| {
        let req = p.request();
        if departments_view {
            return Ok((None, Some(leaderboard::departments(conn, &req)?), None));
        }
        let board = leaderboard::board(conn, &req)?;
        let standing = match &me {
            Some(e) => Some(leaderboard::standing(conn, &req, &e.id, e.show_on_leaderboard)?),
            None => None,
        };
        Ok((Some(board), None, standing))
    })
    .await?;
    let period_view = board
        .as_ref()
        .map(|b| b.period.clone())
        .or_else(|| departments.as_ref().map(|d| d.period.clone()));
    if let Some(pv) = period_view {
        page.span = match (pv.start, pv.end) {
            (Some(a), Some(b)) => format!("{} to {}", a.format("%-d %b %Y"), b.format("%-d %b %Y")),
            _ => "All time".into(),
        };
    }
    if let Some(b) = board {
        let mut places: Vec<Place> = b
            .entries
            .into_iter()
            .map(|e| Place {
                avatar: avatar(&e.employee),
                medal: medal(e.rank),
                e,
            })
            .collect();
        page.me_shown = places.iter().any(|p| p.e.employee.id == page.my_id);
        let split = places.iter().take_while(|p| p.e.rank <= 3).count().min(3);
        page.rest = places.split_off(split);
        page.podium = places;
    }
    page.departments = departments.map(|d| d.entries).unwrap_or_default();
    page.me = standing;
    render(StatusCode::OK, &page)
}
