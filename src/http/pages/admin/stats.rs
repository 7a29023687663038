//! `/admin/stats`: participation, postcards per week (a chart drawn here, as SVG: no
//! third-party request), top behaviours and departments; for a period and a department.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{chrome, AdminViewer};
use crate::http::pages::{render, Chrome, PageError};
use crate::http::stats::{request, StatsPeriod};
use crate::http::State;
use crate::services::stats::{self, StatsView};
use crate::store::db;

const PERIODS: &[(&str, &str)] = &[
    ("week", "This week"),
    ("month", "This month"),
    ("quarter", "This quarter"),
    ("year", "This year"),
    ("all", "All time"),
];

/// One bar of the weekly chart, in the SVG's own units.
struct Bar {
    x: u32,
    y: u32,
    height: u32,
    label: String,
    value: i64,
}

const CHART_HEIGHT: u32 = 160;
const BAR_STEP: u32 = 24;

#[derive(Template)]
#[template(path = "pages/admin/stats.html")]
struct StatsPage {
    chrome: Option<Chrome>,
    flash: Option<String>,
    periods: &'static [(&'static str, &'static str)],
    period: String,
    department: String,
    view: StatsView,
    bars: Vec<Bar>,
    chart_width: u32,
    chart_height: u32,
    rate_percent: i64,
    /// The largest behaviour count (bars are drawn against it).
    top_max: i64,
}

impl StatsPage {
    fn is_period(&self, key: &str) -> bool {
        self.period == key
    }

    fn span(&self) -> String {
        match (self.view.period.start, self.view.period.end) {
            (Some(a), Some(b)) => format!("{} to {}", a.format("%-d %b %Y"), b.format("%-d %b %Y")),
            (None, Some(b)) => format!("Up to {}", b.format("%-d %b %Y")),
            _ => "All time".into(),
        }
    }

    /// A behaviour's bar length, out of 100.
    fn share(&self, n: &i64) -> i64 {
        if self.top_max == 0 {
            0
        } else {
            (n * 100 / self.top_max).max(1)
        }
    }
}

#[derive(Deserialize)]
pub struct StatsQuery {
    period: Option<String>,
    department: Option<String>,
}

pub async fn page(state: State, viewer: AdminViewer, q: web::Query<StatsQuery>) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let period_name = q
        .period
        .filter(|p| PERIODS.iter().any(|(k, _)| k == p))
        .unwrap_or_else(|| "quarter".into());
    let department = q.department.unwrap_or_default().trim().to_string();
    let period = StatsPeriod {
        name: &period_name,
        ..StatsPeriod::default()
    };
    let req = request(&state, period, None, Some(department.clone()).filter(|d| !d.is_empty()))?;
    let view = db::run(&state.pool, move |conn| stats::stats(conn, &req)).await?;
    let max = view
        .postcards_per_week
        .iter()
        .map(|w| w.postcards)
        .max()
        .unwrap_or(0)
        .max(1);
    let bars: Vec<Bar> = view
        .postcards_per_week
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let height = ((w.postcards as f64 / max as f64) * (CHART_HEIGHT - 20) as f64).round() as u32;
            Bar {
                x: i as u32 * BAR_STEP + 4,
                y: CHART_HEIGHT - height,
                height,
                label: w.week_start.format("%-d %b").to_string(),
                value: w.postcards,
            }
        })
        .collect();
    let top_max = view.top_behaviours.iter().map(|b| b.postcards).max().unwrap_or(0);
    render(
        StatusCode::OK,
        &StatsPage {
            chrome: chrome(&viewer, "stats"),
            flash: None,
            periods: PERIODS,
            period: period_name,
            department,
            rate_percent: (view.participation.rate * 100.0).round() as i64,
            chart_width: (bars.len() as u32 * BAR_STEP).max(BAR_STEP) + 8,
            chart_height: CHART_HEIGHT,
            bars,
            top_max,
            view,
        },
    )
}
