//! Use cases: each validates with the domain rules and writes through the store in one
//! transaction. No HTTP here, so the CLI and the API share them.

pub mod behaviours;
pub mod chat_cards;
pub mod chat_commands;
pub mod delivery_outcomes;
pub mod digest_config;
pub mod digest_content;
pub mod digests;
pub mod directory;
pub mod dispatch;
pub mod endorsements;
pub mod events;
pub mod export;
pub mod idempotency;
pub mod moderation;
pub mod oidc_sign_in;
pub mod postcard_views;
pub mod postcards;
pub mod preferences;
pub mod scim;
pub mod secrets;
pub mod send_batch;
pub mod send_queue;
pub mod sign_in;
pub mod stats;
pub mod web_sessions;
pub mod webhooks;
pub mod widget_tokens;
