//! OpenID Connect on top of the OAuth 2.0 client: discovery, the provider's
//! key set, ID token validation, userinfo and RP-initiated logout.

pub mod discovery;
pub mod id_token;
pub mod jwks;
mod logout;
mod userinfo;

pub use discovery::ProviderMetadata;
pub use id_token::IdTokenClaims;

use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use url::Url;

use super::error::{Error, Result};
use super::http::ProviderTimeout as _;

/// GETs a JSON document (discovery, key set); anything but a 200 with a
/// JSON body is an unexpected response, and a redirect is not followed.
pub(crate) async fn get_json(
    http: &reqwest::Client,
    url: &Url,
    timeout: Option<std::time::Duration>,
) -> Result<serde_json::Value> {
    let response = http
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .provider_timeout(timeout)
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
