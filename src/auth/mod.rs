//! Bearer tokens: issuing (HS256) and verifying with an algorithm allow-list (RFC 8725).

pub mod jwt;

pub use jwt::{Claims, TokenKeys};
