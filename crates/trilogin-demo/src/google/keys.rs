//! Demo Google's RS256 signing keys: made once, kept as PEM files (mode
//! 0600) under the data directory so that id_tokens stay verifiable across
//! restarts, and published as a JWKS (RFC 7517). Rotation adds a key; the
//! newest signs, the previous one stays published for tokens already out.
//!
//! Making a 2048-bit RSA key takes from a tenth of a second to over a
//! second, so the first key of a fresh data folder is made on a thread of
//! its own while the site starts; the first use of the keys waits for it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::thread::JoinHandle;

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

/// The first key of a fresh data folder, while its thread makes it.
type FirstKey = JoinHandle<anyhow::Result<SigningKey>>;

/// The published keys, newest last.
#[derive(Debug)]
pub struct SigningKeys {
    dir: PathBuf,
    keys: RwLock<Vec<SigningKey>>,
    first: Mutex<Option<FirstKey>>,
}

impl SigningKeys {
    /// Loads the keys kept in `dir`; when there is none, starts making the
    /// first one on a thread of its own.
    pub fn load_or_create(dir: PathBuf) -> anyhow::Result<Self> {
        let files = key_files(&dir)?;
        let first = if files.is_empty() {
            let first_dir = dir.clone();
            let thread = std::thread::Builder::new()
                .name("demo-google-key".to_owned())
                .spawn(move || read_key(&write_new_key(&first_dir, 1)?.1))
                .context("cannot start making the demo Google signing key")?;
            Some(thread)
        } else {
            None
        };
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
            first: Mutex::new(first),
        })
    }

    /// The published keys, once the first one is made.
    fn published(&self) -> std::sync::RwLockReadGuard<'_, Vec<SigningKey>> {
        let thread = self
            .first
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            match thread.join() {
                Ok(Ok(key)) => self
                    .keys
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(key),
                // Nothing is published then: the ID tokens the demo cannot
                // sign fail the login with an error page, not a panic.
                Ok(Err(e)) => tracing::error!(
                    error = format!("{e:#}"),
                    "cannot make the demo Google signing key"
                ),
                Err(_) => tracing::error!("making the demo Google signing key panicked"),
            }
        }
        self.keys.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a new signing key; the previous one stays published. Returns the new `kid`.
    pub fn rotate(&self) -> anyhow::Result<String> {
        // The first key must be on disk before the next number is chosen.
        drop(self.published());
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
        let keys = self.published();
        keys.last().map(|k| k.kid.clone()).unwrap_or_default()
    }

    /// The JWK Set (RFC 7517 §5) of the published keys.
    pub fn jwks(&self) -> Value {
        let keys = self.published();
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
        let keys = self.published();
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

    #[test]
    fn a_rotation_right_after_a_fresh_start_numbers_its_key_after_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let keys = SigningKeys::load_or_create(dir.path().join("keys")).unwrap();
        let second = keys.rotate().unwrap();
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        assert_eq!(jwks["keys"][0]["kid"], second.as_str(), "the new key signs");
        let numbers: Vec<u32> = key_files(&dir.path().join("keys"))
            .unwrap()
            .iter()
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(numbers, vec![1, 2]);
    }
}
