//! An access token that expires is refreshed when it is used, and the
//! account page shows it.

use std::time::Duration;

use anyhow::{Context as _, ensure};
use fantoccini::Locator;

use crate::journey::{self, Journey};

/// The demo GitHub's access token lifetime in this journey.
const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(3);

#[tokio::test]
async fn an_expired_github_token_is_refreshed_on_use_and_the_account_page_shows_it() {
    journey::run_with(
        "an_expired_github_token_is_refreshed_on_use_and_the_account_page_shows_it",
        |config| config.demo_access_token_ttl = ACCESS_TOKEN_TTL,
        async |j| {
            j.log_in_with("GitHub", "ada").await?;
            j.click_link("Account").await?;
            let before = github_facts(j).await?;
            ensure!(before.contains("Not yet"), "a fresh login shows: {before}");

            tokio::time::sleep(ACCESS_TOKEN_TTL + Duration::from_millis(500)).await;
            j.client().refresh().await?;
            let expired = github_facts(j).await?;
            ensure!(expired.contains("expired"), "an old token shows: {expired}");

            j.click_link("trilogin").await?;
            j.click_link("Your repositories").await?;
            j.expect_path("/repos").await?;
            j.link("ada-lovelace/").await?;

            j.click_link("Account").await?;
            let after = github_facts(j).await?;
            ensure!(
                !after.contains("Not yet"),
                "after using the token the account page shows: {after}"
            );

            j.click_button("Refresh now").await?;
            j.expect_path("/account").await?;
            j.expect_text("Your GitHub access token was refreshed.")
                .await
        },
    )
    .await;
}

/// The facts on the GitHub card of the account page ("Access expires ...",
/// "Last refreshed ...").
async fn github_facts(j: &Journey) -> anyhow::Result<String> {
    Ok(j.client()
        .find(Locator::Css("#connection-github .facts"))
        .await
        .context("no GitHub facts on the account page")?
        .text()
        .await?)
}
