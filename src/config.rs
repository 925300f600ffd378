//! Settings from the environment, typed and checked once at start-up.
//!
//! `.env` is read by dotenvy, then every value is parsed here; a bad value
//! stops start-up with one line naming the variable. Defaults make
//! `cargo run` work with no `.env` at all. `.env.example` documents every key.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use trilogin_accounts::Provider;
use trilogin_accounts::crypto::KeyTooShort;
pub use trilogin_accounts::crypto::{MIN_SECRET_KEY_LEN, SecretKey};
use trilogin_accounts::db::{Database, PoolSettings};

mod database;
pub mod provider_env;
pub mod trusted_proxies;

pub use trusted_proxies::TrustedProxies;

/// The preset providers, by the name used in routes and variables, in
/// [`Provider::PRESETS`]'s order.
pub const PROVIDERS: [&str; 3] = [
    Provider::PRESETS[0].name(),
    Provider::PRESETS[1].name(),
    Provider::PRESETS[2].name(),
];

/// The site's own variables: no provider of `OIDC_PROVIDERS` may take a
/// name whose `<NAME>_` prefix would read one of them.
pub const SITE_VARIABLES: &[&str] = &[
    "APP_URL",
    "BIND",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT",
    "DATA_DIR",
    "SECRET_KEY",
    "ASSETS_DIR",
    "RUST_LOG",
    "SESSION_TTL",
    "HTTP_TIMEOUT",
    "DEMO_PROVIDERS",
    "DEMO_ACCESS_TOKEN_TTL",
    "DEMO_REFRESH_TOKEN_TTL",
    "LOGIN_RATE_LIMIT",
    "TRUSTED_PROXIES",
    "OIDC_PROVIDERS",
];

/// The setting beside a provider's client parameters that names it on the
/// pages: `<NAME>_DISPLAY_NAME`, for the providers of `OIDC_PROVIDERS`.
pub const DISPLAY_NAME: &str = "DISPLAY_NAME";

/// Name of the generated key file inside the data directory.
pub const SECRET_KEY_FILE: &str = "secret.key";

/// A configuration value that stops start-up. `Display` is one line naming
/// the variable, printed as `error: ...` by `main`.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable holds a value that cannot be used.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable's name.
        var: &'static str,
        /// What is wrong with it, and what is expected.
        reason: String,
    },
    /// `.env` exists but cannot be read.
    #[error(".env: {0}")]
    DotEnv(String),
    /// The generated key file cannot be read or written.
    #[error("{path}: {reason}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O failure.
        reason: String,
    },
}

/// Which providers the built-in demo emulations serve (`DEMO_PROVIDERS`).
///
/// Their client secrets and passwords are published, so anyone can log in
/// through them: they serve by default only on a loopback `APP_URL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DemoMode {
    /// `auto`: the demo serves each provider that has no client id, when
    /// `APP_URL`'s host is a loopback address; elsewhere none.
    #[default]
    Auto,
    /// `on`: the demo serves all three providers, configured or not, even
    /// off loopback (then with a warning at start-up and on every page).
    On,
    /// `off`: no demo provider; only configured providers are offered.
    Off,
}

