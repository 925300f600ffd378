//! The v1.1 API endpoints, each signed with an access token: the account
//! and two timelines.

use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, web};

use super::DemoTwitter;
use super::auth::{Authenticated, Credential};
use super::errors::TwitterError;
use super::signed_request::SignedRequest;
use super::tweets::{self, Page, Rendering};
use crate::people::{PEOPLE, Person};

/// `GET 1.1/account/verify_credentials.json`: the person the token belongs
/// to; the e-mail address only with `include_email=true`.
pub async fn verify_credentials(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("verify_credentials").await;
    let signed = twitter.authenticate(&req, &body, Credential::AccessToken)?;
    let person = owner(&signed)?;
    let request = &signed.request;
    let email = flag(request, "include_email").then_some(person.email);
    let avatars = super::avatar_base(&twitter.config);
    let mut user = tweets::user_json(person, &avatars, email);
    if !flag(request, "skip_status")
        && let Some(latest) = twitter.timeline_of(person).first()
    {
        let mut status = tweets::tweet_json(latest, rendering(request), &avatars);
        if let Some(object) = status.as_object_mut() {
            object.remove("user");
        }
        user["status"] = status;
    }
    Ok(HttpResponse::Ok().json(user))
}

/// `GET 1.1/statuses/user_timeline.json`: one person's tweets, by `user_id`
/// or `screen_name`, the caller's own by default.
pub async fn user_timeline(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("user_timeline").await;
    let signed = twitter.authenticate(&req, &body, Credential::AccessToken)?;
    let request = &signed.request;
    let person = match (request.param("user_id"), request.param("screen_name")) {
        (Some(id), _) => PEOPLE
            .iter()
            .find(|p| p.twitter_id.to_string() == id)
            .ok_or(TwitterError::PageDoesNotExist)?,
        (None, Some(name)) => PEOPLE
            .iter()
            .find(|p| p.twitter_screen_name.eq_ignore_ascii_case(name))
            .ok_or(TwitterError::PageDoesNotExist)?,
        (None, None) => owner(&signed)?,
    };
    let page = tweets::page(twitter.timeline_of(person).iter(), paging(request)?);
    Ok(timeline_response(&twitter, &page, rendering(request)))
}

/// `GET 1.1/statuses/home_timeline.json`: everyone the person follows (all
/// three demo people), newest first.
pub async fn home_timeline(
    twitter: web::Data<DemoTwitter>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, TwitterError> {
    twitter.enter("home_timeline").await;
    let signed = twitter.authenticate(&req, &body, Credential::AccessToken)?;
    owner(&signed)?;
    let request = &signed.request;
    let page = tweets::page(twitter.home.iter(), paging(request)?);
    Ok(timeline_response(&twitter, &page, rendering(request)))
}

impl DemoTwitter {
    /// `person`'s Tweets, newest first.
    pub(super) fn timeline_of(&self, person: &Person) -> &[super::seed::Tweet] {
        PEOPLE
            .iter()
            .position(|p| p.key == person.key)
            .and_then(|i| self.timelines.get(i))
            .map_or(&[], Vec::as_slice)
    }
}

fn timeline_response(
    twitter: &DemoTwitter,
    page: &[&super::seed::Tweet],
    rendering: Rendering,
) -> HttpResponse {
    let body = tweets::json_array(page.iter().filter_map(|tweet| {
        let rendered = twitter.rendered.get(&tweet.id)?;
        Some(rendered.get(tweet, rendering, &twitter.avatars))
    }));
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// The person behind the access token the request was signed with.
fn owner(signed: &Authenticated) -> Result<&'static Person, TwitterError> {
    signed
        .access
        .as_ref()
        .and_then(|(_, grant)| grant.person())
        .ok_or(TwitterError::InvalidOrExpiredToken)
}

/// `count`, `since_id` and `max_id`; a value that is not a number is refused.
fn paging(request: &SignedRequest) -> Result<Page, TwitterError> {
    let number = |name| {
        request
            .param(name)
            .map(|v| v.parse::<u64>().map_err(|_| TwitterError::InvalidParameter))
            .transpose()
    };
    Ok(Page {
        count: number("count")?.map(|c| usize::try_from(c).unwrap_or(usize::MAX)),
        since_id: number("since_id")?,
        max_id: number("max_id")?,
    })
}

fn rendering(request: &SignedRequest) -> Rendering {
    Rendering {
        extended: request.param("tweet_mode") == Some("extended"),
        trim_user: flag(request, "trim_user"),
    }
}

/// Twitter's boolean parameters: `true`, `t` or `1`.
fn flag(request: &SignedRequest, name: &str) -> bool {
    matches!(request.param(name), Some("true" | "t" | "1"))
}
