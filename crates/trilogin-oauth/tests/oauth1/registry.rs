//! The OAuth 1.0a client behind the registry's one API, as the site calls it.

use async_trait::async_trait;
use trilogin_oauth::config::SignatureType;
use trilogin_oauth::registry::{Client, OAuth};
use trilogin_oauth::{
    ApiRequest, ApiVerbs, Error, OAuth1Token, OAuth2Token, Result, Token, TokenHooks, UpdateOutcome,
};
use wiremock::{MockServer, ResponseTemplate};

use crate::helpers::*;

/// Storage holding at most one person's Twitter token.
struct Stored(Option<OAuth1Token>);

#[async_trait]
impl TokenHooks for Stored {
    async fn fetch_token(&self, client_name: &str) -> Result<Option<Token>> {
        assert_eq!(client_name, "twitter");
        Ok(self.0.clone().map(Token::OAuth1))
    }

    async fn update_token(
        &self,
        _: &str,
        _: &OAuth2Token,
        _: &OAuth2Token,
    ) -> Result<UpdateOutcome> {
        Err(Error::Storage("OAuth 1 tokens are never refreshed".into()))
    }
}

/// A registry holding the mock provider's client as `twitter`.
fn registry(server: &MockServer) -> OAuth {
    let http =
        trilogin_oauth::http::build_client("trilogin-tests", std::time::Duration::from_secs(5))
            .unwrap();
    let mut oauth = OAuth::new(http);
    oauth
        .register(
            "twitter",
            config(server, SignatureType::Header, CONSUMER_SECRET),
        )
        .unwrap();
    oauth
}

#[tokio::test]
async fn a_registered_oauth1_client_logs_in_and_calls_the_api_through_the_registry() {
    let server = provider(1).await;
    mount_timeline(&server, ResponseTemplate::new(200).set_body_string("[]"), 1).await;
    let oauth = registry(&server);
    let twitter = oauth.client("twitter").unwrap();
    assert!(matches!(twitter, Client::OAuth1(_)));
    let session = MemorySession::default();

    let redirect = twitter
        .authorize_redirect(&session, CALLBACK, &[("force_login", "true")])
        .await
        .unwrap();
    let query: Vec<(String, String)> = redirect.query_pairs().into_owned().collect();
    assert!(query.contains(&("oauth_token".into(), REQUEST_TOKEN.into())));
    assert!(query.contains(&("force_login".into(), "true".into())));

    let token = twitter
        .authorize_access_token(&session, &consented())
        .await
        .unwrap();
    let Token::OAuth1(token) = token else {
        panic!("an OAuth 1 client yields OAuth 1 tokens: {token:?}");
    };
    assert_eq!(token.oauth_token.secret(), ACCESS_TOKEN);

    let response = twitter
        .get("statuses/home_timeline.json", &Stored(Some(token)))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_registry_reports_a_person_without_a_twitter_token_as_not_connected() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    let oauth = registry(&server);

    let err = oauth
        .client("twitter")
        .unwrap()
        .get("statuses/home_timeline.json", &Stored(None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotConnected(ref name) if name == "twitter"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_request_that_withholds_the_token_goes_through_the_registry_with_nobody_connected() {
    let server = MockServer::start().await;
    mount_refusal(&server).await;
    mount_public_endpoint(&server, 1).await;
    let oauth = registry(&server);
    let twitter = oauth.client("twitter").unwrap();
    let nobody = Stored(None);
    let public = ApiRequest::get("help/configuration.json");
    assert!(matches!(
        twitter.request(&public, &nobody).await,
        Err(Error::NotConnected(_))
    ));
    let response = twitter
        .request(&public.without_token(), &nobody)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
