//! The query of `/auth/{provider}/callback` (and of a `form_post` body), and
//! of `/login/{provider}`, read as the handlers read them: the extractor,
//! then the OAuth 2 and OAuth 1 clients' callback checks against a store
//! holding a pending login, and the `next` path check.
//!
//! A query whose `state` is `PENDING` gets the pending login's real state,
//! so the checks after the state (error, `iss`, `code`) are reached too. The
//! token endpoint is `127.0.0.1:0`, which refuses at once: nothing is sent.

#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;
use std::time::Duration;

use actix_web::web;
use libfuzzer_sys::fuzz_target;
use trilogin_accounts::providers::{github, twitter};
use trilogin::web::login::LoginQuery;
use trilogin::web::next::same_site_path;
use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::session::MemoryLoginSession;
use trilogin_oauth::{ClientConfig, OAuth};

const REDIRECT_URI: &str = "http://127.0.0.1:8080/auth/github/callback";
const REFUSING: &str = "http://127.0.0.1:0/";

static RUNTIME: LazyLock<Option<tokio::runtime::Runtime>> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
});

static CLIENTS: LazyLock<Option<OAuth>> = LazyLock::new(|| {
    let http = trilogin_oauth::http::build_client("trilogin-fuzz", Duration::from_secs(1)).ok()?;
    let at = |path: &str| url::Url::parse(REFUSING).ok()?.join(path).ok();
    let mut oauth = OAuth::new(http);
    let github = ClientConfig {
        client_id: "fuzz".into(),
        client_secret: Some(ClientSecret::new("fuzz-secret")),
        access_token_url: at("token"),
        ..github::preset()
    };
    let twitter = ClientConfig {
        client_id: "fuzz".into(),
        client_secret: Some(ClientSecret::new("fuzz-secret")),
        request_token_url: at("request_token"),
        authorize_url: at("authorize"),
        access_token_url: at("access_token"),
        ..twitter::preset()
    };
    oauth.register("github", github).ok()?;
    oauth.register("twitter", twitter).ok()?;
    Some(oauth)
});

fuzz_target!(|query: &str| {
    if let Ok(login) = web::Query::<LoginQuery>::from_query(query)
        && let Some(kept) = login.next.as_deref().and_then(same_site_path)
    {
        let site = url::Url::parse("https://site.test/account").ok();
        let target = site.as_ref().and_then(|site| site.join(kept).ok());
        assert_eq!(
            target.map(|t| t.origin()),
            site.map(|s| s.origin()),
            "{kept:?} leaves the site"
        );
    }

    let Ok(params) = web::Query::<BTreeMap<String, String>>::from_query(query) else {
        return;
    };
    let mut params = params.into_inner();
    let (Some(runtime), Some(clients)) = (RUNTIME.as_ref(), CLIENTS.as_ref()) else {
        return;
    };
    let session = MemoryLoginSession::new();
    runtime.block_on(async {
        let (Some(github), Some(twitter)) = (clients.client("github"), clients.client("twitter"))
        else {
            return;
        };
        if let Ok(redirect) = github.authorize_redirect(&session, REDIRECT_URI, &[]).await
            && params.get("state").is_some_and(|s| s == "PENDING")
            && let Some((_, state)) = redirect.query_pairs().find(|(k, _)| k == "state")
        {
            params.insert("state".into(), state.into_owned());
        }
        let _ = github.authorize_access_token(&session, &params).await;
        let _ = twitter.authorize_access_token(&session, &params).await;
    });
});
