//! The outbound HTTP client and the endpoint rule every client obeys.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderName, HeaderValue, USER_AGENT};
use url::{Host, Url};

use super::config::ClientConfig;
use super::error::{Error, Result};

/// Builds the one `reqwest::Client` the app shares: redirects are never
/// followed (a provider endpoint that redirects is an error, not a hop to
/// somewhere a token could leak), connect and total timeouts are set, and the
/// User-Agent names the app (GitHub refuses requests without one).
///
/// # Errors
///
/// [`Error::Config`] when the TLS back end cannot be set up.
pub fn build_client(user_agent: &str, timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .user_agent(user_agent)
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// How long a client with a proxy of its own waits for an answer when its
/// configuration sets no `timeout`: it cannot share the registry's client,
/// nor so that client's timeout.
pub const PROXIED_CLIENT_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP client a provider's calls go through: the shared one, or, for a
/// provider with a `proxy`, one of its own built like [`build_client`].
///
/// # Errors
///
/// [`Error::Config`] for a proxy URL reqwest cannot use, or a client that
/// cannot be built.
pub(crate) fn client_for(
    config: &ClientConfig,
    shared: reqwest::Client,
) -> Result<reqwest::Client> {
    check_headers(config)?;
    let Some(proxy) = &config.proxy else {
        return Ok(shared);
    };
    if !matches!(proxy.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "proxy {proxy} must be an http:// or https:// URL"
        )));
    }
    let proxy = reqwest::Proxy::all(proxy.as_str())
        .map_err(|e| Error::Config(format!("bad proxy {proxy}: {e}")))?;
    let timeout = config.timeout.unwrap_or(PROXIED_CLIENT_TIMEOUT);
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5).min(timeout))
        .timeout(timeout)
        .user_agent(config.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT))
        .proxy(proxy)
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// The user agent of a proxied client that names none.
const DEFAULT_USER_AGENT: &str = concat!("trilogin-oauth/", env!("CARGO_PKG_VERSION"));

/// Every extra header must be one that can be sent: checked when the client
/// is built, so that a request never fails on it.
fn check_headers(config: &ClientConfig) -> Result<()> {
    if let Some(agent) = &config.user_agent {
        check_header(USER_AGENT.as_str(), agent)?;
    }
    for (name, value) in &config.headers {
        check_header(name, value)?;
    }
    Ok(())
}

/// Refuses a header that cannot be sent (a bad name, a line break in the
/// value), which would otherwise fail every request to the provider.
///
/// # Errors
///
/// [`Error::Config`] naming the header.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::http::check_header;
///
/// assert!(check_header("X-Tenant", "acme").is_ok());
/// assert!(check_header("X Tenant", "acme").is_err());
/// assert!(check_header("X-Tenant", "acme\r\nX-Injected: 1").is_err());
/// ```
pub fn check_header(name: &str, value: &str) -> Result<()> {
    HeaderName::from_bytes(name.as_bytes())
        .map_err(|e| Error::Config(format!("bad header name {name:?}: {e}")))?;
    HeaderValue::from_str(value)
        .map_err(|e| Error::Config(format!("bad value of header {name}: {e}")))?;
    Ok(())
}

/// A provider's own HTTP settings on one request (Authlib's
/// `client_kwargs`): its timeout, user agent and extra headers.
pub(crate) trait ForProvider {
    /// Applies `config`'s settings. Without a `timeout` the shared client's
    /// holds: reqwest lets a request's timeout replace the client's, so a
    /// default filled in here would silently overrule `HTTP_TIMEOUT`.
    fn for_provider(self, config: &ClientConfig) -> Self;
}

impl ForProvider for reqwest::RequestBuilder {
    fn for_provider(self, config: &ClientConfig) -> Self {
        let mut builder = match config.timeout {
            Some(timeout) => self.timeout(timeout),
            None => self,
        };
        if let Some(agent) = &config.user_agent {
            builder = builder.header(USER_AGENT, agent.as_str());
        }
        for (name, value) in &config.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder
    }
}

/// Endpoints must be https, except on loopback hosts (Authlib's rule) or
/// when `allow_insecure_http` is set for a local test rig.
///
/// # Errors
///
/// [`Error::Config`] for any other scheme or host.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::http::check_endpoint;
/// use url::Url;
///
/// let url = |s: &str| Url::parse(s).expect("a valid URL");
/// assert!(check_endpoint(&url("https://github.com/login/oauth/authorize"), false).is_ok());
/// assert!(check_endpoint(&url("http://127.0.0.1:8080/_demo/github/authorize"), false).is_ok());
/// assert!(check_endpoint(&url("http://github.com/login/oauth/authorize"), false).is_err());
/// ```
pub fn check_endpoint(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        _ => Err(Error::Config(format!(
            "endpoint {url} must use https (plain http is allowed only for loopback hosts)"
        ))),
    }
}

