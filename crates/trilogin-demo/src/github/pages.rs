//! The web pages demo GitHub's API links to: each person's profile
//! (`html_url` of users and owners) and each repository (`html_url` of
//! repositories). Any other path outside the API gets a not-found page,
//! and an unknown API path GitHub's JSON `Not Found`.

use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;

use super::api::ApiError;
use super::repos::Repo;
use super::{DemoGitHub, PROFILE};
use crate::oauth2_server::consent::Brand;
use crate::oauth2_server::{avatar_url, site_home, stylesheet_url};
use crate::people::{PEOPLE, Person};

/// The profile page's template.
pub const PROFILE_TEMPLATE: &str = "demo/github/profile.html";
/// The repository page's template.
pub const REPO_TEMPLATE: &str = "demo/github/repo.html";

#[derive(Serialize)]
struct ProfileView<'a> {
    #[serde(flatten)]
    brand: Brand,
    stylesheet: String,
    home: String,
    name: &'a str,
    login: &'a str,
    avatar_url: String,
    bio: &'a str,
    location: &'a str,
    repos: &'a [Repo],
}

#[derive(Serialize)]
struct RepoView<'a> {
    #[serde(flatten)]
    brand: Brand,
    stylesheet: String,
    home: String,
    repo: &'a Repo,
}

/// Every path under `/_demo/github/` that no endpoint serves.
pub async fn page(github: web::Data<DemoGitHub>, req: HttpRequest) -> HttpResponse {
    let prefix = format!("/_demo/{}/", PROFILE.name);
    let rest = req.path().strip_prefix(&prefix).unwrap_or_default();
    if rest == "api" || rest.starts_with("api/") {
        return ApiError::NotFound.error_response();
    }
    let found = if matches!(*req.method(), Method::GET | Method::HEAD) {
        match rest.trim_end_matches('/').split('/').collect::<Vec<_>>()[..] {
            [login] => person(login).map(|person| profile(&github, person)),
            [login, name] => person(login)
                .and_then(|person| github.repos.get(person.key))
                .and_then(|repos| repos.iter().find(|repo| repo.name == name))
                .map(|repo| repository(&github, repo)),
            _ => None,
        }
    } else {
        None
    };
    found.unwrap_or_else(|| not_found(&github))
}

fn person(login: &str) -> Option<&'static Person> {
    PEOPLE.iter().find(|p| p.github_login == login)
}

fn profile(github: &DemoGitHub, person: &Person) -> HttpResponse {
    let config = &github.server.config;
    let view = ProfileView {
        brand: PROFILE.brand,
        stylesheet: stylesheet_url(config),
        home: site_home(config),
        name: person.name,
        login: person.github_login,
        avatar_url: avatar_url(config, person.key),
        bio: person.bio,
        location: person.location,
        repos: github.repos.get(person.key).map_or(&[], Vec::as_slice),
    };
    github
        .server
        .pages
        .render(PROFILE_TEMPLATE, &view, StatusCode::OK)
}

fn repository(github: &DemoGitHub, repo: &Repo) -> HttpResponse {
    let config = &github.server.config;
    let view = RepoView {
        brand: PROFILE.brand,
        stylesheet: stylesheet_url(config),
        home: site_home(config),
        repo,
    };
    github
        .server
        .pages
        .render(REPO_TEMPLATE, &view, StatusCode::OK)
}

fn not_found(github: &DemoGitHub) -> HttpResponse {
    github.server.message_home(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is no page at this address at demo GitHub.",
    )
}
