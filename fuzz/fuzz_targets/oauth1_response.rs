//! The form-encoded answers of an OAuth 1 provider's request-token and
//! access-token endpoints (RFC 5849 §2.1, §2.3), with any status.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trilogin_oauth::oauth1::response::{parse_temporary_credentials, parse_token_credentials};

fuzz_target!(|input: (u16, &str)| {
    let (status, body) = input;
    let _ = parse_temporary_credentials(status, body);
    let _ = parse_token_credentials(status, body);
});
