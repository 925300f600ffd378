//! DPoP, demonstrating proof of possession ([RFC 9449]): sender-constrained
//! tokens. Each connection has its own key ([`DpopKey`]), made when its
//! login starts; every request that presents a token bound to it carries a
//! fresh [`proof`]. The OAuth 2 client decides when to use it
//! ([`DpopMode`](crate::config::DpopMode)) and retries once with the
//! server's nonce ([`DpopNonces`]).
//!
//! [RFC 9449]: https://www.rfc-editor.org/rfc/rfc9449

mod key;
mod nonces;
mod proof;

pub use key::{DpopAlg, DpopKey};
pub use nonces::{DPOP_NONCE, DpopNonces, asks_for_nonce};
pub use proof::{ProofFor, ath, htu, proof};

/// The `token_type` of a DPoP-bound token (RFC 9449 §5).
pub const TOKEN_TYPE: &str = "DPoP";