/// Everything the app reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `APP_URL`: the site's public origin; callback URLs are built from it.
    /// A port of 0 is replaced by the bound port at start-up.
    pub app_url: Url,
    /// `BIND`: the socket address to listen on (default: APP_URL's host when
    /// it is an IP address, else 127.0.0.1, and APP_URL's port).
    pub bind: SocketAddr,
    /// `DATABASE_URL`: a `postgres://` or `postgresql://` URL selects
    /// PostgreSQL; anything else is the SQLite file (default `data/app.db`),
    /// a `sqlite:` or `file:` URL reduced to its path.
    pub database: Database,
    /// `DATABASE_POOL_SIZE`, `DATABASE_CONNECT_TIMEOUT` and
    /// `DATABASE_STATEMENT_TIMEOUT` (PostgreSQL): connections per process
    /// (default 8), how long a request waits for one (default 10 s), and the
    /// longest a statement may run (default 30 s).
    pub pool: PoolSettings,
    /// `DATA_DIR`: where generated state lives (the development secret key,
    /// the demo providers' state and keys); default `data`.
    pub data_dir: PathBuf,
    /// `SECRET_KEY`; `None` means a key generated once and kept in
    /// `<data_dir>/secret.key`, allowed only on a loopback `APP_URL`.
    pub secret_key: Option<SecretKey>,
    /// `ASSETS_DIR` (development): a folder holding `templates/` and
    /// `static/`, read from disk on every request instead of the copies
    /// compiled into the binary.
    pub assets_dir: Option<PathBuf>,
    /// `RUST_LOG`: the tracing filter (default `info`).
    pub log_filter: String,
    /// `SESSION_TTL`: how long an idle session lives (default 14 days).
    pub session_ttl: Duration,
    /// `HTTP_TIMEOUT`: total timeout of outbound calls to providers (default
    /// 10 s), set once on the shared client; a provider's `<NAME>_TIMEOUT`
    /// replaces it for that provider.
    pub http_timeout: Duration,
    /// `DEMO_PROVIDERS`: `auto` (default), `on` or `off`.
    pub demo_providers: DemoMode,
    /// `OIDC_PROVIDERS`: further OpenID Connect providers by name (comma
    /// separated), each configured by its `<NAME>_*` settings and shown
    /// after the presets in this order.
    pub oidc_providers: Vec<String>,
    /// `LOGIN_RATE_LIMIT`: login starts allowed per minute from one client
    /// address, also the burst (default 30; 0 turns the limit off).
    pub login_rate_limit: u32,
    /// `TRUSTED_PROXIES`: the load balancers (addresses or networks, comma
    /// separated) whose `X-Forwarded-For` names the client that the login
    /// rate limit counts (default none: the connection's own address).
    pub trusted_proxies: TrustedProxies,
    /// `DEMO_ACCESS_TOKEN_TTL`: access token lifetime at the demo providers (default 8 h).
    pub demo_access_token_ttl: Duration,
    /// `DEMO_REFRESH_TOKEN_TTL`: refresh token lifetime at the demo providers (default 180 d).
    pub demo_refresh_token_ttl: Duration,
    /// Every `TWITTER_*`, `GITHUB_*` and `GOOGLE_*` variable, and those of
    /// each provider of `OIDC_PROVIDERS`, for the OAuth layer to read as
    /// `<NAME>_<PARAM>`.
    pub provider_env: BTreeMap<String, String>,
}

