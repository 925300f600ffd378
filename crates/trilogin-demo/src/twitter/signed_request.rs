//! Reading an OAuth 1.0a request: the protocol parameters from the
//! `Authorization` header, the form body or the query
//! ([RFC 5849 §3.5](https://www.rfc-editor.org/rfc/rfc5849#section-3.5)),
//! and every parameter that enters the signature base string
//! ([§3.4.1.3.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1)).

use percent_encoding::percent_decode_str;

use super::signature::SignatureMethod;

/// The parts of an HTTP request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct RawRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The body.
    pub body: &'a [u8],
}

/// A request's OAuth protocol parameters and its signed parameters.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    /// `oauth_consumer_key`.
    pub consumer_key: String,
    /// `oauth_token`, absent when asking for a request token.
    pub token: Option<String>,
    /// `oauth_signature_method`, already known to be one this provider accepts.
    pub signature_method: SignatureMethod,
    /// `oauth_signature`, decoded (still base64).
    pub signature: String,
    /// `oauth_timestamp`, seconds since the epoch.
    pub timestamp: i64,
    /// `oauth_nonce`.
    pub nonce: String,
    /// `oauth_callback`, when sent.
    pub callback: Option<String>,
    /// `oauth_verifier`, when sent.
    pub verifier: Option<String>,
    /// Every parameter the base string covers, decoded, `oauth_signature` included
    /// (the base string leaves it out itself).
    pub params: Vec<(String, String)>,
}

impl SignedRequest {
    /// The first non-protocol parameter called `name` (query or body).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request is not a well-formed OAuth 1.0a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedRequest {
    /// A required protocol parameter is missing.
    #[error("missing {0}")]
    Missing(&'static str),
    /// A protocol parameter appears more than once (§3.1 forbids it).
    #[error("{0} sent more than once")]
    Repeated(String),
    /// The signature method is PLAINTEXT or unknown.
    #[error("unsupported signature method {0:?}")]
    UnsupportedMethod(String),
    /// `oauth_version` is present and not `1.0` (§3.1).
    #[error("unsupported oauth_version {0:?}")]
    UnsupportedVersion(String),
    /// `oauth_timestamp` is not a number of seconds.
    #[error("timestamp {0:?} is not a number")]
    BadTimestamp(String),
    /// The `Authorization: OAuth` header cannot be parsed.
    #[error("malformed Authorization header")]
    BadHeader,
}

impl RawRequest<'_> {
    /// Collects the protocol parameters and the signed parameters.
    ///
    /// Protocol parameters are taken from wherever the client put them; a
    /// parameter that appears in two places is refused rather than guessed
    /// between, since a server and a signer that pick differently verify
    /// something other than what was signed.
    pub fn parse(&self) -> Result<SignedRequest, MalformedRequest> {
        let mut params = decode_form(self.query.as_bytes());
        if self.is_form_body() {
            params.extend(decode_form(self.body));
        }
        if let Some(header) = self.authorization.and_then(oauth_header_value) {
            let header_params = parse_oauth_header(header)?;
            // §3.4.1.3.1: the header's "realm" is not a signed parameter.
            params.extend(header_params.into_iter().filter(|(n, _)| n != "realm"));
        }
        let single = |name: &'static str| -> Result<Option<String>, MalformedRequest> {
            let mut found = params.iter().filter(|(n, _)| n == name);
            let first = found.next().map(|(_, v)| v.clone());
            match found.next() {
                Some(_) => Err(MalformedRequest::Repeated(name.to_owned())),
                None => Ok(first),
            }
        };
        let required = |name: &'static str| single(name)?.ok_or(MalformedRequest::Missing(name));

        if let Some(version) = single("oauth_version")?
            && version != "1.0"
        {
            return Err(MalformedRequest::UnsupportedVersion(version));
        }
        let method_name = required("oauth_signature_method")?;
        let signature_method = SignatureMethod::from_name(&method_name)
            .ok_or(MalformedRequest::UnsupportedMethod(method_name))?;
        let timestamp = required("oauth_timestamp")?;
        let timestamp = timestamp
            .parse::<i64>()
            .map_err(|_| MalformedRequest::BadTimestamp(timestamp))?;
        Ok(SignedRequest {
            consumer_key: required("oauth_consumer_key")?,
            token: single("oauth_token")?,
            signature_method,
            signature: required("oauth_signature")?,
            timestamp,
            nonce: required("oauth_nonce")?,
            callback: single("oauth_callback")?,
            verifier: single("oauth_verifier")?,
            params,
        })
    }

    /// §3.4.1.3.1: the body is signed only when it is a single-part
    /// `application/x-www-form-urlencoded` entity.
    fn is_form_body(&self) -> bool {
        self.content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| {
                ct.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
    }
}

