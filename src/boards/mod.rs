//! Leaderboards, in one place: how postcards move the totals (`scoreboard`), how boards are
//! read (`leaderboard` for one bucket, `custom` for custom periods, from `memory`), and how
//! the totals are proven (`recount`). Their SQL is in `store::board`, `store::board_read`
//! and `store::board_sync`.
//!
//! # The freshness contract
//!
//! A board answered by any instance is at most `server.leaderboard_cache_ms` behind writes
//! made on other instances, and exact for writes made on the instance that answers:
//!
//! - Totals are kept per bucket (day, week, month, quarter, year, all time; per behaviour
//!   too) and moved in the same transaction as every postcard, endorsement, withdrawal, hide,
//!   restore and standing change, so a board of one period reads one bucket (exact).
//! - Custom periods add up a tiling of buckets kept in memory (`memory`): ended buckets with
//!   versions checked on every read (`board_changes`, bumped only by changes to ended
//!   buckets: no version row is written by a send), the others (today's) as read or checked
//!   (a count and a sum of the rows' revisions) at most half of `leaderboard_cache_ms` ago. A send lays the rows it wrote over this instance's
//!   copies; any other write on this instance marks them to be read again (`http::edge`).
//! - Identical answers are kept for the other half (`http::board_cache`), and every
//!   successful write on this instance empties that cache (`http::edge`).
//!
//! # Lock order
//!
//! Every transaction that writes the boards locks in the order written down in
//! `store::board_sync`: the postcard, the people named (id order), board rows (key order),
//! department rows, bucket versions last.

pub mod custom;
pub mod leaderboard;
pub mod lru;
pub mod memory;
pub mod names;
pub mod recount;
pub mod scoreboard;
pub mod senders;
pub mod sums;
