//! A tweet's text as the timeline shows it: plain runs and links, cut at
//! Twitter's URL entities. Each run is escaped by the template like any
//! other text; nothing here is HTML.

use serde::Serialize;
use trilogin_accounts::providers::twitter::TweetUrl;

use super::safe_url::SafeUrl;

/// One run of a tweet's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    /// Text shown as it is.
    Text {
        /// The text.
        text: String,
    },
    /// A link the tweet's author put in.
    Link {
        /// Where it leads: the entity's `expanded_url`.
        href: SafeUrl,
        /// What it shows: the entity's `display_url`.
        text: String,
    },
}

/// `text` cut into runs at `urls` (code-point indices into `text`). A URL
/// becomes a link only when its indices find its `url` in the text and its
/// `expanded_url` is an absolute http(s) URL; one that overlaps an earlier
/// one, or points outside the text, is ignored, and its part of the text
/// stays plain.
pub fn segments(text: &str, urls: &[TweetUrl]) -> Vec<Segment> {
    // Byte offset of each code point, and of the end.
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(at, _)| at)
        .chain([text.len()])
        .collect();
    let mut entities: Vec<&TweetUrl> = urls.iter().collect();
    entities.sort_by_key(|u| (u.start, u.end));
    let mut out = Vec::new();
    // Where the text not yet cut starts, in bytes and in code points.
    let (mut done, mut done_points) = (0, 0);
    for url in entities {
        if url.start < done_points || url.start >= url.end {
            continue;
        }
        let (Some(&from), Some(&to)) = (offsets.get(url.start), offsets.get(url.end)) else {
            continue;
        };
        // Indices out of step with the text would link the wrong words.
        let (Some(before), Some(shown)) = (text.get(done..from), text.get(from..to)) else {
            continue;
        };
        if shown != url.url {
            continue;
        }
        let Some(href) = SafeUrl::from_option(url.expanded_url.as_deref()) else {
            continue;
        };
        push_text(&mut out, before);
        out.push(Segment::Link {
            href,
            text: url.display_url.clone().unwrap_or_else(|| shown.to_owned()),
        });
        (done, done_points) = (to, url.end);
    }
    push_text(&mut out, text.get(done..).unwrap_or_default());
    out
}

fn push_text(out: &mut Vec<Segment>, text: &str) {
    if !text.is_empty() {
        out.push(Segment::Text {
            text: text.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(url: &str, expanded: &str, start: usize) -> TweetUrl {
        TweetUrl {
            url: url.to_owned(),
            expanded_url: Some(expanded.to_owned()),
            display_url: Some(expanded.trim_start_matches("https://").to_owned()),
            start,
            end: start + url.chars().count(),
        }
    }

    fn text(text: &str) -> Segment {
        Segment::Text {
            text: text.to_owned(),
        }
    }

    fn link(href: &str, shown: &str) -> Segment {
        Segment::Link {
            href: SafeUrl::new(href).unwrap(),
            text: shown.to_owned(),
        }
    }

    #[test]
    fn text_without_urls_is_one_plain_run() {
        assert_eq!(segments("just words", &[]), [text("just words")]);
        assert_eq!(segments("", &[]), []);
    }

    #[test]
    fn one_url_becomes_a_link_showing_its_display_url() {
        let tweet = "read https://t.co/a now";
        assert_eq!(
            segments(tweet, &[url("https://t.co/a", "https://example.com/a", 5)]),
            [
                text("read "),
                link("https://example.com/a", "example.com/a"),
                text(" now")
            ]
        );
    }

    #[test]
    fn several_urls_become_links_in_text_order() {
        let tweet = "https://t.co/b and https://t.co/a";
        let urls = [
            url("https://t.co/a", "https://example.com/a", 19),
            url("https://t.co/b", "https://example.com/b", 0),
        ];
        assert_eq!(
            segments(tweet, &urls),
            [
                link("https://example.com/b", "example.com/b"),
                text(" and "),
                link("https://example.com/a", "example.com/a"),
            ],
            "a link at the start and one at the end leave no empty runs"
        );
    }

    #[test]
    fn a_url_leading_anywhere_but_http_stays_plain_text() {
        let tweet = "x https://t.co/a";
        for expanded in ["javascript:alert(1)", "data:text/html,hi", "/relative", ""] {
            let mut entity = url("https://t.co/a", "https://example.com/", 2);
            entity.expanded_url = Some(expanded.to_owned());
            assert_eq!(segments(tweet, &[entity]), [text(tweet)], "{expanded:?}");
        }
        let mut entity = url("https://t.co/a", "https://example.com/", 2);
        entity.expanded_url = None;
        assert_eq!(segments(tweet, &[entity]), [text(tweet)]);
    }

    #[test]
    fn out_of_range_overlapping_and_misplaced_indices_are_ignored() {
        let tweet = "see https://t.co/a";
        let good = url("https://t.co/a", "https://example.com/a", 4);
        let mut past_the_end = good.clone();
        past_the_end.end = 99;
        let mut far_out = good.clone();
        (far_out.start, far_out.end) = (usize::MAX - 1, usize::MAX);
        let mut backwards = good.clone();
        (backwards.start, backwards.end) = (10, 4);
        let mut overlapping = good.clone();
        (overlapping.start, overlapping.end) = (6, 10);
        let misplaced = url("https://t.co/a", "https://example.com/a", 0);
        for bad in [&past_the_end, &far_out, &backwards, &misplaced] {
            assert_eq!(
                segments(tweet, std::slice::from_ref(bad)),
                [text(tweet)],
                "{bad:?}"
            );
        }
        assert_eq!(
            segments(tweet, &[overlapping, good.clone(), good]),
            [text("see "), link("https://example.com/a", "example.com/a")],
            "the first of overlapping entities wins"
        );
    }

    #[test]
    fn indices_count_code_points_so_emoji_before_a_link_do_not_shift_it() {
        let tweet = "🦀 Zoë: https://t.co/a";
        assert_eq!(
            segments(tweet, &[url("https://t.co/a", "https://example.com/a", 7)]),
            [
                text("🦀 Zoë: "),
                link("https://example.com/a", "example.com/a")
            ]
        );
    }
}
