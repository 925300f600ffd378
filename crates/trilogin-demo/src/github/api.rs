//! The REST API under `/_demo/github/api/`: the signed-in user, their
//! e-mail addresses and repositories, and grant revocation.
//!
//! Answers carry GitHub's rate-limit headers and a weak `ETag`; a request
//! whose `If-None-Match` matches gets `304 Not Modified`, which, as at GitHub,
//! costs no rate-limit budget.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, IF_NONE_MATCH};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError, web};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::rate_limit::Budget;
use super::{DemoGitHub, RATE_LIMIT};
use crate::oauth2_server::grants::ValidAccess;
use crate::oauth2_server::{avatar_url, client_auth, now};
use crate::people::{self, PEOPLE, Person};

const DOCS: &str = "https://docs.github.com/rest";

/// `GET /user`: the authenticated user.
/// <https://docs.github.com/en/rest/users/users#get-the-authenticated-user>
pub async fn user(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    github.server.knobs.count("user");
    let access = authenticate(&github, &req)?;
    let person = person_of(&access).ok_or(ApiError::NotAPerson)?;
    let repos = github.repos.get(person.key).map_or(0, Vec::len);
    let public_repos = github
        .repos
        .get(person.key)
        .map_or(0, |r| r.iter().filter(|r| !r.private).count());
    let body = json!({
        "login": person.github_login,
        "id": person.github_id,
        "node_id": format!("U_kgDO{:08}", person.github_id),
        "avatar_url": avatar_url(&github.server.config, person.key),
        "gravatar_id": "",
        "url": format!("{}api/users/{}", github.server.provider_url(), person.github_login),
        "html_url": format!("{}{}", github.server.provider_url(), person.github_login),
        "type": "User",
        "site_admin": false,
        "name": person.name,
        "company": null,
        "blog": "",
        "location": person.location,
        "email": (!person.github_email_private).then_some(person.email),
        "hireable": null,
        "bio": person.bio,
        "twitter_username": person.twitter_screen_name,
        "public_repos": public_repos,
        "total_private_repos": repos - public_repos,
        "public_gists": 0,
        "followers": person.github_id % 997,
        "following": person.github_id % 31,
        "created_at": "2011-01-25T18:44:36Z",
        "updated_at": "2026-11-01T09:12:00Z",
    });
    Ok(respond(&github, &req, &access, &body, None))
}

/// `GET /user/emails`: needs the `user:email` or `user` scope, and shows the
/// address that `/user` hides for people with a private e-mail.
/// <https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user>
pub async fn emails(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    github.server.knobs.count("emails");
    let access = authenticate(&github, &req)?;
    let person = person_of(&access).ok_or(ApiError::NotAPerson)?;
    let scopes: Vec<&str> = access.authorization.scope.split(',').collect();
    if !scopes.iter().any(|s| *s == "user:email" || *s == "user") {
        return Err(ApiError::MissingScope("user, user:email"));
    }
    let body = json!([
        {
            "email": person.email,
            "primary": true,
            "verified": true,
            "visibility": if person.github_email_private { "private" } else { "public" },
        },
        {
            "email": format!("{}+{}@users.noreply.github.com", person.github_id, person.github_login),
            "primary": false,
            "verified": true,
            "visibility": null,
        },
    ]);
    Ok(respond(&github, &req, &access, &body, None))
}

/// Query of `GET /user/repos`.
#[derive(Debug, Deserialize)]
pub struct ReposQuery {
    per_page: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    direction: Option<String>,
}

/// `GET /user/repos`, paged with a `Link` header.
/// <https://docs.github.com/en/rest/repos/repos#list-repositories-for-the-authenticated-user>
pub async fn repos(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
    query: web::Query<ReposQuery>,
) -> Result<HttpResponse, ApiError> {
    github.server.knobs.count("repos");
    let access = authenticate(&github, &req)?;
    let person = person_of(&access).ok_or(ApiError::NotAPerson)?;
    // GitHub ignores values it cannot use rather than failing the request.
    let per_page = query
        .per_page
        .as_deref()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .map_or(30, |n| n.min(100));
    let page = query
        .page
        .as_deref()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    let sort = query
        .sort
        .as_deref()
        .filter(|s| matches!(*s, "created" | "updated" | "pushed" | "full_name"))
        .unwrap_or("full_name");
    let ascending = match query.direction.as_deref() {
        Some("asc") => true,
        Some("desc") => false,
        _ => sort == "full_name",
    };
    let mut repos: Vec<_> = github.repos.get(person.key).into_iter().flatten().collect();
    repos.sort_by(|a, b| {
        let order = match sort {
            "created" => a.created_at.cmp(&b.created_at),
            "updated" => a.updated_at.cmp(&b.updated_at),
            "pushed" => a.pushed_at.cmp(&b.pushed_at),
            _ => a.full_name.to_lowercase().cmp(&b.full_name.to_lowercase()),
        };
        if ascending { order } else { order.reverse() }
    });
    let last_page = repos.len().div_ceil(per_page).max(1);
    let items: Vec<_> = repos
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let body = serde_json::to_value(&items).unwrap_or_else(|_| json!([]));
    let link = link_header(&github, &query, per_page, page, last_page);
    Ok(respond(&github, &req, &access, &body, link))
}

