//! Twitter: OAuth 1.0a login, `account/verify_credentials.json` as the
//! profile, `statuses/user_timeline.json` as the timeline.

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use url::Url;

use super::{Profile, id_field, malformed, str_field};
use trilogin_oauth::{ApiRequest, ClientConfig, Error};

/// Tweets per timeline page.
pub const PAGE_SIZE: u32 = 20;

/// Twitter's `created_at`, e.g. `Wed Oct 10 20:19:24 +0000 2018`.
const CREATED_AT: &[BorrowedFormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute] [year]"
);

/// The real Twitter endpoints. `authenticate` rather than `authorize`:
/// people who already granted access are sent straight back.
pub fn preset() -> ClientConfig {
    ClientConfig {
        request_token_url: Url::parse("https://api.twitter.com/oauth/request_token").ok(),
        authorize_url: Url::parse("https://api.twitter.com/oauth/authenticate").ok(),
        access_token_url: Url::parse("https://api.twitter.com/oauth/access_token").ok(),
        api_base_url: Url::parse("https://api.twitter.com/1.1/").ok(),
        ..ClientConfig::default()
    }
}

/// The profile request; `include_email` needs the app's e-mail permission.
pub fn credentials_request() -> ApiRequest {
    ApiRequest::get("account/verify_credentials.json")
        .query("include_email", "true")
        .query("skip_status", "true")
}

/// Normalises `verify_credentials.json`.
pub fn profile(body: &Value) -> Result<Profile, Error> {
    let id = id_field(body, "id_str")
        .or_else(|| id_field(body, "id"))
        .ok_or_else(|| malformed("Twitter credentials", body))?;
    let screen_name = str_field(body, "screen_name");
    let display_name = str_field(body, "name")
        .or_else(|| screen_name.clone())
        .unwrap_or_else(|| format!("Twitter user {id}"));
    let email = str_field(body, "email");
    Ok(Profile {
        provider_user_id: id,
        display_name,
        username: screen_name,
        // Twitter only returns addresses it has verified.
        email_verified: email.is_some(),
        email,
        avatar_url: str_field(body, "profile_image_url_https"),
    })
}

/// One page of the person's own timeline, newest first, older than `max_id`
/// when paging back.
pub fn timeline_request(max_id: Option<u64>) -> ApiRequest {
    let mut req = ApiRequest::get("statuses/user_timeline.json")
        .query("count", PAGE_SIZE.to_string())
        .query("tweet_mode", "extended");
    if let Some(max_id) = max_id {
        req = req.query("max_id", max_id.to_string());
    }
    req
}

/// The token revocation request (`POST oauth/invalidate_token`).
pub fn revoke_request() -> ApiRequest {
    ApiRequest::post("oauth/invalidate_token")
}

/// A tweet as the timeline page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tweet {
    /// The id; above 2^53, so read from `id_str`, never from the float-prone `id`.
    pub id: u64,
    /// The text (`full_text` in extended mode), newlines kept.
    pub text: String,
    /// When it was posted.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Author's display name.
    pub author_name: String,
    /// Author's handle, without `@`.
    pub author_screen_name: String,
    /// Author's avatar.
    pub author_avatar_url: Option<String>,
    /// The links in the text (`entities.urls`), as Twitter sent them.
    pub urls: Vec<TweetUrl>,
}

/// One of a tweet's `entities.urls`: a shortened `url` that stands at
/// `start..end` of the text, and what it leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TweetUrl {
    /// The link as it appears in the text (`https://t.co/…`).
    pub url: String,
    /// Where the link leads, unchecked: any scheme a tweet's author chose.
    pub expanded_url: Option<String>,
    /// What to show instead of `url` (`example.com/a…`).
    pub display_url: Option<String>,
    /// First code point of `url` in the decoded text.
    pub start: usize,
    /// One past its last code point.
    pub end: usize,
}

/// Parses `statuses/*_timeline.json` and sorts newest first.
pub fn timeline(body: &Value) -> Result<Vec<Tweet>, Error> {
    let items = body
        .as_array()
        .ok_or_else(|| malformed("Twitter timeline", body))?;
    let mut tweets = items
        .iter()
        .map(|item| tweet(item).ok_or_else(|| malformed("tweet", item)))
        .collect::<Result<Vec<_>, _>>()?;
    tweets.sort_by_key(|t| std::cmp::Reverse(t.id));
    Ok(tweets)
}

