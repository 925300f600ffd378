//! Compliance hooks: where a provider that bends the standard is fixed, in
//! its preset, instead of in the protocol code (Authlib's `compliance_fix`).
//!
//! Each hook is optional and sees one step: the token answer before it is
//! parsed, the refresh request before it is sent, the refresh answer, every
//! resource request, and the userinfo payload before it is checked.

use std::sync::Arc;

/// A token endpoint answer, decoded from JSON or form encoding, before the
/// client reads it.
#[derive(Debug, Clone)]
pub struct TokenAnswer {
    /// The HTTP status (GitHub reports errors with 200).
    pub status: u16,
    /// The answer's fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// Rewrites a token answer (e.g. adds a missing `token_type`).
pub type TokenAnswerHook = Arc<dyn Fn(&mut TokenAnswer) + Send + Sync>;
/// Rewrites an outgoing request (refresh or protected resource).
pub type RequestHook = Arc<dyn Fn(&mut reqwest::Request) + Send + Sync>;
/// Maps a userinfo payload onto standard OpenID Connect claims (`sub`, `name` ...).
pub type UserinfoHook = Arc<dyn Fn(serde_json::Value) -> serde_json::Value + Send + Sync>;

/// The compliance hooks of one client; all empty by default.
#[derive(Clone, Default)]
pub struct ComplianceHooks {
    /// Applied to the code exchange answer.
    pub access_token_response: Option<TokenAnswerHook>,
    /// Applied to the refresh request before it is sent.
    pub refresh_token_request: Option<RequestHook>,
    /// Applied to the refresh answer.
    pub refresh_token_response: Option<TokenAnswerHook>,
    /// Applied to every resource request, after the token is placed.
    pub protected_request: Option<RequestHook>,
    /// Applied to the userinfo payload before its `sub` is checked.
    pub userinfo: Option<UserinfoHook>,
}

impl std::fmt::Debug for ComplianceHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |present: bool| if present { "set" } else { "-" };
        f.debug_struct("ComplianceHooks")
            .field(
                "access_token_response",
                &set(self.access_token_response.is_some()),
            )
            .field(
                "refresh_token_request",
                &set(self.refresh_token_request.is_some()),
            )
            .field(
                "refresh_token_response",
                &set(self.refresh_token_response.is_some()),
            )
            .field("protected_request", &set(self.protected_request.is_some()))
            .field("userinfo", &set(self.userinfo.is_some()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_which_hooks_are_set() {
        let hooks = ComplianceHooks {
            userinfo: Some(Arc::new(|v| v)),
            ..ComplianceHooks::default()
        };
        let shown = format!("{hooks:?}");
        assert!(shown.contains("userinfo: \"set\""));
        assert!(shown.contains("protected_request: \"-\""));
    }
}
