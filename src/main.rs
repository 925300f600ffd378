//! The `trilogin` server: read the configuration, start, serve until
//! SIGINT / SIGTERM.

use std::process::ExitCode;

use trilogin::config::Config;
use trilogin::startup::Application;
use trilogin::telemetry;

/// jemalloc instead of the C library's allocator: a page view makes
/// hundreds of small allocations across threads, and glibc's arenas spend
/// about a sixth of its CPU time on them (docs/PERFORMANCE.md).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let result = async {
        let config = Config::from_env()?;
        telemetry::init(&config.log_filter).map_err(anyhow::Error::msg)?;
        let app = Application::build(config).await?;
        tracing::info!(address = app.address(), "listening");
        app.run_until_stopped().await?;
        anyhow::Ok(())
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, no backtrace: configuration mistakes are the usual cause.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
