//! Checks run inside the page: accessibility basics (alt text, labels,
//! heading order), that nothing was fetched from another origin, that no
//! script slipped in, that the page fits the window's width.

use anyhow::{Context as _, ensure};
use serde_json::Value;

use crate::journey::Journey;

/// Lists every image without an `alt` attribute, every form control without
/// a label (`label[for]`, a wrapping `label`, `aria-label` or
/// `aria-labelledby`; a button's own text), and every heading that skips a
/// level or a page that does not start with `h1`.
const ACCESSIBILITY_PROBLEMS: &str = r#"
const problems = [];
const short = (el) => el.outerHTML.slice(0, 160);
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('image without alt text: ' + short(img));
}
for (const svg of document.querySelectorAll('svg')) {
  const hidden = svg.closest('[aria-hidden="true"]');
  const named = svg.getAttribute('aria-label') || svg.getAttribute('aria-labelledby') || svg.querySelector('title');
  if (!hidden && !named) problems.push('svg neither hidden nor named: ' + short(svg));
}
const named = (el) =>
  (el.getAttribute('aria-label') || '').trim() !== '' ||
  (el.getAttribute('aria-labelledby') || '').trim() !== '' ||
  (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) ||
  el.closest('label');
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (el.type === 'hidden') continue;
  if ((el.type === 'submit' || el.type === 'button') && (el.value || '').trim() !== '') continue;
  if (!named(el)) problems.push('form control without a label: ' + short(el));
}
for (const button of document.querySelectorAll('button')) {
  if (button.textContent.trim() === '' && !named(button)) problems.push('button without a name: ' + short(button));
}
let previous = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
  const level = Number(h.tagName.substring(1));
  if (previous === 0 && level !== 1) problems.push('first heading is ' + h.tagName + ', not H1: ' + short(h));
  if (previous !== 0 && level > previous + 1) problems.push('heading skips from H' + previous + ' to ' + h.tagName + ': ' + short(h));
  previous = level;
}
if (previous === 0) problems.push('the page has no heading');
if (!document.documentElement.lang) problems.push('html element without lang');
if (document.title.trim() === '') problems.push('the page has no title');
return problems;
"#;

/// Every resource the page loaded whose origin is not the page's own.
const FOREIGN_RESOURCES: &str = r#"
return performance.getEntriesByType('resource')
  .map((entry) => entry.name)
  .filter((url) => new URL(url).origin !== location.origin);
"#;

impl Journey {
    /// Fails with every accessibility problem of the current page.
    pub async fn check_accessibility(&self) -> anyhow::Result<()> {
        let problems = self.script_strings(ACCESSIBILITY_PROBLEMS).await?;
        ensure!(
            problems.is_empty(),
            "accessibility problems on {}:\n{}",
            self.path_and_query().await?,
            problems.join("\n")
        );
        Ok(())
    }

    /// Fails if the current page fetched anything from another origin.
    pub async fn check_same_origin(&self) -> anyhow::Result<()> {
        let foreign = self.script_strings(FOREIGN_RESOURCES).await?;
        ensure!(
            foreign.is_empty(),
            "{} loaded resources from other origins:\n{}",
            self.path_and_query().await?,
            foreign.join("\n")
        );
        Ok(())
    }

    /// Fails if the page holds a script element: the site uses none, so
    /// one would be provider text that escaping let through.
    pub async fn check_no_scripts(&self) -> anyhow::Result<()> {
        let scripts = self
            .client()
            .execute("return document.scripts.length;", Vec::new())
            .await?;
        ensure!(
            scripts == 0,
            "{} holds {scripts} script elements",
            self.path_and_query().await?
        );
        Ok(())
    }

    /// Fails if the page is wider than the window, so that a person would
    /// have to scroll sideways.
    pub async fn check_fits_width(&self) -> anyhow::Result<()> {
        let overflow = self
            .client()
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                Vec::new(),
            )
            .await?;
        ensure!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "{} is {overflow} px wider than the window",
            self.path_and_query().await?
        );
        Ok(())
    }

    /// Fails unless the focused element shows a focus ring (an outline or
    /// a box shadow), so a keyboard user can see where they are.
    pub async fn check_focus_visible(&self) -> anyhow::Result<()> {
        let ring = self
            .client()
            .execute(
                "const style = getComputedStyle(document.activeElement); \
                 return [style.outlineStyle, style.outlineWidth, style.boxShadow];",
                Vec::new(),
            )
            .await?;
        let visible = (ring[0] != "none" && ring[1] != "0px") || ring[2] != "none";
        ensure!(visible, "the focused element shows no focus ring: {ring}");
        Ok(())
    }

    /// Both checks above.
    pub async fn check_page(&self) -> anyhow::Result<()> {
        self.check_accessibility().await?;
        self.check_same_origin().await
    }

    /// Runs `script` and reads its answer as a list of strings.
    async fn script_strings(&self, script: &str) -> anyhow::Result<Vec<String>> {
        let answer = self.client().execute(script, Vec::new()).await?;
        let Value::Array(items) = answer else {
            anyhow::bail!("the page script answered {answer} instead of a list");
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(other),
            })
            .collect::<Result<_, _>>()
            .map_err(|other| anyhow::anyhow!("not a string: {other}"))
            .context("page script answer")
    }
}
