//! Loading a [`ClientConfig`] from `<NAME>_<PARAM>` settings (Authlib's
//! Flask and Starlette convention), on top of a preset.
//!
//! Every field of `ClientConfig` except the compliance hooks has a
//! setting; an empty value counts as unset, so a `.env` template with blank
//! lines changes nothing. A malformed value, or a `<NAME>_*` key that names
//! no parameter, is a start-up error that names the variable.

use std::collections::BTreeMap;
use std::path::PathBuf;

use url::Url;

use trilogin_oauth::config::parse_claims_options;
use trilogin_oauth::config::{
    ClientConfig, CodeChallengeMethod, DpopMode, ParMode, SignatureMethod, SignatureType,
    TokenEndpointAuthMethod, TokenPlacement,
};
use trilogin_oauth::http::check_header;
use trilogin_oauth::secret::ClientSecret;
use trilogin_oauth::{Error, Result};

/// Every parameter a client reads from the environment, as it appears
/// after `<NAME>_`.
pub const PARAMS: &[&str] = &[
    "CLIENT_ID",
    "CLIENT_SECRET",
    "REQUEST_TOKEN_URL",
    "REQUEST_TOKEN_PARAMS",
    "SIGNATURE_METHOD",
    "SIGNATURE_TYPE",
    "REALM",
    "RSA_KEY_FILE",
    "AUTHORIZE_URL",
    "AUTHORIZE_PARAMS",
    "ACCESS_TOKEN_URL",
    "ACCESS_TOKEN_PARAMS",
    "REFRESH_TOKEN_URL",
    "API_BASE_URL",
    "SCOPE",
    "SERVER_METADATA_URL",
    "ISSUER",
    "USERINFO_ENDPOINT",
    "JWKS_URI",
    "JWKS",
    "REVOCATION_ENDPOINT",
    "END_SESSION_ENDPOINT",
    "TOKEN_ENDPOINT_AUTH_METHOD",
    "PRIVATE_KEY_FILE",
    "TOKEN_PLACEMENT",
    "CODE_CHALLENGE_METHOD",
    "LEEWAY",
    "ID_TOKEN_LEEWAY",
    "ID_TOKEN_SIGNING_ALG_VALUES",
    "ID_TOKEN_ISSUER_ALIASES",
    "METADATA_TTL",
    "TIMEOUT",
    "USER_AGENT",
    "HEADERS",
    "PROXY",
    "CLAIMS_OPTIONS",
    "MAX_AGE",
    "ACR_VALUES",
    "ALLOW_INSECURE_HTTP",
    "PUSHED_AUTHORIZATION_REQUEST_ENDPOINT",
    "PAR",
    "DPOP",
];

