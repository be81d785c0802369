//! Where log lines go and how they look: stderr, filtered by `RUST_LOG`
//! (default `spares=info,tower_http=info`), as text for people or as one
//! JSON object per line for a log shipper (`--log-format json`).
//!
//! Colour codes are written only when stderr is a terminal: in a file, a
//! pipe or a container's log they are noise that breaks grep and parsers.
use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is unset or invalid.
pub const DEFAULT_FILTER: &str = "spares=info,tower_http=info";

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One readable line per event, with its spans' fields.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, the
    /// event's `fields`, and its spans (`span` the innermost, `spans` all,
    /// outermost first) with their fields, such as a request's
    /// `request_id`, `method` and `path`.
    Json,
}

/// Installs the process's log subscriber. Call once, before any command
/// runs; a second call leaves the first subscriber in place and says so.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
    if let Err(e) = installed {
        eprintln!("warning: logging is already set up: {e}");
    }
}

/// Reports the error that ends the process, on stderr: `error: ...` in
/// text, and in JSON an object shaped like the log lines (so a shipper
/// parsing every line does not choke on the last one). Written directly,
/// not through the filter: `RUST_LOG=off` must not hide why we stopped.
pub fn fatal(format: LogFormat, message: &str) {
    match format {
        LogFormat::Text => eprintln!("error: {message}"),
        LogFormat::Json => eprintln!(
            "{}",
            serde_json::json!({
                "timestamp": chrono::Utc::now()
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": "ERROR",
                "target": "spares",
                "fields": { "message": message },
            })
        ),
    }
}
