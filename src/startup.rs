//! Start-up: [`Application::build`] turns a [`Config`] into a bound,
//! ready-to-run server. `main` and the integration tests share this path.
//!
//! Everything shared is built once, before `HttpServer::new`: the pool
//! (and migrations), the templates, the session cookie key, the HTTP client
//! and the demo providers. The server factory closure only clones handles;
//! building them inside it would give each worker its own copy (and its own
//! cookie key).

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_files::Files;
use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::SameSite;
use actix_web::dev::{Server, ServerHandle, ServiceRequest, ServiceResponse, fn_service};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use tracing_actix_web::TracingLogger;

use crate::config::Config;
use crate::demo_mount;
use crate::error::AppError;
use crate::web::login_limit::LoginLimiter;
use crate::web::request_log::RequestSpan;
use crate::web::session_store::{DbSessionStore, cookie_key};
pub use crate::web::state::AppState;
use crate::web::templates::Templates;
use crate::web::{self as site, error_pages, headers};
use trilogin_accounts::crypto::Cipher;
use trilogin_accounts::db::{self, Database, maintenance::Purged, session_states::SessionStates};
use trilogin_accounts::{Provider, Services};
use trilogin_oauth::OAuth;
use trilogin_oauth::http::build_client;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "trilogin_session";
/// How often expired sessions and pending logins are deleted and the WAL
/// truncated: a burst of writes (20,000 anonymous login starts leave a WAL
/// of some 170 MB, as readers keep SQLite's own checkpoints from resetting
/// it) is given back within a minute. With nothing to delete, a round costs
/// two indexed `DELETE`s and a checkpoint of an empty WAL.
const SESSION_PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// How long in-flight requests may finish after SIGINT / SIGTERM.
const SHUTDOWN_TIMEOUT_SECS: u64 = 5;
/// Blocking threads of each worker on SQLite (see `server`).
const SQLITE_BLOCKING_THREADS: usize = 2;

/// A bound server, ready to run.
pub struct Application {
    port: u16,
    address: String,
    state: web::Data<AppState>,
    server: Server,
}

impl Application {
    /// Binds `config.bind` (port 0 picks a free port; an `APP_URL` port of
    /// 0 is then replaced by it), opens and migrates the database, and
    /// builds the shared state and the server.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let secret = config.resolve_secret_key()?;
        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("BIND: cannot listen on {}", config.bind))?;
        let port = listener.local_addr()?.port();
        if config.app_url.port() == Some(0) {
            config
                .app_url
                .set_port(Some(port))
                .map_err(|()| anyhow::anyhow!("APP_URL: cannot take port {port}"))?;
        }
        let address = config.app_url.as_str().trim_end_matches('/').to_owned();

        let cipher = Cipher::new(&secret);
        let pool = db::open(&config.database, &config.pool, &cipher).await?;
        let sessions = DbSessionStore::new(SessionStates::new(pool.clone(), cipher.clone()));
        // Sessions that expired while the app was down go now; the
        // background task takes over from here.
        sessions
            .purge_expired()
            .await
            .context("cannot purge expired sessions")?;
        let templates = match &config.assets_dir {
            Some(dir) => {
                tracing::info!(dir = %dir.display(), "templates and static files are read from disk");
                Templates::from_dir(&dir.join("templates"))?
            }
            None => Templates::embedded()?,
        };
        let user_agent = format!("trilogin/{} (+{address})", env!("CARGO_PKG_VERSION"));
        let http = build_client(&user_agent, config.http_timeout)?;
        let demo = demo_mount::start(&config).context("cannot start the demo providers")?;
        if config.demo_exposed() {
            // Every start, so that it shows in whatever log is read.
            tracing::warn!(
                providers = ?config.demo_served(),
                app_url = %address,
                "DEMO_PROVIDERS=on off loopback: anyone can log in with the published demo \
                 secrets; do not use this in production"
            );
        } else if !demo.is_empty() {
            tracing::info!(providers = ?config.demo_served(), "demo providers are served");
        }

        let oauth = oauth_registry(&config, http.clone())?;
        let config_login_rate_limit = config.login_rate_limit;

        let state = web::Data::new(AppState {
            services: Services::new(oauth, pool, cipher, http),
            sessions,
            templates,
            demo,
            config,
            login_limiter: LoginLimiter::new(config_login_rate_limit),
        });
        let server = server(listener, state.clone(), &secret)?;
        Ok(Self {
            port,
            address,
            state,
            server,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The site's origin without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The shared state (pool, configuration, demo providers ...).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone().into_inner()
    }

    /// A handle that stops the server (what SIGINT / SIGTERM also do).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped, purging expired sessions meanwhile.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let purge = tokio::spawn(purge_expired(self.state.clone().into_inner()));
        let result = self.server.await;
        purge.abort();
        result
    }
}

