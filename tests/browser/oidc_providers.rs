//! A provider of `OIDC_PROVIDERS`: logging in, its profile page, and
//! signing out of it too after logging out.

use crate::journey;
use crate::page::Decision;

#[tokio::test]
async fn a_person_logs_in_with_a_configured_provider_and_signs_out_of_it_too() {
    journey::run_with(
        "a_person_logs_in_with_a_configured_provider_and_signs_out_of_it_too",
        |config| {
            config.oidc_providers = vec!["acme".to_owned()];
            config
                .provider_env
                .insert("ACME_DISPLAY_NAME".to_owned(), "Acme SSO".to_owned());
        },
        async |j| {
            j.open("/").await?;
            j.click_link("Log in with Acme SSO").await?;
            j.expect_text("Authorize").await?;
            j.consent("ada", Decision::Authorize).await?;

            j.expect_path("/").await?;
            j.expect_text("Logged in with Acme SSO").await?;
            j.expect_text("Connected as ada@example.com").await?;
            j.click_link("Your profile and ID token").await?;
            j.expect_path("/profile/acme").await?;
            j.check_page().await?;
            j.expect_text("Your Acme SSO profile").await?;
            j.expect_text("Ada Lovelace").await?;
            j.expect_text("ID token claims").await?;

            j.click_button("Log out").await?;
            j.expect_path("/logout").await?;
            j.expect_text("You are logged out.").await?;
            j.check_page().await?;
            j.click_button("Also sign out of Acme SSO").await?;
            j.expect_path("/").await?;
            j.expect_text("You are signed out of Acme SSO too.").await?;
            j.expect_text("Log in with Acme SSO").await
        },
    )
    .await;
}
