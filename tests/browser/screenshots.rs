//! Screenshots of the main pages for the README. Every test run takes them
//! (the journey is a test of its own) into `target/screenshots/`; with
//! `UPDATE_SCREENSHOTS=1` they replace the README's in `docs/screenshots/`.
//! A test run never rewrites files the repository tracks: Chromium's
//! rendering differs by a few pixels from run to run.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::driver::DESKTOP;
use crate::journey::{self, Journey};
use crate::page::Decision;
use crate::phone::PHONE_WIDTH;

/// The tallest screenshot: long pages are cut here to keep files small.
const MAX_HEIGHT: u32 = 1400;

#[tokio::test]
async fn screenshots_of_the_main_pages_are_written_for_the_readme() {
    journey::run(
        "screenshots_of_the_main_pages_are_written_for_the_readme",
        async |j| {
            let (desktop, _) = DESKTOP;
            j.open("/").await?;
            shoot(j, "home", desktop).await?;
            j.click_link("Log in with GitHub").await?;
            j.expect_text("Authorize").await?;
            shoot(j, "consent-github", desktop).await?;
            j.consent("ada", Decision::Authorize).await?;
            j.expect_path("/").await?;

            j.click_link("Connect Twitter").await?;
            j.expect_text("Authorize").await?;
            shoot(j, "consent-twitter", desktop).await?;
            j.consent("ada", Decision::Authorize).await?;
            j.expect_path("/").await?;

            j.click_link("Connect Google").await?;
            j.expect_text("Authorize").await?;
            shoot(j, "consent-google", desktop).await?;
            j.consent("ada", Decision::Authorize).await?;
            j.expect_path("/").await?;

            // Without the one-time message of the login.
            j.open("/").await?;
            shoot(j, "dashboard", desktop).await?;
            for (path, name) in [
                ("/repos", "repos"),
                ("/timeline", "timeline"),
                ("/profile", "profile"),
                ("/account", "account"),
            ] {
                j.open(path).await?;
                shoot(j, name, desktop).await?;
            }
            j.open("/").await?;
            shoot(j, "dashboard-phone", PHONE_WIDTH).await
        },
    )
    .await;
}

fn screenshots_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    }
}

/// Saves the whole page (up to [`MAX_HEIGHT`]) at `width` CSS pixels as
/// `{name}.png` in [`screenshots_dir`].
async fn shoot(j: &Journey, name: &str, width: u32) -> anyhow::Result<()> {
    let client = j.client();
    let (_, desktop_height) = DESKTOP;
    client.set_window_size(width, desktop_height).await?;
    // The window is taller than the page area by the browser's own bars.
    let sizes = client
        .execute(
            "return [Math.max(document.documentElement.scrollHeight, document.body.scrollHeight), \
                     window.outerHeight - window.innerHeight];",
            Vec::new(),
        )
        .await?;
    let number = |i: usize| {
        sizes[i]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .context("page height")
    };
    let (page_height, bars) = (number(0)?, number(1)?);
    client
        .set_window_size(
            width,
            page_height.clamp(desktop_height / 2, MAX_HEIGHT) + bars,
        )
        .await?;
    let png = client.screenshot().await?;
    client.set_window_size(DESKTOP.0, desktop_height).await?;
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))
}
