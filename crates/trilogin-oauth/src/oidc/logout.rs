//! OpenID Connect RP-Initiated Logout 1.0: the URL that ends the person's
//! session at the provider too.

use url::Url;

use super::OidcClient;
use crate::error::Result;
use crate::secret::IdToken;

impl OidcClient {
    /// The provider's logout URL (RP-Initiated Logout §2) with
    /// `id_token_hint`, `client_id`, `post_logout_redirect_uri` and
    /// `state`, or `None` when the provider has no `end_session_endpoint`.
    ///
    /// # Errors
    ///
    /// Discovery's errors, and [`Error::Config`](crate::Error::Config) for a
    /// discovered endpoint that breaks the endpoint rule.
    pub async fn logout_url(
        &self,
        id_token_hint: Option<&IdToken>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<Option<Url>> {
        let end_session = self
            .endpoint(self.config().end_session_endpoint.as_ref(), |m| {
                m.end_session_endpoint.as_ref()
            })
            .await?;
        let Some(mut url) = end_session else {
            return Ok(None);
        };
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint.secret());
            }
            query.append_pair("client_id", &self.config().client_id);
            if let Some(uri) = post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", uri);
            }
            if let Some(state) = state {
                query.append_pair("state", state);
            }
        }
        Ok(Some(url))
    }
}
