//! Headers added to every response, pages, static files and errors alike:
//! the security headers and the request id.

use actix_web::HttpMessage as _;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use tracing_actix_web::RequestId;

/// The Content Security Policy: only this origin's styles and scripts, no
/// inline script, images also from the providers' avatar hosts, no plugins,
/// no `<base>` rewriting, never framed. There is deliberately no
/// `form-action`: browsers apply it to the redirect that follows a form
/// POST, which would block the hop to a provider's consent page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
img-src 'self' data: https://avatars.githubusercontent.com https://pbs.twimg.com https://abs.twimg.com https://*.googleusercontent.com; \
style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The middleware adding them (it leaves a header a handler set alone).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        // Callback URLs carry codes and state; never leak them to other sites.
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
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
