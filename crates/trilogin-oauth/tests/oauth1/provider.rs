//! A mock OAuth 1.0a provider's signature check, written from RFC 5849 for
//! the tests alone: it shares no code with the client it checks.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::percent_decode_str;
use rsa::RsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use sha1::Sha1;
use sha2::Sha256;
use url::Url;
use wiremock::{Match, Request};

/// RFC 5849 §3.6, byte by byte.
pub fn rfc_encode(s: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The parameters of the `Authorization: OAuth` header, realm excluded (§3.5.1).
type HeaderParams = (Vec<(String, String)>, Option<String>);

fn header_pairs(header: &str) -> Option<HeaderParams> {
    let rest = header.strip_prefix("OAuth ")?;
    let mut pairs = Vec::new();
    let mut realm = None;
    for field in rest.split(',') {
        let (name, value) = field.trim().split_once('=')?;
        let value = value.strip_prefix('"')?.strip_suffix('"')?;
        let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
        if name == "realm" {
            realm = Some(value);
        } else {
            pairs.push((name.to_owned(), value));
        }
    }
    Some((pairs, realm))
}

/// What a verified request carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Where the protocol parameters were: "header", "query" or "body".
    pub placement: &'static str,
    /// The protocol parameters, decoded.
    pub oauth: BTreeMap<String, String>,
    /// The header's realm, if any.
    pub realm: Option<String>,
}

/// What the provider knows to check a signature: the shared secrets, and
/// the client's public key for RSA-SHA1.
#[derive(Debug, Clone, Copy)]
pub struct Keys<'a> {
    pub consumer_secret: &'a str,
    pub token_secret: &'a str,
    pub rsa: Option<&'a RsaPublicKey>,
}

impl<'a> Keys<'a> {
    pub fn shared(consumer_secret: &'a str, token_secret: &'a str) -> Self {
        Self {
            consumer_secret,
            token_secret,
            rsa: None,
        }
    }
}

fn hmac_b64<M: Mac + hmac::digest::KeyInit>(key: &str, text: &str) -> Result<String, String> {
    let mut mac =
        <M as hmac::digest::KeyInit>::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(text.as_bytes());
    Ok(base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
}

/// Recomputes the signature per RFC 5849 §3.4 (HMAC-SHA1, HMAC-SHA256,
/// PLAINTEXT, RSA-SHA1) and compares it with the one sent.
pub fn verify(
    method: &str,
    url: &Url,
    authorization: Option<&str>,
    form_body: Option<&str>,
    keys: &Keys<'_>,
) -> Result<Verified, String> {
    let query = form_pairs(url.query().unwrap_or(""));
    let body = form_body.map(form_pairs).unwrap_or_default();
    let header = match authorization {
        Some(h) => Some(header_pairs(h).ok_or("malformed Authorization header")?),
        None => None,
    };
    let is_oauth = |pairs: &[(String, String)]| pairs.iter().any(|(k, _)| k.starts_with("oauth_"));
    // §3.5: protocol parameters travel in one and only one place.
    let mut places = Vec::new();
    if header.is_some() {
        places.push("header");
    }
    if is_oauth(&query) {
        places.push("query");
    }
    if is_oauth(&body) {
        places.push("body");
    }
    let [placement] = places[..] else {
        return Err(format!("protocol parameters found in {places:?}"));
    };
    let (header_params, realm) = header.unwrap_or_default();

    let mut all: Vec<(String, String)> = Vec::new();
    all.extend(query);
    all.extend(header_params);
    all.extend(body);
    let oauth: BTreeMap<String, String> = all
        .iter()
        .filter(|(k, _)| k.starts_with("oauth_"))
        .cloned()
        .collect();
    let sent = oauth
        .get("oauth_signature")
        .ok_or("no oauth_signature")?
        .clone();

    let mut encoded: Vec<(String, String)> = all
        .iter()
        .filter(|(k, _)| k != "oauth_signature")
        .map(|(k, v)| (rfc_encode(k), rfc_encode(v)))
        .collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let host = url.host_str().ok_or("no host")?.to_lowercase();
    let port = match (url.scheme(), url.port()) {
        (_, None) | ("http", Some(80)) | ("https", Some(443)) => String::new(),
        (_, Some(p)) => format!(":{p}"),
    };
    let base_uri = format!("{}://{host}{port}{}", url.scheme(), url.path());
    let base = format!(
        "{}&{}&{}",
        method.to_uppercase(),
        rfc_encode(&base_uri),
        rfc_encode(&normalized)
    );
    let shared_key = format!(
        "{}&{}",
        rfc_encode(keys.consumer_secret),
        rfc_encode(keys.token_secret)
    );
    let method = oauth
        .get("oauth_signature_method")
        .map(String::as_str)
        .unwrap_or_default();
    let valid = match method {
        "HMAC-SHA1" => hmac_b64::<Hmac<Sha1>>(&shared_key, &base)? == sent,
        "HMAC-SHA256" => hmac_b64::<Hmac<Sha256>>(&shared_key, &base)? == sent,
        "PLAINTEXT" => shared_key == sent,
        "RSA-SHA1" => {
            let public = keys.rsa.ok_or("no RSA key registered for this client")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&sent)
                .map_err(|e| e.to_string())?;
            let signature = Signature::try_from(bytes.as_slice()).map_err(|e| e.to_string())?;
            VerifyingKey::<Sha1>::new(public.clone())
                .verify(base.as_bytes(), &signature)
                .is_ok()
        }
        other => return Err(format!("unknown signature method {other:?}")),
    };
    if !valid {
        return Err(format!("{method} signature mismatch over {base}"));
    }
    Ok(Verified {
        placement,
        oauth,
        realm,
    })
}

