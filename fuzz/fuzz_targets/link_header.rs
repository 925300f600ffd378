//! GitHub's paging `Link` header (RFC 8288) and rate-limit headers, as the
//! repositories page reads them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reqwest::header::{HeaderMap, HeaderValue};
use trilogin_accounts::providers::github::{RateLimit, pages};

fuzz_target!(|input: (&str, [&str; 3])| {
    let (link, limits) = input;
    let _ = pages(Some(link));
    let mut headers = HeaderMap::new();
    for (name, value) in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ]
    .into_iter()
    .zip(limits)
    {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    let _ = RateLimit::from_headers(&headers);
});
