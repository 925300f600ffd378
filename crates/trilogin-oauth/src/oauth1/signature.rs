//! OAuth 1.0a request signing ([RFC 5849 §3.4]) as pure functions: no clock,
//! no randomness, no I/O. The caller supplies the nonce and timestamp, so the
//! published vectors can be replayed exactly.
//!
//! [RFC 5849 §3.4]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use sha1::Sha1;
use sha2::Sha256;
use url::Url;

use super::encoding::{form_decode, percent_encode};
use crate::config::{SignatureMethod, SignatureType};
use crate::error::{Error, Result};

/// The base string URI of [RFC 5849 §3.4.1.2]: lower-case scheme and host,
/// the port only when it is not the scheme's default, the path, and neither
/// query nor fragment.
///
/// [RFC 5849 §3.4.1.2]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.2
///
/// # Errors
///
/// [`Error::Config`] for a URL that is not http or https, or has no host.
pub fn base_string_uri(url: &Url) -> Result<String> {
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(Error::Config(format!(
            "OAuth 1 signs only http and https requests, not {scheme}:"
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| Error::Config(format!("{url} has no host to sign")))?
        .to_ascii_lowercase();
    // `Url` already reports no port when it is the scheme's default.
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!("{scheme}://{host}{port}{}", url.path()))
}

/// Normalises request parameters per [RFC 5849 §3.4.1.3.2]: each name and
/// value percent-encoded, sorted by encoded name then encoded value
/// (duplicates kept), joined as `name=value` with `&`.
///
/// [RFC 5849 §3.4.1.3.2]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.2
#[must_use]
pub fn normalize_parameters(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| (percent_encode(name), percent_encode(value)))
        .collect();
    // Byte order of the encoded forms, as the RFC says; `String` orders by bytes.
    encoded.sort();
    encoded
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature base string of [RFC 5849 §3.4.1.1].
///
/// `params` are the protocol parameters (without `oauth_signature`) and the
/// decoded form-body parameters, when the body is
/// `application/x-www-form-urlencoded`; the query of `url` is decoded and
/// added here (§3.4.1.3.1).
///
/// [RFC 5849 §3.4.1.1]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1
///
/// # Errors
///
/// [`Error::Config`] when `url` cannot be signed ([`base_string_uri`]).
pub fn signature_base_string(
    method: &str,
    url: &Url,
    params: &[(String, String)],
) -> Result<String> {
    let mut all = url.query().map(form_decode).unwrap_or_default();
    all.extend(
        params
            .iter()
            .filter(|(name, _)| name != "oauth_signature")
            .cloned(),
    );
    Ok(format!(
        "{}&{}&{}",
        percent_encode(&method.to_ascii_uppercase()),
        percent_encode(&base_string_uri(url)?),
        percent_encode(&normalize_parameters(&all)),
    ))
}

/// The shared secrets a signature is keyed with. Either may be empty: the
/// request-token call has no token secret yet (RFC 5849 §2.1).
#[derive(Clone, Copy)]
pub struct Secrets<'a> {
    /// The client (consumer) shared secret.
    pub client: &'a str,
    /// The token shared secret: the request token's, then the access token's.
    pub token: &'a str,
}

impl Secrets<'_> {
    /// The HMAC key and `PLAINTEXT` signature of [RFC 5849 §3.4.2]: both
    /// secrets encoded and joined by `&`, which stays even when one is empty.
    ///
    /// [RFC 5849 §3.4.2]: https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2
    #[must_use]
    pub fn key(&self) -> String {
        format!(
            "{}&{}",
            percent_encode(self.client),
            percent_encode(self.token)
        )
    }
}

/// A signature method with what it needs to sign: nothing more than the
/// secrets for HMAC and `PLAINTEXT`, the client's private key for `RSA-SHA1`.
#[derive(Clone)]
pub enum Signer {
    /// `HMAC-SHA1` ([RFC 5849 §3.4.2](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2)).
    HmacSha1,
    /// `HMAC-SHA256`: §3.4.2 with SHA-256, a widespread extension.
    HmacSha256,
    /// `RSA-SHA1`: RSASSA-PKCS1-v1_5 with SHA-1
    /// ([RFC 5849 §3.4.3](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3)).
    RsaSha1(Box<SigningKey<Sha1>>),
    /// `PLAINTEXT` ([RFC 5849 §3.4.4](https://www.rfc-editor.org/rfc/rfc5849#section-3.4.4)):
    /// the key itself, safe only over TLS.
    Plaintext,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.write_str(self.name())
    }
}

