//! Headers added to every response, pages, static files and errors alike:
//! the security headers and the request id.

use actix_web::HttpMessage as _;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use tracing_actix_web::RequestId;

/// The Content Security Policy: only this origin's styles and scripts, no
/// inline script, images also from the providers' avatar hosts, no plugins,
/// no `<base>` rewriting, never framed. There is deliberately no
/// `form-action`: browsers apply it to the redirect that follows a form
/// POST, which would block the hop to a provider's consent page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
img-src 'self' data: https://avatars.githubusercontent.com https://pbs.twimg.com https://abs.twimg.com https://*.googleusercontent.com; \
style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The security headers and their values.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    // Callback URLs carry codes and state; never leak them to other sites.
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// Adds [`SECURITY_HEADERS`] to every response, leaving a header a handler
/// set alone. Unlike `DefaultHeaders`, it also covers the bare 500 that
/// follows an error escaping an inner middleware (the session store
/// failing). Used with `App::wrap_fn`, outermost.
pub fn security_headers<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    let response = service.call(req);
    async move {
        match response.await {
            Ok(mut response) => {
                add_security_headers(response.headers_mut());
                Ok(response)
            }
            Err(error) => {
                let mut response = error.error_response();
                add_security_headers(response.headers_mut());
                Err(InternalError::from_response(error, response).into())
            }
        }
    }
}

fn add_security_headers(headers: &mut HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

/// Echoes the request id that `TracingLogger` gave the request as
/// `X-Request-Id`, so that a person reporting a problem can quote the id
/// found in the logs. Used with `App::wrap_fn`, inside `TracingLogger`.
pub fn request_id<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
{
    let id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let response = service.call(req);
    async move {
        let mut response = response.await?;
        if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
        Ok(response)
    }
}
