//! The end-session endpoint (OpenID Connect RP-Initiated Logout 1.0 §2).
//! The browser goes back to `post_logout_redirect_uri` only when that URI is
//! on the site's own origin: anything else would be an open redirect.
//! A `client_id` must be the demo app's, and an `id_token_hint` a token
//! this provider signed for it (expired or not, as §2 allows); each request
//! is recorded for the tests.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use url::Url;

use super::DemoGoogle;
use crate::oauth2_server::consent::MessageView;
use crate::oauth2_server::with_query;

/// The logout request's parameters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LogoutQuery {
    /// The ID token the client holds, naming who to sign out.
    pub id_token_hint: Option<String>,
    /// The client asking.
    pub client_id: Option<String>,
    /// Where to send the browser afterwards.
    pub post_logout_redirect_uri: Option<String>,
    /// Sent back unchanged with the browser.
    pub state: Option<String>,
}

/// What the last accepted end-session request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndSession {
    /// The subject of a valid `id_token_hint`, when one came.
    pub hint_subject: Option<String>,
    /// The `client_id` sent.
    pub client_id: Option<String>,
    /// The `post_logout_redirect_uri` sent.
    pub post_logout_redirect_uri: Option<String>,
    /// The `state` sent.
    pub state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HintClaims {
    sub: String,
}

/// Signs the person out (the demo keeps no session) and sends them back.
pub async fn end_session(
    google: web::Data<DemoGoogle>,
    query: web::Query<LogoutQuery>,
) -> HttpResponse {
    google.server.knobs.count("end_session");
    let server = &google.server;
    if query
        .client_id
        .as_deref()
        .is_some_and(|id| id != server.profile.client_id)
    {
        return server.message(
            StatusCode::BAD_REQUEST,
            "Unknown client",
            "The client_id of this sign-out request is not an app of this provider.",
        );
    }
    let hint_subject = match query.id_token_hint.as_deref() {
        None => None,
        Some(hint) => match hint_subject(&google, hint) {
            Some(sub) => Some(sub),
            None => {
                return server.message(
                    StatusCode::BAD_REQUEST,
                    "Invalid sign-out request",
                    "The id_token_hint is not an ID token this provider issued to that client.",
                );
            }
        },
    };
    google.record_end_session(EndSession {
        hint_subject,
        client_id: query.client_id.clone(),
        post_logout_redirect_uri: query.post_logout_redirect_uri.clone(),
        state: query.state.clone(),
    });
    let back = query
        .post_logout_redirect_uri
        .as_deref()
        .and_then(|uri| Url::parse(uri).ok())
        .filter(|uri| uri.origin() == server.config.app_url.origin());
    match back {
        Some(uri) => {
            let params: Vec<(&str, &str)> = query
                .state
                .as_deref()
                .map(|s| ("state", s))
                .into_iter()
                .collect();
            HttpResponse::Found()
                .insert_header(("Location", with_query(uri.as_str(), &params)))
                .finish()
        }
        None => server.pages.message(
            &MessageView {
                link: Some(server.config.app_url.to_string()),
                link_text: "Back to the site".to_owned(),
                ..server.message_view(
                    "You are signed out",
                    &format!("You are signed out of Demo {}.", server.profile.brand.brand),
                )
            },
            StatusCode::OK,
        ),
    }
}

/// The subject of `hint` when this provider signed it for the demo app.
fn hint_subject(google: &DemoGoogle, hint: &str) -> Option<String> {
    let kid = jsonwebtoken::decode_header(hint).ok()?.kid?;
    let jwks: JwkSet = serde_json::from_value(google.keys.jwks()).ok()?;
    let key = DecodingKey::from_jwk(jwks.find(&kid)?).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    validation.set_audience(&[google.server.profile.client_id]);
    validation.set_issuer(&[google.issuer()]);
    jsonwebtoken::decode::<HintClaims>(hint, &key, &validation)
        .ok()
        .map(|data| data.claims.sub)
}