impl Signer {
    /// The signer for `method`; `RSA-SHA1` reads its PEM private key from
    /// `rsa_key_file` (PKCS#8 or PKCS#1), once, here.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `RSA-SHA1` has no key file, or it cannot be read
    /// or holds no RSA private key.
    pub fn from_config(method: SignatureMethod, rsa_key_file: Option<&Path>) -> Result<Self> {
        Ok(match method {
            SignatureMethod::HmacSha1 => Self::HmacSha1,
            SignatureMethod::HmacSha256 => Self::HmacSha256,
            SignatureMethod::Plaintext => Self::Plaintext,
            SignatureMethod::RsaSha1 => {
                let path = rsa_key_file.ok_or_else(|| {
                    Error::Config("RSA-SHA1 needs rsa_key_file, a PEM private key".into())
                })?;
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    Error::Config(format!("cannot read rsa_key_file {}: {e}", path.display()))
                })?;
                Self::rsa_sha1_from_pem(&pem)?
            }
        })
    }

    /// An `RSA-SHA1` signer from a PEM private key, PKCS#8
    /// (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `pem` holds no RSA private key.
    pub fn rsa_sha1_from_pem(pem: &str) -> Result<Self> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| Error::Config(format!("rsa_key_file is not an RSA private key: {e}")))?;
        Ok(Self::RsaSha1(Box::new(SigningKey::<Sha1>::new(key))))
    }

    /// The `oauth_signature_method` value.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
            Self::RsaSha1(_) => "RSA-SHA1",
            Self::Plaintext => "PLAINTEXT",
        }
    }

    /// The `oauth_signature` value for `base_string` (ignored by `PLAINTEXT`).
    /// `RSA-SHA1` ignores the shared secrets (RFC 5849 §4.1).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the key is refused (an HMAC key never is) or RSA
    /// signing fails.
    pub fn sign(&self, base_string: &str, secrets: Secrets<'_>) -> Result<String> {
        match self {
            Self::HmacSha1 => hmac_base64::<Hmac<Sha1>>(&secrets.key(), base_string),
            Self::HmacSha256 => hmac_base64::<Hmac<Sha256>>(&secrets.key(), base_string),
            Self::RsaSha1(key) => key
                .try_sign(base_string.as_bytes())
                .map(|signature| BASE64.encode(signature.to_bytes()))
                .map_err(|e| Error::Config(format!("RSA-SHA1 signing failed: {e}"))),
            Self::Plaintext => Ok(secrets.key()),
        }
    }
}

fn hmac_base64<M: Mac + KeyInit>(key: &str, text: &str) -> Result<String> {
    let mut mac = <M as KeyInit>::new_from_slice(key.as_bytes())
        .map_err(|e| Error::Config(format!("HMAC key rejected: {e}")))?;
    mac.update(text.as_bytes());
    Ok(BASE64.encode(mac.finalize().into_bytes()))
}

/// The protocol parameters of one request ([RFC 5849 §3.1]), before the
/// signature. `oauth_version` is always sent as `1.0`.
///
/// [RFC 5849 §3.1]: https://www.rfc-editor.org/rfc/rfc5849#section-3.1
#[derive(Debug, Clone)]
pub struct ProtocolParams {
    /// `oauth_consumer_key`: the client identifier.
    pub consumer_key: String,
    /// `oauth_token`: the request token or the access token, when there is one.
    pub token: Option<String>,
    /// `oauth_nonce`: unique per timestamp (§3.3); the client uses 256 random bits.
    pub nonce: String,
    /// `oauth_timestamp`: seconds since the Unix epoch (§3.3).
    pub timestamp: i64,
    /// `oauth_callback`, on the request-token call only (§2.1).
    pub callback: Option<String>,
    /// `oauth_verifier`, on the access-token call only (§2.3).
    pub verifier: Option<String>,
}

