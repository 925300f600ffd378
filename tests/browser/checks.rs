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

/// Lists every piece of visible text whose contrast with its background
/// is below WCAG 2.2 AA: 4.5:1, or 3:1 for large text (24 px, or 18.66 px
/// bold). The background is composed of the translucent ones up the tree
/// over the nearest opaque one; text over an image or gradient is skipped.
const CONTRAST_PROBLEMS: &str = r#"
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,\/]+/).filter((x) => x !== '').map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const channel = (v) => {
  v /= 255;
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
};
const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
const over = (top, below) => ({
  r: top.r * top.a + below.r * (1 - top.a),
  g: top.g * top.a + below.g * (1 - top.a),
  b: top.b * top.a + below.b * (1 - top.a),
  a: 1,
});
const background = (el) => {
  const layers = [];
  let base = { r: 255, g: 255, b: 255, a: 1 };
  for (let e = el; e; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (style.backgroundImage !== 'none') return null;
    const c = parse(style.backgroundColor);
    if (c && c.a >= 0.99) { base = c; break; }
    if (c && c.a > 0) layers.push(c);
  }
  return layers.reduceRight((below, top) => over(top, below), base);
};
const problems = [];
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) {
  const text = walker.currentNode.textContent.trim();
  const el = walker.currentNode.parentElement;
  if (text === '' || seen.has(el)) continue;
  seen.add(el);
  const rect = el.getBoundingClientRect();
  const style = getComputedStyle(el);
  if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden') continue;
  const fg = parse(style.color);
  const bg = background(el);
  if (!fg || !bg) continue;
  const [light, dark] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  const ratio = (light + 0.05) / (dark + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
  const needed = large ? 3 : 4.5;
  if (ratio < needed) {
    problems.push(ratio.toFixed(2) + ':1 (needs ' + needed + ':1) for "' + text.slice(0, 50) + '": ' +
      style.color + ' on ' + 'rgb(' + bg.r + ', ' + bg.g + ', ' + bg.b + ')');
  }
}
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

    /// Fails with every piece of text too faint against its background.
    pub async fn check_contrast(&self) -> anyhow::Result<()> {
        let problems = self.script_strings(CONTRAST_PROBLEMS).await?;
        ensure!(
            problems.is_empty(),
            "contrast below WCAG AA on {}:\n{}",
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

    /// Accessibility, contrast and same origin: for every page, the site's
    /// and the demo providers' alike.
    pub async fn check_page(&self) -> anyhow::Result<()> {
        self.check_accessibility().await?;
        self.check_contrast().await?;
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
