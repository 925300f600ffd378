//! The home page a stranger sees: accessible, keyboard-usable, and loading
//! nothing from another origin.

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
            j.check_page().await
        },
    )
    .await;
}
