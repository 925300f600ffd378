//! Running one journey: its own app and its own browser, a plain skip when
//! Chromium is not installed (a failure on CI), and on failure a screenshot
//! and the page's HTML under `target/browser-failures/`.

use std::any::Any;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use futures_util::FutureExt as _;
use trilogin::config::Config;

use crate::driver::{Browser, missing_programs};
use trilogin_testing::{TestApp, spawn_app_with};

/// What a journey works with: the running app and a browser pointed at it.
pub struct Journey {
    /// The app under test.
    pub app: TestApp,
    /// The browser.
    pub browser: Browser,
}

/// True when Chromium and chromedriver are installed. Otherwise says so on
/// stderr and returns false, or panics on CI, where they must be.
pub fn browser_available() -> bool {
    let missing = missing_programs();
    if missing.is_empty() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!(
            "browser tests need {} (Debian packages chromium and chromium-driver)",
            missing.join(" and ")
        );
    }
    // Straight to stderr: the test harness keeps `eprintln!` output of
    // passing tests to itself, and a skip must be seen.
    let _ = writeln!(
        std::io::stderr(),
        "browser tests skipped: chromium/chromedriver not installed"
    );
    false
}

/// Runs `journey` against an app with the test configuration.
pub async fn run(test: &str, journey: impl AsyncFnOnce(&Journey) -> anyhow::Result<()>) {
    run_with(test, |_| {}, journey).await;
}

/// Runs `journey` against an app whose configuration `change` adjusted.
/// A journey fails by returning an error or by panicking; either way the
/// page it was on is saved and named in the panic message.
pub async fn run_with(
    test: &str,
    change: impl FnOnce(&mut Config),
    journey: impl AsyncFnOnce(&Journey) -> anyhow::Result<()>,
) {
    if !browser_available() {
        return;
    }
    let app = spawn_app_with(change).await;
    let browser = match Browser::launch().await {
        Ok(browser) => browser,
        Err(error) => panic!("{test}: cannot start headless Chromium: {error:#}"),
    };
    let journey_state = Journey { app, browser };
    let outcome = AssertUnwindSafe(journey(&journey_state))
        .catch_unwind()
        .await;
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(format!("{error:#}")),
        Err(panic) => Some(panic_text(panic.as_ref())),
    };
    let saved = match &failure {
        Some(_) => Some(save_page(test, &journey_state.browser.client).await),
        None => None,
    };
    journey_state.browser.close().await;
    if let (Some(failure), Some(saved)) = (failure, saved) {
        panic!("{test} failed: {failure}\n{saved}");
    }
}

/// The folder failed journeys leave their last page in.
fn failures_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent()
        .map_or_else(|| tmp.clone(), PathBuf::from)
        .join("browser-failures")
}

/// Saves a screenshot and the HTML of the current page; says where, or why not.
async fn save_page(test: &str, client: &fantoccini::Client) -> String {
    let dir = failures_dir();
    if let Err(error) = std::fs::create_dir_all(&dir) {
        return format!("could not create {}: {error}", dir.display());
    }
    let url = client
        .current_url()
        .await
        .map_or_else(|e| format!("unknown ({e})"), |u| u.to_string());
    let png = dir.join(format!("{test}.png"));
    let html = dir.join(format!("{test}.html"));
    let png_note = match client.screenshot().await {
        Ok(bytes) => match std::fs::write(&png, bytes) {
            Ok(()) => format!("screenshot: {}", png.display()),
            Err(error) => format!("screenshot not written to {}: {error}", png.display()),
        },
        Err(error) => format!("no screenshot: {error}"),
    };
    let html_note = match client.source().await {
        Ok(source) => match std::fs::write(&html, source) {
            Ok(()) => format!("page HTML: {}", html.display()),
            Err(error) => format!("HTML not written to {}: {error}", html.display()),
        },
        Err(error) => format!("no page HTML: {error}"),
    };
    format!("page at failure: {url}\n{png_note}\n{html_note}")
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "panicked".to_owned()
    }
}
