//! The consent page ([RFC 5849 §2.2](https://www.rfc-editor.org/rfc/rfc5849#section-2.2)):
//! the person picks a demo account and authorizes or denies the app.
//!
//! Plain HTML forms; a small script only keeps a form from being sent
//! twice. The form carries a consent id bound on the server to the request
//! token, so no other page can submit a decision for it (cross-site request
//! forgery). The id is answered once; the same answer sent again within a
//! few seconds gets the same redirect.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tera::{Context, Tera};
use url::Url;

use super::state::{ConsentOutcome, Decision, GrantError};
use super::{DemoTwitter, now};
use crate::oauth2_server::site_home;
use crate::people::{self, PEOPLE};

const CONSENT: &str = "demo/twitter/consent.html";
const MESSAGE: &str = "demo/twitter/message.html";
/// A person's profile page.
pub const PROFILE: &str = "demo/twitter/profile.html";
/// A Tweet's page.
pub const TWEET: &str = "demo/twitter/tweet.html";

/// The page templates, compiled once at start; autoescaped as HTML.
pub fn templates() -> anyhow::Result<Tera> {
    let mut tera = Tera::default();
    tera.add_raw_templates([
        (
            "demo/twitter/base.html",
            include_str!("../../templates/twitter/base.html"),
        ),
        (
            CONSENT,
            include_str!("../../templates/twitter/consent.html"),
        ),
        (
            MESSAGE,
            include_str!("../../templates/twitter/message.html"),
        ),
        (
            PROFILE,
            include_str!("../../templates/twitter/profile.html"),
        ),
        (TWEET, include_str!("../../templates/twitter/tweet.html")),
    ])?;
    tera.autoescape_on(vec![".html"]);
    Ok(tera)
}

/// The query of `GET oauth/authenticate` and `GET oauth/authorize`.
#[derive(Debug, Deserialize)]
pub struct ConsentQuery {
    oauth_token: Option<String>,
    /// Preselects this demo account, as Twitter pre-fills its login form.
    screen_name: Option<String>,
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    oauth_token: String,
    consent_id: String,
    /// `authorize` or `deny`: the button pressed.
    decision: String,
    /// The chosen person's key; not sent when denying.
    person: Option<String>,
}

#[derive(Serialize)]
struct ConsentView<'a> {
    app_name: &'a str,
    callback_host: String,
    oauth_token: &'a str,
    consent_id: &'a str,
    people: Vec<PersonView<'a>>,
}

#[derive(Serialize)]
struct PersonView<'a> {
    key: &'a str,
    name: &'a str,
    screen_name: &'a str,
    checked: bool,
}

#[derive(Serialize)]
struct MessageView<'a> {
    title: &'a str,
    message: &'a str,
    /// The site's home page, where a page with no way forward links back to.
    home: Option<String>,
}

/// `GET oauth/authenticate` and `GET oauth/authorize`: the consent page.
pub async fn show(
    twitter: web::Data<DemoTwitter>,
    query: web::Query<ConsentQuery>,
) -> HttpResponse {
    twitter.enter("authorize").await;
    let token = query.oauth_token.as_deref().unwrap_or_default();
    let Some(pending) = twitter.state.request_token(token, now()) else {
        return invalid_token_page(&twitter);
    };
    let Ok(consent_id) = twitter.state.open_consent(token, now()) else {
        return invalid_token_page(&twitter);
    };
    let preselected = query
        .screen_name
        .as_deref()
        .and_then(|name| PEOPLE.iter().position(|p| p.twitter_screen_name == name))
        .unwrap_or(0);
    let view = ConsentView {
        app_name: "trilogin",
        callback_host: Url::parse(&pending.callback)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        oauth_token: token,
        consent_id: &consent_id,
        people: PEOPLE
            .iter()
            .enumerate()
            .map(|(i, person)| PersonView {
                key: person.key,
                name: person.name,
                screen_name: person.twitter_screen_name,
                checked: i == preselected,
            })
            .collect(),
    };
    render(&twitter, StatusCode::OK, CONSENT, &view)
}

