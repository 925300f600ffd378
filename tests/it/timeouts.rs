//! Outbound timeouts as a person sees them: a provider slower than the
//! configured timeout gets the "did not answer in time" page once that
//! timeout has passed, whether it is `HTTP_TIMEOUT` or the provider's own
//! `<NAME>_TIMEOUT`.

use std::time::{Duration, Instant};

use crate::refresh::{ada_with_github, demo_github};
use trilogin_testing::{TestApp, spawn_app_with};

/// Far slower than any timeout these tests set.
const PROVIDER_LATENCY: Duration = Duration::from_secs(7);

/// Loads `/repos` with demo GitHub answering after [`PROVIDER_LATENCY`],
/// and returns how long the page took.
async fn slow_repos_page(app: &TestApp) -> Duration {
    ada_with_github(app, false).await;
    demo_github(app).knobs().set_latency(PROVIDER_LATENCY);
    let started = Instant::now();
    let body = app.get_page("/repos", 200).await;
    let took = started.elapsed();
    assert!(body.contains("GitHub did not answer in time"), "{body}");
    took
}

fn assert_close_to(took: Duration, timeout: Duration) {
    let slack = timeout / 10;
    assert!(
        took >= timeout && took <= timeout + slack,
        "the page took {took:?}, expected {timeout:?} to {:?}",
        timeout + slack
    );
}

#[tokio::test]
async fn http_timeout_bounds_a_call_to_a_provider_without_a_timeout_of_its_own() {
    let timeout = Duration::from_secs(2);
    let app = spawn_app_with(|config| config.http_timeout = timeout).await;
    assert_close_to(slow_repos_page(&app).await, timeout);
}

#[tokio::test]
async fn a_provider_timeout_overrides_http_timeout() {
    let app = spawn_app_with(|config| {
        config.http_timeout = Duration::from_secs(1);
        config
            .provider_env
            .insert("GITHUB_TIMEOUT".into(), "3".into());
    })
    .await;
    assert_close_to(slow_repos_page(&app).await, Duration::from_secs(3));
}
