//! Logging in with Google and reading one's profile and ID token claims;
//! the same through a pushed request and DPoP-bound tokens.

use anyhow::{Context as _, ensure};
use trilogin_accounts::{Provider, UserId};

use crate::journey;
use crate::page::Decision;

#[tokio::test]
async fn a_person_logs_in_with_google_and_sees_their_profile_and_id_token() {
    journey::run(
        "a_person_logs_in_with_google_and_sees_their_profile_and_id_token",
        async |j| {
            j.open("/").await?;
            j.click_link("Log in with Google").await?;
            j.expect_text("Authorize").await?;
            j.check_page().await?;
            j.consent("grace", Decision::Authorize).await?;

            j.expect_path("/").await?;
            j.expect_text("Logged in with Google").await?;
            j.expect_text("Hello, Grace Hopper").await?;
            j.expect_text("Connected as grace@example.org").await?;

            j.click_link("Your profile and ID token").await?;
            j.expect_path("/profile").await?;
            j.check_page().await?;
            j.expect_text("Grace Hopper").await?;
            j.expect_text("grace@example.org").await?;
            j.expect_text("ID token claims").await?;
            // Google's subject identifier for Grace, from the ID token.
            j.expect_text("108123456789012345672").await
        },
    )
    .await;
}

#[tokio::test]
async fn a_person_logs_in_through_a_pushed_request_with_dpop_and_a_refresh_proves_the_same_key() {
    journey::run(
        "a_person_logs_in_through_a_pushed_request_with_dpop_and_a_refresh_proves_the_same_key",
        async |j| {
            let google = j.app.state.demo.google.clone().context("demo Google")?;
            google.require_par(true);
            google.require_dpop(true);
            google.use_dpop_nonces(true);
            j.log_in_with("Google", "grace").await?;
            j.expect_text("Logged in with Google").await?;
            ensure!(google.knobs().calls("par") == 1, "the request was pushed");

            j.click_link("Account").await?;
            j.expect_text("(bound to a key this site holds)").await?;

            google.expire_all_access_tokens();
            j.open("/profile").await?;
            j.expect_text("grace@example.org").await?;
            let stored = j
                .app
                .stored_oauth2(UserId::new(1), Provider::Google)
                .context("the Google connection")?;
            let key = stored.token.dpop_key.context("a DPoP key")?.thumbprint()?;
            ensure!(
                google.proved_keys("refresh") == [key],
                "the refresh proved the login's key: {:?}",
                google.proved_keys("refresh")
            );
            Ok(())
        },
    )
    .await;
}