/// `POST oauth/authorize`: the decision, then back to the app's callback.
pub async fn decide(
    twitter: web::Data<DemoTwitter>,
    form: web::Form<DecisionForm>,
) -> HttpResponse {
    twitter.enter("authorize").await;
    let decision = match (form.decision.as_str(), form.person.as_deref()) {
        ("deny", _) => Decision::Deny,
        ("authorize", Some(key)) => match people::find(key) {
            Some(person) => Decision::Authorize(person),
            None => return bad_form(&twitter),
        },
        _ => return bad_form(&twitter),
    };
    let outcome = twitter
        .state
        .decide(&form.oauth_token, &form.consent_id, decision, now());
    let (callback, params) = match outcome {
        Ok(ConsentOutcome::Authorized { callback, verifier }) => (
            callback,
            vec![
                ("oauth_token", form.oauth_token.clone()),
                ("oauth_verifier", verifier),
            ],
        ),
        // Twitter's answer to "Cancel": the callback with `denied`.
        Ok(ConsentOutcome::Denied { callback }) => {
            (callback, vec![("denied", form.oauth_token.clone())])
        }
        Err(GrantError::ConsentMismatch) => {
            return message(
                &twitter,
                StatusCode::FORBIDDEN,
                "This form is not valid",
                "The authorization form does not belong to this request. Go back to the app and start again.",
            );
        }
        Err(_) => return invalid_token_page(&twitter),
    };
    let Ok(mut location) = Url::parse(&callback) else {
        return invalid_token_page(&twitter);
    };
    location.query_pairs_mut().extend_pairs(params);
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.as_str()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn invalid_token_page(twitter: &DemoTwitter) -> HttpResponse {
    message_home(
        twitter,
        StatusCode::BAD_REQUEST,
        "Whoa there!",
        "The request token for this page is invalid. It may have already been used, or expired because it is too old. Please go back to the site or application that sent you here and try again; it was probably just a mistake.",
    )
}

/// A message page with a link back to the site's home page, for pages
/// with no other way forward.
pub fn message_home(
    twitter: &DemoTwitter,
    status: StatusCode,
    title: &str,
    message: &str,
) -> HttpResponse {
    let view = MessageView {
        title,
        message,
        home: Some(site_home(&twitter.config)),
    };
    render(twitter, status, MESSAGE, &view)
}

fn bad_form(twitter: &DemoTwitter) -> HttpResponse {
    message(
        twitter,
        StatusCode::BAD_REQUEST,
        "Choose an account",
        "Pick one of the demo accounts, then press Authorize app or Cancel.",
    )
}

fn message(twitter: &DemoTwitter, status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let view = MessageView {
        title,
        message,
        home: None,
    };
    render(twitter, status, MESSAGE, &view)
}

/// Renders one of the page templates with `status`.
pub fn render(
    twitter: &DemoTwitter,
    status: StatusCode,
    template: &str,
    view: &impl Serialize,
) -> HttpResponse {
    let page =
        Context::from_serialize(view).and_then(|context| twitter.pages.render(template, &context));
    match page {
        Ok(html) => HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            // Nobody may frame the consent page and trick a click on Authorize.
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .body(html),
        Err(error) => {
            tracing::error!(%error, template, "demo Twitter page failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_what_they_show() {
        let tera = templates().unwrap();
        let view = MessageView {
            title: "<script>alert(\"x\")</script>",
            message: "&amp;",
            home: Some("http://a.test/\"><b>".into()),
        };
        let html = tera
            .render(MESSAGE, &Context::from_serialize(&view).unwrap())
            .unwrap();
        assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;&#x2F;script&gt;"));
        assert!(html.contains("&amp;amp;"));
        assert!(html.contains("href=\"http:&#x2F;&#x2F;a.test&#x2F;&quot;&gt;&lt;b&gt;\""));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<style"));
    }
}