impl ProtocolParams {
    fn pairs(&self, signature_method: &str) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("oauth_consumer_key".to_owned(), self.consumer_key.clone()),
            ("oauth_nonce".to_owned(), self.nonce.clone()),
            (
                "oauth_signature_method".to_owned(),
                signature_method.to_owned(),
            ),
            ("oauth_timestamp".to_owned(), self.timestamp.to_string()),
            ("oauth_version".to_owned(), "1.0".to_owned()),
        ];
        let optional = [
            ("oauth_token", &self.token),
            ("oauth_callback", &self.callback),
            ("oauth_verifier", &self.verifier),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                pairs.push((name.to_owned(), value.clone()));
            }
        }
        pairs
    }
}

/// A request to sign: method, URL with its query, and the form body when the
/// body is `application/x-www-form-urlencoded` (any other body is not signed).
#[derive(Debug, Clone, Copy)]
pub struct Unsigned<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The full request URL, query included.
    pub url: &'a Url,
    /// Decoded form-body parameters.
    pub form: Option<&'a [(String, String)]>,
}

/// Where the signed protocol parameters ended up ([RFC 5849 §3.5]).
///
/// [RFC 5849 §3.5]: https://www.rfc-editor.org/rfc/rfc5849#section-3.5
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The URL to call: with the protocol parameters for [`SignatureType::Query`].
    pub url: Url,
    /// The `Authorization` header value, for [`SignatureType::Header`].
    pub authorization: Option<String>,
    /// The form body to send, with the protocol parameters appended for
    /// [`SignatureType::Body`].
    pub form: Option<Vec<(String, String)>>,
}

/// How a client signs: its method and where the parameters travel.
#[derive(Debug, Clone)]
pub struct SigningOptions<'a> {
    /// The signature method and its key.
    pub signer: &'a Signer,
    /// Header, query or body.
    pub signature_type: SignatureType,
    /// `realm` of the `Authorization` header; not signed (§3.4.1.3.1).
    pub realm: Option<&'a str>,
}

/// Signs `request` with `params` and places the protocol parameters as
/// `options.signature_type` says.
///
/// # Errors
///
/// [`Error::Config`] when the URL cannot be signed, signing fails, or
/// [`SignatureType::Body`] is asked for a request without a form body.
pub fn sign_request(
    options: &SigningOptions<'_>,
    request: Unsigned<'_>,
    params: &ProtocolParams,
    secrets: Secrets<'_>,
) -> Result<Signed> {
    if options.signature_type == SignatureType::Body && request.form.is_none() {
        return Err(Error::Config(
            "signature_type body needs a form-encoded request body (RFC 5849 §3.5.2)".into(),
        ));
    }
    let mut protocol = params.pairs(options.signer.name());
    let mut signed_params = protocol.clone();
    if let Some(form) = request.form {
        signed_params.extend_from_slice(form);
    }
    let base = signature_base_string(request.method, request.url, &signed_params)?;
    let signature = options.signer.sign(&base, secrets)?;
    protocol.push(("oauth_signature".to_owned(), signature));
    // Sorted by name, the order of Twitter's documented examples; servers accept any.
    protocol.sort();

    let mut signed = Signed {
        url: request.url.clone(),
        authorization: None,
        form: request.form.map(<[_]>::to_vec),
    };
    match options.signature_type {
        SignatureType::Header => {
            signed.authorization = Some(authorization_header(options.realm, &protocol));
        }
        SignatureType::Query => {
            // Appended after the request's own parameters, as §3.5.3 suggests.
            signed.url.query_pairs_mut().extend_pairs(&protocol);
        }
        SignatureType::Body => {
            if let Some(form) = signed.form.as_mut() {
                form.extend(protocol);
            }
        }
    }
    Ok(signed)
}

