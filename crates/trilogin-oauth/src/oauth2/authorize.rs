//! The authorization code flow (RFC 6749 §4.1) with PKCE (RFC 7636), the
//! `nonce` a token check asks for, the RFC 9207 `iss` check, pushed
//! requests (RFC 9126) and DPoP key binding (RFC 9449 §10).

use std::collections::BTreeMap;

use time::OffsetDateTime;
use url::Url;

use super::{Endpoints, Grant, OAuth2Client};
use crate::dpop::DpopKey;
use crate::error::{Error, Result};
use crate::http::required;
use crate::lookup_key::ordered_token;
use crate::pending::PendingLogins;
use crate::pkce::{Pkce, method_name};
use crate::secret::{Nonce, PkceVerifier, State};
use crate::session::LoginSession;
use crate::token::OAuth2Token;

/// Parameters the client sets itself; extra parameters may not replace them.
const RESERVED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "dpop_jkt",
    "request_uri",
];

/// What a started login keeps in the session until its callback.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PendingLogin {
    /// The `state` sent to the provider.
    pub state: State,
    /// The PKCE verifier, unless PKCE is switched off.
    pub verifier: Option<PkceVerifier>,
    /// The `nonce` sent, for the token check that asked for it to match
    /// (OpenID Connect's, OIDC Core §3.1.2.1).
    pub nonce: Option<Nonce>,
    /// The `redirect_uri` sent, which the code exchange must repeat.
    pub redirect_uri: String,
    /// The DPoP key whose thumbprint went as `dpop_jkt`, which the code
    /// exchange must prove and the tokens are then bound to.
    #[serde(default)]
    pub dpop_key: Option<DpopKey>,
}