/// Decodes `application/x-www-form-urlencoded` pairs (`+` is a space here).
fn decode_form(input: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(input)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

/// The credentials of an `Authorization` header using the `OAuth` scheme
/// (the scheme name is case-insensitive); `None` for any other scheme.
fn oauth_header_value(header: &str) -> Option<&str> {
    let header = header.trim_start();
    let (scheme, rest) = header.split_at_checked(5)?;
    let starts_params = rest.is_empty() || rest.starts_with([' ', '\t']);
    (scheme.eq_ignore_ascii_case("OAuth") && starts_params).then_some(rest)
}

/// Parses `name="value", name="value"` as
/// [RFC 5849 §3.5.1](https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1)
/// writes it: values quoted and percent-encoded, except `realm`, which is
/// an RFC 2617 quoted-string and not percent-encoded.
fn parse_oauth_header(input: &str) -> Result<Vec<(String, String)>, MalformedRequest> {
    let mut params = Vec::new();
    let mut rest = input.trim();
    while !rest.is_empty() {
        let (name, after_name) = rest.split_once('=').ok_or(MalformedRequest::BadHeader)?;
        let after_quote = after_name
            .strip_prefix('"')
            .ok_or(MalformedRequest::BadHeader)?;
        let (value, after_value) = quoted_string(after_quote)?;
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| MalformedRequest::BadHeader)
        };
        let name = decode(name.trim())?;
        let value = if name == "realm" {
            value
        } else {
            decode(&value)?
        };
        params.push((name, value));
        rest = after_value.trim_start();
        match rest.strip_prefix(',') {
            Some(next) => rest = next.trim_start(),
            None if rest.is_empty() => {}
            None => return Err(MalformedRequest::BadHeader),
        }
    }
    Ok(params)
}

