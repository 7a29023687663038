//! Email: templates, the durable outbox and its SMTP worker, and signed unsubscribe links.

pub mod clock;
pub mod queue;
pub mod render;
pub mod unsubscribe;
pub mod worker;
