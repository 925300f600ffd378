//! GitHub: OAuth 2.0 login, `/user` (and `/user/emails` when the address is
//! private) as the profile, `/user/repos` as the repositories page, with
//! GitHub's `Link` paging and rate-limit headers.

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use url::Url;

use super::{Profile, id_field, malformed, non_blank, str_field};
use std::sync::Arc;

use trilogin_oauth::compliance::{ComplianceHooks, TokenAnswer};
use trilogin_oauth::config::TokenEndpointAuthMethod;
use trilogin_oauth::secret::AccessToken;
use trilogin_oauth::{ApiRequest, ClientConfig, Error};

/// Repositories per page.
pub const PAGE_SIZE: u32 = 10;

/// The real GitHub endpoints. GitHub takes the client secret in the body
/// and answers JSON only when asked with `Accept: application/json`.
pub fn preset() -> ClientConfig {
    ClientConfig {
        authorize_url: Url::parse("https://github.com/login/oauth/authorize").ok(),
        access_token_url: Url::parse("https://github.com/login/oauth/access_token").ok(),
        api_base_url: Url::parse("https://api.github.com/").ok(),
        scope: Some("read:user user:email".to_owned()),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        compliance: ComplianceHooks {
            refresh_token_response: Some(Arc::new(dead_refresh_token_is_invalid_grant)),
            ..ComplianceHooks::default()
        },
        ..ClientConfig::default()
    }
}

/// GitHub refuses a revoked, expired or reused refresh token with its own
/// code `bad_refresh_token` (and HTTP 200) where RFC 6749 §5.2 says
/// `invalid_grant`; renaming it lets the client see that the person must
/// log in again.
fn dead_refresh_token_is_invalid_grant(answer: &mut TokenAnswer) {
    if answer.fields.get("error").and_then(Value::as_str) == Some("bad_refresh_token") {
        answer.fields.insert(
            "error".to_owned(),
            Value::String("invalid_grant".to_owned()),
        );
    }
}

/// GitHub's recommended media type and API version on every call.
fn api_get(path: &str) -> ApiRequest {
    ApiRequest::get(path)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
}

/// The profile request.
pub fn user_request() -> ApiRequest {
    api_get("user")
}

/// The e-mail addresses request, for people whose `/user` e-mail is private.
pub fn emails_request() -> ApiRequest {
    api_get("user/emails")
}

/// Normalises `/user`. The e-mail is `None` when private; fill it from
/// [`primary_email`].
pub fn profile(user: &Value) -> Result<Profile, Error> {
    let id = id_field(user, "id").ok_or_else(|| malformed("GitHub user", user))?;
    let login = str_field(user, "login");
    let display_name = str_field(user, "name")
        .or_else(|| login.clone())
        .unwrap_or_else(|| format!("GitHub user {id}"));
    Ok(Profile {
        provider_user_id: id,
        display_name,
        username: login,
        email: str_field(user, "email"),
        // `/user` shows only the public address; GitHub does not say whether
        // it is verified, so only `/user/emails` can vouch for it.
        email_verified: false,
        avatar_url: str_field(user, "avatar_url"),
    })
}

/// The primary address from `/user/emails`, with its verified flag.
pub fn primary_email(emails: &Value) -> Option<(String, bool)> {
    let list = emails.as_array()?;
    let primary = list
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))?;
    Some((
        str_field(primary, "email")?,
        primary.get("verified").and_then(Value::as_bool) == Some(true),
    ))
}

/// One page of the person's repositories, most recently updated first.
pub fn repos_request(page: u32) -> ApiRequest {
    api_get("user/repos")
        .query("sort", "updated")
        .query("per_page", PAGE_SIZE.to_string())
        .query("page", page.max(1).to_string())
}

/// A repository as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repo {
    /// `owner/name`.
    pub full_name: String,
    /// The name alone.
    pub name: String,
    /// Link to the repository on GitHub.
    pub html_url: String,
    /// Description; `None` when GitHub has null.
    pub description: Option<String>,
    /// Main language.
    pub language: Option<String>,
    /// Stars.
    pub stars: u64,
    /// Whether it is private.
    pub private: bool,
    /// Whether it is a fork.
    pub fork: bool,
    /// Last update.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// Parses `/user/repos`.
