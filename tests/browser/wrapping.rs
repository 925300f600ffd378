//! Text at phone width: names, labels, e-mail addresses and logins stay
//! whole when they fit the screen, long values break inside their box, and
//! no page scrolls sideways.

use anyhow::{Context as _, ensure};
use serde_json::{Value, json};

use crate::journey::{self, Journey};
use crate::page::Decision;
use crate::phone::PHONE_WIDTH;

/// Lists every element of `arguments[0]` (CSS selectors) whose text wraps
/// although it would fit on one line of its card (or of `main` outside a
/// card), and every word inside `main` that is split across lines although
/// it would fit there; text inside `arguments[1]` (long values, which may
/// break anywhere) is exempt from the word check. Also reports how many
/// elements each selector matched, and the page's overflow.
const WRAPPING_PROBLEMS: &str = r#"
const [selectors, longValues] = arguments;
const problems = [];
const main = document.querySelector('main');
const lineCount = (rects) => {
  const middles = rects
    .filter((r) => r.width > 0 && r.height > 0)
    .map((r) => (r.top + r.bottom) / 2)
    .sort((a, b) => a - b);
  let lines = 0;
  let last = -Infinity;
  for (const m of middles) {
    if (m - last > 6) lines += 1;
    last = m;
  }
  return lines;
};
const textNodes = (el) => {
  const nodes = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) nodes.push(walker.currentNode);
  return nodes;
};
const rectsOf = (node, start, end) => {
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, end);
  return [...range.getClientRects()];
};
const contentWidth = (el) => {
  const style = getComputedStyle(el);
  return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
};
const room = (el) => contentWidth(el.closest('.card') || main);
// The width of the text on one line, as the browser lays it out.
const oneLineWidth = (el) => {
  const saved = el.getAttribute('style');
  el.style.whiteSpace = 'nowrap';
  const range = document.createRange();
  range.selectNodeContents(el);
  const width = range.getBoundingClientRect().width;
  if (saved === null) el.removeAttribute('style'); else el.setAttribute('style', saved);
  return width;
};
const canvas = document.createElement('canvas').getContext('2d');
const wordWidth = (node, word) => {
  const style = getComputedStyle(node.parentElement);
  canvas.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
  return canvas.measureText(word).width;
};
const counts = {};
for (const selector of selectors) {
  const elements = [...document.querySelectorAll(selector)];
  counts[selector] = elements.length;
  for (const el of elements) {
    const width = oneLineWidth(el);
    const lines = lineCount(textNodes(el).flatMap((n) => rectsOf(n, 0, n.length)));
    if (lines > 1 && width <= room(el)) {
      problems.push(selector + ' "' + el.textContent.trim() + '" is on ' + lines +
        ' lines though it is ' + Math.round(width) + ' px wide and its box offers ' + Math.round(room(el)) + ' px');
    }
  }
}
for (const node of textNodes(main)) {
  if (node.parentElement.closest(longValues)) continue;
  for (const match of node.textContent.matchAll(/\S+/g)) {
    const lines = lineCount(rectsOf(node, match.index, match.index + match[0].length));
    const width = wordWidth(node, match[0]);
    if (lines > 1 && width <= room(node.parentElement)) {
      problems.push('the word "' + match[0] + '" is split over ' + lines + ' lines in <' +
        node.parentElement.tagName.toLowerCase() + ' class="' + node.parentElement.className + '">');
    }
  }
}
const overflow = document.documentElement.scrollWidth - window.innerWidth;
if (overflow > 0) problems.push('the page is ' + overflow + ' px wider than the window');
return { problems, counts };
"#;

#[tokio::test]
async fn at_phone_width_names_labels_and_addresses_stay_whole_and_nothing_scrolls_sideways() {
    journey::run(
        "at_phone_width_names_labels_and_addresses_stay_whole_and_nothing_scrolls_sideways",
        async |j| {
            j.client().set_window_size(PHONE_WIDTH, 844).await?;
            j.log_in_with("GitHub", "grace").await?;
            for provider in ["Twitter", "Google"] {
                j.click_link(&format!("Connect {provider}")).await?;
                j.consent("grace", Decision::Authorize).await?;
                j.expect_text(&format!("Connected {provider}")).await?;
            }
            let mut problems = Vec::new();
            let pages: [(&str, &[&str]); 3] = [
                ("/", &[".provider-card h3", ".identity", ".hero .lead"]),
                ("/account", &[".facts dt", ".identity", ".card h2"]),
                ("/profile", &[".claims th", ".person h2"]),
            ];
            for (path, selectors) in pages {
                j.open(path).await?;
                problems.extend(wrapping_problems(j, selectors).await?);
            }
            ensure!(
                problems.is_empty(),
                "text wraps badly at {PHONE_WIDTH} px:\n{}",
                problems.join("\n")
            );
            Ok(())
        },
    )
    .await;
}

/// Every wrapping problem of the current page, each naming the page;
/// fails when a selector matches nothing, since then nothing was checked.
async fn wrapping_problems(j: &Journey, selectors: &[&str]) -> anyhow::Result<Vec<String>> {
    let path = j.path_and_query().await?;
    let answer = j
        .client()
        .execute(WRAPPING_PROBLEMS, vec![json!(selectors), json!(".value")])
        .await
        .with_context(|| format!("wrapping script on {path}"))?;
    for selector in selectors {
        let matched = answer["counts"][selector].as_u64().unwrap_or(0);
        ensure!(matched > 0, "{path}: nothing matches {selector}");
    }
    match &answer["problems"] {
        Value::Array(items) => Ok(items
            .iter()
            .filter_map(Value::as_str)
            .map(|problem| format!("{path}: {problem}"))
            .collect()),
        other => anyhow::bail!("{path}: the wrapping script answered {other}"),
    }
}
