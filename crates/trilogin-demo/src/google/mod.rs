//! Demo Google: an OpenID Connect provider in Google's shapes, served under
//! `/_demo/google/` with issuer `{app_url}/_demo/google`.
//!
//! Discovery, a JWKS of RS256 keys kept under the data directory, the
//! authorization endpoint with a consent page (PKCE S256, `nonce`,
//! `login_hint`, `prompt`, `access_type=offline`, RFC 9207 `iss` in the
//! answer), the token endpoint (code and refresh grants; refresh tokens do
//! not rotate, as at Google), signed id_tokens with `at_hash`, `userinfo`,
//! revocation and an end-session endpoint.

mod authorize;
mod discovery;
pub mod id_token;
mod keys;
mod logout;
mod revoke;
mod token;
mod userinfo;

use std::sync::{Arc, Mutex};

use actix_web::{middleware, web};

use super::knobs::{Knobs, lock};
use super::oauth2_server::consent::{Brand, Pages, PendingConsents};
use super::oauth2_server::grants::{GrantStore, Lifetimes, TokenStyle};
use super::oauth2_server::{delayed, now, secs};
use super::{DemoConfig, GOOGLE_CLIENT_ID};
use id_token::IdTokenFault;
use keys::SigningKeys;

/// The name the demo Google client shows on its consent page.
pub const APP_NAME: &str = "trilogin";

/// Folder under the data directory that holds the signing keys (PEM, 0600).
pub const KEYS_DIR: &str = "demo-google-keys";

/// Lifetime of an id_token, in seconds (Google: one hour).
pub const ID_TOKEN_TTL_SECS: i64 = 3600;

const BRAND: Brand = Brand {
    brand: "Google",
    brand_class: "google",
};

// Google's shapes: `4/0A…` codes, `ya29.` access tokens, `1//0…` refresh tokens.
const STYLE: TokenStyle = TokenStyle {
    code_prefix: "4/0A",
    code_len: 70,
    access_prefix: "ya29.a0A",
    access_len: 120,
    refresh_prefix: "1//0",
    refresh_len: 100,
};

/// The demo Google provider's state.
#[derive(Debug)]
pub struct DemoGoogle {
    config: DemoConfig,
    knobs: Knobs,
    grants: GrantStore,
    consents: PendingConsents<authorize::PendingAuthorization>,
    pages: Pages,
    keys: SigningKeys,
    id_token_fault: Mutex<Option<IdTokenFault>>,
}

impl DemoGoogle {
    /// Builds the provider: loads (or, on first start, makes) the signing
    /// key and the grants saved under `data_dir`.
    pub fn new(config: &DemoConfig) -> anyhow::Result<Self> {
        Ok(Self {
            config: config.clone(),
            knobs: Knobs::default(),
            grants: GrantStore::open(config.data_dir.join("demo-google-grants.json"))?,
            consents: PendingConsents::default(),
            pages: Pages::new()?,
            keys: SigningKeys::load_or_create(config.data_dir.join(KEYS_DIR))?,
            id_token_fault: Mutex::new(None),
        })
    }

    /// Fault injection, latency and call counts. Call names: `discovery`,
    /// `jwks`, `authorize` (consent page shown), `consent` (answer posted),
    /// `token` (code exchange), `refresh`, `userinfo`, `revoke`, `end_session`.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// The issuer, `{app_url}/_demo/google` (no trailing slash).
    pub fn issuer(&self) -> String {
        self.config
            .provider_url("google")
            .as_str()
            .trim_end_matches('/')
            .to_owned()
    }

    /// Knob: every refresh token stops working (`invalid_grant`).
    pub fn revoke_all_refresh_tokens(&self) {
        self.grants.update(|g| g.revoke_all_refresh_tokens());
    }

    /// Knob: every access token expires now; `userinfo` answers 401.
    pub fn expire_all_access_tokens(&self) {
        self.grants.update(|g| g.expire_all_access_tokens(now()));
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

    /// Mounts the provider's routes under `/_demo/google`.
    pub fn configure(self: &Arc<Self>, cfg: &mut web::ServiceConfig) {
        let me = Arc::clone(self);
        cfg.service(
            web::scope("/_demo/google")
                .app_data(web::Data::from(Arc::clone(self)))
                .wrap(middleware::from_fn(move |req, next| {
                    delayed(me.knobs.latency(), req, next)
                }))
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery::openid_configuration),
                )
                .route("/oauth2/v3/certs", web::get().to(discovery::jwks))
                .route("/o/oauth2/v2/auth", web::get().to(authorize::consent_page))
                .route("/o/oauth2/v2/auth", web::post().to(authorize::decide))
                .route("/token", web::post().to(token::token))
                .route("/userinfo", web::get().to(userinfo::userinfo))
                .route("/userinfo", web::post().to(userinfo::userinfo))
                .route("/revoke", web::post().to(revoke::revoke))
                .route("/logout", web::get().to(logout::end_session)),
        );
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer())
    }

    fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            access: secs(self.config.access_token_ttl),
            refresh: secs(self.config.refresh_token_ttl),
        }
    }

    fn redirect_uri(&self) -> String {
        self.config.redirect_uri("google")
    }

    fn client_id(&self) -> &'static str {
        GOOGLE_CLIENT_ID
    }

    fn take_id_token_fault(&self) -> Option<IdTokenFault> {
        lock(&self.id_token_fault).take()
    }
}
