//! Logging setup: `tracing` with an `EnvFilter` (`RUST_LOG` wins over `log.level`), plain or
//! JSON lines.

use tracing_subscriber::{fmt, EnvFilter};

use crate::settings::LogSettings;

pub fn init(log: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // `try_init` because tests may set a subscriber more than once.
    let _ = if log.json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