/// `preset` with every `<NAME>_<PARAM>` that `lookup` knows applied on
/// top (`name` upper-cased, e.g. `GITHUB_CLIENT_ID`).
///
/// `lookup` only answers for the names it is asked about, so this cannot
/// see misspelt keys; [`client_config_from_map`] also refuses
/// those.
pub fn client_config(
    name: &str,
    preset: ClientConfig,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ClientConfig> {
    let prefix = env_prefix(name);
    let mut c = preset;
    for param in PARAMS {
        let var = format!("{prefix}{param}");
        let Some(value) = lookup(&var).filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        let value = value.trim();
        let bad = |why: &str| Error::Config(format!("{var}: {why} (got {value:?})"));
        match *param {
            "CLIENT_ID" => c.client_id = value.to_owned(),
            "CLIENT_SECRET" => c.client_secret = Some(ClientSecret::new(value)),
            "REQUEST_TOKEN_URL" => c.request_token_url = Some(parse_url(value, &bad)?),
            "REQUEST_TOKEN_PARAMS" => c.request_token_params = parse_params(value, &bad)?,
            "SIGNATURE_METHOD" => {
                c.signature_method = match value.to_ascii_uppercase().as_str() {
                    "HMAC-SHA1" => SignatureMethod::HmacSha1,
                    "HMAC-SHA256" => SignatureMethod::HmacSha256,
                    "RSA-SHA1" => SignatureMethod::RsaSha1,
                    "PLAINTEXT" => SignatureMethod::Plaintext,
                    _ => {
                        return Err(bad(
                            "expected HMAC-SHA1, HMAC-SHA256, RSA-SHA1 or PLAINTEXT",
                        ));
                    }
                }
            }
            "SIGNATURE_TYPE" => {
                c.signature_type = match value.to_ascii_lowercase().as_str() {
                    "header" => SignatureType::Header,
                    "query" => SignatureType::Query,
                    "body" => SignatureType::Body,
                    _ => return Err(bad("expected header, query or body")),
                }
            }
            "REALM" => c.realm = Some(value.to_owned()),
            "RSA_KEY_FILE" => c.rsa_key_file = Some(PathBuf::from(value)),
            "AUTHORIZE_URL" => c.authorize_url = Some(parse_url(value, &bad)?),
            "AUTHORIZE_PARAMS" => c.authorize_params = parse_params(value, &bad)?,
            "ACCESS_TOKEN_URL" => c.access_token_url = Some(parse_url(value, &bad)?),
            "ACCESS_TOKEN_PARAMS" => c.access_token_params = parse_params(value, &bad)?,
            "REFRESH_TOKEN_URL" => c.refresh_token_url = Some(parse_url(value, &bad)?),
            "API_BASE_URL" => c.api_base_url = Some(parse_url(value, &bad)?),
            "SCOPE" => c.scope = Some(value.to_owned()),
            "SERVER_METADATA_URL" => c.server_metadata_url = Some(parse_url(value, &bad)?),
            "ISSUER" => c.issuer = Some(value.to_owned()),
            "USERINFO_ENDPOINT" => c.userinfo_endpoint = Some(parse_url(value, &bad)?),
            "JWKS_URI" => c.jwks_uri = Some(parse_url(value, &bad)?),
            "JWKS" => {
                let jwks: serde_json::Value =
                    serde_json::from_str(value).map_err(|_| bad("expected a JSON Web Key Set"))?;
                if !jwks.get("keys").is_some_and(serde_json::Value::is_array) {
                    return Err(bad("expected a JSON object with a \"keys\" array"));
                }
                c.jwks = Some(jwks);
            }
            "REVOCATION_ENDPOINT" => c.revocation_endpoint = Some(parse_url(value, &bad)?),
            "END_SESSION_ENDPOINT" => c.end_session_endpoint = Some(parse_url(value, &bad)?),
            "TOKEN_ENDPOINT_AUTH_METHOD" => {
                c.token_endpoint_auth_method = match value.to_ascii_lowercase().as_str() {
                    "client_secret_basic" => TokenEndpointAuthMethod::ClientSecretBasic,
                    "client_secret_post" => TokenEndpointAuthMethod::ClientSecretPost,
                    "none" => TokenEndpointAuthMethod::None,
                    "client_secret_jwt" => TokenEndpointAuthMethod::ClientSecretJwt,
                    "private_key_jwt" => TokenEndpointAuthMethod::PrivateKeyJwt,
                    _ => {
                        return Err(bad(
                            "expected client_secret_basic, client_secret_post, none, client_secret_jwt or private_key_jwt",
                        ));
                    }
                }
            }
            "PRIVATE_KEY_FILE" => c.private_key_file = Some(PathBuf::from(value)),
            "TOKEN_PLACEMENT" => {
                c.token_placement = match value.to_ascii_lowercase().as_str() {
                    "header" => TokenPlacement::Header,
                    "body" => TokenPlacement::Body,
                    "uri" => TokenPlacement::Uri,
                    _ => return Err(bad("expected header, body or uri")),
                }
            }
            "CODE_CHALLENGE_METHOD" => {
                c.code_challenge_method = match value {
                    "S256" => Some(CodeChallengeMethod::S256),
                    "plain" => Some(CodeChallengeMethod::Plain),
                    "none" => None,
                    _ => return Err(bad("expected S256, plain or none")),
                }
            }
            "LEEWAY" => c.leeway = parse_seconds(value, &bad)?,
            "ID_TOKEN_LEEWAY" => c.id_token_leeway = parse_seconds(value, &bad)?,
            "METADATA_TTL" => c.metadata_ttl = parse_seconds(value, &bad)?,
            "TIMEOUT" => {
                let seconds = parse_seconds(value, &bad)?.whole_seconds();
                let seconds = u64::try_from(seconds)
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| bad("expected a positive number of seconds"))?;
                c.timeout = Some(std::time::Duration::from_secs(seconds));
            }
            "ID_TOKEN_SIGNING_ALG_VALUES" => {
                let algs: Vec<String> = value
                    .split([',', ' '])
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect();
                for alg in &algs {
                    if alg.eq_ignore_ascii_case("none")
                        || alg.parse::<jsonwebtoken::Algorithm>().is_err()
                    {
                        return Err(bad("expected JWS algorithm names such as RS256, ES256"));
                    }
                }
                c.id_token_signing_alg_values = Some(algs);
            }
            "ID_TOKEN_ISSUER_ALIASES" => {
                c.id_token_issuer_aliases = value
                    .split([',', ' '])
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "USER_AGENT" => {
                check_header("User-Agent", value).map_err(|_| bad("expected printable text"))?;
                c.user_agent = Some(value.to_owned());
            }
            "HEADERS" => {
                let headers = parse_params(value, &bad)?;
                for (name, value) in &headers {
                    check_header(name, value)
                        .map_err(|_| bad(&format!("{name} is not a header that can be sent")))?;
                }
                c.headers = headers;
            }
            "PROXY" => {
                let proxy = parse_url(value, &bad)?;
                if !matches!(proxy.scheme(), "http" | "https") {
                    return Err(bad("expected an http:// or https:// proxy URL"));
                }
                c.proxy = Some(proxy);
            }
            "CLAIMS_OPTIONS" => {
                c.claims_options = parse_claims_options(value).map_err(|_| {
                    bad(r#"expected JSON such as {"hd": {"essential": true, "value": "example.com"}}"#)
                })?;
            }
            "MAX_AGE" => c.max_age = Some(parse_seconds(value, &bad)?),
            "ACR_VALUES" => c.acr_values = Some(value.to_owned()),
            "ALLOW_INSECURE_HTTP" => {
                c.allow_insecure_http = match value.to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" => false,
                    _ => return Err(bad("expected true or false")),
                }
            }
            "PUSHED_AUTHORIZATION_REQUEST_ENDPOINT" => {
                c.pushed_authorization_request_endpoint = Some(parse_url(value, &bad)?);
            }
            "PAR" => {
                c.par = match value.to_ascii_lowercase().as_str() {
                    "auto" => ParMode::Auto,
                    "required" => ParMode::Required,
                    "off" => ParMode::Off,
                    _ => return Err(bad("expected auto, required or off")),
                }
            }
            "DPOP" => {
                c.dpop = match value.to_ascii_lowercase().as_str() {
                    "auto" => DpopMode::Auto,
                    "required" => DpopMode::Required,
                    "off" => DpopMode::Off,
                    _ => return Err(bad("expected auto, required or off")),
                }
            }
            _ => {}
        }
    }
    Ok(c)
}

/// Like [`client_config`] over a map of settings, and also
/// refuses any `<NAME>_*` key that is not a parameter (a typo would
/// otherwise be silently ignored).
pub fn client_config_from_map(
    name: &str,
    preset: ClientConfig,
    vars: &BTreeMap<String, String>,
) -> Result<ClientConfig> {
    check_env_keys(name, vars.keys())?;
    client_config(name, preset, |key| vars.get(key).cloned())
}
/// Refuses keys that start with `<NAME>_` but name no parameter.
pub fn check_env_keys<'k>(name: &str, keys: impl IntoIterator<Item = &'k String>) -> Result<()> {
    match unknown_env_keys(name, keys).first() {
        Some(key) => Err(Error::Config(format!(
            "{key}: unknown setting for the {name} client"
        ))),
        None => Ok(()),
    }
}

