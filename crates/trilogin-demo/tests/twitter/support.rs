//! A demo Twitter on a random loopback port, a plain HTTP client, and a
//! minimal OAuth 1.0a signer (RFC 5849 §3.4) of the tests' own.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng as _;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use trilogin_demo::testing::{DemoServer, consent_id};
use trilogin_demo::twitter::DemoTwitter;
use trilogin_demo::{TWITTER_CLIENT_ID, TWITTER_CLIENT_SECRET};
use url::Url;

/// A running demo Twitter.
pub struct TestServer {
    demo: DemoServer,
    /// `http://127.0.0.1:{port}`, the site's public URL.
    pub app_url: String,
    /// A client that does not follow redirects.
    pub client: reqwest::Client,
    /// The registered callback.
    pub callback: String,
}

impl TestServer {
    fn new(demo: DemoServer) -> Self {
        Self {
            app_url: demo.url(""),
            client: demo.client.clone(),
            callback: demo.redirect_uri("twitter"),
            demo,
        }
    }

    /// The URL of a demo Twitter path, e.g. `oauth/request_token`.
    pub fn url(&self, path: &str) -> String {
        self.demo.url(&format!("/_demo/twitter/{path}"))
    }

    /// The provider, for its knobs.
    pub fn twitter(&self) -> &DemoTwitter {
        self.demo.twitter()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.demo.stop().await;
    }
}

/// Starts demo Twitter with a fresh data directory.
pub async fn spawn() -> TestServer {
    TestServer::new(DemoServer::start(&["twitter"]).await)
}

/// Starts demo Twitter on `data_dir`.
pub async fn spawn_in(data_dir: &Path) -> TestServer {
    TestServer::new(DemoServer::start_on(&["twitter"], data_dir).await)
}

/// Where the OAuth parameters travel (RFC 5849 §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// `Authorization: OAuth ...`.
    Header,
    /// The query string.
    Query,
    /// A form-encoded body (POST only).
    Body,
}

/// A test request signer.
#[derive(Clone)]
pub struct Signer {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: Option<String>,
    pub token_secret: String,
    pub method: &'static str,
    pub rsa_key: Option<RsaPrivateKey>,
    pub placement: Placement,
    /// Fixed timestamp; the current time when `None`.
    pub timestamp: Option<i64>,
    /// Fixed nonce; a random one when `None`.
    pub nonce: Option<String>,
}

impl Signer {
    /// The demo consumer, HMAC-SHA1, parameters in the header.
    pub fn consumer() -> Self {
        Self {
            consumer_key: TWITTER_CLIENT_ID.to_owned(),
            consumer_secret: TWITTER_CLIENT_SECRET.to_owned(),
            token: None,
            token_secret: String::new(),
            method: "HMAC-SHA1",
            rsa_key: None,
            placement: Placement::Header,
            timestamp: None,
            nonce: None,
        }
    }

