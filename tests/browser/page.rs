//! What a person does on a page, as browser commands: open a page, click a
//! link or a button by its visible text, choose a person on a demo consent
//! page, read what the page says.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use fantoccini::Locator;
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;

use crate::journey::Journey;

/// How long a page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// What a person decides on a demo provider's consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// "Authorize" (GitHub, Google) or "Authorize app" (Twitter).
    Authorize,
    /// "Deny" (GitHub, Google) or "Cancel" (Twitter).
    Deny,
}

impl Journey {
    /// The WebDriver session.
    pub fn client(&self) -> &fantoccini::Client {
        &self.browser.client
    }

    /// Types `path` into the address bar, as it were.
    pub async fn open(&self, path: &str) -> anyhow::Result<()> {
        self.client()
            .goto(&self.app.url(path))
            .await
            .with_context(|| format!("open {path}"))
    }

    /// The current URL's path and query (`/repos?page=2`).
    pub async fn path_and_query(&self) -> anyhow::Result<String> {
        let url = self.client().current_url().await?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits until the browser is on `path` of the app (any query).
    pub async fn expect_path(&self, path: &str) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let url = self.client().current_url().await?;
            let here = url.origin().ascii_serialization() == self.app.address;
            if here && url.path() == path {
                return Ok(());
            }
            if start.elapsed() > PATIENCE {
                bail!("expected to be on {path} of the app, but the browser is on {url}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the page shows, as a person reads it.
    pub async fn text(&self) -> anyhow::Result<String> {
        Ok(self
            .client()
            .find(Locator::Css("body"))
            .await?
            .text()
            .await?)
    }

    /// Waits until the page shows `wanted`; fails if it never does.
    pub async fn expect_text(&self, wanted: &str) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            // The body goes stale while a navigation replaces the page.
            if let Ok(text) = self.text().await {
                if text.contains(wanted) {
                    return Ok(());
                }
                if start.elapsed() > PATIENCE {
                    bail!(
                        "the page {} does not show {wanted:?}; it shows:\n{text}",
                        self.path_and_query().await?
                    );
                }
            } else if start.elapsed() > PATIENCE {
                bail!("no page to read after {PATIENCE:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails if the page shows `unwanted`.
    pub async fn expect_no_text(&self, unwanted: &str) -> anyhow::Result<()> {
        let text = self.text().await?;
        ensure!(
            !text.contains(unwanted),
            "the page {} shows {unwanted:?}:\n{text}",
            self.path_and_query().await?
        );
        Ok(())
    }

    /// The visible link whose text contains `text`.
    pub async fn link(&self, text: &str) -> anyhow::Result<Element> {
        self.visible(&format!(
            "//a[contains(normalize-space(.), {})]",
            xpath_literal(text)
        ))
        .await
        .with_context(|| format!("no link {text:?} on the page"))
    }

    /// The visible button whose text contains `text`.
    pub async fn button(&self, text: &str) -> anyhow::Result<Element> {
        self.visible(&format!(
            "//button[contains(normalize-space(.), {})]",
            xpath_literal(text)
        ))
        .await
        .with_context(|| format!("no button {text:?} on the page"))
    }

    /// Whether the page, as it is now, shows a link whose text contains
    /// `text` (no waiting: for asserting that one is absent).
    pub async fn shows_link(&self, text: &str) -> anyhow::Result<bool> {
        let xpath = format!("//a[contains(normalize-space(.), {})]", xpath_literal(text));
        for element in self.client().find_all(Locator::XPath(&xpath)).await? {
            if element.is_displayed().await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Clicks the link whose text contains `text`.
    pub async fn click_link(&self, text: &str) -> anyhow::Result<()> {
        self.link(text).await?.click().await?;
        Ok(())
    }

    /// Clicks the button whose text contains `text`.
    pub async fn click_button(&self, text: &str) -> anyhow::Result<()> {
        self.button(text).await?.click().await?;
        Ok(())
    }

    /// On a demo consent page: chooses `person` ("ada", "grace", "zoe")
    /// and clicks Authorize or Deny.
    pub async fn consent(&self, person: &str, decision: Decision) -> anyhow::Result<()> {
        let radio = self
            .client()
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(&format!(
                r#"input[type="radio"][name="person"][value="{person}"]"#
            )))
            .await
            .context("no demo person to choose: not on a demo consent page")?;
        radio.click().await?;
        let value = match decision {
            Decision::Authorize => "authorize",
            Decision::Deny => "deny",
        };
        self.client()
            .find(Locator::Css(&format!(
                r#"button[name="decision"][value="{value}"]"#
            )))
            .await
            .with_context(|| format!("no {value} button on the consent page"))?
            .click()
            .await?;
        Ok(())
    }

    /// From any page of the app: clicks "Log in with {label}" on the home
    /// page, authorizes as `person`, and waits for the site again.
    pub async fn log_in_with(&self, label: &str, person: &str) -> anyhow::Result<()> {
        self.open("/").await?;
        self.click_link(&format!("Log in with {label}")).await?;
        self.consent(person, Decision::Authorize).await?;
        self.expect_path("/").await
    }

    /// Presses and releases `key` wherever the focus is.
    pub async fn press(&self, key: Key) -> anyhow::Result<()> {
        let value: char = key.into();
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client().perform_actions(keys).await?;
        Ok(())
    }

    /// The text of the focused element; empty when nothing is focused
    /// (the body, whose text is the whole page's, is then the active element).
    pub async fn focused_text(&self) -> anyhow::Result<String> {
        let text = self
            .client()
            .execute(
                "const el = document.activeElement; \
                 return !el || el === document.body ? '' : el.innerText.trim();",
                Vec::new(),
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The first displayed element matching `xpath`, waiting for it.
    async fn visible(&self, xpath: &str) -> anyhow::Result<Element> {
        let start = Instant::now();
        loop {
            for element in self.client().find_all(Locator::XPath(xpath)).await? {
                // An element of a page being replaced is stale: look again.
                if element.is_displayed().await.unwrap_or(false) {
                    return Ok(element);
                }
            }
            if start.elapsed() > PATIENCE {
                bail!("nothing displayed matches {xpath}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `text` as an XPath 1.0 string literal (which has no escapes).
fn xpath_literal(text: &str) -> String {
    if !text.contains('"') {
        format!("\"{text}\"")
    } else if !text.contains('\'') {
        format!("'{text}'")
    } else {
        let parts: Vec<String> = text.split('"').map(|part| format!("\"{part}\"")).collect();
        format!("concat({})", parts.join(", '\"', "))
    }
}