/// Reads a quoted-string ([RFC 7230 §3.2.6]) whose opening quote is
/// already consumed: its content with `\x` pairs unescaped, and the text
/// after its closing quote. Percent-encoded values never hold a quote or a
/// backslash, but a realm may, and the client escapes them.
///
/// [RFC 7230 §3.2.6]: https://www.rfc-editor.org/rfc/rfc7230#section-3.2.6
fn quoted_string(input: &str) -> Result<(String, &str), MalformedRequest> {
    let mut content = String::new();
    let mut chars = input.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => {
                let after = input.get(at + 1..).ok_or(MalformedRequest::BadHeader)?;
                return Ok((content, after));
            }
            '\\' => content.push(chars.next().ok_or(MalformedRequest::BadHeader)?.1),
            c => content.push(c),
        }
    }
    Err(MalformedRequest::BadHeader)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = r#"OAuth realm="Example",
        oauth_consumer_key="9djdj82h48djs9d2",
        oauth_token="kkk9d7dh3k39sjv7",
        oauth_signature_method="HMAC-SHA1",
        oauth_timestamp="137131201",
        oauth_nonce="7d8f3e4a",
        oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D""#;

    fn raw<'a>(authorization: Option<&'a str>, query: &'a str, body: &'a [u8]) -> RawRequest<'a> {
        RawRequest {
            method: "POST",
            query,
            authorization,
            content_type: Some("application/x-www-form-urlencoded; charset=utf-8"),
            body,
        }
    }

    #[test]
    fn header_query_and_body_parameters_are_all_collected() {
        let request = raw(
            Some(HEADER),
            "b5=%3D%253D&a3=a&c%40=&a2=r%20b",
            b"c2&a3=2+q",
        )
        .parse()
        .unwrap();
        assert_eq!(request.consumer_key, "9djdj82h48djs9d2");
        assert_eq!(request.token.as_deref(), Some("kkk9d7dh3k39sjv7"));
        assert_eq!(request.signature, "bYT5CMsGcbgUdFHObYMEfcx6bsw=");
        assert_eq!(request.timestamp, 137_131_201);
        assert_eq!(request.signature_method, SignatureMethod::HmacSha1);
        assert!(request.params.contains(&("a3".into(), "2 q".into())));
        assert!(request.params.contains(&("b5".into(), "=%3D".into())));
        assert!(request.params.contains(&("c@".into(), String::new())));
        assert!(!request.params.iter().any(|(n, _)| n == "realm"));
    }

    #[test]
    fn protocol_parameters_may_come_from_the_query_alone() {
        let query = "oauth_consumer_key=k&oauth_signature_method=HMAC-SHA256\
                     &oauth_timestamp=1&oauth_nonce=n&oauth_signature=s%3D&count=5";
        let request = raw(None, query, b"").parse().unwrap();
        assert_eq!(request.signature_method, SignatureMethod::HmacSha256);
        assert_eq!(request.signature, "s=");
        assert_eq!(request.param("count"), Some("5"));
        assert_eq!(request.token, None);
    }

    #[test]
    fn a_body_that_is_not_a_form_is_not_signed() {
        let mut request = raw(Some(HEADER), "", b"oauth_verifier=v");
        request.content_type = Some("application/json");
        let parsed = request.parse().unwrap();
        assert_eq!(parsed.verifier, None);
    }

    #[test]
    fn a_protocol_parameter_sent_twice_is_refused() {
        let error = raw(Some(HEADER), "oauth_nonce=other", b"")
            .parse()
            .unwrap_err();
        assert_eq!(error, MalformedRequest::Repeated("oauth_nonce".into()));
    }

    #[test]
    fn plaintext_and_other_versions_are_refused() {
        let plaintext = HEADER.replace("HMAC-SHA1", "PLAINTEXT");
        assert_eq!(
            raw(Some(&plaintext), "", b"").parse().unwrap_err(),
            MalformedRequest::UnsupportedMethod("PLAINTEXT".into())
        );
        let version = format!("{HEADER}, oauth_version=\"2.0\"");
        assert_eq!(
            raw(Some(&version), "", b"").parse().unwrap_err(),
            MalformedRequest::UnsupportedVersion("2.0".into())
        );
    }

    #[test]
    fn missing_or_malformed_parameters_are_named() {
        assert_eq!(
            raw(None, "", b"").parse().unwrap_err(),
            MalformedRequest::Missing("oauth_signature_method")
        );
        let bad = "OAuth oauth_consumer_key=unquoted";
        assert_eq!(
            raw(Some(bad), "", b"").parse().unwrap_err(),
            MalformedRequest::BadHeader
        );
        let stamp = HEADER.replace("137131201", "yesterday");
        assert_eq!(
            raw(Some(&stamp), "", b"").parse().unwrap_err(),
            MalformedRequest::BadTimestamp("yesterday".into())
        );
    }

    #[test]
    fn other_authorization_schemes_are_ignored() {
        assert_eq!(oauth_header_value("Bearer abc"), None);
        assert_eq!(oauth_header_value("OAuthx a=\"b\""), None);
        assert_eq!(oauth_header_value("oauth a=\"b\""), Some(" a=\"b\""));
    }

    #[test]
    fn a_realm_with_escaped_quotes_is_read_as_a_quoted_string() {
        let header = r#"OAuth realm="say \"hi\" \\ bye", oauth_consumer_key="k""#;
        let params = parse_oauth_header(oauth_header_value(header).unwrap_or_default()).unwrap();
        assert_eq!(
            params,
            [
                ("realm".to_owned(), r#"say "hi" \ bye"#.to_owned()),
                ("oauth_consumer_key".to_owned(), "k".to_owned()),
            ]
        );
        assert_eq!(
            parse_oauth_header(r#"realm="unterminated \""#),
            Err(MalformedRequest::BadHeader)
        );
    }

    mod properties {
        use proptest::prelude::*;
        use url::Url;

        use super::super::*;
        use crate::twitter::signature::{self, VerificationKeys};
        use trilogin_oauth::config::SignatureType;
        use trilogin_oauth::oauth1::signature::{
            ProtocolParams, Secrets, Signer, SigningOptions, Unsigned, authorization_header,
            sign_request,
        };
        use trilogin_oauth::strategies::{pairs, tricky_text};

        const FORM: &str = "application/x-www-form-urlencoded";

        /// Request parameters that are not protocol parameters: a name the
        /// client also sends as one is refused as repeated, rightly.
        fn request_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
            pairs().prop_map(|pairs| {
                pairs
                    .into_iter()
                    .filter(|(name, _)| !name.starts_with("oauth_"))
                    .collect()
            })
        }

        fn form_encode(pairs: &[(String, String)]) -> String {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        }

        fn signature_type() -> impl Strategy<Value = SignatureType> {
            prop_oneof![
                Just(SignatureType::Header),
                Just(SignatureType::Query),
                Just(SignatureType::Body),
            ]
        }

        proptest! {
            #[test]
            fn parsing_arbitrary_requests_never_panics(
                query in tricky_text(),
                authorization in proptest::option::of(tricky_text().prop_map(|h| format!("OAuth {h}"))),
                form_body in any::<bool>(),
                body in proptest::collection::vec(any::<u8>(), 0..64),
            ) {
                let request = RawRequest {
                    method: "POST",
                    query: &query,
                    authorization: authorization.as_deref(),
                    content_type: form_body.then_some(FORM),
                    body: &body,
                };
                let _ = request.parse();
            }

            #[test]
            fn the_clients_authorization_header_reads_back_as_its_parameters(
                realm in proptest::option::of(tricky_text()),
                protocol in pairs(),
            ) {
                let header = authorization_header(realm.as_deref(), &protocol);
                let value = oauth_header_value(&header);
                prop_assert!(value.is_some(), "{}", header);
                let mut expected = protocol.clone();
                if let Some(realm) = realm {
                    expected.insert(0, ("realm".to_owned(), realm));
                }
                prop_assert_eq!(parse_oauth_header(value.unwrap_or_default()), Ok(expected));
            }

            #[test]
            fn what_the_client_signs_the_demo_provider_verifies(
                signature_type in signature_type(),
                query in request_pairs(),
                form in request_pairs(),
                consumer_key in tricky_text(),
                token in proptest::option::of(tricky_text()),
                nonce in tricky_text(),
                timestamp in any::<i64>(),
                realm in proptest::option::of(tricky_text()),
                (client_secret, token_secret) in (tricky_text(), tricky_text()),
            ) {
                let public_url = Url::parse("http://127.0.0.1:8080").unwrap_or_else(|e| panic!("{e}"));
                let path = "/_demo/twitter/1.1/statuses/update.json";
                let mut url = public_url.join(path).unwrap_or_else(|e| panic!("{e}"));
                if !query.is_empty() {
                    url.query_pairs_mut().extend_pairs(&query);
                }
                let params = ProtocolParams {
                    consumer_key,
                    token,
                    nonce,
                    timestamp,
                    callback: None,
                    verifier: None,
                };
                let options = SigningOptions {
                    signer: &Signer::HmacSha1,
                    signature_type,
                    realm: realm.as_deref(),
                };
                let request = Unsigned { method: "POST", url: &url, form: Some(&form) };
                let secrets = Secrets { client: &client_secret, token: &token_secret };
                let signed = sign_request(&options, request, &params, secrets)
                    .unwrap_or_else(|e| panic!("{e}"));

                let body = form_encode(signed.form.as_deref().unwrap_or_default());
                let raw = RawRequest {
                    method: "POST",
                    query: signed.url.query().unwrap_or_default(),
                    authorization: signed.authorization.as_deref(),
                    content_type: Some(FORM),
                    body: body.as_bytes(),
                };
                let parsed = raw.parse();
                prop_assert!(parsed.is_ok(), "{:?} from {:?}", parsed, raw);
                let parsed = parsed.unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(&parsed.consumer_key, &params.consumer_key);
                prop_assert_eq!(&parsed.token, &params.token);
                prop_assert_eq!(parsed.timestamp, timestamp);
                let base = signature::base_string(
                    raw.method,
                    &signature::base_uri(&public_url, signed.url.path()),
                    &parsed.params,
                );
                let keys = VerificationKeys {
                    consumer_secret: &client_secret,
                    token_secret: &token_secret,
                    consumer_rsa_key: None,
                };
                prop_assert!(signature::verify(parsed.signature_method, &base, &parsed.signature, keys));
            }
        }
    }
}
