//! Logging setup: `tracing` to stdout, pretty or JSON, fields first.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::settings::LogSettings;

/// Installs the global subscriber. `RUST_LOG` wins over the configured filter (checked
/// with the rest of the settings); a `RUST_LOG` that does not parse is said so on stderr
/// and the configured filter is used.
pub fn init(settings: &LogSettings) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(raw) if !raw.is_empty() => EnvFilter::try_new(&raw).unwrap_or_else(|e| {
            eprintln!("custgate: RUST_LOG '{raw}' is not a log filter ({e}); using log.filter");
            EnvFilter::new(&settings.filter)
        }),
        _ => EnvFilter::new(&settings.filter),
    };
    // Colours only on a terminal: a log file or a collector gets plain text (and the
    // spans' fields, formatted once per span, cost half as much without escape codes).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal());
    // A second call (tests) keeps the first subscriber.
    let _ = if settings.format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
