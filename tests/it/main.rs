//! Integration tests of the site shell: start-up, pages, headers, health,
//! sessions and what is stored, each against the real app on a random port.

// A failed set-up step should stop the test where it happened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test set-up helpers fail loudly"
)]

mod journey;

mod account;
mod concurrency;
mod delete_account;
mod demo_guard;
mod flood;
mod headers;
mod health;
mod login;
mod merge;
mod oidc_providers;
mod pages;
mod par_dpop;
mod processes;
mod provider_urls;
mod refresh;
mod resource_pages;
mod rp_logout;
mod sessions;
mod startup;
mod timeouts;
