//! The provider's metadata document: OAuth 2.0 Authorization Server
//! Metadata ([RFC 8414]) and its OpenID Connect superset (OIDC Discovery
//! 1.0), fetched on first use and cached for `metadata_ttl`.
//!
//! It is one document for both protocols, so it lives beside them: the
//! OAuth 2 client reads its endpoints and the RFC 9207 promise from it, the
//! OpenID Connect layer its key set, userinfo and logout endpoints and its
//! signing algorithms.
//!
//! [RFC 8414]: https://www.rfc-editor.org/rfc/rfc8414

use std::sync::Arc;
use std::time::Instant;

use url::Url;

use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::http::get_json;

/// The metadata fields this client reads (OIDC Discovery §3, RFC 8414 §2,
/// RFC 9207 §3).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ProviderMetadata {
    /// `issuer`: the value every ID token's `iss` must equal.
    pub issuer: String,
    /// `authorization_endpoint`.
    #[serde(default)]
    pub authorization_endpoint: Option<Url>,
    /// `token_endpoint`.
    #[serde(default)]
    pub token_endpoint: Option<Url>,
    /// `userinfo_endpoint`.
    #[serde(default)]
    pub userinfo_endpoint: Option<Url>,
    /// `jwks_uri`.
    #[serde(default)]
    pub jwks_uri: Option<Url>,
    /// `revocation_endpoint` (RFC 8414).
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// `end_session_endpoint` (OIDC RP-Initiated Logout §2.1).
    #[serde(default)]
    pub end_session_endpoint: Option<Url>,
    /// `id_token_signing_alg_values_supported`.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5).
    #[serde(default)]
    pub pushed_authorization_request_endpoint: Option<Url>,
    /// `require_pushed_authorization_requests` (RFC 9126 §5).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// The issuer that a discovery URL promises (OIDC Discovery §4.3, RFC 8414
/// §3.3), or `None` for a URL in neither well-known form.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::discovery::issuer_of_discovery_url;
/// use url::Url;
///
/// let url = Url::parse("https://accounts.google.com/.well-known/openid-configuration").expect("a valid URL");
/// assert_eq!(issuer_of_discovery_url(&url).as_deref(), Some("https://accounts.google.com"));
/// ```
#[must_use]
pub fn issuer_of_discovery_url(url: &Url) -> Option<String> {
    const OIDC: &str = "/.well-known/openid-configuration";
    const RFC8414: &str = "/.well-known/oauth-authorization-server";
    if url.query().is_some() || url.fragment().is_some() {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path();
    if let Some(prefix) = path.strip_suffix(OIDC) {
        return Some(format!("{origin}{prefix}"));
    }
    path.strip_prefix(RFC8414)
        .map(|rest| format!("{origin}{rest}"))
}

/// A cached discovery document.
#[derive(Debug)]
pub struct MetadataCache {
    ttl: std::time::Duration,
    slot: tokio::sync::Mutex<Option<(Arc<ProviderMetadata>, Instant)>>,
}

impl MetadataCache {
    /// An empty cache whose entries live for `ttl`.
    #[must_use]
    pub fn new(ttl: time::Duration) -> Self {
        Self {
            ttl: ttl.try_into().unwrap_or_default(),
            slot: tokio::sync::Mutex::new(None),
        }
    }

    /// The metadata behind `url`, from the cache while fresh. Concurrent
    /// callers wait for one fetch.
    ///
    /// # Errors
    ///
    /// [`Error::Transport`] or [`Error::UnexpectedResponse`] when the document
    /// cannot be fetched or read; [`Error::IssuerMismatch`] when it names an
    /// issuer other than the one its URL (or the configuration) promises;
    /// [`Error::Config`] when there is neither to compare with.
    pub async fn get(
        &self,
        http: &reqwest::Client,
        url: &Url,
        config: &ClientConfig,
    ) -> Result<Arc<ProviderMetadata>> {
        let mut slot = self.slot.lock().await;
        if let Some((metadata, fetched)) = slot.as_ref()
            && fetched.elapsed() < self.ttl
        {
            return Ok(Arc::clone(metadata));
        }
        let json = get_json(http, url, config).await?;
        let metadata: ProviderMetadata =
            serde_json::from_value(json.clone()).map_err(|e| Error::UnexpectedResponse {
                status: 200,
                reason: format!("discovery document at {url} is malformed: {e}"),
                body: json.to_string(),
            })?;
        check_issuer(url, &metadata.issuer, config.issuer.as_deref())?;
        let metadata = Arc::new(metadata);
        *slot = Some((Arc::clone(&metadata), Instant::now()));
        Ok(metadata)
    }
}

/// The discovered issuer must be the one the URL promises, and the
/// configured one when both exist: a document that names another issuer
/// could make us accept that issuer's ID tokens.
fn check_issuer(url: &Url, discovered: &str, configured: Option<&str>) -> Result<()> {
    let expected = match (configured, issuer_of_discovery_url(url)) {
        (Some(configured), _) => configured.to_owned(),
        (None, Some(promised)) => promised,
        (None, None) => {
            return Err(Error::Config(format!(
                "{url} is not a well-known discovery URL; set the issuer explicitly"
            )));
        }
    };
    if discovered != expected {
        return Err(Error::IssuerMismatch(format!(
            "discovery at {url} names issuer {discovered}, expected {expected}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_issuer_is_the_discovery_url_without_the_well_known_suffix() {
        assert_eq!(
            issuer_of_discovery_url(&url(
                "https://accounts.google.com/.well-known/openid-configuration"
            ))
            .as_deref(),
            Some("https://accounts.google.com")
        );
        assert_eq!(
            issuer_of_discovery_url(&url(
                "http://127.0.0.1:8080/_demo/google/.well-known/openid-configuration"
            ))
            .as_deref(),
            Some("http://127.0.0.1:8080/_demo/google")
        );
        assert_eq!(
            issuer_of_discovery_url(&url(
                "https://as.test/.well-known/oauth-authorization-server/tenant"
            ))
            .as_deref(),
            Some("https://as.test/tenant")
        );
        assert_eq!(
            issuer_of_discovery_url(&url("https://as.test/metadata.json")),
            None
        );
    }

    #[test]
    fn a_document_naming_another_issuer_is_refused() {
        let u = url("https://op.test/.well-known/openid-configuration");
        assert!(check_issuer(&u, "https://op.test", None).is_ok());
        assert!(matches!(
            check_issuer(&u, "https://evil.test", None),
            Err(Error::IssuerMismatch(_))
        ));
        assert!(matches!(
            check_issuer(&u, "https://op.test/", None),
            Err(Error::IssuerMismatch(_))
        ));
    }

    #[test]
    fn a_configured_issuer_is_what_the_document_must_name() {
        let u = url("https://op.test/config");
        assert!(matches!(
            check_issuer(&u, "https://op.test", None),
            Err(Error::Config(_))
        ));
        assert!(check_issuer(&u, "https://op.test", Some("https://op.test")).is_ok());
        assert!(check_issuer(&u, "https://op.test", Some("https://other.test")).is_err());
    }
}