impl OAuth2Client {
    /// Starts a login: saves a pending login in `session` and returns the
    /// provider's authorization URL to redirect the browser to (RFC 6749
    /// §4.1.1), with `state`, the PKCE challenge, the `nonce` the client's
    /// [`TokenCheck`](super::TokenCheck) asks for, the new DPoP key's
    /// `dpop_jkt` when the login uses DPoP, `authorize_params`, then
    /// `extra`. When the login pushes its request (RFC 9126), all of that
    /// goes to the PAR endpoint and the URL carries only `client_id` and
    /// `request_uri`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no authorization endpoint is configured or
    /// discovered, or an extra parameter would replace one the client sets
    /// itself; discovery's errors ([`server_metadata`](Self::server_metadata));
    /// [`Error::Session`] when the pending login cannot be saved; the PAR
    /// endpoint's [`Error::Provider`], [`Error::UnexpectedResponse`] and
    /// [`Error::Transport`]; [`Error::Config`] when PAR or DPoP is required
    /// and the provider cannot do it.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn authorize_redirect(
        &self,
        session: &dyn LoginSession,
        redirect_uri: &str,
        extra: &[(&str, &str)],
    ) -> Result<Url> {
        let endpoints = self.endpoints().await?;
        let mut url = required(endpoints.authorize.as_ref(), "authorization endpoint")?.clone();
        let names = self.config.authorize_params.keys().map(String::as_str);
        for name in names.chain(extra.iter().map(|(k, _)| *k)) {
            if RESERVED.contains(&name) {
                return Err(Error::Config(format!(
                    "authorization parameter {name} is set by the client itself"
                )));
            }
        }
        // 32 random bytes: well above the 128 bits RFC 6749 §10.10 asks for.
        let state = State::new(ordered_token(32));
        let nonce = self.token_check.as_ref().and_then(|c| c.login_nonce(self));
        let pkce = self.config.code_challenge_method.map(Pkce::generate);
        let dpop_key = self
            .dpop_alg(&endpoints)?
            .map(DpopKey::generate)
            .transpose()?;
        let mut params: Vec<(String, String)> = Vec::new();
        let mut push = |name: &str, value: &str| params.push((name.to_owned(), value.to_owned()));
        push("response_type", "code");
        push("client_id", &self.config.client_id);
        push("redirect_uri", redirect_uri);
        if let Some(scope) = &self.config.scope {
            push("scope", scope);
        }
        push("state", state.secret());
        if let Some(pkce) = &pkce {
            push("code_challenge", &pkce.challenge);
            push("code_challenge_method", method_name(pkce.method));
        }
        if let Some(nonce) = &nonce {
            push("nonce", nonce.secret());
        }
        if let Some(key) = &dpop_key {
            push("dpop_jkt", &key.thumbprint()?);
        }
        for (name, value) in &self.config.authorize_params {
            push(name, value);
        }
        for (name, value) in extra {
            push(name, value);
        }
        if let Some(endpoint) = self.par_endpoint(&endpoints)? {
            let request_uri = self.push(&endpoint, params).await?;
            params = vec![
                ("client_id".to_owned(), self.config.client_id.clone()),
                ("request_uri".to_owned(), request_uri),
            ];
        }
        url.query_pairs_mut().extend_pairs(&params);
        let pending = PendingLogin {
            verifier: pkce.map(|p| p.verifier),
            nonce,
            redirect_uri: redirect_uri.to_owned(),
            state,
            dpop_key,
        };
        PendingLogins::new(session, &self.name)
            .save(pending.state.secret(), &pending, OffsetDateTime::now_utc())
            .await?;
        Ok(url)
    }

    /// Finishes a login from the callback's parameters (the query of a GET,
    /// or the form of a `response_mode=form_post` POST): checks `state` and
    /// `iss`, exchanges the code (RFC 6749 §4.1.3), and passes the token
    /// through the client's [`TokenCheck`](super::TokenCheck), if any.
    ///
    /// # Errors
    ///
    /// [`Error::StateMismatch`] when the `state` is missing or is not a pending
    /// login of this browser (checked before anything else);
    /// [`Error::AccessDenied`] or [`Error::Provider`] when the callback carries
    /// an error; [`Error::IssuerMismatch`] for a wrong or missing `iss`;
    /// [`Error::UnexpectedResponse`] for a callback without a code; the code
    /// exchange's [`Error::Transport`], [`Error::Provider`] and
    /// [`Error::UnexpectedResponse`]; and whatever the token check refuses.
    #[tracing::instrument(skip_all, fields(client = %self.name()))]
    pub async fn authorize_access_token(
        &self,
        session: &dyn LoginSession,
        params: &BTreeMap<String, String>,
    ) -> Result<OAuth2Token> {
        let now = OffsetDateTime::now_utc();
        // The state is checked first, also for error answers: a callback
        // that does not belong to this browser is refused whatever it says.
        let state = params.get("state").ok_or(Error::StateMismatch)?;
        let pending: PendingLogin = PendingLogins::new(session, &self.name)
            .take(state, now)
            .await?
            .ok_or(Error::StateMismatch)?;
        if !pending.state.matches(state) {
            return Err(Error::StateMismatch);
        }
        if let Some(error) = params.get("error") {
            let description = params.get("error_description").cloned();
            return Err(if error == "access_denied" {
                Error::AccessDenied {
                    error: error.clone(),
                    description,
                }
            } else {
                Error::Provider {
                    error: error.clone(),
                    description,
                    status: 0,
                    body: String::new(),
                }
            });
        }
        let endpoints = self.endpoints().await?;
        check_response_issuer(&endpoints, params.get("iss"))?;
        let code = params
            .get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::UnexpectedResponse {
                status: 0,
                reason: "the callback carries neither code nor error".into(),
                body: String::new(),
            })?;

        let token_url = required(endpoints.token.as_ref(), "token endpoint")?;
        let mut form = vec![
            ("grant_type".to_owned(), "authorization_code".to_owned()),
            ("code".to_owned(), code.clone()),
            ("redirect_uri".to_owned(), pending.redirect_uri.clone()),
        ];
        if let Some(verifier) = &pending.verifier {
            form.push(("code_verifier".into(), verifier.secret().to_owned()));
        }
        form.extend(
            self.config
                .access_token_params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let hooks = (None, self.config.compliance.access_token_response.as_ref());
        let dpop = pending.dpop_key.as_ref();
        let mut token = self
            .token_request(token_url, form, hooks, dpop, now)
            .await?;
        self.bind_token(&mut token, pending.dpop_key.clone())?;
        let grant = Grant::AuthorizationCode {
            nonce: pending.nonce.as_ref(),
        };
        self.check_token(&mut token, grant, now).await?;
        Ok(token)
    }
}

/// RFC 9207 §2.4: a callback's `iss` must be the provider's issuer, and is
/// required when the provider announces that it sends one. A client that
/// knows no issuer (plain OAuth 2 without metadata) has nothing to compare.
fn check_response_issuer(endpoints: &Endpoints, iss: Option<&String>) -> Result<()> {
    let announced = endpoints
        .metadata
        .as_ref()
        .is_some_and(|m| m.authorization_response_iss_parameter_supported);
    match (iss, endpoints.issuer.as_deref()) {
        (Some(iss), Some(issuer)) if iss != issuer => Err(Error::IssuerMismatch(format!(
            "the callback names issuer {iss}, expected {issuer}"
        ))),
        (None, _) if announced => Err(Error::IssuerMismatch(
            "the provider promises an iss parameter, but the callback has none".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_login_never_shows_its_secrets_in_debug_output() {
        let pending = PendingLogin {
            state: State::new("state-secret"),
            verifier: Some(PkceVerifier::new("verifier-secret")),
            nonce: Some(Nonce::new("nonce-secret")),
            redirect_uri: "http://127.0.0.1/cb".into(),
            dpop_key: Some(DpopKey::generate(crate::dpop::DpopAlg::Es256).unwrap()),
        };
        let shown = format!("{pending:?}");
        for secret in ["state-secret", "verifier-secret", "nonce-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("Nonce([redacted])"));
        assert!(shown.contains("DpopKey(ES256, [redacted])"));
    }
}
