//! The client against the built-in demo Twitter, whose signature checks
//! were written separately: the two implementations of RFC 5849 must agree.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::{App, HttpServer};
use trilogin::demo_mount::demo_preset;
use trilogin_accounts::Provider;
use trilogin_accounts::providers::twitter;
use trilogin_demo::{DemoConfig, DemoProviders};
use trilogin_oauth::config::{SignatureMethod, SignatureType};
use trilogin_oauth::oauth1::OAuth1Client;
use trilogin_oauth::{Error, OAuth1Token};
use url::Url;

use trilogin_oauth::session::MemoryLoginSession as MemorySession;

struct DemoTwitter {
    config: DemoConfig,
    browser: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    _data_dir: tempfile::TempDir,
}

async fn spawn() -> DemoTwitter {
    let data_dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = DemoConfig {
        app_url: Url::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        data_dir: data_dir.path().to_path_buf(),
        access_token_ttl: Duration::from_secs(3600),
        refresh_token_ttl: Duration::from_secs(86_400),
    };
    let providers = DemoProviders::new(&config, &["twitter"]).unwrap();
    let server = HttpServer::new(move || {
        let providers = providers.clone();
        App::new().configure(move |cfg| providers.configure(cfg))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    DemoTwitter {
        config,
        browser: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        handle,
        _data_dir: data_dir,
    }
}

impl DemoTwitter {
    fn client(&self, signature_type: SignatureType, method: SignatureMethod) -> OAuth1Client {
        let mut config = demo_preset(Provider::Twitter, &self.config);
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
        let html = self.browser.get(authorize.clone()).send().await.unwrap();
        assert_eq!(html.status(), 200, "consent page");
        let html = html.text().await.unwrap();
        let marker = "name=\"consent_id\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let consent_id = &html[start..start + html[start..].find('"').unwrap()];
        let token = authorize
            .query_pairs()
            .find(|(k, _)| k == "oauth_token")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let mut decide = authorize.clone();
        decide.set_path(&authorize.path().replace("authenticate", "authorize"));
        decide.set_query(None);
        let response = self
            .browser
            .post(decide)
            .form(&[
                ("oauth_token", token.as_str()),
                ("consent_id", consent_id),
                ("decision", decision),
                ("person", person),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "consent decision");
        let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(
            location
                .as_str()
                .starts_with(&self.config.redirect_uri("twitter")),
            "{location}"
        );
        location.query_pairs().into_owned().collect()
    }

    async fn login(&self, client: &OAuth1Client, decision: &str) -> Result<OAuth1Token, Error> {
        let session = MemorySession::default();
        let authorize = client
            .authorize_redirect(&session, &self.config.redirect_uri("twitter"))
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
    demo.handle.stop(true).await;
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
    demo.handle.stop(true).await;
}

#[tokio::test]
async fn the_demo_twitter_refuses_a_client_with_the_wrong_secret() {
    let demo = spawn().await;
    let mut config = demo_preset(Provider::Twitter, &demo.config);
    config.client_secret = Some(trilogin_oauth::secret::ClientSecret::new("wrong"));
    let http =
        trilogin_oauth::http::build_client("trilogin-tests", Duration::from_secs(5)).unwrap();
    let client = OAuth1Client::new("twitter", config, http).unwrap();
    let err = client
        .authorize_redirect(
            &MemorySession::default(),
            &demo.config.redirect_uri("twitter"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Provider { status: 401, .. }),
        "{err:?}"
    );
    demo.handle.stop(true).await;
}
