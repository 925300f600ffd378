//! Authorization-server pieces shared by demo GitHub and demo Google: their
//! common state, the consent flow, client authentication, the PKCE check,
//! the grant store, consent and not-found pages, state files and the
//! latency and fault knobs.
//!
//! This is the provider side of OAuth 2 and is written apart from the client
//! layer in `trilogin_oauth` on purpose: the two must agree only through the
//! wire format, so a mistake on one side shows up as a failing exchange.

pub mod authorize;
pub mod client_auth;
pub mod consent;
pub mod grants;
pub mod not_found;
pub mod pkce;
pub mod server;
pub mod state_file;

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use super::DemoConfig;
use super::knobs::Fault;

/// How long an authorization code can be redeemed (GitHub and Google both use 10 minutes).
pub const CODE_TTL_SECS: i64 = 600;

/// How long a consent page stays valid between display and submission.
pub const CONSENT_TTL_SECS: i64 = 600;

/// How long a request that [`Fault::Timeout`] holds before answering 504.
pub const FAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A configured lifetime in whole seconds, as the protocols count it.
pub fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 4)
}

/// URL of a demo person's avatar image.
pub fn avatar_url(config: &DemoConfig, key: &str) -> String {
    app_path(config, &format!("/_demo/avatars/{key}.svg"))
}

/// URL of the demo pages' stylesheet.
pub fn stylesheet_url(config: &DemoConfig) -> String {
    app_path(config, "/_demo/demo.css")
}

/// The site's home page, where a page with no way forward links back to.
pub fn site_home(config: &DemoConfig) -> String {
    app_path(config, "/")
}

fn app_path(config: &DemoConfig, path: &str) -> String {
    let mut url = config.app_url.clone();
    url.set_path(path);
    url.set_query(None);
    url.to_string()
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A random string of `len` letters and digits after `prefix`, e.g. `ghu_…`.
pub fn random_token(prefix: &str, len: usize) -> String {
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    out.extend(
        rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from),
    );
    out
}

/// The SHA-256 of a token, hex encoded: the grant store and its state file
/// keep only these, so the file alone yields no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The answer for the transport-level faults (outage, timeout); `None` for
/// faults that each provider answers in its own protocol format.
pub async fn transport_fault(fault: Fault) -> Option<HttpResponse> {
    match fault {
        Fault::ServerError => Some(
            HttpResponse::ServiceUnavailable()
                .content_type("text/html; charset=utf-8")
                .body(
                    "<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>\
                     <body><h1>503 Service Unavailable</h1>\
                     <p>The demo provider is failing on purpose.</p></body></html>",
                ),
        ),
        Fault::Timeout => {
            tokio::time::sleep(FAULT_TIMEOUT).await;
            Some(
                HttpResponse::GatewayTimeout()
                    .content_type("text/html; charset=utf-8")
                    .body("<!DOCTYPE html><html><body><h1>504 Gateway Timeout</h1></body></html>"),
            )
        }
        Fault::InvalidGrant => None,
    }
}

/// Middleware body: waits the latency a knob asked for, then serves the request.
pub async fn delayed(
    latency: Duration,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    next.call(req).await
}

/// Appends query parameters to a redirect URI that may already have a query.
pub fn with_query<K: AsRef<str>, V: AsRef<str>>(base: &str, params: &[(K, V)]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        // Only registered (hence valid) URIs reach here; keep the base as is otherwise.
        Err(_) => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_have_the_prefix_and_length_and_differ() {
        let a = random_token("ghu_", 36);
        let b = random_token("ghu_", 36);
        assert!(a.starts_with("ghu_"));
        assert_eq!(a.len(), 40);
        assert_ne!(a, b);
    }

    #[test]
    fn token_hash_is_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn with_query_keeps_an_existing_query() {
        assert_eq!(
            with_query("http://a.test/cb?x=1", &[("code", "c d"), ("state", "s")]),
            "http://a.test/cb?x=1&code=c+d&state=s"
        );
    }
}
