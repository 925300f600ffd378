//! The percent-encoding of RFC 5849 §3.6, and the form decoding that
//! §3.4.1.3.1 applies to query strings and form bodies.
//!
//! [RFC 5849 §3.6]: https://www.rfc-editor.org/rfc/rfc5849#section-3.6

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything except the RFC 3986 §2.3 unreserved set (`ALPHA DIGIT - . _ ~`)
/// is encoded. This differs from form encoding (space is `%20`, never `+`)
/// and from most URL encoders (`~` and `*` are treated differently).
const OAUTH_ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `value` per [RFC 5849 §3.6]: UTF-8 first, unreserved
/// characters kept, everything else as `%XX` with upper-case hex.
///
/// [RFC 5849 §3.6]: https://www.rfc-editor.org/rfc/rfc5849#section-3.6
#[must_use]
pub fn percent_encode(value: &str) -> String {
    utf8_percent_encode(value, OAUTH_ENCODE_SET).to_string()
}

/// Decodes an `application/x-www-form-urlencoded` string (a query or a form
/// body) into name/value pairs, in order, duplicates kept, `+` read as a
/// space ([RFC 5849 §3.4.1.3.1]).
///
/// [RFC 5849 §3.4.1.3.1]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1
#[must_use]
pub fn form_decode(encoded: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_pass_through_untouched() {
        let unreserved = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
        assert_eq!(percent_encode(unreserved), unreserved);
    }

    #[test]
    fn reserved_characters_are_encoded_with_upper_case_hex() {
        assert_eq!(
            percent_encode(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"),
            "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D"
        );
    }

    #[test]
    fn a_space_is_percent_20_and_never_a_plus() {
        assert_eq!(percent_encode("r b"), "r%20b");
        assert_eq!(percent_encode("2+q"), "2%2Bq");
    }

    #[test]
    fn the_tilde_is_not_encoded() {
        // Many URL encoders (JavaScript's `escape`, older Java) get this one wrong.
        assert_eq!(percent_encode("~user"), "~user");
    }

    #[test]
    fn unicode_is_encoded_as_its_utf8_octets() {
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("☃"), "%E2%98%83");
        assert_eq!(percent_encode("日本"), "%E6%97%A5%E6%9C%AC");
        assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
    }

    #[test]
    fn form_decoding_reads_plus_as_space_and_keeps_duplicates_in_order() {
        // The entity-body of the RFC 5849 §3.4.1.3.1 example.
        assert_eq!(
            form_decode("c2&a3=2+q"),
            vec![("c2".into(), String::new()), ("a3".into(), "2 q".into())]
        );
        assert_eq!(
            form_decode("b5=%3D%253D&a3=a&c%40=&a2=r%20b&a3=x"),
            vec![
                ("b5".into(), "=%3D".into()),
                ("a3".into(), "a".into()),
                ("c@".into(), String::new()),
                ("a2".into(), "r b".into()),
                ("a3".into(), "x".into()),
            ]
        );
    }

    mod properties {
        use percent_encoding::percent_decode_str;
        use proptest::prelude::*;

        use super::super::*;
        use crate::strategies::{pairs, tricky_text};

        proptest! {
            #[test]
            fn percent_encoding_then_decoding_gives_the_input(value in any::<String>()) {
                let encoded = percent_encode(&value);
                let decoded = percent_decode_str(&encoded).decode_utf8();
                prop_assert_eq!(decoded.as_deref().ok(), Some(value.as_str()));
            }

            #[test]
            fn percent_encoding_leaves_only_unreserved_characters_and_upper_case_escapes(
                value in any::<String>(),
            ) {
                let encoded = percent_encode(&value);
                let mut bytes = encoded.bytes();
                while let Some(b) = bytes.next() {
                    if b == b'%' {
                        for _ in 0..2 {
                            let hex = bytes.next();
                            prop_assert!(
                                hex.is_some_and(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(&h)),
                                "{encoded}"
                            );
                        }
                    } else {
                        prop_assert!(b.is_ascii_alphanumeric() || b"-._~".contains(&b), "{encoded}");
                    }
                }
            }

            #[test]
            fn form_encoded_pairs_decode_to_themselves_in_order(pairs in pairs()) {
                let encoded = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&pairs)
                    .finish();
                prop_assert_eq!(form_decode(&encoded), pairs);
            }

            #[test]
            fn form_decoding_any_text_never_panics(text in tricky_text()) {
                let _ = form_decode(&text);
            }
        }
    }
}
