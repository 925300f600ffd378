//! The OAuth 1.0a client ([RFC 5849]).
//!
//! [RFC 5849]: https://www.rfc-editor.org/rfc/rfc5849

pub mod encoding;
pub mod signature;
