//! Random tokens that are looked up by digest, and whose digests sort by
//! the time the token was made.
//!
//! Session keys, OAuth 2 `state` values and login bindings are stored only
//! as digests, so that a copy of the database gives none of them away. A
//! plain SHA-256 is random, though, and every row inserted under a random
//! key lands on a random page of the index: under load, each insert then
//! reads a page and writes it back whole. With the time of making in
//! front, new rows go to the end of the index, where the pages are already
//! in memory and shared by the rows of the same moment.
//!
//! An ordered token is `<12 hex digits: milliseconds since 1970>.<random,
//! base64url>`; its digest keeps the time and hashes the whole token:
//! `<12 hex digits>.<SHA-256 of the token, hex>`. The time tells no more
//! than the row's own creation time does. A token without that form (a
//! session key of an earlier release, a provider's OAuth 1 request token)
//! has the plain SHA-256 as its digest, so what was stored before is still
//! found.

use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::secret::random_token;

/// Hex digits of the time prefix.
const TIME_DIGITS: usize = 12;

/// A token of `bytes` random bytes that sorts by its time of making, at
/// millisecond precision. URL-safe: `[0-9a-f]{12}\.[A-Za-z0-9_-]+`.
#[must_use]
pub fn ordered_token(bytes: usize) -> String {
    let millis = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    // Twelve hex digits hold milliseconds until the year 10889.
    let millis = u64::try_from(millis).unwrap_or_default() & 0xffff_ffff_ffff;
    format!(
        "{millis:0width$x}.{}",
        random_token(bytes),
        width = TIME_DIGITS
    )
}

/// What is stored for `token`: its time prefix, if it is an
/// [`ordered_token`], then the SHA-256 of the whole token in hex.
#[must_use]
pub fn lookup_digest(token: &str) -> String {
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    match time_prefix(token) {
        Some(time) => format!("{time}.{digest}"),
        None => digest,
    }
}

fn time_prefix(token: &str) -> Option<&str> {
    let (time, rest) = token.split_at_checked(TIME_DIGITS)?;
    (rest.starts_with('.') && time.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_tokens_sort_by_their_time_of_making() {
        let first = ordered_token(32);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ordered_token(32);
        assert!(first < second, "{first} !< {second}");
        assert!(lookup_digest(&first) < lookup_digest(&second));
    }

    #[test]
    fn an_ordered_token_carries_its_random_bytes_whole() {
        let token = ordered_token(32);
        let (time, random) = token.split_once('.').unwrap();
        assert_eq!(time.len(), 12);
        assert_eq!(random.len(), 43);
        assert_ne!(random, ordered_token(32).split_once('.').unwrap().1);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        );
    }

    #[test]
    fn the_digest_keeps_the_time_and_hides_the_rest() {
        let token = ordered_token(32);
        let digest = lookup_digest(&token);
        let (time, hash) = digest.split_once('.').unwrap();
        assert_eq!(time, &token[..12]);
        assert_eq!(hash, hex::encode(Sha256::digest(token.as_bytes())));
        assert!(!digest.contains(token.split_once('.').unwrap().1));
    }

    #[test]
    fn any_other_token_has_the_plain_sha256_as_its_digest() {
        for token in [
            "",
            "4kq3V0rDlzF1m0b9lB7m3rHgk0mJ6cQ2bVx8yT4uN5wE",
            "0123456789ab",
            "0123456789abX",
            "0123456789aB.x",
            "é123456789ab.x",
        ] {
            assert_eq!(
                lookup_digest(token),
                hex::encode(Sha256::digest(token.as_bytes())),
                "{token:?}"
            );
        }
        assert!(lookup_digest("0123456789ab.x").starts_with("0123456789ab."));
    }
}
