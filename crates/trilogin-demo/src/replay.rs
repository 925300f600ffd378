//! Consent answers kept for a few seconds after they are given, so that a
//! consent form sent twice (a double-click on Authorize) gets the first
//! answer's redirect again instead of an expired page.
//!
//! Only the redirect is kept: a replay sends the browser back with the same
//! code or verifier, it never issues a second one, and the code stays
//! single-use at the token endpoint. A different decision on an answered
//! consent finds nothing here and is refused as any spent consent is.

use std::collections::HashMap;

/// How long, in seconds, a consent answer can be replayed.
pub const REPLAY_SECS: i64 = 10;

/// Most answers kept at once; beyond it the oldest are dropped, so a flood
/// of consents cannot grow memory without bound.
const MAX_KEPT: usize = 10_000;

/// Recent answers by key (a consent id, or a request token), each with the
/// decision it answered. The owner keeps it under the same lock as its
/// pending consents, so a second click cannot fall between "taken" and
/// "remembered".
#[derive(Debug)]
pub struct RecentAnswers<D, A> {
    entries: HashMap<String, Kept<D, A>>,
}

#[derive(Debug)]
struct Kept<D, A> {
    decision: D,
    answer: A,
    until: i64,
}

impl<D, A> Default for RecentAnswers<D, A> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

impl<D: PartialEq, A: Clone> RecentAnswers<D, A> {
    /// Keeps `answer` to `decision` under `key` for [`REPLAY_SECS`].
    pub fn remember(&mut self, key: String, decision: D, answer: A, now: i64) {
        if self.entries.len() >= MAX_KEPT {
            self.entries.retain(|_, kept| kept.until > now);
        }
        if self.entries.len() >= MAX_KEPT {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, kept)| kept.until)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        let until = now + REPLAY_SECS;
        self.entries.insert(
            key,
            Kept {
                decision,
                answer,
                until,
            },
        );
    }

    /// The answer kept under `key`, if it answered this same `decision` and
    /// is still recent.
    pub fn recall(&self, key: &str, decision: &D, now: i64) -> Option<A> {
        self.entries
            .get(key)
            .filter(|kept| kept.until > now && kept.decision == *decision)
            .map(|kept| kept.answer.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_decision_gets_the_same_answer_while_recent() {
        let mut answers = RecentAnswers::default();
        answers.remember("consent".into(), "authorize", "http://a/cb?code=1", 100);
        assert_eq!(
            answers.recall("consent", &"authorize", 100 + REPLAY_SECS - 1),
            Some("http://a/cb?code=1")
        );
        assert_eq!(
            answers.recall("consent", &"authorize", 100 + REPLAY_SECS),
            None
        );
    }

    #[test]
    fn another_decision_or_key_gets_nothing() {
        let mut answers = RecentAnswers::default();
        answers.remember("consent".into(), "authorize", "http://a/cb?code=1", 100);
        assert_eq!(answers.recall("consent", &"deny", 100), None);
        assert_eq!(answers.recall("other", &"authorize", 100), None);
    }
}
