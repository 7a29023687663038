//! Outgoing HTTP: the client that refuses private targets, Slack's Web API, and the worker
//! that turns integration events into deliveries and sends them.

pub mod client;
pub mod oidc;
pub mod slack_api;
pub mod worker;
