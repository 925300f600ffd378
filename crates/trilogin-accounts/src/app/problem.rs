//! What a page says when a provider cannot give what it shows: the person
//! has not connected it, must log in there again, or the provider failed.
//! Every case becomes a clear message with a way forward, never a 500.

use serde::Serialize;

use crate::Provider;
use trilogin_oauth::Error;

/// The way forward a problem offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// No connection to the provider: offer "Connect <Provider>".
    NotConnected,
    /// The stored tokens no longer work: offer "Reconnect <Provider>".
    Reconnect,
    /// The provider failed or did not answer: offer "Try again".
    Retry,
}

/// A provider call that did not work out, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderProblem {
    /// The provider in question.
    pub provider: Provider,
    /// What the page offers.
    pub kind: ProblemKind,
    /// One or two sentences for the person; never a token or a raw body.
    pub message: String,
}

impl ProviderProblem {
    /// The person has not connected `provider`.
    pub fn not_connected(provider: Provider) -> Self {
        Self {
            provider,
            kind: ProblemKind::NotConnected,
            message: format!(
                "You have not connected {label} yet. Connect it to see this page.",
                label = provider.label()
            ),
        }
    }

    /// The stored connection to `provider` needs a new login.
    pub fn reconnect(provider: Provider) -> Self {
        Self {
            provider,
            kind: ProblemKind::Reconnect,
            message: format!(
                "{label} no longer accepts the access you gave this site. \
                 Log in with {label} again to reconnect; nothing has been deleted.",
                label = provider.label()
            ),
        }
    }

    /// Classifies a failed call to `provider`. The cause is for the log:
    /// the message only says what happened and what to do.
    pub fn from_error(provider: Provider, error: &Error) -> Self {
        let label = provider.label();
        let retry = |message: String| Self {
            provider,
            kind: ProblemKind::Retry,
            message,
        };
        match error {
            Error::NotConnected(_) => Self::not_connected(provider),
            Error::ReauthorizationRequired { .. } | Error::AccessDenied { .. } => {
                Self::reconnect(provider)
            }
            Error::Transport(e) if e.is_timeout() => retry(format!(
                "{label} did not answer in time. Please try again in a moment."
            )),
            Error::Transport(_) => retry(format!(
                "{label} could not be reached. Please try again in a moment."
            )),
            Error::UnexpectedResponse { status, .. } if *status >= 500 => retry(format!(
                "{label} is having trouble right now (it answered with error {status}). \
                 Please try again in a moment."
            )),
            Error::Provider { error, .. } => retry(format!(
                "{label} refused the request ({error}). Please try again; if it keeps \
                 failing, reconnect {label} from your account page."
            )),
            Error::Config(_) => retry(format!(
                "{label} is not set up correctly on this site. Please try again later."
            )),
            Error::Storage(_) => retry(format!(
                "Your saved {label} connection could not be read. Please try again."
            )),
            _ => retry(format!(
                "{label} gave an answer this site did not understand. Please try again."
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_refresh_asks_for_a_new_login_and_promises_no_deletion() {
        let problem = ProviderProblem::from_error(
            Provider::GitHub,
            &Error::ReauthorizationRequired {
                reason: "invalid_grant".into(),
            },
        );
        assert_eq!(problem.kind, ProblemKind::Reconnect);
        assert!(problem.message.contains("Log in with GitHub again"));
        assert!(problem.message.contains("nothing has been deleted"));
    }

    #[test]
    fn a_provider_outage_offers_a_retry_and_keeps_the_body_out_of_the_page() {
        let problem = ProviderProblem::from_error(
            Provider::Google,
            &Error::UnexpectedResponse {
                status: 503,
                reason: "down".into(),
                body: "<html>stack trace with secret</html>".into(),
            },
        );
        assert_eq!(problem.kind, ProblemKind::Retry);
        assert!(problem.message.contains("error 503"));
        assert!(!problem.message.contains("secret"));
    }

    #[test]
    fn a_missing_connection_offers_to_connect() {
        let problem =
            ProviderProblem::from_error(Provider::Twitter, &Error::NotConnected("twitter".into()));
        assert_eq!(problem, ProviderProblem::not_connected(Provider::Twitter));
        assert!(problem.message.contains("not connected Twitter"));
    }

    #[test]
    fn an_unparsable_answer_is_a_retry_not_a_crash() {
        let problem = ProviderProblem::from_error(
            Provider::GitHub,
            &Error::UnexpectedResponse {
                status: 200,
                reason: "malformed".into(),
                body: "[".into(),
            },
        );
        assert_eq!(problem.kind, ProblemKind::Retry);
    }
}