impl Config {
    /// Reads `.env` (when present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::DotEnv(e.to_string())),
        }
        // `std::env::vars` panics on a non-UTF-8 variable; such a variable
        // is none of ours, so it is skipped.
        let vars: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        let mut config = Self::from_lookup(|key| vars.get(key).cloned())?;
        let names = config.provider_names();
        let provider_vars: Vec<(String, String)> = vars
            .into_iter()
            .filter(|(key, _)| provider_prefix(&names, key).is_some())
            .collect();
        config.provider_env.extend(provider_vars);
        Ok(config)
    }

    /// Builds the configuration from `lookup` (a map in tests, the process
    /// environment in [`Config::from_env`]). Provider variables are the
    /// `<NAME>_<PARAM>` names of [`oauth::env::PARAMS`](crate::config::provider_env::PARAMS).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());

        let app_url = parse_app_url(get("APP_URL").as_deref().unwrap_or("http://127.0.0.1:8080"))?;
        let bind = match get("BIND") {
            Some(bind) => bind.trim().parse().map_err(|_| ConfigError::Invalid {
                var: "BIND",
                reason: format!("{bind:?} is not a socket address such as 127.0.0.1:8080"),
            })?,
            None => default_bind(&app_url),
        };
        let database = get("DATABASE_URL").map_or_else(
            || Ok(Database::Sqlite(PathBuf::from("data/app.db"))),
            |value| database::database(&value),
        )?;
        let data_dir = get("DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from);
        let secret_key = get("SECRET_KEY")
            .map(|key| SecretKey::new(key).map_err(invalid_key))
            .transpose()?;
        let duration = |var: &'static str, default: Duration| {
            get(var).map_or(Ok(default), |v| parse_duration(var, &v))
        };
        let demo_providers = match get("DEMO_PROVIDERS") {
            None => DemoMode::Auto,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "auto" => DemoMode::Auto,
                "on" if !cfg!(feature = "demo") => {
                    return Err(ConfigError::Invalid {
                        var: "DEMO_PROVIDERS",
                        reason: "this binary was built without the demo providers \
                                 (cargo feature `demo`)"
                            .to_owned(),
                    });
                }
                "on" => DemoMode::On,
                "off" => DemoMode::Off,
                _ => {
                    return Err(ConfigError::Invalid {
                        var: "DEMO_PROVIDERS",
                        reason: format!("{v:?} is not one of auto, on, off"),
                    });
                }
            },
        };

        let oidc_providers = match get("OIDC_PROVIDERS") {
            Some(value) => oidc_providers(&value)?,
            None => Vec::new(),
        };
        let provider_env = PROVIDERS
            .iter()
            .map(|name| (*name, &[][..]))
            .chain(
                oidc_providers
                    .iter()
                    .map(|name| (name.as_str(), &[DISPLAY_NAME][..])),
            )
            .flat_map(|(name, extra)| {
                crate::config::provider_env::PARAMS
                    .iter()
                    .chain(extra)
                    .map(move |param| format!("{}_{param}", name.to_ascii_uppercase()))
            })
            .filter_map(|key| lookup(&key).map(|value| (key, value)))
            .collect();

        let config = Self {
            bind,
            database,
            pool: PoolSettings {
                size: match get("DATABASE_POOL_SIZE") {
                    None => PoolSettings::default().size,
                    Some(v) => v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| ConfigError::Invalid {
                            var: "DATABASE_POOL_SIZE",
                            reason: format!("{v:?} is not a number of connections from 1 to 1000"),
                        })?,
                },
                connect_timeout: duration(
                    "DATABASE_CONNECT_TIMEOUT",
                    PoolSettings::default().connect_timeout,
                )?,
                statement_timeout: duration(
                    "DATABASE_STATEMENT_TIMEOUT",
                    PoolSettings::default().statement_timeout,
                )?,
            },
            data_dir,
            secret_key,
            assets_dir: get("ASSETS_DIR").map(PathBuf::from),
            log_filter: get("RUST_LOG").unwrap_or_else(|| "info".to_owned()),
            session_ttl: duration("SESSION_TTL", Duration::from_secs(14 * DAY))?,
            http_timeout: duration("HTTP_TIMEOUT", Duration::from_secs(10))?,
            demo_providers,
            oidc_providers,
            login_rate_limit: match get("LOGIN_RATE_LIMIT") {
                None => DEFAULT_LOGIN_RATE_LIMIT,
                Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                    var: "LOGIN_RATE_LIMIT",
                    reason: format!(
                        "{v:?} is not a number of login starts per minute (0 turns the limit off)"
                    ),
                })?,
            },
            trusted_proxies: match get("TRUSTED_PROXIES") {
                None => TrustedProxies::default(),
                Some(v) => TrustedProxies::parse(&v).map_err(|reason| ConfigError::Invalid {
                    var: "TRUSTED_PROXIES",
                    reason,
                })?,
            },
            demo_access_token_ttl: duration(
                "DEMO_ACCESS_TOKEN_TTL",
                Duration::from_secs(8 * HOUR),
            )?,
            demo_refresh_token_ttl: duration(
                "DEMO_REFRESH_TOKEN_TTL",
                Duration::from_secs(180 * DAY),
            )?,
            provider_env,
            app_url,
        };
        config.check_secret_key_source()?;
        Ok(config)
    }

    /// True when `provider` has a client id of its own (`<NAME>_CLIENT_ID`).
    pub fn is_configured(&self, provider: &str) -> bool {
        self.provider_env
            .get(&format!("{}_CLIENT_ID", provider.to_ascii_uppercase()))
            .is_some_and(|id| !id.trim().is_empty())
    }

    /// Every provider's name: the presets, then `OIDC_PROVIDERS`.
    pub fn provider_names(&self) -> Vec<&str> {
        PROVIDERS
            .into_iter()
            .chain(self.oidc_providers.iter().map(String::as_str))
            .collect()
    }

    /// How the pages name the provider `name` of `OIDC_PROVIDERS`: its
    /// `<NAME>_DISPLAY_NAME`, else the name with a capital.
    pub fn display_name(&self, name: &str) -> String {
        self.provider_env
            .get(&format!("{}_{DISPLAY_NAME}", name.to_ascii_uppercase()))
            .map(|label| label.trim())
            .filter(|label| !label.is_empty())
            .map_or_else(
                || trilogin_accounts::provider::capitalised(name),
                str::to_owned,
            )
    }

    /// The providers the demo emulations serve, in [`Config::provider_names`]
    /// order: none in a build without them (cargo feature `demo`). A
    /// provider of `OIDC_PROVIDERS` is served by a demo Google of its own.
    pub fn demo_served(&self) -> Vec<&str> {
        if !cfg!(feature = "demo") {
            return Vec::new();
        }
        self.provider_names()
            .into_iter()
            .filter(|name| match self.demo_providers {
                DemoMode::On => true,
                DemoMode::Off => false,
                DemoMode::Auto => self.is_loopback() && !self.is_configured(name),
            })
            .collect()
    }

    /// True when a person can log in with `provider`: it is configured or a
    /// demo serves it.
    pub fn is_available(&self, provider: &str) -> bool {
        self.is_configured(provider) || self.demo_served().contains(&provider)
    }

    /// True when `APP_URL`'s host is a loopback address (127.0.0.0/8, `::1`,
    /// `localhost`): the site names itself a developer's machine, where demo
    /// providers and a generated secret key are good enough.
    pub fn is_loopback(&self) -> bool {
        trilogin_oauth::http::is_loopback(&self.app_url)
    }

    /// True when demo providers are served on an `APP_URL` off loopback,
    /// where anyone who knows their published secrets can log in.
    pub fn demo_exposed(&self) -> bool {
        !self.is_loopback() && !self.demo_served().is_empty()
    }

    /// True when the site is served over TLS (session cookies are `Secure`).
    pub fn is_https(&self) -> bool {
        self.app_url.scheme() == "https"
    }

    /// The configured `SECRET_KEY`, or on a loopback `APP_URL` the
    /// development key kept in `<data_dir>/secret.key`, generated on first
    /// use (64 random bytes, readable by the owner only).
    pub fn resolve_secret_key(&self) -> Result<SecretKey, ConfigError> {
        self.check_secret_key_source()?;
        match &self.secret_key {
            Some(key) => Ok(key.clone()),
            None => load_or_create_key_file(&self.data_dir.join(SECRET_KEY_FILE)),
        }
    }

    /// Off loopback the key must be configured: a key generated next to the
    /// database is as safe as the database file, and every copy or backup
    /// of that folder would carry what forges sessions and opens tokens.
    fn check_secret_key_source(&self) -> Result<(), ConfigError> {
        if self.secret_key.is_some() {
            return Ok(());
        }
        if !self.is_loopback() {
            return Err(ConfigError::Invalid {
                var: "SECRET_KEY",
                reason: format!(
                    "must be set when APP_URL ({}) is not a loopback address; generate one with `openssl rand -base64 48`",
                    self.app_url.as_str().trim_end_matches('/')
                ),
            });
        }
        if matches!(self.database, Database::Postgres(_)) {
            return Err(ConfigError::Invalid {
                var: "SECRET_KEY",
                reason: "must be set on PostgreSQL: the processes that share the database must share the key; generate one with `openssl rand -base64 48`".to_owned(),
            });
        }
        Ok(())
    }
}

