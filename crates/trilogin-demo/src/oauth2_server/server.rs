//! The state every demo OAuth 2 provider keeps, whatever its dialect: who it
//! is ([`Profile`]), the demo settings, the knobs, the grant store, the
//! consent requests waiting for an answer and the pages that ask them.
//!
//! Demo GitHub and demo Google each hold one [`AuthorizationServer`] beside
//! what is theirs alone (repositories and rate limits; signing keys).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use super::client_auth::{self, ClientAuthError, ClientAuthMethod};
use super::consent::{Brand, MessageView, Pages, PendingConsents};
use super::grants::{
    Authorization, CodeError, GrantStore, Issued, Lifetimes, RefreshError, TokenStyle,
};
use super::{secs, site_home, stylesheet_url};
use crate::DemoConfig;
use crate::knobs::Knobs;

/// Who a demo OAuth 2 provider is: fixed at compile time.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// The provider's name in URLs: `/_demo/{name}/`, `/auth/{name}/callback`,
    /// and its grant file `demo-{name}-grants.json`.
    pub name: &'static str,
    /// Branding of its pages.
    pub brand: Brand,
    /// The client id of the one registered demo app.
    pub client_id: &'static str,
    /// That app's client secret.
    pub client_secret: &'static str,
    /// The shapes of its codes and tokens.
    pub style: TokenStyle,
    /// Its own page templates, by name, beside the shared ones.
    pub templates: &'static [(&'static str, &'static str)],
}

/// The token request's form fields, for every grant either provider serves
/// (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6, RFC 7636 §4.5).
#[derive(Debug, serde::Deserialize)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token`, `password` or `client_credentials`.
    pub grant_type: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// The redirect URI the code was sent to.
    pub redirect_uri: Option<String>,
    /// The PKCE verifier.
    pub code_verifier: Option<String>,
    /// The refresh token.
    pub refresh_token: Option<String>,
    /// `client_secret_post` credentials: the id…
    pub client_id: Option<String>,
    /// …and the secret.
    pub client_secret: Option<String>,
    /// The resource owner's name (`password` grant).
    pub username: Option<String>,
    /// The resource owner's password (`password` grant).
    pub password: Option<String>,
    /// The scope asked for (`password` and `client_credentials` grants).
    pub scope: Option<String>,
}

/// One demo OAuth 2 provider's shared state.
#[derive(Debug)]
pub struct AuthorizationServer {
    /// Who the provider is.
    pub profile: Profile,
    /// The demo settings.
    pub config: DemoConfig,
    /// Fault injection, latency and call counts.
    pub knobs: Knobs,
    /// Issued codes and tokens, saved under the data directory.
    pub grants: GrantStore,
    /// Authorization requests waiting for the person's answer.
    pub consents: PendingConsents<PendingAuthorization>,
    /// The consent and message pages.
    pub pages: Pages,
}

impl AuthorizationServer {
    /// Builds the shared state, loading the grants saved under `data_dir`.
    pub fn new(profile: Profile, config: &DemoConfig) -> anyhow::Result<Self> {
        let grants = config
            .data_dir
            .join(format!("demo-{}-grants.json", profile.name));
        Ok(Self {
            profile,
            config: config.clone(),
            knobs: Knobs::default(),
            grants: GrantStore::open(grants)?,
            consents: PendingConsents::default(),
            pages: Pages::new(profile.templates)?,
        })
    }

    /// The provider's base URL, `{app_url}/_demo/{name}/`.
    pub fn provider_url(&self) -> String {
        self.config.provider_url(self.profile.name).to_string()
    }

