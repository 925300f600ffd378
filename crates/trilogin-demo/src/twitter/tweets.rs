//! Tweets and users in Twitter's v1.1 JSON shape, and timeline paging with
//! `count`, `since_id` and `max_id`.

use std::sync::OnceLock;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use super::seed::Tweet;
use crate::people::{PEOPLE, Person};

/// Twitter's `created_at`, e.g. `Wed Oct 10 20:19:24 +0000 2018`.
const CREATED_AT: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second] +0000 [year]"
);

/// Tweets per page when `count` is absent, and the most one page holds.
const DEFAULT_COUNT: usize = 20;
const MAX_COUNT: usize = 200;

/// Classic (non-extended) tweets show at most this many characters.
const COMPAT_LENGTH: usize = 140;

/// The paging parameters of the timeline endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Page {
    /// At most this many tweets (1 to 200; default 20).
    pub count: Option<usize>,
    /// Only tweets with a greater id.
    pub since_id: Option<u64>,
    /// Only tweets with an id less than or equal.
    pub max_id: Option<u64>,
}

/// How to render tweets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rendering {
    /// `tweet_mode=extended`: the whole text as `full_text`.
    pub extended: bool,
    /// `trim_user=true`: the author as ids only.
    pub trim_user: bool,
}

/// A tweet's JSON in each of its four renderings, each serialised the first
/// time it is asked for, so a timeline answer is a concatenation rather than
/// a fresh JSON build per request, and a process that never serves the demo
/// timeline holds none of it.
#[derive(Debug, Default)]
pub struct TweetJson {
    variants: [OnceLock<String>; 4],
}

impl TweetJson {
    /// The JSON text of `tweet` (the one this entry is for) rendered as
    /// asked, with avatars under `avatar_base`.
    pub fn get(&self, tweet: &Tweet, rendering: Rendering, avatar_base: &str) -> &str {
        let index = usize::from(rendering.extended) * 2 + usize::from(rendering.trim_user);
        self.variants.get(index).map_or("", |variant| {
            variant.get_or_init(|| tweet_json(tweet, rendering, avatar_base).to_string())
        })
    }
}

/// The JSON array of the rendered tweets.
pub fn json_array<'a>(tweets: impl Iterator<Item = &'a str>) -> String {
    let mut body = String::from("[");
    for (i, tweet) in tweets.enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(tweet);
    }
    body.push(']');
    body
}

/// The page of `tweets` (newest first) that `page` asks for.
pub fn page<'a>(tweets: impl Iterator<Item = &'a Tweet>, page: Page) -> Vec<&'a Tweet> {
    let count = page.count.unwrap_or(DEFAULT_COUNT).clamp(1, MAX_COUNT);
    tweets
        .filter(|t| page.max_id.is_none_or(|max| t.id <= max))
        .take_while(|t| page.since_id.is_none_or(|since| t.id > since))
        .take(count)
        .collect()
}

/// Formats a time as Twitter's `created_at`.
pub fn created_at(at: OffsetDateTime) -> String {
    at.format(CREATED_AT).unwrap_or_default()
}

/// A tweet object.
pub fn tweet_json(tweet: &Tweet, rendering: Rendering, avatar_base: &str) -> Value {
    let length = tweet.text.chars().count();
    let mut value = json!({
        "created_at": created_at(tweet.created_at),
        "id": tweet.id,
        "id_str": tweet.id.to_string(),
        "source": "<a href=\"https://example.com/trilogin\" rel=\"nofollow\">Demo Twitter Web App</a>",
        "in_reply_to_status_id": null,
        "in_reply_to_status_id_str": null,
        "in_reply_to_user_id": null,
        "in_reply_to_user_id_str": null,
        "in_reply_to_screen_name": null,
        "user": if rendering.trim_user {
            json!({"id": tweet.author.twitter_id, "id_str": tweet.author.twitter_id.to_string()})
        } else {
            user_json(tweet.author, avatar_base, None)
        },
        "geo": null,
        "coordinates": null,
        "place": null,
        "contributors": null,
        "is_quote_status": false,
        "retweet_count": tweet.retweet_count,
        "favorite_count": tweet.favorite_count,
        "favorited": false,
        "retweeted": false,
        "lang": "en",
    });
    if rendering.extended {
        value["full_text"] = json!(html_encode(&tweet.text));
        value["truncated"] = json!(false);
        value["display_text_range"] = json!([0, length]);
        value["entities"] = entities(&tweet.text);
    } else if length > COMPAT_LENGTH {
        // Classic mode cuts long tweets, as Twitter does for clients that do
        // not ask for `tweet_mode=extended`.
        let cut: String = tweet.text.chars().take(COMPAT_LENGTH - 1).collect();
        let text = format!("{cut}…");
        value["entities"] = entities(&text);
        value["text"] = json!(html_encode(&text));
        value["truncated"] = json!(true);
    } else {
        value["text"] = json!(html_encode(&tweet.text));
        value["truncated"] = json!(false);
        value["entities"] = entities(&tweet.text);
    }
    value
}