/// Login starts per minute from one address: far above what a person
/// clicks, far below a flood.
const DEFAULT_LOGIN_RATE_LIMIT: u32 = 30;

const HOUR: u64 = 60 * 60;
const DAY: u64 = 24 * HOUR;
/// The longest duration a setting takes. Expiry times are dates, and a
/// far longer one would end past the calendar's last year.
const MAX_DURATION_SECS: u64 = 36_500 * DAY;

fn parse_app_url(value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        var: "APP_URL",
        reason,
    };
    let url = Url::parse(value.trim())
        .map_err(|e| invalid(format!("{value:?} is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(format!(
            "{value:?} must be an http:// or https:// origin such as http://127.0.0.1:8080"
        )));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "{value:?} must be an origin without path, query or fragment"
        )));
    }
    Ok(url)
}

fn default_bind(app_url: &Url) -> SocketAddr {
    let ip = match app_url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        // A named host is usually a proxy in front: listen on loopback only.
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, app_url.port_or_known_default().unwrap_or(8080))
}

/// Parses `30s`, `15m`, `8h` or `180d`.
fn parse_duration(var: &'static str, value: &str) -> Result<Duration, ConfigError> {
    let invalid = || ConfigError::Invalid {
        var,
        reason: format!(
            "{value:?} is not a duration such as 30s, 15m, 8h or 180d (at most 36500d)"
        ),
    };
    let value = value.trim();
    let split = value.len().saturating_sub(1);
    let (number, unit) = (value.get(..split), value.get(split..));
    let number: u64 = number.and_then(|n| n.parse().ok()).ok_or_else(invalid)?;
    let unit = match unit {
        Some("s") => 1,
        Some("m") => 60,
        Some("h") => HOUR,
        Some("d") => DAY,
        _ => return Err(invalid()),
    };
    match number.checked_mul(unit) {
        Some(secs) if secs > 0 && secs <= MAX_DURATION_SECS => Ok(Duration::from_secs(secs)),
        _ => Err(invalid()),
    }
}