/// RFC 8288 `Link` header with GitHub's relations, in GitHub's order.
fn link_header(
    github: &DemoGitHub,
    query: &ReposQuery,
    per_page: usize,
    page: usize,
    last_page: usize,
) -> Option<String> {
    if last_page <= 1 {
        return None;
    }
    let base = format!("{}api/user/repos", github.server.provider_url());
    let page_url = |n: usize| {
        let mut pairs = vec![("per_page", per_page.to_string()), ("page", n.to_string())];
        if let Some(sort) = &query.sort {
            pairs.push(("sort", sort.clone()));
        }
        if let Some(direction) = &query.direction {
            pairs.push(("direction", direction.clone()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("<{base}?{query}>")
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!(
            "{}; rel=\"prev\"",
            page_url((page - 1).min(last_page))
        ));
    }
    if page < last_page {
        links.push(format!("{}; rel=\"next\"", page_url(page + 1)));
        links.push(format!("{}; rel=\"last\"", page_url(last_page)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", page_url(1)));
    }
    Some(links.join(", "))
}

/// `GET /users`: the demo people; any valid token may list them. This is
/// the bearer-protected list the plain OAuth 2 client script calls.
pub async fn users(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    github.server.knobs.count("users");
    let access = authenticate(&github, &req)?;
    let body: Vec<_> = PEOPLE
        .iter()
        .map(|p| {
            json!({
                "login": p.github_login,
                "id": p.github_id,
                "node_id": format!("U_kgDO{:08}", p.github_id),
                "avatar_url": avatar_url(&github.server.config, p.key),
                "html_url": format!("{}{}", github.server.provider_url(), p.github_login),
                "type": "User",
                "site_admin": false,
            })
        })
        .collect();
    Ok(respond(&github, &req, &access, &json!(body), None))
}

/// Body of the revocation calls.
#[derive(Debug, Deserialize)]
struct RevocationBody {
    access_token: String,
}

/// What a revocation call ends: the last segment of its path.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revocation {
    /// `DELETE /applications/{client_id}/grant`: everything the person
    /// granted the app.
    /// <https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization>
    Grant,
    /// `DELETE /applications/{client_id}/token`: one access token.
    /// <https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token>
    Token,
}

/// `DELETE /applications/{client_id}/grant` and `.../token`, authenticated
/// by the app, with the access token in the JSON body.
pub async fn revoke(
    github: web::Data<DemoGitHub>,
    req: HttpRequest,
    path: web::Path<(String, Revocation)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    github.server.knobs.count("revoke");
    let (client_id, what) = path.into_inner();
    let token = app_request(&github, &req, &client_id, &body)?;
    let revoked = github.server.grants.update(|g| match what {
        Revocation::Grant => match g.access(&token, now()).and_then(|a| a.authorization.person) {
            Some(person) => {
                g.revoke_person(&person);
                true
            }
            None => g.revoke_grant_of(&token),
        },
        Revocation::Token => g.revoke_access_token(&token),
    });
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Checks an app-authenticated request (Basic with the client id and
/// secret) and returns the access token named in its JSON body.
fn app_request(
    github: &DemoGitHub,
    req: &HttpRequest,
    client_id: &str,
    body: &[u8],
) -> Result<String, ApiError> {
    let Some(Ok((id, secret))) = client_auth::basic_credentials(req) else {
        return Err(ApiError::RequiresAuthentication);
    };
    let id_ok = id
        .as_bytes()
        .ct_eq(github.server.profile.client_id.as_bytes());
    let secret_ok = secret
        .as_bytes()
        .ct_eq(github.server.profile.client_secret.as_bytes());
    if !bool::from(id_ok & secret_ok) {
        return Err(ApiError::BadCredentials);
    }
    if client_id != id {
        return Err(ApiError::NotFound);
    }
    serde_json::from_slice::<RevocationBody>(body)
        .map(|b| b.access_token)
        .map_err(|_| ApiError::InvalidRequest)
}

/// The access token of an API request, `token <t>` or `Bearer <t>` as GitHub accepts both.
fn authenticate(github: &DemoGitHub, req: &HttpRequest) -> Result<ValidAccess, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::RequiresAuthentication)?;
    let token = header.split_once(' ').and_then(|(scheme, token)| {
        (scheme.eq_ignore_ascii_case("token") || scheme.eq_ignore_ascii_case("bearer"))
            .then(|| token.trim())
    });
    token
        .and_then(|t| github.server.grants.read(|g| g.access(t, now())))
        .ok_or(ApiError::BadCredentials)
}

fn person_of(access: &ValidAccess) -> Option<&'static Person> {
    access
        .authorization
        .person
        .as_deref()
        .and_then(people::find)
}

/// A refused API call, answered in GitHub's `{"message", "documentation_url"}` shape.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization` header: 401.
    #[error("Requires authentication")]
    RequiresAuthentication,
    /// Unknown, revoked or expired token, or wrong client secret: 401.
    #[error("Bad credentials")]
    BadCredentials,
    /// A token that acts for the app, not a person, on a per-person endpoint: 403.
    #[error("Resource not accessible by integration")]
    NotAPerson,
    /// The token lacks a scope the endpoint needs; GitHub hides the endpoint: 404.
    #[error("Not Found")]
    MissingScope(&'static str),
    /// Nothing there: 404.
    #[error("Not Found")]
    NotFound,
    /// A body that does not parse: 422.
    #[error("Invalid request.")]
    InvalidRequest,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::RequiresAuthentication | Self::BadCredentials => StatusCode::UNAUTHORIZED,
            Self::NotAPerson => StatusCode::FORBIDDEN,
            Self::MissingScope(_) | Self::NotFound => StatusCode::NOT_FOUND,
            Self::InvalidRequest => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        builder.insert_header(("X-GitHub-Media-Type", "github.v3"));
        if let Self::MissingScope(scopes) = self {
            builder.insert_header(("X-Accepted-OAuth-Scopes", *scopes));
        }
        builder.json(json!({ "message": self.to_string(), "documentation_url": DOCS }))
    }
}

/// Answers an authenticated API call: spends budget, honours `If-None-Match`.
fn respond(
    github: &DemoGitHub,
    req: &HttpRequest,
    access: &ValidAccess,
    body: &serde_json::Value,
    link: Option<String>,
) -> HttpResponse {
    let body = body.to_string();
    let etag = format!("W/\"{}\"", hex::encode(Sha256::digest(body.as_bytes())));
    let now = now();
    if let Some(wait) = github.rate_limits.secondary_wait(now) {
        return HttpResponse::Forbidden()
            .insert_header(("Retry-After", wait.to_string()))
            .json(json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            }));
    }
    let budget = github.rate_limits.peek(&access.token_hash, now);
    if budget.remaining == 0 {
        let mut builder = HttpResponse::Forbidden();
        rate_headers(&mut builder, budget);
        return builder.json(json!({
            "message": format!("API rate limit exceeded for user ID {}.", person_of(access).map_or(0, |p| p.github_id)),
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }));
    }
    if if_none_match(req, &etag) {
        let mut builder = HttpResponse::NotModified();
        rate_headers(&mut builder, budget);
        return builder.insert_header(("ETag", etag)).finish();
    }
    let budget = match github.rate_limits.spend(&access.token_hash, now) {
        Ok(budget) | Err(budget) => budget,
    };
    let mut builder = HttpResponse::Ok();
    rate_headers(&mut builder, budget);
    builder
        .insert_header(("ETag", etag))
        .insert_header(("Cache-Control", "private, max-age=60, s-maxage=60"))
        .insert_header(("Vary", "Accept, Authorization, Cookie"))
        .insert_header((
            "X-OAuth-Scopes",
            access.authorization.scope.replace(',', ", "),
        ))
        .insert_header(("X-GitHub-Media-Type", "github.v3"));
    if let Some(link) = link {
        builder.insert_header(("Link", link));
    }
    builder
        .content_type("application/json; charset=utf-8")
        .body(body)
}

fn rate_headers(builder: &mut HttpResponseBuilder, budget: Budget) {
    builder
        .insert_header(("X-RateLimit-Limit", RATE_LIMIT.to_string()))
        .insert_header(("X-RateLimit-Remaining", budget.remaining.to_string()))
        .insert_header(("X-RateLimit-Reset", budget.reset.to_string()))
        .insert_header(("X-RateLimit-Used", budget.used().to_string()))
        .insert_header(("X-RateLimit-Resource", "core"));
}

/// Whether `If-None-Match` names this entity (weak comparison, RFC 9110 §13.1.2).
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = bare(etag);
    req.headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || bare(tag) == ours)
}
