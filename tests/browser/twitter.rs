//! Logging in with Twitter and reading one's timeline.

use anyhow::ensure;
use fantoccini::Locator;

use crate::journey;
use crate::page::Decision;

#[tokio::test]
async fn a_person_logs_in_with_twitter_and_reads_their_timeline() {
    journey::run(
        "a_person_logs_in_with_twitter_and_reads_their_timeline",
        async |j| {
            j.open("/").await?;
            j.click_link("Log in with Twitter").await?;
            j.expect_text("Authorize").await?;
            j.check_page().await?;
            j.consent("zoe", Decision::Authorize).await?;

            j.expect_path("/").await?;
            j.expect_text("Logged in with Twitter").await?;
            j.expect_text("Hello, Zoë Østergård-Müller").await?;
            j.expect_text("Connected as @zoe_om").await?;

            j.click_link("Your latest tweets").await?;
            j.expect_path("/timeline").await?;
            j.check_page().await?;
            let first_page = tweet_count(j).await?;
            ensure!(first_page == 20, "the first page shows {first_page} tweets");
            // Zoë's newest tweets try markup and entities: they read as typed.
            j.expect_text(r#"<script>alert("x")</script>"#).await?;
            j.expect_text("&amp;").await?;
            j.check_no_scripts().await?;

            j.click_link("Older").await?;
            j.expect_path("/timeline").await?;
            ensure!(
                j.path_and_query().await?.starts_with("/timeline?max_id="),
                "Older went to {}",
                j.path_and_query().await?
            );
            ensure!(tweet_count(j).await? > 0, "the older page shows no tweets");
            j.expect_no_text(r#"<script>alert("x")</script>"#).await?;
            j.click_link("Newest").await?;
            j.expect_text(r#"<script>alert("x")</script>"#).await
        },
    )
    .await;
}

async fn tweet_count(j: &journey::Journey) -> anyhow::Result<usize> {
    Ok(j.client().find_all(Locator::Css(".tweet")).await?.len())
}