/// Twitter sends tweet text with exactly `&`, `<` and `>` encoded as HTML
/// entities, so clients must decode them once before escaping for display.
fn html_encode(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A user object; `email` only when the caller may see it (`include_email`).
pub fn user_json(person: &Person, avatar_base: &str, email: Option<&str>) -> Value {
    let avatar = format!("{avatar_base}{}.svg", person.key);
    let mut value = json!({
        "id": person.twitter_id,
        "id_str": person.twitter_id.to_string(),
        "name": person.name,
        "screen_name": person.twitter_screen_name,
        "location": person.location,
        "description": person.bio,
        "url": null,
        "entities": {"description": {"urls": []}},
        "protected": false,
        "followers_count": 1_000 + person.twitter_id % 9_000,
        "friends_count": 100 + person.twitter_id % 400,
        "listed_count": 12,
        "created_at": "Tue Mar 21 20:50:14 +0000 2006",
        "favourites_count": 321,
        "verified": false,
        "statuses_count": super::seed::TWEETS_PER_PERSON,
        "lang": null,
        "profile_image_url": avatar,
        "profile_image_url_https": avatar,
        "default_profile": true,
        "default_profile_image": false,
    });
    if let Some(email) = email {
        value["email"] = json!(email);
    }
    value
}

/// Twitter's `entities`: hashtags, mentions and URLs, with `indices` in
/// Unicode code points as Twitter counts them.
fn entities(text: &str) -> Value {
    let chars: Vec<char> = text.chars().collect();
    let mut hashtags = Vec::new();
    let mut mentions = Vec::new();
    let mut urls = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at_word_start = i == 0 || !is_word(chars[i - 1]);
        let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
        if rest.starts_with("https://") || rest.starts_with("http://") {
            let end = scan(&chars, i, |c| !c.is_whitespace());
            let end = trim_url_end(&chars[i..end]) + i;
            let url: String = chars[i..end].iter().collect();
            let display = url
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            urls.push(json!({
                "url": url,
                "expanded_url": url,
                "display_url": display,
                "indices": [i, end],
            }));
            i = end;
            continue;
        }
        if at_word_start && (chars[i] == '#' || chars[i] == '@') {
            let end = scan(&chars, i + 1, is_word);
            if end > i + 1 {
                let word: String = chars[i + 1..end].iter().collect();
                if chars[i] == '#' {
                    hashtags.push(json!({"text": word, "indices": [i, end]}));
                } else if let Some(person) = PEOPLE.iter().find(|p| p.twitter_screen_name == word) {
                    mentions.push(json!({
                        "screen_name": person.twitter_screen_name,
                        "name": person.name,
                        "id": person.twitter_id,
                        "id_str": person.twitter_id.to_string(),
                        "indices": [i, end],
                    }));
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    json!({"hashtags": hashtags, "symbols": [], "user_mentions": mentions, "urls": urls})
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn scan(chars: &[char], from: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[from..]
        .iter()
        .position(|c| !keep(*c))
        .map_or(chars.len(), |p| from + p)
}

/// The length of a URL without the sentence punctuation after it; a
/// closing parenthesis stays when the URL opened one, as in Wikipedia links.
fn trim_url_end(url: &[char]) -> usize {
    let mut end = url.len();
    while let Some(&last) = end.checked_sub(1).and_then(|i| url.get(i)) {
        let opened = url[..end].iter().filter(|c| **c == '(').count();
        let closed = url[..end].iter().filter(|c| **c == ')').count();
        let unbalanced_paren = last == ')' && closed > opened;
        if !(matches!(last, '.' | ',' | '!' | '?' | ':' | ';') || unbalanced_paren) {
            break;
        }
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twitter::seed::timelines;
    use time::macros::datetime;

    #[test]
    fn created_at_is_in_twitters_format() {
        assert_eq!(
            created_at(datetime!(2018-10-10 20:19:24 UTC)),
            "Wed Oct 10 20:19:24 +0000 2018"
        );
        assert_eq!(
            created_at(datetime!(2017-04-06 05:04:03 UTC)),
            "Thu Apr 06 05:04:03 +0000 2017"
        );
    }

    #[test]
    fn paging_follows_count_since_id_and_max_id() {
        let all = timelines();
        let tweets = &all[0];
        let first = page(tweets.iter(), Page::default());
        assert_eq!(first.len(), DEFAULT_COUNT);
        assert_eq!(first[0].id, tweets[0].id);

        let next = page(
            tweets.iter(),
            Page {
                count: Some(5),
                max_id: Some(first[19].id - 1),
                ..Page::default()
            },
        );
        assert_eq!(next[0].id, tweets[20].id);
        assert_eq!(next.len(), 5);

        let newer = page(
            tweets.iter(),
            Page {
                since_id: Some(tweets[3].id),
                ..Page::default()
            },
        );
        assert_eq!(
            newer.iter().map(|t| t.id).collect::<Vec<_>>(),
            [tweets[0].id, tweets[1].id, tweets[2].id]
        );
        let huge = page(
            tweets.iter(),
            Page {
                count: Some(10_000),
                ..Page::default()
            },
        );
        assert_eq!(huge.len(), tweets.len());
    }

    #[test]
    fn entities_use_code_point_indices() {
        let value = entities("Zoë #ünï and @zoe_om: https://example.net/x. #");
        assert_eq!(value["hashtags"][0]["text"], "ünï");
        assert_eq!(value["hashtags"][0]["indices"], json!([4, 8]));
        assert_eq!(value["user_mentions"][0]["id_str"], "1457812345678901251");
        assert_eq!(value["user_mentions"][0]["indices"], json!([13, 20]));
        assert_eq!(value["urls"][0]["url"], "https://example.net/x");
        assert_eq!(value["urls"][0]["display_url"], "example.net/x");
        assert_eq!(value["urls"][0]["indices"], json!([22, 43]));
        assert_eq!(value["hashtags"].as_array().unwrap().len(), 1);

        let value = entities("(see https://example.net/a_(b)), or https://example.net/c).");
        assert_eq!(value["urls"][0]["url"], "https://example.net/a_(b)");
        assert_eq!(value["urls"][1]["url"], "https://example.net/c");
    }

    #[test]
    fn classic_mode_cuts_long_tweets_and_extended_mode_does_not() {
        let all = timelines();
        let long = all
            .iter()
            .flatten()
            .find(|t| t.text.chars().count() > COMPAT_LENGTH)
            .unwrap();
        let classic = tweet_json(long, Rendering::default(), "/a/");
        assert_eq!(classic["truncated"], true);
        assert_eq!(
            classic["text"].as_str().unwrap().chars().count(),
            COMPAT_LENGTH
        );
        let extended = tweet_json(
            long,
            Rendering {
                extended: true,
                trim_user: true,
            },
            "/a/",
        );
        assert_eq!(extended["full_text"], long.text.as_str());
        assert_eq!(
            extended["user"]["id_str"],
            long.author.twitter_id.to_string()
        );
        assert!(extended["user"].get("name").is_none());
        assert_eq!(extended["id_str"], long.id.to_string());
    }

    #[test]
    fn rendered_tweets_match_a_fresh_rendering() {
        let all = timelines();
        let tweet = &all[2][0];
        let json = TweetJson::default();
        for (extended, trim_user) in [(false, false), (false, true), (true, false), (true, true)] {
            let rendering = Rendering {
                extended,
                trim_user,
            };
            let parsed: Value = serde_json::from_str(json.get(tweet, rendering, "/a/")).unwrap();
            assert_eq!(parsed, tweet_json(tweet, rendering, "/a/"));
        }
        let array = json_array([json.get(tweet, Rendering::default(), "/a/"); 2].into_iter());
        let parsed: Vec<Value> = serde_json::from_str(&array).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(json_array(std::iter::empty()), "[]");
    }
}
