//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): which of
//! a person's OpenID Connect providers can end their session there too,
//! and the address that asks them to.

use url::Url;

use super::services::Services;
use crate::db::connections;
use crate::{Provider, UserId};
use trilogin_oauth::secret::IdToken;
use trilogin_oauth::{Error, OidcClient};

/// A provider that can sign the person out too, with what to send it.
#[derive(Debug, Clone)]
pub struct SignOutOffer {
    /// The provider, an OpenID Connect one with an `end_session_endpoint`.
    pub provider: Provider,
    /// The ID token of the connection, for `id_token_hint`, when one is stored.
    pub id_token: Option<IdToken>,
}

/// User `user_id`'s OpenID Connect connections whose provider announces
/// an `end_session_endpoint`, in the site's provider order. A provider
/// whose metadata cannot be read now is left out (and logged): logging
/// out of this site never waits on it.
pub async fn offers(services: &Services, user_id: UserId) -> anyhow::Result<Vec<SignOutOffer>> {
    let cipher = services.cipher.clone();
    let stored = crate::db::call(&services.pool, move |conn| {
        let mut stored = Vec::new();
        for connection in connections::list(conn, user_id)? {
            if !connection.provider.is_oidc() {
                continue;
            }
            let token = connections::load_oauth2(conn, &cipher, user_id, connection.provider)?;
            stored.push((connection.provider, token.and_then(|t| t.token.id_token)));
        }
        Ok::<_, connections::StoreError>(stored)
    })
    .await?;
    let mut offers = Vec::new();
    for (provider, id_token) in stored {
        let announced = match oidc_client(services, provider) {
            Ok(client) => client.logout_url(None, None, None).await,
            Err(e) => Err(e),
        };
        match announced {
            Ok(Some(_)) => offers.push(SignOutOffer { provider, id_token }),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(%provider, error = %e, "cannot tell whether the provider offers logout")
            }
        }
    }
    Ok(offers)
}

/// The address at `provider` that ends the person's session there
/// (RP-Initiated Logout §2) and sends the browser back to
/// `post_logout_redirect_uri` with `state`; `None` when the provider has no
/// `end_session_endpoint`.
///
/// # Errors
///
/// The provider is not a registered OpenID Connect client, or its metadata
/// cannot be read.
pub async fn end_session_url(
    services: &Services,
    provider: Provider,
    id_token: Option<&IdToken>,
    post_logout_redirect_uri: &str,
    state: &str,
) -> Result<Option<Url>, Error> {
    oidc_client(services, provider)?
        .logout_url(id_token, Some(post_logout_redirect_uri), Some(state))
        .await
}

fn oidc_client(services: &Services, provider: Provider) -> Result<&OidcClient, Error> {
    services
        .oauth
        .client(provider.name())
        .and_then(|client| client.as_oidc())
        .ok_or_else(|| Error::Config(format!("{provider} is not an OpenID Connect client")))
}
