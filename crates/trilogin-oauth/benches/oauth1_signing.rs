//! Signing an OAuth 1.0a request (RFC 5849 §3): every Twitter API call and
//! every step of a Twitter login signs one.

#![expect(
    clippy::expect_used,
    reason = "a benchmark with a broken fixture should stop at once"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use trilogin_oauth::config::SignatureType;
use trilogin_oauth::oauth1::signature::{
    ProtocolParams, Secrets, Signer, SigningOptions, Unsigned, sign_request,
};
use url::Url;

fn signing(c: &mut Criterion) {
    let url = Url::parse(
        "https://api.twitter.com/1.1/statuses/home_timeline.json?count=20&tweet_mode=extended",
    )
    .expect("a valid URL");
    let params = ProtocolParams {
        consumer_key: "xvz1evFS4wEEPTGEFPHBog".to_owned(),
        token: Some("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".to_owned()),
        nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg".to_owned(),
        timestamp: 1_318_622_958,
        callback: None,
        verifier: None,
    };
    let secrets = Secrets {
        client: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        token: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    };
    for (name, signer) in [
        ("HMAC-SHA1", Signer::HmacSha1),
        ("HMAC-SHA256", Signer::HmacSha256),
    ] {
        let options = SigningOptions {
            signer: &signer,
            signature_type: SignatureType::Header,
            realm: None,
        };
        c.bench_function(&format!("sign a timeline request with {name}"), |b| {
            b.iter(|| {
                sign_request(
                    black_box(&options),
                    Unsigned {
                        method: "GET",
                        url: black_box(&url),
                        form: None,
                    },
                    black_box(&params),
                    secrets,
                )
            });
        });
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
