//! Integration tests of the HTTP API, each run on SQLite and on Postgres.

mod fuzz_params;
mod helpers;
mod smtp_sink;
mod webdriver;

mod auth;
mod behaviours;
mod board_periods;
mod board_totals;
mod browser;
mod custom_periods;
mod digests;
mod directory;
mod endorsements;
mod export_failures;
mod export_slow_readers;
mod hardening;
mod idempotency;
mod import;
mod leaderboards;
mod mixed_load;
mod moderation;
mod notifications;
mod operations;
mod org;
mod outbox_delivery;
mod postcard_limits;
mod postcards;
mod schema;
mod send_batch;
mod sign_in;
mod sqlite_checkpoints;
mod stats;
mod upgrade;
mod web_sessions;
mod widgets;