fn tweet(item: &Value) -> Option<Tweet> {
    let id = id_field(item, "id_str")?.parse().ok()?;
    let sent = str_field(item, "full_text").or_else(|| str_field(item, "text"))?;
    let text = decode_entities(&sent);
    let urls = url_entities(item, &sent, &text);
    let created_at = OffsetDateTime::parse(item.get("created_at")?.as_str()?, CREATED_AT).ok()?;
    let user = item.get("user")?;
    let author_screen_name = str_field(user, "screen_name")?;
    Some(Tweet {
        id,
        text,
        created_at,
        author_name: str_field(user, "name").unwrap_or_else(|| author_screen_name.clone()),
        author_screen_name,
        author_avatar_url: str_field(user, "profile_image_url_https"),
        urls,
    })
}

/// The well-formed entries of `entities.urls`, their indices made to
/// point into the decoded `text`. An entry without `url`, with indices
/// that are not two numbers, or whose indices find its `url` neither in
/// `text` nor in the `sent` (entity-encoded) text is left out, and the
/// tweet then shows that part as plain text.
fn url_entities(item: &Value, sent: &str, text: &str) -> Vec<TweetUrl> {
    let Some(urls) = item.pointer("/entities/urls").and_then(Value::as_array) else {
        return Vec::new();
    };
    urls.iter()
        .filter_map(|entry| {
            let indices = entry.get("indices")?.as_array()?;
            let index = |i: usize| usize::try_from(indices.get(i)?.as_u64()?).ok();
            let url = str_field(entry, "url")?;
            let (start, end) = decoded_span(sent, text, index(0)?, index(1)?, &url)?;
            Some(TweetUrl {
                url,
                expanded_url: str_field(entry, "expanded_url"),
                display_url: str_field(entry, "display_url"),
                start,
                end,
            })
        })
        .collect()
}

/// Where `url`, said to stand at code points `start..end`, stands in the
/// decoded `text`. Twitter counts in the decoded text, but a `&amp;`
/// counted as five code points (indices into the text as sent) is
/// accepted too: such indices are moved onto the decoded text.
fn decoded_span(
    sent: &str,
    text: &str,
    start: usize,
    end: usize,
    url: &str,
) -> Option<(usize, usize)> {
    let len = end.checked_sub(start)?;
    let span = |s: &str| -> Option<String> {
        let span: String = s.chars().skip(start).take(len).collect();
        (span.chars().count() == len).then_some(span)
    };
    if span(text).as_deref() == Some(url) {
        return Some((start, end));
    }
    if span(sent).as_deref() == Some(url) {
        let prefix: String = sent.chars().take(start).collect();
        let moved = decode_entities(&prefix).chars().count();
        return Some((moved, moved + len));
    }
    None
}

/// Undoes the one encoding Twitter applies to tweet text (`&amp;`, `&lt;`,
/// `&gt;`), in a single pass so that `&amp;lt;` becomes `&lt;`, not `<`.
/// The page escapes the result again, exactly once.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, len) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

