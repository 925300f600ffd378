//! The request log: one `tracing` span per request (method, route, path,
//! status, request id), closed when the response is sent.
//!
//! It differs from tracing-actix-web's default span in one way: the query
//! string is never recorded, because OAuth callbacks carry authorization
//! codes and `state` there, and logs are not the place for them.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage as _};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

/// The root span of every request; use as `TracingLogger::<RequestSpan>::new()`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().as_deref().unwrap_or("default"),
            http.path = %request.path(),
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::{App, HttpResponse, test, web};
    use tracing_actix_web::TracingLogger;
    use tracing_subscriber::fmt::format::FmtSpan;

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn the_request_log_names_the_path_but_never_the_query_string() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let app = test::init_service(
            App::new()
                .wrap(TracingLogger::<RequestSpan>::new())
                .route("/auth/github/callback", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let request = test::TestRequest::get()
            .uri("/auth/github/callback?code=SECRETCODE&state=SECRETSTATE")
            .to_request();
        test::call_service(&app, request).await;

        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("http.path=/auth/github/callback"), "{log}");
        assert!(log.contains("http.status_code=200"), "{log}");
        assert!(log.contains("request_id="), "{log}");
        assert!(
            !log.contains("SECRETCODE") && !log.contains("SECRETSTATE"),
            "{log}"
        );
    }
}