pub fn repos(body: &Value) -> Result<Vec<Repo>, Error> {
    body.as_array()
        .ok_or_else(|| malformed("GitHub repository list", body))?
        .iter()
        .map(|item| repo(|key| item.get(key)).ok_or_else(|| malformed("GitHub repository", item)))
        .collect()
}

/// Parses `/user/repos` from the body of the answer, reading only the
/// fields the page shows: the rest of GitHub's large repository objects is
/// skipped, never built as maps. `None` when that does not give a page
/// (not JSON, not a list, a repository without a name ...): [`repos`] then
/// says what is wrong.
pub fn repos_from_body(body: &[u8]) -> Option<Vec<Repo>> {
    let items: Vec<RepoFields> = serde_json::from_slice(body).ok()?;
    items.iter().map(|item| repo(|key| item.get(key))).collect()
}

/// The fields of a GitHub repository that [`Repo`] reads.
#[derive(Deserialize)]
struct RepoFields {
    full_name: Option<Value>,
    name: Option<Value>,
    html_url: Option<Value>,
    description: Option<Value>,
    language: Option<Value>,
    stargazers_count: Option<Value>,
    private: Option<Value>,
    fork: Option<Value>,
    updated_at: Option<Value>,
}

impl RepoFields {
    fn get(&self, key: &str) -> Option<&Value> {
        match key {
            "full_name" => self.full_name.as_ref(),
            "name" => self.name.as_ref(),
            "html_url" => self.html_url.as_ref(),
            "description" => self.description.as_ref(),
            "language" => self.language.as_ref(),
            "stargazers_count" => self.stargazers_count.as_ref(),
            "private" => self.private.as_ref(),
            "fork" => self.fork.as_ref(),
            "updated_at" => self.updated_at.as_ref(),
            _ => None,
        }
    }
}

/// One repository, its fields looked up by `field`.
fn repo<'v>(field: impl Fn(&str) -> Option<&'v Value>) -> Option<Repo> {
    let updated = field("updated_at")?.as_str()?;
    Some(Repo {
        full_name: non_blank(field("full_name"))?,
        name: non_blank(field("name"))?,
        html_url: non_blank(field("html_url"))?,
        description: non_blank(field("description")),
        language: non_blank(field("language")),
        stars: field("stargazers_count")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        private: field("private").and_then(Value::as_bool).unwrap_or(false),
        fork: field("fork").and_then(Value::as_bool).unwrap_or(false),
        updated_at: OffsetDateTime::parse(updated, &time::format_description::well_known::Rfc3339)
            .ok()?,
    })
}

/// Page numbers from GitHub's `Link` header (RFC 8288).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pages {
    /// `rel="prev"`.
    pub prev: Option<u32>,
    /// `rel="next"`.
    pub next: Option<u32>,
    /// `rel="last"`.
    pub last: Option<u32>,
}

/// Reads the `page` parameter of each `rel` in a `Link` header.
pub fn pages(link_header: Option<&str>) -> Pages {
    let mut pages = Pages::default();
    for part in link_header.unwrap_or_default().split(',') {
        let mut pieces = part.split(';');
        let Some(target) = pieces.next() else {
            continue;
        };
        let target = target.trim().trim_start_matches('<').trim_end_matches('>');
        let page = Url::parse(target).ok().and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
        });
        for param in pieces {
            let param = param.trim();
            let Some(rel) = param.strip_prefix("rel=") else {
                continue;
            };
            for rel in rel.trim_matches('"').split_whitespace() {
                match rel {
                    "prev" => pages.prev = page,
                    "next" => pages.next = page,
                    "last" => pages.last = page,
                    _ => {}
                }
            }
        }
    }
    pages
}

