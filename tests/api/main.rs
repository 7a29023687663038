//! Integration tests of the HTTP API, each run on SQLite and on Postgres.

mod helpers;

mod auth;
mod behaviours;
mod directory;
mod import;
mod operations;
mod schema;
