//! The home page a stranger sees: accessible, loading nothing from another
//! origin, and usable by keyboard alone.

use fantoccini::key::Key;

use crate::journey;

#[tokio::test]
async fn the_logged_out_home_page_is_accessible_and_loads_nothing_from_elsewhere() {
    journey::run(
        "the_logged_out_home_page_is_accessible_and_loads_nothing_from_elsewhere",
        async |j| {
            j.open("/").await?;
            for label in ["Twitter", "GitHub", "Google"] {
                j.link(&format!("Log in with {label}")).await?;
            }
            j.check_page().await?;
            j.open("/no-such-page").await?;
            j.link("Back to the home page").await?;
            j.check_page().await
        },
    )
    .await;
}

#[tokio::test]
async fn a_person_logs_in_with_the_keyboard_alone() {
    journey::run("a_person_logs_in_with_the_keyboard_alone", async |j| {
        j.open("/").await?;
        let mut presses = 0;
        while !j.focused_text().await?.contains("Log in with GitHub") {
            anyhow::ensure!(
                presses < 20,
                "20 Tab presses never reached \"Log in with GitHub\""
            );
            j.press(Key::Tab).await?;
            presses += 1;
        }
        j.check_focus_visible().await?;
        j.press(Key::Enter).await?;
        // On the consent page the first person is chosen already: Tab to
        // "Authorize" and press Enter.
        j.expect_text("Authorize").await?;
        let mut presses = 0;
        while j.focused_text().await? != "Authorize" {
            anyhow::ensure!(presses < 20, "20 Tab presses never reached \"Authorize\"");
            j.press(Key::Tab).await?;
            presses += 1;
        }
        j.press(Key::Enter).await?;
        j.expect_path("/").await?;
        j.expect_text("Logged in with GitHub").await?;
        j.expect_text("Hello, Ada Lovelace").await
    })
    .await;
}