/// GitHub's API budget, from the `X-RateLimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests left in this window.
    pub remaining: u64,
    /// When the window resets.
    #[serde(with = "time::serde::rfc3339")]
    pub reset: OffsetDateTime,
}

impl RateLimit {
    /// The budget announced by `headers`, when all three headers are there.
    pub fn from_headers(headers: &HeaderMap) -> Option<RateLimit> {
        let num = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let reset = i64::try_from(num("x-ratelimit-reset")?).ok()?;
        Some(RateLimit {
            limit: num("x-ratelimit-limit")?,
            remaining: num("x-ratelimit-remaining")?,
            reset: OffsetDateTime::from_unix_timestamp(reset).ok()?,
        })
    }
}

/// Revokes the grant behind `token` (`DELETE /applications/{client_id}/grant`,
/// GitHub's non-standard revocation, authenticated as the app).
pub async fn revoke(
    http: &reqwest::Client,
    config: &ClientConfig,
    token: &AccessToken,
) -> Result<(), Error> {
    let base = config
        .api_base_url
        .as_ref()
        .ok_or_else(|| Error::Config("GitHub has no api_base_url".into()))?;
    let url = base
        .join(&format!("applications/{}/grant", config.client_id))
        .map_err(|e| Error::Config(format!("GitHub revocation URL: {e}")))?;
    let secret = config.client_secret.as_ref().map(|s| s.secret().to_owned());
    let response = http
        .delete(url)
        .basic_auth(&config.client_id, secret)
        .header("Accept", "application/vnd.github+json")
        .json(&serde_json::json!({ "access_token": token.secret() }))
        .send()
        .await?;
    let status = response.status();
    // 404: the grant is already gone, which is what revocation wants.
    if status.is_success() || status == reqwest::StatusCode::NOT_FOUND {
        return Ok(());
    }
    Err(Error::UnexpectedResponse {
        status: status.as_u16(),
        reason: "GitHub refused to revoke the grant".into(),
        body: response.text().await.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_bad_refresh_token_answer_becomes_invalid_grant() {
        let hook = preset().compliance.refresh_token_response.unwrap();
        let mut answer = TokenAnswer {
            status: 200,
            fields: json!({"error": "bad_refresh_token", "error_description": "The refresh token passed is incorrect or expired."})
                .as_object()
                .unwrap()
                .clone(),
        };
        hook(&mut answer);
        assert_eq!(answer.fields["error"], "invalid_grant");
        let mut other = TokenAnswer {
            status: 200,
            fields: json!({"error": "incorrect_client_credentials"})
                .as_object()
                .unwrap()
                .clone(),
        };
        hook(&mut other);
        assert_eq!(other.fields["error"], "incorrect_client_credentials");
    }

    #[test]
    fn profile_reads_numeric_ids_and_falls_back_to_the_login() {
        let p =
            profile(&json!({"id": 1815001, "login": "ada", "name": null, "email": null})).unwrap();
        assert_eq!(p.provider_user_id, "1815001");
        assert_eq!(p.display_name, "ada");
        assert_eq!(p.email, None);
        assert!(!p.email_verified);
    }

    #[test]
    fn primary_email_is_the_one_marked_primary() {
        let emails = json!([
            {"email": "old@example.com", "primary": false, "verified": true},
            {"email": "grace@example.org", "primary": true, "verified": true}
        ]);
        assert_eq!(
            primary_email(&emails),
            Some(("grace@example.org".into(), true))
        );
        assert_eq!(primary_email(&json!([])), None);
    }

    #[test]
    fn repos_keep_null_descriptions_as_none() {
        let list = json!([{
            "full_name": "ada/engine", "name": "engine", "html_url": "https://github.com/ada/engine",
            "description": null, "language": "Rust", "stargazers_count": 7,
            "private": false, "fork": false, "updated_at": "2026-01-02T03:04:05Z"
        }]);
        let repos = repos(&list).unwrap();
        assert_eq!(repos[0].description, None);
        assert_eq!(repos[0].stars, 7);
        assert!(super::repos(&json!({"message": "Bad credentials"})).is_err());
    }

    #[test]
    fn repos_from_body_reads_what_repos_reads_and_leaves_the_rest_to_it() {
        let list = json!([
            {
                "id": 1, "full_name": "ada/engine", "name": "engine",
                "html_url": "https://github.com/ada/engine", "description": "  ",
                "language": null, "stargazers_count": "many", "private": true,
                "fork": "no", "updated_at": "2026-01-02T03:04:05Z",
                "owner": {"login": "ada", "id": 1}, "topics": ["a", "b"]
            },
            {
                "full_name": "ada/notes", "name": "notes", "html_url": "https://github.com/ada/notes",
                "description": "Notes <b>&</b>", "language": "Rust", "stargazers_count": 7,
                "updated_at": "2026-01-01T00:00:00Z"
            }
        ]);
        let text = list.to_string();
        assert_eq!(
            repos_from_body(text.as_bytes()),
            Some(repos(&list).unwrap())
        );
        for refused in [
            "not json",
            r#"{"message": "Bad credentials"}"#,
            r#"[{"full_name": "", "name": "x", "html_url": "https://github.com/x", "updated_at": "2026-01-01T00:00:00Z"}]"#,
            r#"[{"full_name": "a/x", "name": "x", "html_url": "https://github.com/x", "updated_at": "yesterday"}]"#,
        ] {
            assert_eq!(repos_from_body(refused.as_bytes()), None, "{refused}");
        }
    }

    #[test]
    fn link_header_gives_prev_next_and_last_pages() {
        let header = r#"<https://api.github.com/user/repos?page=3&per_page=10>; rel="next", <https://api.github.com/user/repos?page=5&per_page=10>; rel="last", <https://api.github.com/user/repos?page=1&per_page=10>; rel="prev""#;
        assert_eq!(
            pages(Some(header)),
            Pages {
                prev: Some(1),
                next: Some(3),
                last: Some(5)
            }
        );
        assert_eq!(pages(None), Pages::default());
        assert_eq!(pages(Some("garbage")), Pages::default());
    }

    #[test]
    fn rate_limit_needs_all_three_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-ratelimit-limit", "5000".parse().unwrap());
        headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
        assert_eq!(RateLimit::from_headers(&headers), None);
        headers.insert("x-ratelimit-reset", "1767225600".parse().unwrap());
        let limit = RateLimit::from_headers(&headers).unwrap();
        assert_eq!(limit.remaining, 0);
        assert_eq!(limit.reset.unix_timestamp(), 1_767_225_600);
    }

    #[test]
    fn repos_request_asks_for_the_most_recently_updated() {
        let req = repos_request(0);
        assert!(req.query.contains(&("sort".into(), "updated".into())));
        assert!(
            req.query.contains(&("page".into(), "1".into())),
            "page 0 means the first"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;
        use trilogin_oauth::strategies::tricky_text;

        fn link(rel: &str, page: u32, per_page: u8) -> String {
            format!(
                "<https://api.github.com/user/repos?per_page={per_page}&page={page}>; rel=\"{rel}\""
            )
        }

        proptest! {
            #[test]
            fn the_pages_of_a_link_header_are_read_back_in_any_order(
                prev in proptest::option::of(any::<u32>()),
                next in proptest::option::of(any::<u32>()),
                last in proptest::option::of(any::<u32>()),
                first in any::<u32>(),
                per_page in any::<u8>(),
                order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
            ) {
                let parts: Vec<String> = order
                    .into_iter()
                    .filter_map(|i| match i {
                        0 => prev.map(|p| link("prev", p, per_page)),
                        1 => next.map(|p| link("next", p, per_page)),
                        2 => last.map(|p| link("last", p, per_page)),
                        _ => Some(link("first", first, per_page)),
                    })
                    .collect();
                let header = parts.join(", ");
                prop_assert_eq!(pages(Some(&header)), Pages { prev, next, last }, "{}", header);
            }

            #[test]
            fn arbitrary_link_headers_never_panic(header in tricky_text()) {
                let _ = pages(Some(&header));
            }
        }
    }
}
