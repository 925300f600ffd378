//! What a browser's session brings: the cookie (decrypted and read as a
//! session key, as the session middleware does), the row's stored state,
//! and that state opened and read through the typed session.
//! The session is filled through its public API, which stores JSON only.

#![no_main]

use actix_session::SessionExt as _;
use actix_web::cookie::{Cookie, CookieJar};
use actix_web::test::TestRequest;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trilogin::web::session::{FlashKind, TypedSession};
use trilogin::web::session_store::cookie_key;
use trilogin_accounts::crypto::{Cipher, SealedAt, SecretKey};
use trilogin_accounts::db::session_states::SessionState;
use trilogin_accounts::db::sessions::{SEALED_STATE, session_id};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    cookie: &'a str,
    stored: &'a str,
    entries: Vec<(String, String)>,
    handle: &'a str,
}

fuzz_target!(|input: Input<'_>| {
    if let Ok(secret) = SecretKey::new([7u8; 64]) {
        let mut jar = CookieJar::new();
        jar.add_original(Cookie::new("id", input.cookie.to_owned()));
        if let Some(cookie) = jar.private(&cookie_key(&secret)).get("id")
            && let Ok(key) = actix_session::storage::SessionKey::try_from(cookie.value().to_owned())
        {
            let _ = session_id(key.as_ref());
        }
    }

    // The row's sealed state, opened as the store opens it.
    if let Ok(secret) = SecretKey::new([7u8; 64]) {
        let cipher = Cipher::new(&secret);
        let row = [input.handle];
        let at = SealedAt::new(SEALED_STATE, &row);
        let _ = cipher.open(&at, input.stored);
    }
    let mut state: SessionState = serde_json::from_str(input.stored).unwrap_or_default();
    state.extend(input.entries);
    let session = TypedSession::new(TestRequest::default().to_http_request().get_session());
    for (key, text) in state {
        // The session keeps JSON texts; one that is not JSON is kept as a string.
        let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        assert!(session.inner().insert(key, value).is_ok());
    }
    let _ = session.user_id();
    let _ = session.take_flashes();
    let _ = session.csrf_matches(input.handle);
    let _ = session.take_next_path();

    let _ = session.existing_login_binding();
    assert!(session.login_binding().is_ok());
    assert!(session.flash(FlashKind::Info, "still usable").is_ok());
});