    /// The URL of one of the provider's endpoints; `path` starts with `/`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.provider_url().trim_end_matches('/'))
    }

    /// The one redirect URI the demo app has registered.
    pub fn redirect_uri(&self) -> String {
        self.config.redirect_uri(self.profile.name)
    }

    /// Access and refresh token lifetimes from the settings.
    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            access: secs(self.config.access_token_ttl),
            refresh: secs(self.config.refresh_token_ttl),
        }
    }

    /// Authenticates the client of a token request against the demo app's
    /// credentials (RFC 6749 §2.3.1).
    pub fn authenticate_client(
        &self,
        req: &HttpRequest,
        form: &TokenForm,
    ) -> Result<ClientAuthMethod, ClientAuthError> {
        client_auth::authenticate(
            req,
            form.client_id.as_deref(),
            form.client_secret.as_deref(),
            self.profile.client_id,
            self.profile.client_secret,
        )
    }

    /// Redeems an authorization code and issues its tokens, in one change of
    /// the store (RFC 6749 §4.1.3).
    pub fn exchange_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        now: i64,
    ) -> Result<(Authorization, Issued), CodeError> {
        self.exchange_code_bound(code, redirect_uri, code_verifier, None, now)
    }

    /// [`exchange_code`](Self::exchange_code) whose tokens are bound to the
    /// DPoP key `dpop_jkt` proved at the exchange, when the authorization
    /// request named none (RFC 9449 §5). The caller has checked that a key
    /// the request named is the one proved.
    pub fn exchange_code_bound(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        dpop_jkt: Option<&str>,
        now: i64,
    ) -> Result<(Authorization, Issued), CodeError> {
        let lifetimes = self.lifetimes();
        self.grants.update(|g| {
            let (mut authorization, chain) =
                g.redeem_code(code, redirect_uri, code_verifier, now)?;
            if authorization.dpop_jkt.is_none() {
                authorization.dpop_jkt = dpop_jkt.map(str::to_owned);
            }
            let issued = g.issue_tokens(
                &authorization,
                Some(chain),
                &self.profile.style,
                lifetimes,
                now,
            );
            Ok((authorization, issued))
        })
    }

    /// The refresh grant (RFC 6749 §6), rotating the refresh token or not.
    pub fn refresh(
        &self,
        refresh_token: &str,
        rotate: bool,
        now: i64,
    ) -> Result<(Authorization, Issued), RefreshError> {
        let lifetimes = self.lifetimes();
        self.grants
            .update(|g| g.refresh(refresh_token, rotate, &self.profile.style, lifetimes, now))
    }

    /// Issues tokens on a grant of their own, with no code before them.
    pub fn issue_tokens(&self, authorization: &Authorization, now: i64) -> Issued {
        let lifetimes = self.lifetimes();
        self.grants
            .update(|g| g.issue_tokens(authorization, None, &self.profile.style, lifetimes, now))
    }

    /// Knob: every refresh token stops working.
    pub fn revoke_all_refresh_tokens(&self) {
        self.grants.update(|g| g.revoke_all_refresh_tokens());
    }

    /// Knob: every access token expires now (refresh tokens still work).
    pub fn expire_all_access_tokens(&self) {
        self.grants
            .update(|g| g.expire_all_access_tokens(super::now()));
    }

    /// A message page's view in the provider's branding, without a link.
    pub fn message_view(&self, title: &str, text: &str) -> MessageView {
        MessageView {
            brand: self.profile.brand,
            title: title.to_owned(),
            message: text.to_owned(),
            link: None,
            link_text: String::new(),
            stylesheet: stylesheet_url(&self.config),
        }
    }

    /// A message page with `status`: errors that must not redirect.
    pub fn message(&self, status: StatusCode, title: &str, text: &str) -> HttpResponse {
        self.pages.message(&self.message_view(title, text), status)
    }

    /// A message page with a link back to the site's home page: for a
    /// consent that can no longer be answered, where the only way on is to
    /// log in again from the site.
    pub fn message_home(&self, status: StatusCode, title: &str, text: &str) -> HttpResponse {
        let view = MessageView {
            link: Some(site_home(&self.config)),
            link_text: "Back to the site".to_owned(),
            ..self.message_view(title, text)
        };
        self.pages.message(&view, status)
    }
}

/// An authorization request waiting for the person's answer.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    /// The registered redirect URI the answer goes to.
    pub redirect_uri: String,
    /// The client's `state`.
    pub state: Option<String>,
    /// The PKCE challenge the code will be bound to.
    pub code_challenge: Option<String>,
    /// The scope the code will carry, as the provider writes it.
    pub scope: String,
    /// OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// Whether the code's tokens come with a refresh token.
    pub offline: bool,
    /// The DPoP key thumbprint the request bound the code to.
    pub dpop_jkt: Option<String>,
}