    /// The demo consumer with a token and its secret.
    pub fn with_token(token: &str, secret: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            token_secret: secret.to_owned(),
            ..Self::consumer()
        }
    }

    /// A signed request: `params` go to the query (GET) or the form body
    /// (POST), `oauth_extra` (callback, verifier) join the protocol parameters.
    pub fn request(
        &self,
        client: &reqwest::Client,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
        oauth_extra: &[(&str, &str)],
    ) -> RequestBuilder {
        let timestamp = self.timestamp.unwrap_or_else(unix_now).to_string();
        let nonce = self.nonce.clone().unwrap_or_else(random_nonce);
        let mut oauth: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), self.consumer_key.clone()),
            ("oauth_nonce".into(), nonce),
            ("oauth_signature_method".into(), self.method.into()),
            ("oauth_timestamp".into(), timestamp),
            ("oauth_version".into(), "1.0".into()),
        ];
        if let Some(token) = &self.token {
            oauth.push(("oauth_token".into(), token.clone()));
        }
        oauth.extend(oauth_extra.iter().map(|(n, v)| ((*n).into(), (*v).into())));
        let request_params: Vec<(String, String)> = params
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect();

        let mut all: Vec<(String, String)> = oauth
            .iter()
            .chain(&request_params)
            .map(|(n, v)| (encode(n), encode(v)))
            .collect();
        all.sort();
        let normalized = all
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let base = format!(
            "{}&{}&{}",
            method.as_str(),
            encode(url),
            encode(&normalized)
        );
        oauth.push(("oauth_signature".into(), self.sign(&base)));

        let form = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        };
        let post = method == Method::POST;
        let (query, body, header) = match self.placement {
            Placement::Header => {
                let header = oauth
                    .iter()
                    .map(|(n, v)| format!("{}=\"{}\"", encode(n), encode(v)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let header = Some(format!("OAuth realm=\"Twitter API\", {header}"));
                if post {
                    (Vec::new(), request_params, header)
                } else {
                    (request_params, Vec::new(), header)
                }
            }
            Placement::Query => {
                let mut query = request_params;
                query.extend(oauth);
                (query, Vec::new(), None)
            }
            Placement::Body => {
                assert!(post, "a GET has no body to sign");
                let mut body = request_params;
                body.extend(oauth);
                (Vec::new(), body, None)
            }
        };
        let full_url = if query.is_empty() {
            url.to_owned()
        } else {
            format!("{url}?{}", form(&query))
        };
        let mut builder = client.request(method, full_url);
        if let Some(header) = header {
            builder = builder.header("Authorization", header);
        }
        if post && !body.is_empty() {
            builder = builder
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form(&body));
        }
        builder
    }

    fn sign(&self, base: &str) -> String {
        let key = format!(
            "{}&{}",
            encode(&self.consumer_secret),
            encode(&self.token_secret)
        );
        let bytes = match self.method {
            "HMAC-SHA1" => {
                let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
                mac.update(base.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            "HMAC-SHA256" => {
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
                mac.update(base.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            "RSA-SHA1" => {
                let key = self.rsa_key.clone().expect("RSA-SHA1 needs a private key");
                SigningKey::<sha1::Sha1>::new(key)
                    .sign(base.as_bytes())
                    .to_vec()
            }
            "PLAINTEXT" => return key,
            other => panic!("unknown method {other}"),
        };
        STANDARD.encode(bytes)
    }
}

/// RFC 5849 §3.6 percent-encoding.
pub fn encode(value: &str) -> String {
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(value, SET).to_string()
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn random_nonce() -> String {
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// One RSA key pair for every RSA test in the binary: generating is slow.
pub fn rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap())
        .clone()
}

/// Decodes a form-encoded body into pairs.
pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// The value of `name` in form-encoded pairs.
pub fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name} in {pairs:?}"))
}

/// A request token and its secret.
pub struct RequestToken {
    pub token: String,
    pub secret: String,
}

/// A request for temporary credentials signed by `signer`, with these
/// request parameters and extra protocol parameters (the callback).
pub fn ask_for_request_token(
    server: &TestServer,
    signer: &Signer,
    params: &[(&str, &str)],
    oauth_extra: &[(&str, &str)],
) -> RequestBuilder {
    signer.request(
        &server.client,
        Method::POST,
        &server.url("oauth/request_token"),
        params,
        oauth_extra,
    )
}

/// Leg one: temporary credentials for the registered callback.
pub async fn request_token(server: &TestServer) -> RequestToken {
    let callback = [("oauth_callback", server.callback.as_str())];
    let response = ask_for_request_token(server, &Signer::consumer(), &[], &callback)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let pairs = form_pairs(&response.text().await.unwrap());
    assert_eq!(pair(&pairs, "oauth_callback_confirmed"), "true");
    RequestToken {
        token: pair(&pairs, "oauth_token").to_owned(),
        secret: pair(&pairs, "oauth_token_secret").to_owned(),
    }
}

/// The consent page for `token`, and the consent id its form carries.
pub async fn consent_page(server: &TestServer, token: &str) -> (String, String) {
    let response = server
        .client
        .get(server.url("oauth/authenticate"))
        .query(&[("oauth_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let consent_id = consent_id(&html);
    (html, consent_id)
}

/// Submits the consent form.
pub async fn decide(
    server: &TestServer,
    token: &str,
    consent_id: &str,
    decision: &str,
    person: &str,
) -> Response {
    server
        .client
        .post(server.url("oauth/authorize"))
        .form(&[
            ("oauth_token", token),
            ("consent_id", consent_id),
            ("decision", decision),
            ("person", person),
        ])
        .send()
        .await
        .unwrap()
}

/// The query of a redirect's `Location`, after checking it goes to the callback.
pub fn callback_params(server: &TestServer, response: &Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap();
    let url = Url::parse(location).unwrap();
    assert_eq!(
        format!("{}://{}{}", url.scheme(), url.authority(), url.path()),
        server.callback
    );
    url.query_pairs().into_owned().collect()
}

/// Legs one and two: a request token authorized by `person`, and its verifier.
pub async fn authorized(server: &TestServer, person: &str) -> (RequestToken, String) {
    let request = request_token(server).await;
    let (_, consent_id) = consent_page(server, &request.token).await;
    let response = decide(server, &request.token, &consent_id, "authorize", person).await;
    let params = callback_params(server, &response);
    assert_eq!(pair(&params, "oauth_token"), request.token);
    let verifier = pair(&params, "oauth_verifier").to_owned();
    (request, verifier)
}

/// Leg three, raw: the exchange request.
pub async fn exchange(server: &TestServer, request: &RequestToken, verifier: &str) -> Response {
    Signer::with_token(&request.token, &request.secret)
        .request(
            &server.client,
            Method::POST,
            &server.url("oauth/access_token"),
            &[],
            &[("oauth_verifier", verifier)],
        )
        .send()
        .await
        .unwrap()
}

/// Issued token credentials.
pub struct AccessToken {
    pub token: String,
    pub secret: String,
    pub user_id: String,
    pub screen_name: String,
}

impl AccessToken {
    /// A signer using these credentials.
    pub fn signer(&self) -> Signer {
        Signer::with_token(&self.token, &self.secret)
    }
}

/// All three legs for `person`.
pub async fn login(server: &TestServer, person: &str) -> AccessToken {
    let (request, verifier) = authorized(server, person).await;
    let response = exchange(server, &request, &verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    let pairs = form_pairs(&response.text().await.unwrap());
    AccessToken {
        token: pair(&pairs, "oauth_token").to_owned(),
        secret: pair(&pairs, "oauth_token_secret").to_owned(),
        user_id: pair(&pairs, "user_id").to_owned(),
        screen_name: pair(&pairs, "screen_name").to_owned(),
    }
}

/// A signed API GET.
pub async fn api_get(
    server: &TestServer,
    signer: &Signer,
    path: &str,
    params: &[(&str, &str)],
) -> Response {
    signer
        .request(&server.client, Method::GET, &server.url(path), params, &[])
        .send()
        .await
        .unwrap()
}

/// `POST 1.1/oauth/invalidate_token`, signed with `account`'s credentials.
pub async fn invalidate(server: &TestServer, account: &AccessToken) -> Response {
    account
        .signer()
        .request(
            &server.client,
            Method::POST,
            &server.url("1.1/oauth/invalidate_token"),
            &[],
            &[],
        )
        .send()
        .await
        .unwrap()
}

/// Asserts a Twitter JSON error with `status` and `code`.
pub async fn assert_twitter_error(response: Response, status: StatusCode, code: u64) {
    assert_eq!(response.status(), status);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], code, "{body}");
}
