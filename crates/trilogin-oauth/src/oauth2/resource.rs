//! Protected resource requests (RFC 6750) with refresh on access: a token
//! about to expire is refreshed before the request, and a 401 with a
//! refreshable token causes one refresh and one retry.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use time::OffsetDateTime;
use url::Url;

use super::OAuth2Client;
use crate::config::TokenPlacement;
use crate::error::{Error, Result};
use crate::hooks::TokenHooks;
use crate::http::{ForProvider as _, check_endpoint};
use crate::request::ApiRequest;
use crate::token::OAuth2Token;

impl OAuth2Client {
    /// Sends `request` with the person's token from `hooks`, refreshing it
    /// first when it is about to expire, and once more after a 401. A second
    /// 401, or a 401 without a refresh token, is
    /// [`Error::ReauthorizationRequired`]. With `withhold_token` set, the
    /// request goes once, with no credentials, and `hooks` are not asked.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] as above; the errors of
    /// [`token`](Self::token), of the refresh, and of
    /// [`request_with_token`](Self::request_with_token).
    #[tracing::instrument(skip_all, fields(client = %self.name(), path = %request.path))]
    pub async fn request(
        &self,
        request: &ApiRequest,
        hooks: &dyn TokenHooks,
    ) -> Result<reqwest::Response> {
        if request.withhold_token {
            return self.send(request, None).await;
        }
        let token = self.token(hooks).await?;
        let response = self.request_with_token(request, &token).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        if !token.is_refreshable() {
            return Err(Error::ReauthorizationRequired {
                reason: format!("{} refused the access token", self.name),
            });
        }
        tracing::info!("the provider answered 401; refreshing once and retrying");
        let token = self.refresh_once(hooks, &token).await?;
        let response = self.request_with_token(request, &token).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(Error::ReauthorizationRequired {
                reason: format!("{} refused the refreshed access token", self.name),
            });
        }
        Ok(response)
    }

    /// Sends `request` once with `token`, placed per `token_placement`
    /// (or, bound to a DPoP key, in the `DPoP` scheme with a proof),
    /// without refreshing. Redirects come back as they are.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a path that cannot be resolved or breaks the
    /// endpoint rule, a bad header, or a JSON body with `token_placement=body`;
    /// [`Error::Transport`] when the provider cannot be reached.
    #[tracing::instrument(skip_all, fields(client = %self.name(), path = %request.path))]
    pub async fn request_with_token(
        &self,
        request: &ApiRequest,
        token: &OAuth2Token,
    ) -> Result<reqwest::Response> {
        self.send(request, Some(token)).await
    }

    /// Sends `request` once, with `token` placed per `token_placement`, or
    /// with no credentials at all when `token` is `None`.
    async fn send(
        &self,
        request: &ApiRequest,
        token: Option<&OAuth2Token>,
    ) -> Result<reqwest::Response> {
        // A DPoP-bound token travels in the DPoP scheme, whatever the placement.
        let placement = token
            .filter(|token| !token.is_dpop_bound())
            .map(|token| (self.config.token_placement, token));
        let mut url = self.resolve(&request.path)?;
        {
            let mut query = url.query_pairs_mut();
            for (name, value) in &request.query {
                query.append_pair(name, value);
            }
            if let Some((TokenPlacement::Uri, token)) = placement {
                query.append_pair("access_token", token.access_token.secret());
            }
        }
        if url.query() == Some("") {
            url.set_query(None);
        }
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .for_provider(&self.config);
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| Error::Config(format!("bad header name {name}: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| Error::Config(format!("bad header value for {name}: {e}")))?;
            builder = builder.header(name, value);
        }
        let mut form = request.form.clone();
        match placement {
            Some((TokenPlacement::Header, token)) => {
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {}", token.access_token.secret()))
                        .map_err(|_| Error::UnexpectedResponse {
                            status: 0,
                            reason: "the access token cannot travel in a header".into(),
                            body: String::new(),
                        })?;
                value.set_sensitive(true);
                builder = builder.header(AUTHORIZATION, value);
            }
            Some((TokenPlacement::Body, token)) => {
                if request.json.is_some() {
                    return Err(Error::Config(
                        "token_placement=body cannot be combined with a JSON body".into(),
                    ));
                }
                form.get_or_insert_with(Vec::new).push((
                    "access_token".into(),
                    token.access_token.secret().to_owned(),
                ));
            }
            Some((TokenPlacement::Uri, _)) | None => {}
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        } else if let Some(form) = &form {
            builder = builder.form(form);
        }
        let mut outgoing = builder.build()?;
        if let Some(hook) = &self.config.compliance.protected_request {
            hook(&mut outgoing);
        }
        let credential = token.map_or("", |token| token.access_token.secret());
        self.rate_limits
            .check(credential, OffsetDateTime::now_utc())?;
        let response = self.execute_presenting(outgoing, token).await?;
        self.rate_limits.observe(
            credential,
            response.status(),
            response.headers(),
            OffsetDateTime::now_utc(),
        )?;
        Ok(response)
    }

    /// `path` relative to `api_base_url`, or an absolute URL, which must
    /// obey the endpoint rule like any other.
    fn resolve(&self, path: &str) -> Result<Url> {
        if let Ok(url) = Url::parse(path) {
            check_endpoint(&url, self.config.allow_insecure_http)?;
            return Ok(url);
        }
        let mut base =
            self.config.api_base_url.clone().ok_or_else(|| {
                Error::Config(format!("{}: no api_base_url for {path}", self.name))
            })?;
        // Without a trailing slash, `join` would drop the base's last segment.
        if !base.path().ends_with('/') {
            let with_slash = format!("{}/", base.path());
            base.set_path(&with_slash);
        }
        base.join(path)
            .map_err(|e| Error::Config(format!("bad resource path {path}: {e}")))
    }
}

crate::request::api_verbs_through_request!(OAuth2Client);
