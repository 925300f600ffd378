//! A request to the demo Twitter as its endpoints first read it: the
//! `Authorization: OAuth` header, the query and a form body (RFC 5849
//! §3.5), then the consumer and timestamp checks.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use trilogin_demo::twitter::{RawRequest, read_request};

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    method: &'a str,
    query: &'a str,
    authorization: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
    now: i64,
}

fuzz_target!(|input: Input<'_>| {
    let raw = RawRequest {
        method: input.method,
        query: input.query,
        authorization: input.authorization,
        content_type: input.content_type,
        body: input.body,
    };
    let _ = read_request(&raw, input.now);
});
