//! One account, several providers: connecting a second and a third,
//! disconnecting one, logging out.

use anyhow::{Context as _, ensure};
use fantoccini::Locator;

use crate::journey::{self, Journey};
use crate::page::Decision;

#[tokio::test]
async fn a_person_connects_twitter_and_google_to_the_account_they_made_with_github() {
    journey::run(
        "a_person_connects_twitter_and_google_to_the_account_they_made_with_github",
        async |j| {
            j.log_in_with("GitHub", "ada").await?;
            j.expect_text("Hello, Ada Lovelace").await?;

            j.click_link("Connect Twitter").await?;
            j.consent("ada", Decision::Authorize).await?;
            j.expect_path("/").await?;
            j.expect_text("Connected Twitter").await?;

            j.click_link("Connect Google").await?;
            j.consent("ada", Decision::Authorize).await?;
            j.expect_path("/").await?;
            j.expect_text("Connected Google").await?;
            j.expect_text("Hello, Ada Lovelace").await?;
            for page in [
                "Your latest tweets",
                "Your repositories",
                "Your profile and ID token",
            ] {
                j.link(page).await?;
            }

            j.click_link("Account").await?;
            j.expect_path("/account").await?;
            j.check_page().await?;
            for provider in ["twitter", "github", "google"] {
                let status = connection_status(j, provider).await?;
                ensure!(status == "Connected", "{provider}: {status}");
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_person_disconnects_a_provider_then_logs_out() {
    journey::run("a_person_disconnects_a_provider_then_logs_out", async |j| {
        j.log_in_with("GitHub", "grace").await?;
        j.click_link("Connect Twitter").await?;
        j.consent("grace", Decision::Authorize).await?;
        j.expect_text("Connected Twitter").await?;

        j.click_link("Account").await?;
        j.click_link("Disconnect Twitter").await?;
        j.expect_text("Disconnect Twitter?").await?;
        j.expect_text("invalidated at Twitter").await?;
        j.click_button("Disconnect Twitter").await?;
        j.expect_path("/account").await?;
        j.expect_text("Twitter is disconnected").await?;
        let status = connection_status(j, "twitter").await?;
        ensure!(
            status == "Not connected",
            "Twitter after disconnecting: {status}"
        );
        j.link("Connect Twitter").await?;
        // GitHub is now the only connection: it cannot be removed.
        ensure!(
            !j.shows_link("Disconnect GitHub").await?,
            "the last connection offers Disconnect"
        );
        j.expect_text("This is your only connection").await?;

        j.click_button("Log out").await?;
        j.expect_path("/").await?;
        j.link("Log in with GitHub").await?;
        j.expect_no_text("Hello, Grace Hopper").await?;
        j.open("/account").await?;
        j.expect_path("/").await?;
        j.link("Log in with GitHub").await?;
        Ok(())
    })
    .await;
}

/// The status line of one provider's card on the account page.
async fn connection_status(j: &Journey, provider: &str) -> anyhow::Result<String> {
    let selector = format!("#connection-{provider} .status");
    Ok(j.client()
        .find(Locator::Css(&selector))
        .await
        .with_context(|| format!("no {selector} on the account page"))?
        .text()
        .await?)
}