fn verify_request(request: &Request, keys: &Keys<'_>) -> Result<Verified, String> {
    // §3.4.1.2: host and port come from the Host header field.
    let host = request
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .ok_or("no Host header")?;
    let mut url = request.url.clone();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) => (name, Some(port.parse::<u16>().map_err(|e| e.to_string())?)),
        None => (host, None),
    };
    url.set_host(Some(name)).map_err(|e| e.to_string())?;
    url.set_port(port).map_err(|()| "bad port")?;
    let authorization = request
        .headers
        .get("authorization")
        .map(|h| h.to_str().map_err(|e| e.to_string()))
        .transpose()?;
    let is_form = request
        .headers
        .get("content-type")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let body = String::from_utf8(request.body.clone()).map_err(|e| e.to_string())?;
    verify(
        request.method.as_str(),
        &url,
        authorization,
        is_form.then_some(body.as_str()),
        keys,
    )
}

/// Matches requests whose signature verifies with these secrets and whose
/// protocol parameters include every `expected` name/value.
#[derive(Debug, Clone)]
pub struct SignedWith {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token_secret: String,
    pub rsa: Option<RsaPublicKey>,
    pub expected: BTreeMap<String, String>,
}

impl SignedWith {
    pub fn new(consumer_key: &str, consumer_secret: &str, token_secret: &str) -> Self {
        Self {
            consumer_key: consumer_key.into(),
            consumer_secret: consumer_secret.into(),
            token_secret: token_secret.into(),
            rsa: None,
            expected: BTreeMap::new(),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.expected.insert(name.into(), value.into());
        self
    }

    pub fn with_rsa(mut self, public: RsaPublicKey) -> Self {
        self.rsa = Some(public);
        self
    }

    pub fn check(&self, request: &Request) -> Result<Verified, String> {
        let keys = Keys {
            consumer_secret: &self.consumer_secret,
            token_secret: &self.token_secret,
            rsa: self.rsa.as_ref(),
        };
        let verified = verify_request(request, &keys)?;
        let oauth = &verified.oauth;
        if oauth.get("oauth_consumer_key") != Some(&self.consumer_key) {
            return Err("wrong consumer key".into());
        }
        for (name, value) in &self.expected {
            if oauth.get(name) != Some(value) {
                return Err(format!(
                    "{name} is {:?}, expected {value:?}",
                    oauth.get(name)
                ));
            }
        }
        if oauth.get("oauth_version").is_some_and(|v| v != "1.0") {
            return Err("oauth_version must be 1.0".into());
        }
        // At least 128 bits: 22 base64 characters.
        if oauth.get("oauth_nonce").is_none_or(|n| n.len() < 22) {
            return Err("nonce too short".into());
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let timestamp: i64 = oauth
            .get("oauth_timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or("no timestamp")?;
        if (now - timestamp).abs() > 300 {
            return Err("stale timestamp".into());
        }
        Ok(verified)
    }
}

impl Match for SignedWith {
    fn matches(&self, request: &Request) -> bool {
        self.check(request).is_ok()
    }
}