/// The `max_id` of the next, older page: one below the oldest tweet shown
/// (`max_id` is inclusive). `None` when the page was not full.
pub fn older_max_id(tweets: &[Tweet]) -> Option<u64> {
    if tweets.len() < PAGE_SIZE as usize {
        return None;
    }
    tweets.iter().map(|t| t.id).min()?.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    fn sample(id: u64) -> Value {
        json!({
            "id": id as f64,
            "id_str": id.to_string(),
            "full_text": "line one\nline <two> & three",
            "created_at": "Wed Oct 10 20:19:24 +0000 2018",
            "user": {"name": "Ada Lovelace", "screen_name": "ada", "profile_image_url_https": "https://x/a.png"}
        })
    }

    #[test]
    fn ids_above_two_to_the_53_come_from_id_str() {
        let big = (1u64 << 53) + 1;
        let tweets = timeline(&json!([sample(big)])).unwrap();
        assert_eq!(
            tweets[0].id, big,
            "the float `id` would have rounded to 2^53"
        );
    }

    #[test]
    fn timeline_keeps_text_as_is_and_parses_twitter_dates() {
        let tweets = timeline(&json!([sample(5)])).unwrap();
        assert_eq!(tweets[0].text, "line one\nline <two> & three");
        assert_eq!(tweets[0].created_at, datetime!(2018-10-10 20:19:24 UTC));
        assert_eq!(tweets[0].author_screen_name, "ada");
    }

    #[test]
    fn entities_twitter_encodes_are_decoded_exactly_once() {
        let mut t = sample(5);
        t["full_text"] = json!("fish &amp; chips &lt;b&gt; &amp;lt; &copy; & done");
        assert_eq!(
            timeline(&json!([t])).unwrap()[0].text,
            "fish & chips <b> &lt; &copy; & done"
        );
    }

    #[test]
    fn url_entities_are_read_and_malformed_ones_left_out() {
        let mut t = sample(5);
        t["full_text"] = json!("see https://t.co/a and https://t.co/b https://t.co/c");
        t["entities"] = json!({"urls": [
            {"url": "https://t.co/a", "expanded_url": "https://example.com/a",
             "display_url": "example.com/a", "indices": [4, 18]},
            {"url": "https://t.co/b", "indices": [23, 37]},
            {"url": "https://t.co/c", "indices": [-1, 5]},
            {"url": "https://t.co/c", "indices": [5]},
            {"url": "https://t.co/c", "indices": [38, 900]},
            {"url": "https://t.co/c", "indices": [4, 18]},
            {"expanded_url": "https://example.com/e", "indices": [0, 3]},
            "not an entity"
        ]});
        let urls = &timeline(&json!([t])).unwrap()[0].urls;
        assert_eq!(
            urls,
            &[
                TweetUrl {
                    url: "https://t.co/a".into(),
                    expanded_url: Some("https://example.com/a".into()),
                    display_url: Some("example.com/a".into()),
                    start: 4,
                    end: 18,
                },
                TweetUrl {
                    url: "https://t.co/b".into(),
                    expanded_url: None,
                    display_url: None,
                    start: 23,
                    end: 37,
                },
            ]
        );
        assert!(
            timeline(&json!([sample(6)])).unwrap()[0].urls.is_empty(),
            "a tweet without entities has no links"
        );
    }

    #[test]
    fn url_indices_point_into_the_decoded_text() {
        let url = |start: usize, end: usize| json!({"url": "https://t.co/x", "expanded_url": "https://example.com/", "indices": [start, end]});
        let mut t = sample(5);
        // "Zoë & 🦀 " is 8 code points decoded, 12 as sent.
        t["full_text"] = json!("Zoë &amp; 🦀 https://t.co/x!");
        t["entities"] = json!({"urls": [url(8, 22)]});
        let decoded = timeline(&json!([t.clone()])).unwrap().remove(0);
        assert_eq!(decoded.text, "Zoë & 🦀 https://t.co/x!");
        assert_eq!((decoded.urls[0].start, decoded.urls[0].end), (8, 22));

        t["entities"] = json!({"urls": [url(12, 26)]});
        let sent = timeline(&json!([t])).unwrap().remove(0);
        assert_eq!(
            (sent.urls[0].start, sent.urls[0].end),
            (8, 22),
            "indices counted in the text as sent are moved onto the decoded text"
        );
    }

    #[test]
    fn timeline_is_sorted_newest_first() {
        let tweets = timeline(&json!([sample(5), sample(9), sample(7)])).unwrap();
        let ids: Vec<u64> = tweets.iter().map(|t| t.id).collect();
        assert_eq!(ids, [9, 7, 5]);
    }

    #[test]
    fn plain_text_mode_is_accepted_too() {
        let mut t = sample(5);
        t.as_object_mut().unwrap().remove("full_text");
        t["text"] = json!("short");
        assert_eq!(timeline(&json!([t])).unwrap()[0].text, "short");
    }

    #[test]
    fn a_malformed_timeline_is_an_unexpected_response() {
        assert!(matches!(
            timeline(&json!({"errors": []})),
            Err(Error::UnexpectedResponse { .. })
        ));
        assert!(timeline(&json!([{"id_str": "1"}])).is_err());
    }

    #[test]
    fn older_page_starts_below_the_oldest_tweet_of_a_full_page() {
        let full: Vec<Tweet> = (100..100 + u64::from(PAGE_SIZE))
            .map(|id| tweet(&sample(id)).unwrap())
            .collect();
        assert_eq!(older_max_id(&full), Some(99));
        assert_eq!(
            older_max_id(&full[..3]),
            None,
            "a short page is the last one"
        );
    }

    #[test]
    fn profile_uses_id_str_and_screen_name() {
        let p = profile(&json!({
            "id": 1.0, "id_str": "1457812345678901249", "name": "Ada", "screen_name": "ada",
            "email": "ada@example.com", "profile_image_url_https": "https://x/a.png"
        }))
        .unwrap();
        assert_eq!(p.provider_user_id, "1457812345678901249");
        assert_eq!(p.username.as_deref(), Some("ada"));
        assert!(p.email_verified);
    }

    #[test]
    fn profile_without_id_is_refused() {
        assert!(profile(&json!({"name": "x"})).is_err());
    }

    #[test]
    fn timeline_request_pages_with_max_id() {
        let req = timeline_request(Some(42));
        assert!(req.query.contains(&("max_id".into(), "42".into())));
        assert!(
            !timeline_request(None)
                .query
                .iter()
                .any(|(k, _)| k == "max_id")
        );
    }
}
