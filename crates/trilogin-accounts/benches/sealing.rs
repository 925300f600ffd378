//! Sealing and opening column values: every request with a session opens
//! its sealed state, every page that calls a provider opens the sealed
//! token, and every session write seals the state again.

#![expect(
    clippy::expect_used,
    reason = "a benchmark with a broken fixture should stop at once"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trilogin_accounts::crypto::{Cipher, SealedAt, SecretKey};

/// A logged-in session's state as actix-session keeps it: JSON texts.
const SESSION_STATE: &str = r#"{"user_id":"42","csrf_token":"\"kq3V0rDlzF1m0b9lB7m3rHgk0mJ6cQ2bVx8yT4uN5wE\"","login_binding":"\"Vb2Jt0Xw8zYq1Pp4Ll7Ss6Dd9Ff3Gg5Hh2Kk1Mm0Nn\""}"#;
/// A GitHub access token.
const ACCESS_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";

fn sealing(c: &mut Criterion) {
    let cipher =
        Cipher::new(&SecretKey::new(vec![7u8; 48]).expect("48 bytes is a valid secret key"));
    let session = SealedAt::new("sessions.state", &["9f86d081884c7d659a2feaa0c55ad015"]);
    let token = SealedAt::new("oauth2_tokens.access_token", &["github", "4242"]);

    c.bench_function("seal a session state", |b| {
        b.iter(|| cipher.seal(black_box(&session), black_box(SESSION_STATE)));
    });
    let sealed_state = cipher
        .seal(&session, SESSION_STATE)
        .expect("the state seals");
    c.bench_function("open a session state", |b| {
        b.iter(|| cipher.open(black_box(&session), black_box(&sealed_state)));
    });
    c.bench_function("seal an access token", |b| {
        b.iter(|| cipher.seal(black_box(&token), black_box(ACCESS_TOKEN)));
    });
    let sealed_token = cipher.seal(&token, ACCESS_TOKEN).expect("the token seals");
    c.bench_function("open an access token", |b| {
        b.iter(|| cipher.open(black_box(&token), black_box(&sealed_token)));
    });
}

criterion_group!(benches, sealing);
criterion_main!(benches);
