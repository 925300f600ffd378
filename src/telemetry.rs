//! Logging: `tracing` events and request spans to stderr, filtered by
//! `RUST_LOG`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber with `filter` (e.g. `info,trilogin=debug`).
/// Fails on a filter that does not parse; a second call is a no-op.
pub fn init(filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("RUST_LOG: {e}"))?;
    // A subscriber installed earlier (a test harness) keeps its place.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Closing the request span of `TracingLogger` is the access log line:
        // method, route, status, request id and duration.
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}
