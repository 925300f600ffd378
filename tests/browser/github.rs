//! Logging in with GitHub and reading one's repositories, page by page.

use std::collections::BTreeSet;

use anyhow::ensure;
use fantoccini::Locator;

use crate::journey;
use crate::page::Decision;

use trilogin_accounts::providers::github::PAGE_SIZE;
use trilogin_demo::github::repos::REPOS_PER_PERSON;

/// The description of the demo repository that tries to run a script.
const HOSTILE: &str = "<script>alert(1)</script> — if this pops up";

#[tokio::test]
async fn a_person_logs_in_with_github_and_pages_through_their_repositories() {
    journey::run(
        "a_person_logs_in_with_github_and_pages_through_their_repositories",
        async |j| {
            j.open("/").await?;
            j.click_link("Log in with GitHub").await?;
            j.expect_text("Authorize").await?;
            j.check_page().await?;
            j.consent("ada", Decision::Authorize).await?;

            j.expect_path("/").await?;
            j.expect_text("Logged in with GitHub").await?;
            j.expect_text("Hello, Ada Lovelace").await?;
            j.expect_text("Connected as @ada-lovelace").await?;
            j.check_page().await?;

            j.click_link("Your repositories").await?;
            j.expect_path("/repos").await?;
            j.check_page().await?;
            ensure!(
                j.client()
                    .find_all(Locator::Css("a[rel=prev]"))
                    .await?
                    .is_empty(),
                "the first page offers newer repositories"
            );
            let page_size = usize::try_from(PAGE_SIZE)?;
            let pages = REPOS_PER_PERSON.div_ceil(page_size);
            let mut seen = BTreeSet::new();
            let mut hostile_shown = false;
            for page in 1..=pages {
                let names = repo_names(j).await?;
                let expected = page_size.min(REPOS_PER_PERSON - (page - 1) * page_size);
                ensure!(
                    names.len() == expected,
                    "page {page} lists {} repositories, not {expected}: {names:?}",
                    names.len()
                );
                for name in names {
                    ensure!(name.starts_with("ada-lovelace/"), "not Ada's: {name}");
                    ensure!(seen.insert(name.clone()), "{name} shown on two pages");
                }
                // One description is a script tag: it must read as text.
                hostile_shown |= j.text().await?.contains(HOSTILE);
                if page < pages {
                    j.click_link("Older").await?;
                    j.expect_path("/repos").await?;
                }
            }
            ensure!(
                j.client()
                    .find_all(Locator::Css("a[rel=next]"))
                    .await?
                    .is_empty(),
                "the last page still offers older repositories"
            );
            ensure!(hostile_shown, "no page showed {HOSTILE:?} as text");
            j.click_link("Newer").await?;
            let back = j.path_and_query().await?;
            let wanted = format!("/repos?page={}", pages - 1);
            ensure!(
                back == wanted,
                "Newer from the last page went to {back}, not {wanted}"
            );
            j.check_no_scripts().await?;
            Ok(())
        },
    )
    .await;
}

/// The `owner/name` of each repository card on the page.
async fn repo_names(j: &journey::Journey) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for link in j.client().find_all(Locator::Css(".repo h2 a")).await? {
        names.push(link.text().await?);
    }
    Ok(names)
}
