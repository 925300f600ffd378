//! Logging in with Google and reading one's profile and ID token claims.

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
