//! End-to-end tests in headless Chromium: the real app on a random port
//! with a temporary SQLite file and the demo providers, driven through
//! chromedriver by clicking what a person clicks.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them these
//! tests say so on stderr and check nothing; on CI (`CI=true`) they fail.

// A failed set-up step should stop the test where it happened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

mod checks;
mod driver;
mod journey;
mod page;

mod connections;
mod consent;
mod github;
mod google;
mod home;
mod oidc_providers;
mod phone;
mod refresh;
mod screenshots;
mod tabs;
mod twitter;
mod wrapping;
