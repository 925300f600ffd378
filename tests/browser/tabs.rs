//! Two tabs of one browser logging in at the same time.

use anyhow::Context as _;

use crate::journey;
use crate::page::Decision;

#[tokio::test]
async fn two_tabs_logging_in_at_once_both_succeed() {
    journey::run("two_tabs_logging_in_at_once_both_succeed", async |j| {
        let client = j.client();
        let first = client.window().await?;
        j.open("/").await?;
        j.click_link("Log in with GitHub").await?;
        j.expect_text("Authorize").await?;

        let second = client.new_window(true).await?.handle;
        client.switch_to_window(second).await?;
        j.open("/").await?;
        j.click_link("Log in with Google").await?;
        j.expect_text("Authorize").await?;

        // The login started second finishes first.
        j.consent("ada", Decision::Authorize)
            .await
            .context("second tab")?;
        j.expect_path("/").await?;
        j.expect_text("Logged in with Google").await?;

        client.switch_to_window(first).await?;
        j.consent("ada", Decision::Authorize)
            .await
            .context("first tab")?;
        j.expect_path("/").await?;
        j.expect_text("Connected GitHub").await?;
        j.expect_text("Hello, Ada Lovelace").await?;
        j.link("Your repositories").await?;
        j.link("Your profile and ID token").await?;
        Ok(())
    })
    .await;
}