/// `OIDC_PROVIDERS`: names checked one by one, then against each other
/// and the site's own variables, since each becomes a `<NAME>_` prefix.
fn oidc_providers(value: &str) -> Result<Vec<String>, ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        var: "OIDC_PROVIDERS",
        reason,
    };
    let mut names: Vec<String> = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        Provider::check_oidc_name(name).map_err(invalid)?;
        if names.iter().any(|n| n == name) {
            return Err(invalid(format!("{name:?} is listed twice")));
        }
        names.push(name.to_owned());
    }
    let every = || {
        PROVIDERS
            .into_iter()
            .chain(names.iter().map(String::as_str))
    };
    for name in &names {
        let prefix = format!("{}_", name.to_ascii_uppercase());
        if let Some(var) = SITE_VARIABLES.iter().find(|var| var.starts_with(&prefix)) {
            return Err(invalid(format!(
                "{name:?} would read the site's own {var} as one of its settings; choose another name"
            )));
        }
        for other in every().filter(|other| other != name) {
            let other_prefix = format!("{}_", other.to_ascii_uppercase());
            if prefix.starts_with(&other_prefix) || other_prefix.starts_with(&prefix) {
                return Err(invalid(format!(
                    "{name:?} and {other:?} would share settings ({prefix}… and {other_prefix}…); choose names that do not extend each other with _"
                )));
            }
        }
    }
    Ok(names)
}

fn provider_prefix<'n>(names: &[&'n str], key: &str) -> Option<&'n str> {
    names.iter().copied().find(|name| {
        key.strip_prefix(name.to_ascii_uppercase().as_str())
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|param| !param.is_empty())
    })
}