/// The `Authorization: OAuth ...` header value of [RFC 5849 §3.5.1]: names
/// and values percent-encoded and quoted, `realm` first when given.
///
/// [RFC 5849 §3.5.1]: https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1
#[must_use]
pub fn authorization_header(realm: Option<&str>, protocol: &[(String, String)]) -> String {
    let mut fields = Vec::with_capacity(protocol.len() + 1);
    if let Some(realm) = realm {
        // realm is an RFC 2617 quoted-string, not percent-encoded.
        let quoted = realm.replace('\\', "\\\\").replace('"', "\\\"");
        fields.push(format!("realm=\"{quoted}\""));
    }
    fields.extend(
        protocol
            .iter()
            .map(|(name, value)| format!("{}=\"{}\"", percent_encode(name), percent_encode(value))),
    );
    format!("OAuth {}", fields.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn hmac_sha1(base: &str, client: &str, token: &str) -> String {
        Signer::HmacSha1
            .sign(base, Secrets { client, token })
            .unwrap()
    }

    // RFC 5849 §3.4.1.1: the request `POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b`
    // with the form body `c2&a3=2+q`.
    const RFC_REQUEST_URL: &str = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b";
    const RFC_BASE_STRING: &str = "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7";

    fn rfc_request_params() -> Vec<(String, String)> {
        let mut params = form_decode("c2&a3=2+q");
        params.extend(pairs(&[
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
        ]));
        params
    }

    #[test]
    fn the_rfc_5849_section_3_4_1_1_base_string_is_reproduced() {
        let base = signature_base_string("POST", &url(RFC_REQUEST_URL), &rfc_request_params());
        assert_eq!(base.unwrap(), RFC_BASE_STRING);
    }

    #[test]
    fn the_rfc_5849_section_3_4_1_3_2_normalised_parameters_are_reproduced() {
        let mut params = form_decode("b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        params.extend(rfc_request_params());
        assert_eq!(
            normalize_parameters(&params),
            "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2\
             &oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201\
             &oauth_token=kkk9d7dh3k39sjv7"
        );
    }

    #[test]
    fn the_rfc_section_3_4_1_1_signature_is_hmac_sha1_of_its_base_string() {
        // The RFC prints oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D" for this
        // request, but HMAC-SHA1 of its own base string under its own secrets
        // ("j49sk3j29djd", "dh893hdasih9") is r6/TJjbCOr97/+UU0NsvSne7s5g=
        // (openssl and Python agree); the printed value contradicts the text.
        let signature = hmac_sha1(RFC_BASE_STRING, "j49sk3j29djd", "dh893hdasih9");
        assert_eq!(signature, "r6/TJjbCOr97/+UU0NsvSne7s5g=");
        assert_ne!(signature, "bYT5CMsGcbgUdFHObYMEfcx6bsw=");
    }

    #[test]
    fn the_oauth_signature_parameter_is_never_signed() {
        let mut params = rfc_request_params();
        params.push((
            "oauth_signature".into(),
            "djosJKDKJSD8743243/jdk33klY=".into(),
        ));
        let base = signature_base_string("POST", &url(RFC_REQUEST_URL), &params);
        assert_eq!(base.unwrap(), RFC_BASE_STRING);
    }

    #[test]
    fn the_rfc_5849_section_3_4_1_2_base_string_uris_are_reproduced() {
        let uri = |s: &str| base_string_uri(&url(s)).unwrap();
        assert_eq!(
            uri("http://EXAMPLE.COM:80/r%20v/X?id=123"),
            "http://example.com/r%20v/X"
        );
        assert_eq!(
            uri("https://www.example.net:8080/?q=1"),
            "https://www.example.net:8080/"
        );
        assert_eq!(
            uri("HTTPS://Api.Example.com:443/a#frag"),
            "https://api.example.com/a"
        );
        assert_eq!(uri("http://127.0.0.1:9000/cb"), "http://127.0.0.1:9000/cb");
    }

    #[test]
    fn only_http_and_https_urls_can_be_signed() {
        assert!(matches!(
            base_string_uri(&url("ftp://example.com/x")),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn duplicate_names_are_kept_and_sorted_by_encoded_value() {
        let params = pairs(&[("a", "z"), ("a", "b"), ("A", "1"), ("a", "B")]);
        assert_eq!(normalize_parameters(&params), "A=1&a=B&a=b&a=z");
    }

    #[test]
    fn parameters_sort_by_their_encoded_form() {
        // "c@" encodes to "c%40", which sorts before "c2" because '%' < '2'.
        let params = pairs(&[("c2", ""), ("c@", "")]);
        assert_eq!(normalize_parameters(&params), "c%40=&c2=");
    }

    // RFC 5849 §1.2, the photos.example.net walkthrough. The RFC prints the
    // requests and their signatures, not the base strings: the base strings
    // below follow from §3.4.1, and the published signatures prove them.
    const PHOTOS_CLIENT_SECRET: &str = "kd94hf93k423kf44";

    #[test]
    fn the_rfc_5849_section_1_2_temporary_credential_request_is_reproduced() {
        let params = pairs(&[
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131200"),
            ("oauth_nonce", "wIjqoS"),
            ("oauth_callback", "http://printer.example.com/ready"),
        ]);
        let base =
            signature_base_string("POST", &url("https://photos.example.net/initiate"), &params)
                .unwrap();
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252F\
             printer.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce\
             %3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200"
        );
        // No token secret yet: the key still ends in "&".
        let signature = hmac_sha1(&base, PHOTOS_CLIENT_SECRET, "");
        assert_eq!(signature, "74KNZJeDHnMBp0EMJ9ZHt/XKycU=");

        let mut header_params = params;
        header_params.push(("oauth_signature".into(), signature));
        assert_eq!(
            authorization_header(Some("Photos"), &header_params),
            "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", \
             oauth_nonce=\"wIjqoS\", oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\", \
             oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\""
        );
    }

    #[test]
    fn the_rfc_5849_section_1_2_token_request_is_reproduced() {
        let params = pairs(&[
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "hh5s93j4hdidpola"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "walatlh"),
            ("oauth_verifier", "hfdp7dh39dks9884"),
        ]);
        let base = signature_base_string("POST", &url("https://photos.example.net/token"), &params)
            .unwrap();
        assert_eq!(
            base,
            "POST&https%3A%2F%2Fphotos.example.net%2Ftoken&oauth_consumer_key%3Ddpf43f3p2l4k3l03\
             %26oauth_nonce%3Dwalatlh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp\
             %3D137131201%26oauth_token%3Dhh5s93j4hdidpola%26oauth_verifier%3Dhfdp7dh39dks9884"
        );
        assert_eq!(
            hmac_sha1(&base, PHOTOS_CLIENT_SECRET, "hdhd0244k9j7ao03"),
            "gKgrFCywp7rO0OXSjdot/IHF7IU="
        );
    }

    #[test]
    fn the_rfc_5849_section_1_2_resource_request_is_reproduced() {
        let params = pairs(&[
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ]);
        let photo = url("http://photos.example.net/photos?file=vacation.jpg&size=original");
        let base = signature_base_string("GET", &photo, &params).unwrap();
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key\
             %3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1\
             %26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
        );
        assert_eq!(
            hmac_sha1(&base, PHOTOS_CLIENT_SECRET, "pfkkdhi9sl3r4s00"),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I="
        );
    }

    // Twitter's "Creating a signature" guide. The original page signs
    // https://api.twitter.com/1/statuses/update.json and publishes
    // tnnArxj06cWHq44gCs1OSKk/jLY=. Later editions changed the URL to /1.1/ (and
    // api.x.com) in the base string but kept the same signature, which no longer
    // matches: HMAC-SHA1 of the /1.1/ base string is hCtSmYh+iHYCEqBWrE7C7hYmtUk=.
    const TWITTER_BASE_STRING: &str = "POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521";
    const TWITTER_CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
    const TWITTER_TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

    fn twitter_params() -> ProtocolParams {
        ProtocolParams {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog".into(),
            token: Some("370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb".into()),
            nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg".into(),
            timestamp: 1_318_622_958,
            callback: None,
            verifier: None,
        }
    }

    fn twitter_secrets() -> Secrets<'static> {
        Secrets {
            client: TWITTER_CONSUMER_SECRET,
            token: TWITTER_TOKEN_SECRET,
        }
    }

    fn twitter_status() -> Vec<(String, String)> {
        pairs(&[(
            "status",
            "Hello Ladies + Gentlemen, a signed OAuth request!",
        )])
    }

    #[test]
    fn twitters_documented_signature_is_reproduced_end_to_end() {
        let update = url("https://api.twitter.com/1/statuses/update.json?include_entities=true");
        let form = twitter_status();
        let mut signed_params = twitter_params().pairs("HMAC-SHA1");
        signed_params.extend(form.clone());
        assert_eq!(
            signature_base_string("POST", &update, &signed_params).unwrap(),
            TWITTER_BASE_STRING
        );
        assert_eq!(
            twitter_secrets().key(),
            "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
        );

        let options = SigningOptions {
            signer: &Signer::HmacSha1,
            signature_type: SignatureType::Header,
            realm: None,
        };
        let request = Unsigned {
            method: "POST",
            url: &update,
            form: Some(&form),
        };
        let signed = sign_request(&options, request, &twitter_params(), twitter_secrets()).unwrap();
        // The header of Twitter's "Authorizing a request" guide, byte for byte.
        assert_eq!(
            signed.authorization.as_deref(),
            Some(
                "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
                 oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", \
                 oauth_signature=\"tnnArxj06cWHq44gCs1OSKk%2FjLY%3D\", \
                 oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
                 oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
                 oauth_version=\"1.0\""
            )
        );
        assert_eq!(signed.url, update, "header signing leaves the URL alone");
        assert_eq!(
            signed.form,
            Some(form),
            "header signing leaves the body alone"
        );
    }

    #[test]
    fn twitters_later_edition_signature_does_not_match_its_own_base_string() {
        let base = TWITTER_BASE_STRING.replace("%2F1%2F", "%2F1.1%2F");
        let signature = hmac_sha1(&base, TWITTER_CONSUMER_SECRET, TWITTER_TOKEN_SECRET);
        assert_eq!(signature, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
        assert_ne!(signature, "tnnArxj06cWHq44gCs1OSKk/jLY=");
    }

    #[test]
    fn hmac_sha256_keys_the_same_way_with_sha256() {
        // No published OAuth vector exists for this extension; the value was
        // computed independently with Python's hmac module.
        let signature = Signer::HmacSha256
            .sign(TWITTER_BASE_STRING, twitter_secrets())
            .unwrap();
        assert_eq!(signature, "i+nW3DvAUWe8+hYVtoxTArQQRuPDVakw9OiA6OAantk=");
        assert_eq!(Signer::HmacSha256.name(), "HMAC-SHA256");
    }

    #[test]
    fn plaintext_is_the_encoded_key_as_in_rfc_5849_sections_2_1_and_2_3() {
        let sign = |client, token| {
            Signer::Plaintext
                .sign("ignored", Secrets { client, token })
                .unwrap()
        };
        assert_eq!(sign("ja893SD9", ""), "ja893SD9&");
        assert_eq!(
            sign("ja893SD9", "xyz4992k83j47x0b"),
            "ja893SD9&xyz4992k83j47x0b"
        );
    }

    #[test]
    fn secrets_are_percent_encoded_in_the_key() {
        let secrets = Secrets {
            client: "a&b",
            token: "c d~",
        };
        assert_eq!(secrets.key(), "a%26b&c%20d~");
    }

    // RSA-SHA1: the term.ie request-token vector of Google's Signet library
    // (spec/signet/oauth_1/signature_methods/rsa_sha1_spec.rb); openssl
    // `dgst -sha1 -sign` gives the same signature.
    const SIGNET_RSA_KEY: &str =
        include_str!("../../tests/oauth1/fixtures/signet-rsa-sha1-key.pem");

    #[test]
    fn the_signet_rsa_sha1_vector_is_reproduced() {
        let params = pairs(&[
            ("oauth_consumer_key", "key"),
            ("oauth_signature_method", "RSA-SHA1"),
            ("oauth_timestamp", "1377815426"),
            ("oauth_nonce", "c3839c47cb204a20e042b11a5cc9f971"),
            ("oauth_version", "1.0"),
        ]);
        let endpoint = url("http://term.ie/oauth/example/request_token.php");
        let base = signature_base_string("GET", &endpoint, &params).unwrap();
        let signer = Signer::rsa_sha1_from_pem(SIGNET_RSA_KEY).unwrap();
        assert_eq!(signer.name(), "RSA-SHA1");
        // The token secret plays no part in RSA-SHA1 (RFC 5849 §4.1).
        let signature = signer
            .sign(
                &base,
                Secrets {
                    client: "",
                    token: "pfkkdhi9sl3r4s00",
                },
            )
            .unwrap();
        assert_eq!(
            signature,
            "P72T4RS8dVBneQPJSY71D3iLEjge2tiivxEasPVoaoDldDgPdwpQfhS1q0th19jB3B3+9P6tBWjpWaVPxrNZe3s\
             sBCiwS/EmXZ/6VCJGU3YoDHMtz+0jCd36NjHj5I6TpLVQ8/rtfy6+EzpdUMz7ydnhKXYqJFPOWnNv8HM1W7I="
        );
    }

    #[test]
    fn the_rsa_key_is_read_from_the_configured_pem_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.pem");
        std::fs::write(&path, SIGNET_RSA_KEY).unwrap();
        let signer = Signer::from_config(SignatureMethod::RsaSha1, Some(&path)).unwrap();
        assert_eq!(
            format!("{signer:?}"),
            "RSA-SHA1",
            "Debug never shows the key"
        );
    }

    #[test]
    fn rsa_sha1_without_a_readable_key_is_a_configuration_error() {
        let missing = Signer::from_config(SignatureMethod::RsaSha1, None);
        assert!(matches!(missing, Err(Error::Config(_))));
        let unreadable = Signer::from_config(
            SignatureMethod::RsaSha1,
            Some(Path::new("/nonexistent/client.pem")),
        );
        assert!(matches!(unreadable, Err(Error::Config(_))));
        let garbage = Signer::rsa_sha1_from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        assert!(matches!(garbage, Err(Error::Config(_))));
    }

    fn sign_with(
        signature_type: SignatureType,
        form: Option<&[(String, String)]>,
        realm: Option<&str>,
    ) -> Result<Signed> {
        let target = url("https://api.example.com/1.1/statuses/update.json?include_entities=true");
        let options = SigningOptions {
            signer: &Signer::HmacSha1,
            signature_type,
            realm,
        };
        let request = Unsigned {
            method: "POST",
            url: &target,
            form,
        };
        sign_request(&options, request, &twitter_params(), twitter_secrets())
    }

    fn header_field(header: &str, name: &str) -> Option<String> {
        header
            .trim_start_matches("OAuth ")
            .split(", ")
            .find_map(|field| field.strip_prefix(&format!("{name}=\"")))
            .map(|v| v.trim_end_matches('"').to_owned())
    }

    #[test]
    fn query_signing_appends_the_protocol_parameters_to_the_url() {
        let form = twitter_status();
        let signed = sign_with(SignatureType::Query, Some(&form), None).unwrap();
        assert_eq!(signed.authorization, None);
        assert_eq!(signed.form, Some(form));
        let query = form_decode(signed.url.query().unwrap_or_default());
        assert_eq!(
            query[0],
            ("include_entities".into(), "true".into()),
            "own parameters first"
        );
        let names: Vec<&str> = query.iter().map(|(n, _)| n.as_str()).collect();
        for name in [
            "oauth_consumer_key",
            "oauth_nonce",
            "oauth_signature",
            "oauth_signature_method",
            "oauth_timestamp",
            "oauth_token",
            "oauth_version",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
    }

    #[test]
    fn the_three_placements_carry_the_same_signature() {
        let form = twitter_status();
        let header = sign_with(SignatureType::Header, Some(&form), None).unwrap();
        let header_signature = header_field(
            header.authorization.as_deref().unwrap_or_default(),
            "oauth_signature",
        )
        .unwrap();
        let query = sign_with(SignatureType::Query, Some(&form), None).unwrap();
        let body = sign_with(SignatureType::Body, Some(&form), None).unwrap();
        let find = |list: &[(String, String)]| {
            list.iter()
                .find(|(n, _)| n == "oauth_signature")
                .map(|(_, v)| percent_encode(v))
        };
        let query_pairs = form_decode(query.url.query().unwrap_or_default());
        assert_eq!(find(&query_pairs), Some(header_signature.clone()));
        assert_eq!(
            find(body.form.as_deref().unwrap_or_default()),
            Some(header_signature)
        );
        assert_eq!(
            body.form.as_ref().map(|f| f[0].0.as_str()),
            Some("status"),
            "own parameters first"
        );
        assert_eq!(
            body.url.query(),
            Some("include_entities=true"),
            "body signing leaves the URL alone"
        );
    }

    #[test]
    fn body_signing_without_a_form_body_is_refused() {
        assert!(matches!(
            sign_with(SignatureType::Body, None, None),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn the_realm_is_sent_but_not_signed() {
        let form = twitter_status();
        let with = sign_with(SignatureType::Header, Some(&form), Some("Photos")).unwrap();
        let without = sign_with(SignatureType::Header, Some(&form), None).unwrap();
        let with = with.authorization.unwrap_or_default();
        let without = without.authorization.unwrap_or_default();
        assert!(with.starts_with("OAuth realm=\"Photos\", oauth_consumer_key="));
        assert_eq!(
            header_field(&with, "oauth_signature"),
            header_field(&without, "oauth_signature")
        );
    }

    #[test]
    fn a_different_nonce_changes_the_signature() {
        let form = twitter_status();
        let first = sign_with(SignatureType::Header, Some(&form), None).unwrap();
        let options = SigningOptions {
            signer: &Signer::HmacSha1,
            signature_type: SignatureType::Header,
            realm: None,
        };
        let target = url("https://api.example.com/1.1/statuses/update.json?include_entities=true");
        let mut params = twitter_params();
        params.nonce = "another".into();
        let second = sign_request(
            &options,
            Unsigned {
                method: "POST",
                url: &target,
                form: Some(&form),
            },
            &params,
            twitter_secrets(),
        )
        .unwrap();
        assert_ne!(
            header_field(
                first.authorization.as_deref().unwrap_or_default(),
                "oauth_signature"
            ),
            header_field(
                second.authorization.as_deref().unwrap_or_default(),
                "oauth_signature"
            )
        );
    }

    mod properties {
        use percent_encoding::percent_decode_str;
        use proptest::prelude::*;

        use super::super::*;
        use crate::strategies::pairs;

        fn decode(part: &str) -> String {
            percent_decode_str(part)
                .decode_utf8()
                .map_or_else(|e| panic!("{part}: {e}"), std::borrow::Cow::into_owned)
        }

        type Params = Vec<(String, String)>;

        /// Parameters, and the same parameters in another order.
        fn shuffled_pairs() -> impl Strategy<Value = (Params, Params)> {
            pairs().prop_flat_map(|params| (Just(params.clone()), Just(params).prop_shuffle()))
        }

        proptest! {
            #[test]
            fn the_base_string_is_stable_under_parameter_reordering(
                (params, reordered) in shuffled_pairs(),
                query in pairs(),
            ) {
                let mut url = Url::parse("https://api.example.com/1.1/statuses/update.json")
                    .unwrap_or_else(|e| panic!("{e}"));
                if !query.is_empty() {
                    url.query_pairs_mut().extend_pairs(&query);
                }
                prop_assert_eq!(
                    signature_base_string("POST", &url, &params).ok(),
                    signature_base_string("POST", &url, &reordered).ok()
                );
            }

            #[test]
            fn normalized_parameters_decode_back_to_the_parameters(params in pairs()) {
                let normalized = normalize_parameters(&params);
                let mut decoded: Vec<(String, String)> = if normalized.is_empty() {
                    Vec::new()
                } else {
                    normalized
                        .split('&')
                        .map(|pair| {
                            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                            (decode(name), decode(value))
                        })
                        .collect()
                };
                let mut expected = params.clone();
                decoded.sort();
                expected.sort();
                prop_assert_eq!(decoded, expected);
            }

            #[test]
            fn the_base_string_is_three_encoded_parts_the_last_the_normalized_parameters(
                method in "[a-zA-Z]{1,8}",
                params in pairs(),
            ) {
                let url = Url::parse("http://example.com/request").unwrap_or_else(|e| panic!("{e}"));
                let base = signature_base_string(&method, &url, &params)
                    .unwrap_or_else(|e| panic!("{e}"));
                let parts: Vec<&str> = base.split('&').collect();
                prop_assert_eq!(parts.len(), 3, "{}", base);
                prop_assert_eq!(decode(parts[0]), method.to_ascii_uppercase());
                prop_assert_eq!(decode(parts[1]), "http://example.com/request");
                let signed: Vec<(String, String)> = params
                    .iter()
                    .filter(|(name, _)| name != "oauth_signature")
                    .cloned()
                    .collect();
                prop_assert_eq!(decode(parts[2]), normalize_parameters(&signed));
            }
        }
    }
}