/// Registers a client for every provider a person can log in with: a
/// configured provider (`<NAME>_CLIENT_ID` set) with its real preset, an
/// unconfigured one with the preset of its demo when the demo serves it.
/// `<NAME>_<PARAM>` settings apply on top of either. The providers of
/// `OIDC_PROVIDERS` are registered as [`Provider::Oidc`] first, and must be
/// configured or served by a demo. A bad setting stops start-up with a
/// message that names the variable.
fn oauth_registry(config: &Config, http: reqwest::Client) -> anyhow::Result<OAuth> {
    let mut oauth = OAuth::new(http);
    let mut providers = Provider::PRESETS.to_vec();
    for name in &config.oidc_providers {
        providers.push(
            Provider::register_oidc(name, &config.display_name(name))
                .map_err(|reason| anyhow::anyhow!("OIDC_PROVIDERS: {reason}"))?,
        );
    }
    for provider in providers {
        let name = provider.name();
        let prefix = name.to_ascii_uppercase();
        let display_name = format!("{prefix}_{}", crate::config::DISPLAY_NAME);
        // Other tools set variables with these prefixes too (`GITHUB_TOKEN`,
        // `GOOGLE_APPLICATION_CREDENTIALS`), so an unknown name is a warning
        // that shows typos, not a reason to refuse to start.
        for key in crate::config::provider_env::unknown_env_keys(name, config.provider_env.keys()) {
            if matches!(provider, Provider::Oidc(_)) && key == display_name {
                continue;
            }
            tracing::warn!("{key} is not a {} setting and is ignored", provider.label());
        }
        let preset = if config.is_configured(name) {
            trilogin_accounts::providers::preset(provider)
        } else if let Some(demo) = demo_mount::preset(config, provider) {
            demo
        } else if matches!(provider, Provider::Oidc(_)) {
            anyhow::bail!(
                "{prefix}_CLIENT_ID: must be set for {name} of OIDC_PROVIDERS, with {prefix}_CLIENT_SECRET and {prefix}_SERVER_METADATA_URL"
            );
        } else {
            continue;
        };
        let client_config = crate::config::provider_env::client_config(name, preset, |var| {
            config.provider_env.get(var).cloned()
        })?;
        if matches!(provider, Provider::Oidc(_)) {
            check_oidc_client(&prefix, &client_config)?;
        }
        oauth
            .register(name, client_config)
            .with_context(|| format!("{prefix}_* settings"))?;
    }
    Ok(oauth)
}

/// What a provider of `OIDC_PROVIDERS` cannot do without: a discovery
/// document (or the endpoints it would name), and the `openid` scope that
/// makes it an OpenID Connect client.
fn check_oidc_client(prefix: &str, config: &trilogin_oauth::ClientConfig) -> anyhow::Result<()> {
    if config.server_metadata_url.is_none()
        && (config.authorize_url.is_none() || config.access_token_url.is_none())
    {
        anyhow::bail!(
            "{prefix}_SERVER_METADATA_URL: must be set: the provider's discovery document, ending in /.well-known/openid-configuration"
        );
    }
    if !config.is_oidc() {
        anyhow::bail!("{prefix}_SCOPE: must include openid for an OpenID Connect provider");
    }
    Ok(())
}

fn server(
    listener: TcpListener,
    state: web::Data<AppState>,
    secret: &crate::config::SecretKey,
) -> anyhow::Result<Server> {
    let key = cookie_key(secret);
    let secure = state.config.is_https();
    let session_ttl =
        time::Duration::try_from(state.config.session_ttl).context("SESSION_TTL: too long")?;
    // Database calls run on the workers' blocking threads (actix-web allows
    // 512, shared among the workers), and each thread that allocates grows
    // its own allocator arena. No more calls can run at once than the pool
    // has connections, so a worker needs no more threads than that; on
    // SQLite, whose calls wait on no network, no more than the cores can
    // run them, so two threads a worker keep them busy.
    let connections = usize::try_from(state.config.pool.size).unwrap_or(1);
    let blocking_threads = match state.config.database {
        Database::Sqlite(_) => connections.min(SQLITE_BLOCKING_THREADS),
        Database::Postgres(_) => connections,
    }
    .max(1);
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(state.sessions.clone(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_secure(secure)
            .cookie_path("/".to_owned())
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(session_ttl)
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
        let demo = state.demo.clone();
        let assets_dir = state.config.assets_dir.clone();
        // The first `wrap` is the innermost: pages are rendered before the
        // session middleware sets its cookie, and the security headers go
        // on last, onto every response.
        App::new()
            .app_data(state.clone())
            .wrap(ErrorHandlers::new().default_handler(error_pages::render))
            .wrap(sessions)
            .wrap_fn(headers::request_id)
            .wrap(TracingLogger::<RequestSpan>::new())
            .wrap_fn(headers::security_headers)
            .configure(site::routes)
            .configure(|cfg| demo_mount::configure(&demo, cfg))
            .configure(|cfg| static_files(cfg, assets_dir.as_deref()))
            .default_service(web::to(error_pages::not_found))
    })
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .run();
    Ok(server)
}

/// Deletes expired sessions and pending logins, and forgets idle addresses
/// of the login rate limit, every [`SESSION_PURGE_INTERVAL`].
/// `/static/`: the compiled-in files, or `<ASSETS_DIR>/static` in development.
fn static_files(cfg: &mut web::ServiceConfig, assets_dir: Option<&Path>) {
    match assets_dir {
        Some(dir) => {
            cfg.service(
                Files::new("/static", dir.join("static")).default_handler(fn_service(
                    |req: ServiceRequest| async {
                        let (req, _) = req.into_parts();
                        Ok(ServiceResponse::new(
                            req,
                            HttpResponse::from_error(AppError::NotFound),
                        ))
                    },
                )),
            );
        }
        None => {
            cfg.route("/static/{file}", web::get().to(site::assets::embedded));
        }
    }
}

async fn purge_expired(state: Arc<AppState>) {
    // Start-up has just purged: the first round is one interval away.
    let first = tokio::time::Instant::now() + SESSION_PURGE_INTERVAL;
    let mut interval = tokio::time::interval_at(first, SESSION_PURGE_INTERVAL);
    loop {
        interval.tick().await;
        state.login_limiter.forget_idle();
        match state.sessions.purge_expired().await {
            Ok(purged) if purged == Purged::default() => {}
            Ok(purged) => tracing::debug!(
                sessions = purged.sessions,
                pending_logins = purged.pending_logins,
                "purged expired sessions and pending logins"
            ),
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot purge expired sessions"),
        }
    }
}