/// The keys that start with `<NAME>_` but name no parameter: typos, or
/// variables of other tools that share the prefix (`GITHUB_TOKEN`).
pub fn unknown_env_keys<'k>(
    name: &str,
    keys: impl IntoIterator<Item = &'k String>,
) -> Vec<&'k str> {
    let prefix = env_prefix(name);
    keys.into_iter()
        .filter(|key| {
            key.strip_prefix(&prefix)
                .is_some_and(|param| !PARAMS.contains(&param))
        })
        .map(String::as_str)
        .collect()
}

fn env_prefix(name: &str) -> String {
    format!("{}_", name.to_ascii_uppercase())
}

fn parse_url(value: &str, bad: &dyn Fn(&str) -> Error) -> Result<Url> {
    Url::parse(value).map_err(|_| bad("expected an absolute URL"))
}

/// `a=b&c=d`, form-encoded.
fn parse_params(value: &str, bad: &dyn Fn(&str) -> Error) -> Result<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for pair in value.split('&').filter(|p| !p.is_empty()) {
        if !pair.contains('=') {
            return Err(bad("expected name=value pairs joined by &"));
        }
        params.extend(url::form_urlencoded::parse(pair.as_bytes()).into_owned());
    }
    Ok(params)
}

fn parse_seconds(value: &str, bad: &dyn Fn(&str) -> Error) -> Result<time::Duration> {
    value
        .parse::<u32>()
        .map(|s| time::Duration::seconds(i64::from(s)))
        .map_err(|_| bad("expected a whole number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_listed_and_known_ones_are_not() {
        let keys: Vec<String> = [
            "GITHUB_CLIENT_ID",
            "GITHUB_CLIENT_SECRTE",
            "GITHUB_TOKEN",
            "GOOGLE_SCOPE",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            unknown_env_keys("github", &keys),
            ["GITHUB_CLIENT_SECRTE", "GITHUB_TOKEN"]
        );
        assert!(unknown_env_keys("google", &keys).is_empty());
        assert!(check_env_keys("github", &keys).is_err());
    }

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> Result<ClientConfig> {
        client_config_from_map("github", ClientConfig::default(), &vars(pairs))
    }

    fn config_error(result: Result<ClientConfig>) -> String {
        match result {
            Err(Error::Config(message)) => message,
            other => panic!("expected a configuration error, got {other:?}"),
        }
    }

    #[test]
    fn settings_override_the_preset() {
        let preset = ClientConfig {
            client_id: "preset".into(),
            scope: Some("read:user".into()),
            ..ClientConfig::default()
        };
        let c = client_config_from_map(
            "github",
            preset,
            &vars(&[
                ("GITHUB_CLIENT_ID", "from-env"),
                ("GITHUB_CLIENT_SECRET", "s"),
                ("GITHUB_AUTHORIZE_URL", "https://gh.test/authorize"),
                ("GITHUB_AUTHORIZE_PARAMS", "prompt=consent&login=a%20b"),
                ("GITHUB_TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_post"),
                ("GITHUB_TOKEN_PLACEMENT", "uri"),
                ("GITHUB_CODE_CHALLENGE_METHOD", "none"),
                ("GITHUB_LEEWAY", "30"),
                ("GITHUB_TIMEOUT", "3"),
                ("GITHUB_ID_TOKEN_SIGNING_ALG_VALUES", "RS256, ES256"),
                ("GITHUB_ALLOW_INSECURE_HTTP", "true"),
                ("GITHUB_JWKS", r#"{"keys":[]}"#),
                ("GOOGLE_CLIENT_ID", "someone else's"),
            ]),
        )
        .unwrap();
        assert_eq!(c.client_id, "from-env");
        assert_eq!(c.client_secret.unwrap().secret(), "s");
        assert_eq!(
            c.scope.as_deref(),
            Some("read:user"),
            "unset keys keep the preset"
        );
        assert_eq!(
            c.authorize_url.unwrap().as_str(),
            "https://gh.test/authorize"
        );
        assert_eq!(c.authorize_params["login"], "a b");
        assert_eq!(c.authorize_params["prompt"], "consent");
        assert_eq!(
            c.token_endpoint_auth_method,
            TokenEndpointAuthMethod::ClientSecretPost
        );
        assert_eq!(c.token_placement, TokenPlacement::Uri);
        assert_eq!(c.code_challenge_method, None);
        assert_eq!(c.leeway, time::Duration::seconds(30));
        assert_eq!(c.timeout, Some(std::time::Duration::from_secs(3)));
        assert_eq!(
            c.id_token_signing_alg_values.unwrap(),
            vec!["RS256", "ES256"]
        );
        assert!(c.allow_insecure_http);
        assert!(c.jwks.is_some());
    }

    #[test]
    fn http_settings_and_login_requirements_are_read() {
        let c = load(&[
            ("GITHUB_USER_AGENT", "acme-portal/2.0"),
            ("GITHUB_HEADERS", "X-Tenant=acme&X-Trace=on"),
            ("GITHUB_PROXY", "http://proxy.internal:3128"),
            (
                "GITHUB_CLAIMS_OPTIONS",
                r#"{"hd": {"essential": true, "value": "example.com"}}"#,
            ),
            ("GITHUB_MAX_AGE", "300"),
            ("GITHUB_ACR_VALUES", "silver gold"),
        ])
        .unwrap();
        assert_eq!(c.user_agent.as_deref(), Some("acme-portal/2.0"));
        assert_eq!(c.headers["X-Tenant"], "acme");
        assert_eq!(c.headers["X-Trace"], "on");
        assert_eq!(c.proxy.unwrap().as_str(), "http://proxy.internal:3128/");
        assert!(c.claims_options["hd"].essential);
        assert_eq!(c.max_age, Some(time::Duration::minutes(5)));
        assert_eq!(c.acr_values.as_deref(), Some("silver gold"));
    }

    #[test]
    fn oauth1_settings_are_read_too() {
        let c = client_config_from_map(
            "twitter",
            ClientConfig::default(),
            &vars(&[
                (
                    "TWITTER_REQUEST_TOKEN_URL",
                    "https://tw.test/oauth/request_token",
                ),
                ("TWITTER_REQUEST_TOKEN_PARAMS", "x_auth_access_type=read"),
                ("TWITTER_SIGNATURE_METHOD", "RSA-SHA1"),
                ("TWITTER_SIGNATURE_TYPE", "query"),
                ("TWITTER_REALM", "Photos"),
                ("TWITTER_RSA_KEY_FILE", "/keys/tw.pem"),
            ]),
        )
        .unwrap();
        assert!(c.is_oauth1());
        assert_eq!(c.request_token_params["x_auth_access_type"], "read");
        assert_eq!(c.signature_method, SignatureMethod::RsaSha1);
        assert_eq!(c.signature_type, SignatureType::Query);
        assert_eq!(c.realm.as_deref(), Some("Photos"));
        assert_eq!(c.rsa_key_file, Some(PathBuf::from("/keys/tw.pem")));
    }

    #[test]
    fn par_and_dpop_settings_are_read_and_refused_when_malformed() {
        let c = load(&[
            ("GITHUB_PAR", "Required"),
            ("GITHUB_DPOP", "off"),
            (
                "GITHUB_PUSHED_AUTHORIZATION_REQUEST_ENDPOINT",
                "https://gh.test/par",
            ),
        ])
        .unwrap();
        assert_eq!(c.par, ParMode::Required);
        assert_eq!(c.dpop, DpopMode::Off);
        assert_eq!(
            c.pushed_authorization_request_endpoint.unwrap().as_str(),
            "https://gh.test/par"
        );
        let defaults = load(&[]).unwrap();
        assert_eq!(
            (defaults.par, defaults.dpop),
            (ParMode::Auto, DpopMode::Auto)
        );
        for (key, value) in [
            ("GITHUB_PAR", "always"),
            ("GITHUB_DPOP", "yes"),
            ("GITHUB_PUSHED_AUTHORIZATION_REQUEST_ENDPOINT", "par"),
        ] {
            let message = config_error(load(&[(key, value)]));
            assert!(message.starts_with(key), "{key}: {message}");
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        let c = load(&[("GITHUB_CLIENT_SECRET", ""), ("GITHUB_LEEWAY", " ")]).unwrap();
        assert!(c.client_secret.is_none());
        assert_eq!(c.leeway, time::Duration::seconds(60));
        assert_eq!(c.timeout, None, "the shared client's timeout holds");
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (key, value) in [
            ("GITHUB_AUTHORIZE_URL", "not a url"),
            ("GITHUB_TOKEN_ENDPOINT_AUTH_METHOD", "client_secret_magic"),
            ("GITHUB_CODE_CHALLENGE_METHOD", "S512"),
            ("GITHUB_TOKEN_PLACEMENT", "cookie"),
            ("GITHUB_LEEWAY", "-5"),
            ("GITHUB_TIMEOUT", "0"),
            ("GITHUB_ALLOW_INSECURE_HTTP", "maybe"),
            ("GITHUB_SIGNATURE_METHOD", "MD5"),
            ("GITHUB_SIGNATURE_TYPE", "cookie"),
            ("GITHUB_AUTHORIZE_PARAMS", "prompt"),
            ("GITHUB_ID_TOKEN_SIGNING_ALG_VALUES", "none"),
            ("GITHUB_JWKS", "[1,2]"),
            ("GITHUB_HEADERS", "X Bad=1"),
            ("GITHUB_HEADERS", "X-Tenant=a%0Ab"),
            ("GITHUB_USER_AGENT", "agent\nX-Injected: 1"),
            ("GITHUB_PROXY", "socks5://127.0.0.1:1080"),
            ("GITHUB_PROXY", "proxy:3128"),
            ("GITHUB_CLAIMS_OPTIONS", r#"{"hd": {"mandatory": true}}"#),
            ("GITHUB_MAX_AGE", "soon"),
        ] {
            let message = config_error(load(&[(key, value)]));
            assert!(message.starts_with(key), "{key}: {message}");
        }
    }

    #[test]
    fn an_unknown_key_under_the_client_prefix_is_refused() {
        let message = config_error(load(&[("GITHUB_CLIENT_SECRTE", "typo")]));
        assert!(message.contains("GITHUB_CLIENT_SECRTE"));
    }

    #[test]
    fn from_env_reads_through_the_lookup() {
        let c = client_config("google", ClientConfig::default(), |key| {
            (key == "GOOGLE_SERVER_METADATA_URL")
                .then(|| "https://accounts.test/.well-known/openid-configuration".to_owned())
        })
        .unwrap();
        assert!(c.server_metadata_url.is_some());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::strategies::{pairs, tricky_text};

        proptest! {
            #[test]
            fn arbitrary_settings_never_panic_and_a_refusal_names_its_variable(
                vars in prop::collection::btree_map(
                    prop::sample::select(PARAMS).prop_map(|param| format!("GITHUB_{param}")),
                    prop_oneof![tricky_text(), "[0-9]{1,12}", "[A-Za-z0-9_-]{1,12}"],
                    0..6,
                ),
            ) {
                if let Err(error) = client_config_from_map("github", ClientConfig::default(), &vars) {
                    let Error::Config(message) = error else {
                        return Err(TestCaseError::fail(format!("{error:?}")));
                    };
                    prop_assert!(
                        vars.keys().any(|key| message.starts_with(key.as_str())),
                        "{}", message
                    );
                }
            }

            #[test]
            fn form_encoded_parameters_read_back(pairs in pairs()) {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&pairs)
                    .finish();
                let bad = |why: &str| Error::Config(why.to_owned());
                // A later value wins, as in the map the preset holds.
                let expected: BTreeMap<String, String> = pairs.into_iter().collect();
                prop_assert_eq!(parse_params(&encoded, &bad).ok(), Some(expected));
            }
        }
    }
}