fn load_or_create_key_file(path: &Path) -> Result<SecretKey, ConfigError> {
    use std::io::Write as _;

    let key_file_error = |e: std::io::Error| ConfigError::KeyFile {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            return SecretKey::new(bytes.trim_ascii()).map_err(|_| ConfigError::KeyFile {
                path: path.to_path_buf(),
                reason: format!(
                    "holds fewer than {MIN_SECRET_KEY_LEN} bytes; delete it to generate a new key"
                ),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(key_file_error(e)),
    }

    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(key_file_error)?;
    }
    let key = {
        use base64::Engine as _;
        use rand::RngCore as _;
        let mut bytes = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(key.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(key_file_error)?;
            tracing::warn!(
                path = %path.display(),
                "SECRET_KEY is not set: generated a development key; production must set SECRET_KEY"
            );
            SecretKey::new(key.into_bytes()).map_err(invalid_key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_or_create_key_file(path),
        Err(e) => Err(key_file_error(e)),
    }
}

/// `SECRET_KEY` is too short.
fn invalid_key(error: KeyTooShort) -> ConfigError {
    ConfigError::Invalid {
        var: "SECRET_KEY",
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn defaults_need_no_variable_at_all() {
        let config = config(&[]).unwrap();
        assert_eq!(config.app_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(config.bind, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            config.database,
            Database::Sqlite(PathBuf::from("data/app.db"))
        );
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.pool, PoolSettings::default());
        assert!(config.secret_key.is_none());
        assert_eq!(config.demo_providers, DemoMode::Auto);
        assert_eq!(config.demo_access_token_ttl, Duration::from_secs(8 * 3600));
        assert_eq!(
            config.demo_refresh_token_ttl,
            Duration::from_secs(180 * 86400)
        );
        assert_eq!(config.session_ttl, Duration::from_secs(14 * 86400));
        assert!(!config.is_https());
    }

    #[test]
    fn bind_follows_app_url_unless_set() {
        let key = "k".repeat(MIN_SECRET_KEY_LEN);
        let config1 = config(&[("APP_URL", "http://0.0.0.0:3000"), ("SECRET_KEY", &key)]).unwrap();
        assert_eq!(config1.bind, "0.0.0.0:3000".parse().unwrap());
        let config2 = config(&[
            ("APP_URL", "https://login.example.com"),
            ("SECRET_KEY", &key),
        ])
        .unwrap();
        assert_eq!(config2.bind, "127.0.0.1:443".parse().unwrap());
        assert!(config2.is_https());
        let config3 = config(&[("BIND", "[::1]:9000")]).unwrap();
        assert_eq!(config3.bind, "[::1]:9000".parse().unwrap());
    }

    #[test]
    fn a_malformed_app_url_names_the_variable() {
        for bad in [
            "not a url",
            "ftp://example.com",
            "http://127.0.0.1:8080/app",
            "mailto:a@b",
        ] {
            let err = config(&[("APP_URL", bad)]).unwrap_err().to_string();
            assert!(err.starts_with("APP_URL: "), "{err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn an_unparsable_bind_address_names_the_variable() {
        let err = config(&[("BIND", "localhost")]).unwrap_err().to_string();
        assert!(err.starts_with("BIND: "), "{err}");
    }

    #[test]
    fn a_short_secret_key_is_refused_and_a_long_one_kept() {
        let err = config(&[("SECRET_KEY", "too-short")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("SECRET_KEY: must be at least 32 bytes"),
            "{err}"
        );
        let key = "k".repeat(32);
        let config = config(&[("SECRET_KEY", &key)]).unwrap();
        assert_eq!(config.secret_key.unwrap().secret(), key.as_bytes());
    }

    #[test]
    fn the_secret_key_never_shows_in_debug_output() {
        let key = "s3cr3t-".repeat(6);
        let config = config(&[("SECRET_KEY", &key)]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("SecretKey([redacted])"));
    }

    #[test]
    fn durations_accept_seconds_minutes_hours_and_days() {
        assert_eq!(parse_duration("X", "30s").unwrap(), Duration::from_secs(30));
        assert_eq!(
            parse_duration("X", "15m").unwrap(),
            Duration::from_secs(900)
        );
        assert_eq!(
            parse_duration("X", "8h").unwrap(),
            Duration::from_secs(28_800)
        );
        assert_eq!(
            parse_duration("X", "180d").unwrap(),
            Duration::from_secs(15_552_000)
        );
        for bad in [
            "",
            "8",
            "h",
            "-1h",
            "1.5h",
            "0s",
            "10w",
            "99999999999999999999d",
        ] {
            assert!(parse_duration("X", bad).is_err(), "{bad:?} was accepted");
        }
        let err = config(&[("DEMO_ACCESS_TOKEN_TTL", "soon")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("DEMO_ACCESS_TOKEN_TTL: "), "{err}");
    }

    #[test]
    fn demo_mode_auto_serves_exactly_the_unconfigured_providers() {
        let config1 = config(&[
            ("GITHUB_CLIENT_ID", "Iv1.real"),
            ("GITHUB_CLIENT_SECRET", "x"),
        ])
        .unwrap();
        assert!(config1.is_configured("github"));
        assert_eq!(config1.demo_served(), ["twitter", "google"]);
        assert!(PROVIDERS.iter().all(|p| config1.is_available(p)));
        assert_eq!(
            config1
                .provider_env
                .get("GITHUB_CLIENT_SECRET")
                .map(String::as_str),
            Some("x")
        );

        let on = config(&[("GITHUB_CLIENT_ID", "Iv1.real"), ("DEMO_PROVIDERS", "on")]).unwrap();
        assert_eq!(on.demo_served(), PROVIDERS);

        let off = config(&[("GITHUB_CLIENT_ID", "Iv1.real"), ("DEMO_PROVIDERS", "OFF")]).unwrap();
        assert!(off.demo_served().is_empty());
        assert!(off.is_available("github"));
        assert!(!off.is_available("google"));

        let err = config(&[("DEMO_PROVIDERS", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("DEMO_PROVIDERS: "), "{err}");
    }

    #[test]
    fn off_loopback_auto_serves_no_demo_and_on_serves_all_three_exposed() {
        let key = "k".repeat(MIN_SECRET_KEY_LEN);
        let public = [
            ("APP_URL", "https://login.example.com"),
            ("SECRET_KEY", key.as_str()),
            ("GITHUB_CLIENT_ID", "Iv1.real"),
        ];
        let auto = config(&public).unwrap();
        assert!(!auto.is_loopback());
        assert!(auto.demo_served().is_empty());
        assert!(!auto.demo_exposed());
        assert!(auto.is_available("github"));
        assert!(!auto.is_available("twitter"));

        let on = config(&[public.as_slice(), &[("DEMO_PROVIDERS", "on")]].concat()).unwrap();
        assert_eq!(on.demo_served(), PROVIDERS);
        assert!(on.demo_exposed());

        let local = config(&[
            ("APP_URL", "http://localhost:8080"),
            ("DEMO_PROVIDERS", "on"),
        ])
        .unwrap();
        assert!(local.is_loopback());
        assert!(!local.demo_exposed());
    }

    #[test]
    fn off_loopback_a_missing_secret_key_is_refused_naming_app_url() {
        let err = config(&[("APP_URL", "https://login.example.com")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "SECRET_KEY: must be set when APP_URL (https://login.example.com) is not a loopback address"
            ),
            "{err}"
        );
        let mut local = config(&[("APP_URL", "http://[::1]:8080")]).unwrap();
        assert!(local.is_loopback());
        local.app_url = "https://login.example.com".parse().unwrap();
        let err = local.resolve_secret_key().unwrap_err().to_string();
        assert!(err.starts_with("SECRET_KEY: must be set"), "{err}");
    }

    #[test]
    fn provider_variables_are_recognised_by_their_upper_case_prefix() {
        assert_eq!(
            provider_prefix(&PROVIDERS, "GITHUB_AUTHORIZE_URL"),
            Some("github")
        );
        assert_eq!(
            provider_prefix(&PROVIDERS, "TWITTER_SIGNATURE_METHOD"),
            Some("twitter")
        );
        assert_eq!(
            provider_prefix(&PROVIDERS, "GOOGLE_SERVER_METADATA_URL"),
            Some("google")
        );
        assert_eq!(provider_prefix(&PROVIDERS, "GITHUB_"), None);
        assert_eq!(provider_prefix(&PROVIDERS, "GITHUBX_ID"), None);
        assert_eq!(provider_prefix(&PROVIDERS, "github_client_id"), None);
        assert_eq!(provider_prefix(&PROVIDERS, "APP_URL"), None);
    }

    #[test]
    fn oidc_providers_are_read_in_order_with_their_settings_and_display_names() {
        let config = config(&[
            ("OIDC_PROVIDERS", " keycloak, dot ,"),
            ("KEYCLOAK_CLIENT_ID", "site"),
            ("KEYCLOAK_DISPLAY_NAME", "Staff login"),
            ("DOT_SCOPE", "openid"),
        ])
        .unwrap();
        assert_eq!(config.oidc_providers, ["keycloak", "dot"]);
        assert_eq!(
            config.provider_names(),
            ["twitter", "github", "google", "keycloak", "dot"]
        );
        assert!(config.is_configured("keycloak"));
        assert!(!config.is_configured("dot"));
        assert_eq!(config.display_name("keycloak"), "Staff login");
        assert_eq!(config.display_name("dot"), "Dot");
        assert_eq!(
            config.provider_env.get("DOT_SCOPE").map(String::as_str),
            Some("openid")
        );
        // On loopback the demo stands in for the one without a client id.
        assert_eq!(config.demo_served(), ["twitter", "github", "google", "dot"]);
        assert_eq!(
            provider_prefix(&config.provider_names(), "DOT_CLIENT_ID"),
            Some("dot")
        );
    }

    #[test]
    fn bad_oidc_provider_names_stop_start_up_naming_the_variable() {
        for (value, why) in [
            ("Keycloak", "is not a provider name"),
            ("key-cloak", "is not a provider name"),
            ("9lives", "is not a provider name"),
            ("google", "is taken by the site itself"),
            ("profile", "is taken by the site itself"),
            ("dot,dot", "is listed twice"),
            ("app", "would read the site's own APP_URL"),
            ("database", "would read the site's own DATABASE_URL"),
            ("dot,dot_com", "would share settings"),
            ("google_workspace", "would share settings"),
        ] {
            let err = config(&[("OIDC_PROVIDERS", value)])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("OIDC_PROVIDERS: "), "{value}: {err}");
            assert!(err.contains(why), "{value}: {err}");
        }
        assert!(
            config(&[("OIDC_PROVIDERS", " , ")])
                .unwrap()
                .oidc_providers
                .is_empty()
        );
    }

    #[test]
    fn generated_state_lives_in_data_dir_whatever_the_database() {
        let sqlite = config(&[("DATABASE_URL", "sqlite:///var/lib/trilogin/app.db")]).unwrap();
        assert_eq!(
            sqlite.database,
            Database::Sqlite(PathBuf::from("/var/lib/trilogin/app.db"))
        );
        assert_eq!(sqlite.data_dir, PathBuf::from("data"));
        let elsewhere = config(&[
            ("DATABASE_URL", "file:state/app.db"),
            ("DATA_DIR", "/srv/trilogin"),
        ])
        .unwrap();
        assert_eq!(elsewhere.data_dir, PathBuf::from("/srv/trilogin"));
    }

    #[test]
    fn postgresql_needs_a_secret_key_even_on_loopback() {
        let err = config(&[("DATABASE_URL", "postgres://app@127.0.0.1/trilogin")])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("SECRET_KEY: must be set on PostgreSQL"),
            "{err}"
        );
        let key = "k".repeat(MIN_SECRET_KEY_LEN);
        let keyed = config(&[
            ("DATABASE_URL", "postgres://app@127.0.0.1/trilogin"),
            ("SECRET_KEY", key.as_str()),
        ])
        .unwrap();
        assert_eq!(
            keyed.database,
            Database::Postgres("postgres://app@127.0.0.1/trilogin".to_owned())
        );
        assert!(keyed.resolve_secret_key().is_ok());
    }

    #[test]
    fn pool_settings_are_read_and_checked() {
        let tuned = config(&[
            ("DATABASE_POOL_SIZE", "20"),
            ("DATABASE_CONNECT_TIMEOUT", "3s"),
            ("DATABASE_STATEMENT_TIMEOUT", "1m"),
        ])
        .unwrap();
        assert_eq!(
            tuned.pool,
            PoolSettings {
                size: 20,
                connect_timeout: Duration::from_secs(3),
                statement_timeout: Duration::from_secs(60),
            }
        );
        for bad in ["0", "many", "1001"] {
            let err = config(&[("DATABASE_POOL_SIZE", bad)])
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("DATABASE_POOL_SIZE: "), "{err}");
        }
        let err = config(&[("DATABASE_STATEMENT_TIMEOUT", "soon")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("DATABASE_STATEMENT_TIMEOUT: "), "{err}");
    }

    #[test]
    fn a_missing_secret_key_is_generated_once_privately_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested");
        let config = config(&[("DATA_DIR", data.to_str().unwrap())]).unwrap();
        let first = config.resolve_secret_key().unwrap();
        let second = config.resolve_secret_key().unwrap();
        assert_eq!(first, second);
        assert!(first.secret().len() >= 64);
        let file = dir.path().join("nested").join(SECRET_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&file, "short").unwrap();
        let err = config.resolve_secret_key().unwrap_err().to_string();
        assert!(err.contains("secret.key"), "{err}");
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::strategies::tricky_text;

        fn variables() -> Vec<&'static str> {
            SITE_VARIABLES
                .iter()
                .copied()
                .filter(|var| !var.ends_with("_DIR"))
                .chain(["GITHUB_CLIENT_ID"])
                .collect()
        }

        fn value() -> impl Strategy<Value = String> {
            prop_oneof![
                tricky_text(),
                "[0-9]{1,21}[smhd]?",
                "https?://[a-z0-9.:\\[\\]]{0,20}/?",
            ]
        }

        proptest! {
            #[test]
            fn arbitrary_settings_never_panic_and_a_refusal_names_a_variable_that_was_set(
                vars in prop::collection::btree_map(prop::sample::select(variables()), value(), 0..6),
            ) {
                match Config::from_lookup(|key| vars.get(key).cloned()) {
                    Ok(config) => {
                        let now = time::OffsetDateTime::now_utc();
                        for ttl in [config.session_ttl, config.demo_access_token_ttl, config.demo_refresh_token_ttl] {
                            prop_assert!(ttl.as_secs() > 0);
                            let ttl = time::Duration::try_from(ttl).ok();
                            prop_assert!(ttl.and_then(|ttl| now.checked_add(ttl)).is_some());
                        }
                    }
                    // The one refusal of a variable left unset: a public
                    // site without its own SECRET_KEY.
                    Err(ConfigError::Invalid { var: "SECRET_KEY", .. })
                        if !vars.contains_key("SECRET_KEY") && vars.contains_key("APP_URL") => {}
                    Err(ConfigError::Invalid { var, .. }) => {
                        prop_assert!(vars.contains_key(var), "{} was not set", var);
                    }
                    Err(other) => prop_assert!(false, "{other}"),
                }
            }

            #[test]
            fn a_duration_with_a_unit_reads_back_as_its_seconds_up_to_a_century(
                number in 1u64..=u64::from(u32::MAX),
                (unit, seconds) in prop::sample::select(vec![("s", 1), ("m", 60), ("h", HOUR), ("d", DAY)]),
            ) {
                let read = parse_duration("SESSION_TTL", &format!(" {number}{unit} ")).ok();
                if number * seconds <= 36_500 * DAY {
                    prop_assert_eq!(read, Some(Duration::from_secs(number * seconds)));
                } else {
                    prop_assert_eq!(read, None);
                }
            }
        }
    }

    #[test]
    fn a_duration_past_a_century_is_refused_rather_than_overflowing_dates_later() {
        // 1,000,000,000 days fit a `Duration`, but a session expiring that
        // far ahead is past the calendar's end: every new session panicked.
        let err = config(&[("SESSION_TTL", "1000000000d")]).unwrap_err();
        assert!(err.to_string().starts_with("SESSION_TTL: "), "{err}");
        assert!(config(&[("SESSION_TTL", "36500d")]).is_ok());
        assert!(config(&[("HTTP_TIMEOUT", "36501d")]).is_err());
    }
}
