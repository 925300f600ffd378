//! The client against the built-in demo Twitter, whose signature checks
//! were written separately: the two implementations of RFC 5849 must agree.

use std::collections::BTreeMap;
use std::time::Duration;

use trilogin::demo_mount::demo_preset;
use trilogin_accounts::Provider;
use trilogin_accounts::providers::twitter;
use trilogin_demo::testing::{DemoServer, consent_id, location};
use trilogin_oauth::config::{SignatureMethod, SignatureType};
use trilogin_oauth::oauth1::OAuth1Client;
use trilogin_oauth::{Error, OAuth1Token};
use url::Url;

use trilogin_oauth::session::MemoryLoginSession as MemorySession;

/// Demo Twitter alone, and the steps of a login through its consent page.
struct DemoTwitter {
    server: DemoServer,
}

async fn spawn() -> DemoTwitter {
    DemoTwitter {
        server: DemoServer::start(&["twitter"]).await,
    }
}

impl DemoTwitter {
    fn client(&self, signature_type: SignatureType, method: SignatureMethod) -> OAuth1Client {
        let mut config = demo_preset(Provider::Twitter, &self.server.config);
        config.signature_type = signature_type;
        config.signature_method = method;
        let http =
            trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap();
        OAuth1Client::new("twitter", config, http).unwrap()
    }

    /// The person's part: the consent page, then `decision` as `person`;
    /// returns the callback's query.
    async fn consent(
        &self,
        authorize: Url,
        decision: &str,
        person: &str,
    ) -> BTreeMap<String, String> {
        let html = self
            .server
            .client
            .get(authorize.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(html.status(), 200, "consent page");
        let html = html.text().await.unwrap();
        let consent_id = consent_id(&html);
        let token = authorize
            .query_pairs()
            .find(|(k, _)| k == "oauth_token")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let mut decide = authorize.clone();
        decide.set_path(&authorize.path().replace("authenticate", "authorize"));
        decide.set_query(None);
        let response = self
            .server
            .client
            .post(decide)
            .form(&[
                ("oauth_token", token.as_str()),
                ("consent_id", consent_id.as_str()),
                ("decision", decision),
                ("person", person),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "consent decision");
        let location = location(&response);
        assert!(
            location
                .as_str()
                .starts_with(&self.server.redirect_uri("twitter")),
            "{location}"
        );
        location.query_pairs().into_owned().collect()
    }

    async fn login(&self, client: &OAuth1Client, decision: &str) -> Result<OAuth1Token, Error> {
        let session = MemorySession::default();
        let authorize = client
            .authorize_redirect(&session, &self.server.redirect_uri("twitter"))
            .await?;
        let callback = self.consent(authorize, decision, "ada").await;
        client.authorize_access_token(&session, &callback).await
    }
}

async fn logs_in_and_reads_the_account(signature_type: SignatureType, method: SignatureMethod) {
    let demo = spawn().await;
    let client = demo.client(signature_type, method);
    let token = demo.login(&client, "authorize").await.unwrap();
    assert!(token.extra.contains_key("user_id"), "{:?}", token.extra);
    assert!(token.extra.contains_key("screen_name"), "{:?}", token.extra);

    let response = client
        .request(&twitter::credentials_request(), &token)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let account: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        account["screen_name"].as_str(),
        token.extra.get("screen_name").map(String::as_str)
    );
    let timeline = client
        .request(&twitter::timeline_request(None), &token)
        .await
        .unwrap();
    assert_eq!(timeline.status(), 200);
    demo.server.stop().await;
}

#[tokio::test]
async fn the_demo_twitter_accepts_header_signatures() {
    logs_in_and_reads_the_account(SignatureType::Header, SignatureMethod::HmacSha1).await;
}

#[tokio::test]
async fn the_demo_twitter_accepts_query_signatures() {
    logs_in_and_reads_the_account(SignatureType::Query, SignatureMethod::HmacSha1).await;
}

#[tokio::test]
async fn the_demo_twitter_accepts_hmac_sha256_signatures() {
    logs_in_and_reads_the_account(SignatureType::Header, SignatureMethod::HmacSha256).await;
}

#[tokio::test]
async fn declining_at_the_demo_twitter_is_access_denied() {
    let demo = spawn().await;
    let client = demo.client(SignatureType::Header, SignatureMethod::HmacSha1);
    let err = demo.login(&client, "deny").await.unwrap_err();
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    demo.server.stop().await;
}

#[tokio::test]
async fn the_demo_twitter_refuses_a_client_with_the_wrong_secret() {
    let demo = spawn().await;
    let mut config = demo_preset(Provider::Twitter, &demo.server.config);
    config.client_secret = Some(trilogin_oauth::secret::ClientSecret::new("wrong"));
    let http =
        trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap();
    let client = OAuth1Client::new("twitter", config, http).unwrap();
    let err = client
        .authorize_redirect(
            &MemorySession::default(),
            &demo.server.redirect_uri("twitter"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { status: 401, .. }),
        "{err:?}"
    );
    demo.server.stop().await;
}
