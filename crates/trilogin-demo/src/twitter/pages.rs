//! The web pages of demo Twitter: each person's profile
//! (`/{screen_name}`) and each Tweet (`/{screen_name}/status/{id}`), at the
//! addresses Twitter gives them, built from the `screen_name` and `id_str`
//! of the API's answers. Any other path outside the API gets a not-found
//! page, and an unknown API path Twitter's JSON error 34.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;

use super::DemoTwitter;
use super::consent::{PROFILE, TWEET, message_home, render};
use super::errors::TwitterError;
use super::seed::Tweet;
use super::tweets::created_at;
use crate::oauth2_server::site_home;
use crate::people::{PEOPLE, Person};

/// How many of a person's Tweets their profile shows.
const PROFILE_TWEETS: usize = 10;

#[derive(Serialize)]
struct ProfileView<'a> {
    key: &'a str,
    name: &'a str,
    screen_name: &'a str,
    bio: &'a str,
    location: &'a str,
    tweet_count: usize,
    tweets: Vec<TweetLink<'a>>,
    home: String,
}

#[derive(Serialize)]
struct TweetLink<'a> {
    text: &'a str,
    url: String,
    created_at: String,
}

#[derive(Serialize)]
struct TweetView<'a> {
    key: &'a str,
    name: &'a str,
    screen_name: &'a str,
    profile_url: String,
    text: &'a str,
    created_at: String,
    retweets: u64,
    likes: u64,
    home: String,
}

/// Every path under `/_demo/twitter/` that no endpoint serves.
pub async fn page(twitter: web::Data<DemoTwitter>, req: HttpRequest) -> HttpResponse {
    let rest = req
        .path()
        .strip_prefix("/_demo/twitter/")
        .unwrap_or_default();
    if ["1.1", "oauth"]
        .iter()
        .any(|api| rest == *api || rest.starts_with(&format!("{api}/")))
    {
        return TwitterError::PageDoesNotExist.error_response();
    }
    let found = if matches!(*req.method(), Method::GET | Method::HEAD) {
        match rest.trim_end_matches('/').split('/').collect::<Vec<_>>()[..] {
            [screen_name] => person(screen_name).map(|person| profile(&twitter, person)),
            [screen_name, "status", id] => person(screen_name)
                .and_then(|person| find_tweet(&twitter, person, id))
                .map(|tweet| status(&twitter, tweet)),
            _ => None,
        }
    } else {
        None
    };
    found.unwrap_or_else(|| {
        message_home(
            &twitter,
            StatusCode::NOT_FOUND,
            "Sorry, that page doesn’t exist!",
            "There is no page at this address at demo Twitter.",
        )
    })
}

fn person(screen_name: &str) -> Option<&'static Person> {
    // Twitter's screen names are case-insensitive in addresses.
    PEOPLE
        .iter()
        .find(|p| p.twitter_screen_name.eq_ignore_ascii_case(screen_name))
}

fn find_tweet<'a>(twitter: &'a DemoTwitter, person: &Person, id: &str) -> Option<&'a Tweet> {
    let id: u64 = id.parse().ok()?;
    twitter
        .timeline_of(person)
        .iter()
        .find(|tweet| tweet.id == id)
}

fn tweet_url(twitter: &DemoTwitter, tweet: &Tweet) -> String {
    format!(
        "{}{}/status/{}",
        twitter.config.provider_url("twitter"),
        tweet.author.twitter_screen_name,
        tweet.id
    )
}

fn profile(twitter: &DemoTwitter, person: &'static Person) -> HttpResponse {
    let timeline = twitter.timeline_of(person);
    let view = ProfileView {
        key: person.key,
        name: person.name,
        screen_name: person.twitter_screen_name,
        bio: person.bio,
        location: person.location,
        tweet_count: timeline.len(),
        tweets: timeline
            .iter()
            .take(PROFILE_TWEETS)
            .map(|tweet| TweetLink {
                text: &tweet.text,
                url: tweet_url(twitter, tweet),
                created_at: created_at(tweet.created_at),
            })
            .collect(),
        home: site_home(&twitter.config),
    };
    render(twitter, StatusCode::OK, PROFILE, &view)
}

fn status(twitter: &DemoTwitter, tweet: &Tweet) -> HttpResponse {
    let author = tweet.author;
    let view = TweetView {
        key: author.key,
        name: author.name,
        screen_name: author.twitter_screen_name,
        profile_url: format!(
            "{}{}",
            twitter.config.provider_url("twitter"),
            author.twitter_screen_name
        ),
        text: &tweet.text,
        created_at: created_at(tweet.created_at),
        retweets: tweet.retweet_count,
        likes: tweet.favorite_count,
        home: site_home(&twitter.config),
    };
    render(twitter, StatusCode::OK, TWEET, &view)
}