/// The endpoint to call: the configured one, else the one the provider's
/// metadata names, which must obey [`check_endpoint`] like a configured one.
///
/// # Errors
///
/// [`Error::Config`] when the discovered endpoint breaks the endpoint rule.
///
/// # Examples
///
/// ```
/// use trilogin_oauth::http::configured_or_discovered;
/// use url::Url;
///
/// let configured = Url::parse("https://op.test/userinfo").ok();
/// let discovered = Url::parse("https://op.test/discovered/userinfo").ok();
/// let chosen = configured_or_discovered(configured.as_ref(), discovered.as_ref(), false)?;
/// assert_eq!(chosen, configured);
/// let insecure = Url::parse("http://op.test/userinfo").ok();
/// assert!(configured_or_discovered(None, insecure.as_ref(), false).is_err());
/// # Ok::<(), trilogin_oauth::Error>(())
/// ```
pub fn configured_or_discovered(
    configured: Option<&Url>,
    discovered: Option<&Url>,
    allow_insecure_http: bool,
) -> Result<Option<Url>> {
    if let Some(url) = configured {
        return Ok(Some(url.clone()));
    }
    discovered
        .map(|url| check_endpoint(url, allow_insecure_http).map(|()| url.clone()))
        .transpose()
}

/// `url`, or a configuration error saying that no `what` is known.
///
/// # Errors
///
/// [`Error::Config`] when `url` is `None`.
pub fn required<'a>(url: Option<&'a Url>, what: &str) -> Result<&'a Url> {
    url.ok_or_else(|| Error::Config(format!("no {what} configured or discovered")))
}

/// GETs a JSON document (discovery, key set); anything but a 200 with a
/// JSON body is an unexpected response, and a redirect is not followed.
pub(crate) async fn get_json(
    http: &reqwest::Client,
    url: &Url,
    config: &ClientConfig,
) -> Result<serde_json::Value> {
    let response = http
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .for_provider(config)
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    if status != StatusCode::OK {
        return Err(Error::UnexpectedResponse {
            status: status.as_u16(),
            reason: format!("GET {url} did not answer 200"),
            body,
        });
    }
    serde_json::from_str(&body).map_err(|e| Error::UnexpectedResponse {
        status: status.as_u16(),
        reason: format!("GET {url} did not answer JSON: {e}"),
        body,
    })
}

/// True when `url`'s host is a loopback address: 127.0.0.0/8, `::1` or
/// the name `localhost`. Other names are not resolved: what they point to
/// can change after the check.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn https_is_always_allowed() {
        assert!(check_endpoint(&url("https://github.com/login"), false).is_ok());
    }

    #[test]
    fn plain_http_is_allowed_only_on_loopback() {
        assert!(check_endpoint(&url("http://127.0.0.1:8080/x"), false).is_ok());
        assert!(check_endpoint(&url("http://localhost/x"), false).is_ok());
        assert!(check_endpoint(&url("http://[::1]:9/x"), false).is_ok());
        assert!(check_endpoint(&url("http://example.com/x"), false).is_err());
        assert!(check_endpoint(&url("http://10.0.0.1/x"), false).is_err());
    }

    #[test]
    fn loopback_is_127_slash_8_ipv6_one_and_localhost_only() {
        for loopback in [
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "https://127.255.255.254/",
            "http://[::1]:8080/",
            "http://localhost:8080/",
            "http://LocalHost/",
        ] {
            assert!(is_loopback(&url(loopback)), "{loopback}");
        }
        for public in [
            "https://example.com/",
            "http://0.0.0.0:8080/",
            "http://[::]:8080/",
            "http://10.0.0.1/",
            "http://128.0.0.1/",
            "http://[::ffff:8.8.8.8]/",
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
            "http://mylocalhost/",
        ] {
            assert!(!is_loopback(&url(public)), "{public}");
        }
    }

    #[test]
    fn the_explicit_setting_allows_plain_http_anywhere() {
        assert!(check_endpoint(&url("http://provider.test/x"), true).is_ok());
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(check_endpoint(&url("ftp://127.0.0.1/x"), true).is_err());
    }
}
