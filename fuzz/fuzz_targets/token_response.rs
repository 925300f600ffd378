//! A token endpoint's answer (RFC 6749 §5.1, §5.2): JSON or form-encoded,
//! any status and content type, read plainly and through GitHub's
//! compliance hook.

#![no_main]

use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;
use trilogin_accounts::providers::github;
use trilogin_oauth::oauth2::token_response::parse_token_response;

fuzz_target!(|input: (u16, Option<&str>, &str)| {
    let (status, content_type, body) = input;
    let received_at = OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
    if let Ok(token) = parse_token_response(status, content_type, body, None, received_at) {
        assert!(!token.access_token.secret().is_empty());
        assert!(token.expires_at.is_none_or(|at| at >= received_at));
    }
    let hook = github::preset().compliance.refresh_token_response;
    let _ = parse_token_response(status, content_type, body, hook.as_ref(), received_at);
});
