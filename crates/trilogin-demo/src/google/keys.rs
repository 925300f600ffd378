//! Demo Google's RS256 signing keys: made once, kept as PEM files (mode
//! 0600) under the data directory so that id_tokens stay verifiable across
//! restarts, and published as a JWKS (RFC 7517). Rotation adds a key; the
//! newest signs, the previous one stays published for tokens already out.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::oauth2_server::state_file;

const KEY_BITS: usize = 2048;
/// Keys published at once: the signing key and its predecessor, as Google does.
const PUBLISHED: usize = 2;

/// One signing key.
struct SigningKey {
    kid: String,
    n: String,
    e: String,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_private(key: &RsaPrivateKey) -> anyhow::Result<Self> {
        let n = URL_SAFE_NO_PAD.encode(key.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(key.e().to_bytes_be());
        // RFC 7638 thumbprint: members in lexicographic order, no spaces.
        let thumbprint = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let pem = key
            .to_pkcs1_pem(LineEnding::LF)
            .context("cannot encode the signing key")?;
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .context("cannot load the signing key for RS256")?;
        Ok(Self {
            kid,
            n,
            e,
            encoding,
        })
    }
}

/// The published keys, newest last.
#[derive(Debug)]
pub struct SigningKeys {
    dir: PathBuf,
    keys: RwLock<Vec<SigningKey>>,
}

impl SigningKeys {
    /// Loads the keys kept in `dir`, making the first one if there is none.
    pub fn load_or_create(dir: PathBuf) -> anyhow::Result<Self> {
        let mut files = key_files(&dir)?;
        if files.is_empty() {
            files.push(write_new_key(&dir, 1)?);
        }
        let keys = files
            .iter()
            .rev()
            .take(PUBLISHED)
            .rev()
            .map(|(_, path)| read_key(path))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            dir,
            keys: RwLock::new(keys),
        })
    }

    /// Makes a new signing key; the previous one stays published. Returns the new `kid`.
    pub fn rotate(&self) -> anyhow::Result<String> {
        let files = key_files(&self.dir)?;
        let next = files.last().map_or(1, |(n, _)| n + 1);
        let (_, path) = write_new_key(&self.dir, next)?;
        let key = read_key(&path)?;
        let kid = key.kid.clone();
        let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
        keys.push(key);
        let excess = keys.len().saturating_sub(PUBLISHED);
        keys.drain(..excess);
        // Keys no longer published can sign nothing verifiable: delete them.
        for (_, old) in files.iter().rev().skip(PUBLISHED - 1) {
            if let Err(e) = fs::remove_file(old) {
                tracing::warn!(path = %old.display(), error = %e, "cannot delete a retired demo key");
            }
        }
        Ok(kid)
    }

    /// The `kid` of the key that signs new tokens.
    pub fn current_kid(&self) -> String {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.last().map(|k| k.kid.clone()).unwrap_or_default()
    }

    /// The JWK Set (RFC 7517 §5) of the published keys.
    pub fn jwks(&self) -> Value {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let keys: Vec<Value> = keys
            .iter()
            .rev()
            .map(|k| {
                json!({
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": k.kid,
                    "n": k.n,
                    "e": k.e,
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    /// Signs `claims` as a JWS with RS256 and the current key's `kid`.
    pub fn sign(&self, claims: &impl Serialize) -> anyhow::Result<String> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        let key = keys.last().context("no signing key")?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).context("cannot sign an id_token")
    }
}

/// The numbered key files in `dir`, oldest first.
fn key_files(dir: &Path) -> anyhow::Result<Vec<(u32, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).context(format!("cannot list {}", dir.display())),
    };
    let mut files: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let number = name
                .strip_prefix("signing-key-")?
                .strip_suffix(".pem")?
                .parse()
                .ok()?;
            Some((number, entry.path()))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn write_new_key(dir: &Path, number: u32) -> anyhow::Result<(u32, PathBuf)> {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), KEY_BITS)
        .context("cannot generate an RSA key")?;
    let pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .context("cannot encode the signing key")?;
    let path = dir.join(format!("signing-key-{number:04}.pem"));
    state_file::write_private(&path, pem.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((number, path))
}

fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let pem =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = RsaPrivateKey::from_pkcs1_pem(&pem)
        .with_context(|| format!("{} is not an RSA private key", path.display()))?;
    SigningKey::from_private(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_persist_rotate_and_keep_the_previous_key_published() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path().join("keys")).unwrap();
        let first = keys.current_kid();
        let reloaded = SigningKeys::load_or_create(dir.path().join("keys")).unwrap();
        assert_eq!(reloaded.current_kid(), first, "a restart keeps the key");

        let second = keys.rotate().unwrap();
        assert_ne!(second, first);
        let kids: Vec<String> = keys.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kids, vec![second.clone(), first.clone()]);

        let third = keys.rotate().unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert!(
            !jwks.to_string().contains(&first),
            "the oldest key is retired"
        );
        let reloaded = SigningKeys::load_or_create(dir.path().join("keys")).unwrap();
        assert_eq!(reloaded.current_kid(), third);
        assert_eq!(reloaded.jwks(), jwks);
    }
}
