//! Demo Twitter: a local OAuth 1.0a provider with Twitter's endpoints and
//! wire formats, under `/_demo/twitter/`.
//!
//! - `POST oauth/request_token`, `GET oauth/authenticate` and
//!   `GET oauth/authorize` (the consent page), `POST oauth/authorize` (its
//!   form), `POST oauth/access_token`: the three legs of RFC 5849 §2.
//! - `GET 1.1/account/verify_credentials.json`,
//!   `GET 1.1/statuses/user_timeline.json`, `GET 1.1/statuses/home_timeline.json`,
//!   `POST 1.1/oauth/invalidate_token`: the API, signed with an access token.
//! - `GET {screen_name}` and `GET {screen_name}/status/{id}`: the profile
//!   and Tweet pages, at Twitter's addresses.
//!
//! Every request is checked as Twitter checks it: HMAC-SHA1, HMAC-SHA256
//! or RSA-SHA1 signature (from the `Authorization` header, the query or a
//! form body), timestamp within five minutes, nonce never seen before,
//! known consumer, valid token. RSA-SHA1 needs the consumer's public key,
//! read from `demo-twitter-consumer.pub.pem` in the data directory or set
//! with [`DemoTwitter::set_consumer_rsa_public_key`].

mod api;
mod auth;
mod consent;
mod errors;
mod nonces;
mod oauth;
mod pages;
mod seed;
mod signature;
mod signed_request;
mod state;
mod tweets;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use actix_web::{HttpResponse, web};
use anyhow::Context as _;
use rsa::RsaPublicKey;
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use tera::Tera;

use super::DemoConfig;
use super::knobs::Knobs;
pub use auth::read_request;
pub use errors::TwitterError;
use seed::Tweet;
pub use signed_request::{RawRequest, SignedRequest};
use state::TwitterState;
use tweets::TweetJson;

/// The file in the data directory holding the demo consumer's RSA public
/// key (PEM, SPKI or PKCS#1), which RSA-SHA1 signatures are checked against.
pub const CONSUMER_RSA_KEY_FILE: &str = "demo-twitter-consumer.pub.pem";

/// The stylesheet of the consent page: CSP allows styles from the site only.
const STYLESHEET: &str = include_str!("../../static/demo-twitter.css");

/// The demo Twitter provider.
#[derive(Debug)]
pub struct DemoTwitter {
    config: DemoConfig,
    knobs: Knobs,
    state: TwitterState,
    consumer_rsa_key: RwLock<Option<RsaPublicKey>>,
    pages: Tera,
    /// Each demo person's tweets, newest first.
    timelines: Vec<Vec<Tweet>>,
    /// Everyone's tweets, newest first: the home timeline.
    home: Vec<Tweet>,
    /// Every tweet's JSON, by id, rendered when first asked for.
    rendered: HashMap<u64, TweetJson>,
    /// Where the tweets' avatars are.
    avatars: String,
}

impl DemoTwitter {
    /// Builds the provider: loads the access tokens issued before a restart
    /// and the consumer's RSA public key, when the data directory has them.
    pub fn new(config: &DemoConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let consumer_rsa_key = read_consumer_key(&config.data_dir.join(CONSUMER_RSA_KEY_FILE))?;
        let timelines = seed::timelines();
        let mut home: Vec<Tweet> = timelines.iter().flatten().cloned().collect();
        home.sort_by_key(|tweet| std::cmp::Reverse(tweet.id));
        let rendered = home
            .iter()
            .map(|tweet| (tweet.id, TweetJson::default()))
            .collect();
        Ok(Self {
            config: config.clone(),
            knobs: Knobs::default(),
            state: TwitterState::load(&config.data_dir)?,
            consumer_rsa_key: RwLock::new(consumer_rsa_key),
            pages: consent::templates()?,
            timelines,
            home,
            rendered,
            avatars: avatar_base(config),
        })
    }

    /// Fault injection (the next `access_token` request), latency (every
    /// endpoint) and call counts, by endpoint: `request_token`, `authorize`,
    /// `access_token`, `verify_credentials`, `user_timeline`,
    /// `home_timeline`, `invalidate_token`.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// Registers the demo consumer's RSA public key (PEM, SPKI or PKCS#1),
    /// so RSA-SHA1 signatures can be checked; replaces the one read at start.
    pub fn set_consumer_rsa_public_key(&self, pem: &str) -> anyhow::Result<()> {
        let key = parse_public_key(pem)?;
        *self
            .consumer_rsa_key
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(key);
        Ok(())
    }

    /// Invalidates every access token issued so far (and forgets pending
    /// request tokens): API calls answer 401 with code 89 afterwards.
    pub fn revoke_all_tokens(&self) {
        self.state.revoke_all();
    }

    /// Mounts the provider's routes under `/_demo/twitter/`.
    pub fn configure(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        cfg.service(
            web::scope("/_demo/twitter")
                .app_data(web::Data::from(Arc::clone(self)))
                .route("/oauth/request_token", web::post().to(oauth::request_token))
                .route("/oauth/authenticate", web::get().to(consent::show))
                .route("/oauth/authorize", web::get().to(consent::show))
                .route("/oauth/authorize", web::post().to(consent::decide))
                .route("/oauth/access_token", web::post().to(oauth::access_token))
                .route(
                    "/1.1/account/verify_credentials.json",
                    web::get().to(api::verify_credentials),
                )
                .route(
                    "/1.1/statuses/user_timeline.json",
                    web::get().to(api::user_timeline),
                )
                .route(
                    "/1.1/statuses/home_timeline.json",
                    web::get().to(api::home_timeline),
                )
                .route(
                    "/1.1/oauth/invalidate_token",
                    web::post().to(oauth::invalidate_token),
                )
                .route("/demo-twitter.css", web::get().to(stylesheet))
                .default_service(web::to(pages::page)),
        );
    }

    /// Counts a call of `endpoint` and waits for the configured latency.
    async fn enter(&self, endpoint: &str) {
        self.knobs.count(endpoint);
        let latency = self.knobs.latency();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
    }

    fn consumer_rsa_key(&self) -> Option<RsaPublicKey> {
        self.consumer_rsa_key
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The base URL of the demo avatars, for `profile_image_url_https`.
fn avatar_base(config: &DemoConfig) -> String {
    let mut url = config.app_url.clone();
    url.set_path("/_demo/avatars/");
    url.set_query(None);
    url.to_string()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLESHEET)
}

fn read_consumer_key(path: &Path) -> anyhow::Result<Option<RsaPublicKey>> {
    match std::fs::read_to_string(path) {
        Ok(pem) => parse_public_key(&pem)
            .map(Some)
            .with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn parse_public_key(pem: &str) -> anyhow::Result<RsaPublicKey> {
    RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .context("not an RSA public key in PEM (BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY)")
}

/// The current Unix time in seconds.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
