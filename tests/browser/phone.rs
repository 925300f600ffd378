//! The site at phone width: every page fits the screen and passes the
//! page checks there.

use crate::journey;
use crate::page::Decision;

/// Phone width in CSS pixels (an iPhone 14).
pub const PHONE_WIDTH: u32 = 390;

#[tokio::test]
async fn every_page_fits_a_phone_screen() {
    journey::run("every_page_fits_a_phone_screen", async |j| {
        j.client().set_window_size(PHONE_WIDTH, 844).await?;
        j.open("/").await?;
        j.check_fits_width().await?;
        j.click_link("Log in with GitHub").await?;
        j.expect_text("Authorize").await?;
        j.check_fits_width().await?;
        j.consent("zoe", Decision::Authorize).await?;
        j.expect_path("/").await?;
        for provider in ["Twitter", "Google"] {
            j.click_link(&format!("Connect {provider}")).await?;
            j.expect_text("Authorize").await?;
            j.check_fits_width().await?;
            j.consent("zoe", Decision::Authorize).await?;
            j.expect_path("/").await?;
        }
        for path in [
            "/",
            "/repos",
            "/timeline",
            "/profile",
            "/account",
            "/no-such-page",
        ] {
            j.open(path).await?;
            j.check_fits_width().await?;
            j.check_page().await?;
        }
        Ok(())
    })
    .await;
}
