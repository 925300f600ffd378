//! A protected-resource request, described once for OAuth 1 and OAuth 2:
//! the OAuth 1 client signs its query and form parameters, the OAuth 2
//! client places the bearer token, and both resolve `path` against the
//! client's `api_base_url`.

use async_trait::async_trait;
use reqwest::Method;

use crate::error::Result;
use crate::hooks::TokenHooks;

/// A request to the provider's API, before authentication is added.
///
/// # Examples
///
/// ```
/// use reqwest::Method;
/// use trilogin_oauth::ApiRequest;
///
/// let request = ApiRequest::get("user/repos")
///     .query("per_page", "100")
///     .header("If-None-Match", "\"etag-1\"");
/// assert_eq!(request.method, Method::GET);
/// assert_eq!(request.query, [("per_page".to_owned(), "100".to_owned())]);
///
/// // A form body, which OAuth 1 signs with the query.
/// let tweet = ApiRequest::post("statuses/update.json").form("status", "Hello");
/// assert_eq!(tweet.form.as_deref(), Some(&[("status".to_owned(), "Hello".to_owned())][..]));
/// ```
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// HTTP method.
    pub method: Method,
    /// A path relative to `api_base_url` (`user/repos`), or an absolute URL.
    pub path: String,
    /// Query parameters, in order (duplicates allowed).
    pub query: Vec<(String, String)>,
    /// Form-encoded body parameters; OAuth 1 signs them (RFC 5849 §3.4.1.3.1).
    pub form: Option<Vec<(String, String)>>,
    /// A JSON body; never signed by OAuth 1, as the RFC says.
    pub json: Option<serde_json::Value>,
    /// Extra headers, e.g. `If-None-Match`.
    pub headers: Vec<(String, String)>,
    /// Authlib's `withhold_token`: send without the person's token, for a
    /// public endpoint. No stored token is needed; OAuth 1 still signs
    /// with the client's own credentials, OAuth 2 sends no credentials.
    pub withhold_token: bool,
}

impl ApiRequest {
    /// A request with `method` to `path`.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            form: None,
            json: None,
            headers: Vec::new(),
            withhold_token: false,
        }
    }

    /// `GET path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// `DELETE path`.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a form body parameter.
    #[must_use]
    pub fn form(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.form
            .get_or_insert_with(Vec::new)
            .push((name.into(), value.into()));
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends the request without the person's token ([`Self::withhold_token`]).
    #[must_use]
    pub fn without_token(mut self) -> Self {
        self.withhold_token = true;
        self
    }
}

/// Authlib's `get` / `post` / `put` / `patch` / `delete` shortcuts, written
/// once for every client that sends an [`ApiRequest`] with the person's
/// stored token (the registry's [`Client`](crate::Client) and
/// [`OAuth2Client`](crate::OAuth2Client)).
#[async_trait]
pub trait ApiVerbs: Sync {
    /// Sends `request` with the token `hooks` holds.
    async fn send(&self, request: &ApiRequest, hooks: &dyn TokenHooks)
    -> Result<reqwest::Response>;

    /// `GET path`.
    async fn get(&self, path: &str, hooks: &dyn TokenHooks) -> Result<reqwest::Response> {
        self.send(&ApiRequest::get(path), hooks).await
    }

    /// `POST path`.
    async fn post(&self, path: &str, hooks: &dyn TokenHooks) -> Result<reqwest::Response> {
        self.send(&ApiRequest::post(path), hooks).await
    }

    /// `PUT path`.
    async fn put(&self, path: &str, hooks: &dyn TokenHooks) -> Result<reqwest::Response> {
        self.send(&ApiRequest::new(Method::PUT, path), hooks).await
    }

    /// `PATCH path`.
    async fn patch(&self, path: &str, hooks: &dyn TokenHooks) -> Result<reqwest::Response> {
        self.send(&ApiRequest::new(Method::PATCH, path), hooks)
            .await
    }

    /// `DELETE path`.
    async fn delete(&self, path: &str, hooks: &dyn TokenHooks) -> Result<reqwest::Response> {
        self.send(&ApiRequest::delete(path), hooks).await
    }
}

/// Implements [`ApiVerbs`] for clients whose own `request(request, hooks)`
/// sends with the person's stored token; used beside each such client.
macro_rules! api_verbs_through_request {
    ($client:ty) => {
        #[async_trait::async_trait]
        impl $crate::request::ApiVerbs for $client {
            async fn send(
                &self,
                request: &$crate::request::ApiRequest,
                hooks: &dyn $crate::hooks::TokenHooks,
            ) -> $crate::error::Result<reqwest::Response> {
                self.request(request, hooks).await
            }
        }
    };
}

pub(crate) use api_verbs_through_request;
