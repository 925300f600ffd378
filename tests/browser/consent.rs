//! Saying no on a provider's consent page.

use crate::journey;
use crate::page::Decision;

#[tokio::test]
async fn denying_consent_at_each_provider_says_so_and_logs_nobody_in() {
    journey::run(
        "denying_consent_at_each_provider_says_so_and_logs_nobody_in",
        async |j| {
            for label in ["GitHub", "Twitter", "Google"] {
                j.open("/").await?;
                j.click_link(&format!("Log in with {label}")).await?;
                j.consent("ada", Decision::Deny).await?;
                j.expect_path("/").await?;
                j.expect_text(&format!(
                    "You cancelled the login at {label}. Nothing was changed."
                ))
                .await?;
                j.link("Log in with GitHub").await?;
                j.expect_no_text("Hello,").await?;
                j.check_page().await?;
            }
            Ok(())
        },
    )
    .await;
}
