//! Demo Google: an OpenID Connect provider in Google's shapes, served under
//! `/_demo/google/` with issuer `{app_url}/_demo/google`.
//!
//! Discovery, a JWKS of RS256 keys kept under the data directory, the
//! authorization endpoint with a consent page (PKCE S256, `nonce`,
//! `login_hint`, `prompt`, `access_type=offline`, RFC 9207 `iss` in the
//! answer), the token endpoint (code and refresh grants; refresh tokens do
//! not rotate, as at Google), signed id_tokens with `at_hash`, `userinfo`,
//! revocation and an end-session endpoint. Any other path gets a
//! not-found page.
//!
//! The same provider also stands in for any OpenID Connect provider of the
//! site's `OIDC_PROVIDERS` ([`DemoGoogle::named`]): under `/_demo/{name}/`,
//! with its own issuer, keys and grants, and the demo Google app's
//! credentials.

mod authorize;
mod discovery;
pub mod dpop;
pub mod id_token;
mod keys;
pub mod logout;
mod par;
mod revoke;
mod token;
mod userinfo;

use std::sync::{Arc, Mutex};

use actix_web::web;

use super::knobs::{Knobs, lock};
use super::oauth2_server::authorize::decide;
use super::oauth2_server::authorize::mount;
use super::oauth2_server::consent::Brand;
use super::oauth2_server::grants::TokenStyle;
use super::oauth2_server::not_found::not_found;
use super::oauth2_server::server::{AuthorizationServer, Profile};
use super::{DemoConfig, GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET};
use id_token::IdTokenFault;
use keys::SigningKeys;
use logout::EndSession;

/// Folder under the data directory that holds the signing keys (PEM, 0600).
pub const KEYS_DIR: &str = "demo-google-keys";

/// Lifetime of an id_token, in seconds (Google: one hour).
pub const ID_TOKEN_TTL_SECS: i64 = 3600;

const PROFILE: Profile = Profile {
    name: "google",
    brand: Brand {
        brand: "Google",
        brand_class: "google",
    },
    client_id: GOOGLE_CLIENT_ID,
    client_secret: GOOGLE_CLIENT_SECRET,
    // Google's shapes: `4/0A…` codes, `ya29.` access tokens, `1//0…` refresh tokens.
    style: TokenStyle {
        code_prefix: "4/0A",
        code_len: 70,
        access_prefix: "ya29.a0A",
        access_len: 120,
        refresh_prefix: "1//0",
        refresh_len: 100,
    },
    templates: &[],
};

/// The demo Google provider's state.
#[derive(Debug)]
pub struct DemoGoogle {
    server: AuthorizationServer,
    keys: SigningKeys,
    id_token_fault: Mutex<Option<IdTokenFault>>,
    last_end_session: Mutex<Option<EndSession>>,
    dpop: Mutex<dpop::DpopState>,
    par: Mutex<par::ParState>,
}

impl DemoGoogle {
    /// Builds the provider: loads (or, on first start, makes) the signing
    /// key and the grants saved under `data_dir`.
    pub fn new(config: &DemoConfig) -> anyhow::Result<Self> {
        Self::with_profile(PROFILE, config, KEYS_DIR)
    }

    /// Builds a provider like demo Google but called `name` and shown as
    /// `label`: served under `/_demo/{name}/`, with issuer
    /// `{app_url}/_demo/{name}` and keys in `demo-{name}-keys`.
    pub fn named(config: &DemoConfig, name: &str, label: &str) -> anyhow::Result<Self> {
        // A profile names itself with `'static` text; one per configured
        // provider, made once at start-up.
        let leak = |text: &str| -> &'static str { Box::leak(text.to_owned().into_boxed_str()) };
        let profile = Profile {
            name: leak(name),
            brand: Brand {
                brand: leak(label),
                brand_class: "google",
            },
            ..PROFILE
        };
        Self::with_profile(profile, config, &format!("demo-{name}-keys"))
    }

    fn with_profile(profile: Profile, config: &DemoConfig, keys_dir: &str) -> anyhow::Result<Self> {
        Ok(Self {
            server: AuthorizationServer::new(profile, config)?,
            keys: SigningKeys::load_or_create(config.data_dir.join(keys_dir))?,
            id_token_fault: Mutex::new(None),
            last_end_session: Mutex::new(None),
            dpop: Mutex::default(),
            par: Mutex::default(),
        })
    }

    /// The name in its URLs: `google`, or the name it was made with.
    pub fn name(&self) -> &'static str {
        self.server.profile.name
    }

    /// Fault injection, latency and call counts. Call names: `discovery`,
    /// `jwks`, `authorize` (consent page shown), `consent` (answer posted),
    /// `token` (code exchange), `refresh`, `userinfo`, `revoke`, `end_session`,
    /// `par`.
    pub fn knobs(&self) -> &Knobs {
        &self.server.knobs
    }

    /// The issuer, `{app_url}/_demo/{name}` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.server.endpoint("")
    }

    /// Knob: every refresh token stops working (`invalid_grant`).
    pub fn revoke_all_refresh_tokens(&self) {
        self.server.revoke_all_refresh_tokens();
    }

    /// Knob: every access token expires now; `userinfo` answers 401.
    pub fn expire_all_access_tokens(&self) {
        self.server.expire_all_access_tokens();
    }

    /// Knob: makes a new signing key. The JWKS then lists it and the previous
    /// one; new id_tokens carry the new `kid`. Returns that `kid`.
    pub fn rotate_signing_key(&self) -> anyhow::Result<String> {
        self.keys.rotate()
    }

    /// The `kid` new id_tokens are signed with.
    pub fn signing_kid(&self) -> String {
        self.keys.current_kid()
    }

    /// Knob: the next id_token issued is broken in this way, to test the
    /// client's id_token checks.
    pub fn tamper_next_id_token(&self, fault: IdTokenFault) {
        *lock(&self.id_token_fault) = Some(fault);
    }

    /// Mounts the provider's routes under `/_demo/{name}`.
    pub fn configure(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        mount(self, cfg, |scope| {
            scope
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery::openid_configuration),
                )
                .route("/oauth2/v3/certs", web::get().to(discovery::jwks))
                .route("/o/oauth2/v2/auth", web::get().to(authorize::authorize))
                .route("/o/oauth2/v2/auth", web::post().to(decide::<Self>))
                .route("/token", web::post().to(token::token))
                .route("/par", web::post().to(par::push))
                .route("/userinfo", web::get().to(userinfo::userinfo))
                .route("/userinfo", web::post().to(userinfo::userinfo))
                .route("/revoke", web::post().to(revoke::revoke))
                .route("/logout", web::get().to(logout::end_session))
                .default_service(web::to(not_found::<Self>))
        });
    }

    /// What the last accepted end-session request carried, if any came.
    pub fn last_end_session(&self) -> Option<EndSession> {
        lock(&self.last_end_session).clone()
    }

    fn record_end_session(&self, request: EndSession) {
        *lock(&self.last_end_session) = Some(request);
    }

    fn take_id_token_fault(&self) -> Option<IdTokenFault> {
        lock(&self.id_token_fault).take()
    }
}
