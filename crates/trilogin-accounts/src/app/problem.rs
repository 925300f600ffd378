//! What a page says when a provider cannot give what it shows: the person
//! has not connected it, must log in there again, or the provider failed.
//! Every case becomes a clear message with a way forward, never a 500.

use serde::Serialize;
use time::OffsetDateTime;

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
    /// When the provider's rate limit lets calls go again, if that is the
    /// problem.
    #[serde(skip)]
    pub retry_at: Option<OffsetDateTime>,
}

impl ProviderProblem {
    /// The person has not connected `provider`.
    pub fn not_connected(provider: Provider) -> Self {
        Self {
            provider,
            kind: ProblemKind::NotConnected,
            retry_at: None,
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
            retry_at: None,
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
            retry_at: None,
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
            Error::RateLimited { until } => Self {
                retry_at: Some(*until),
                ..retry(rate_limited(label, *until, OffsetDateTime::now_utc()))
            },
            _ => retry(format!(
                "{label} gave an answer this site did not understand. Please try again."
            )),
        }
    }
}

/// What the person reads when `label` asked the site to wait until `until`:
/// when to come back, since trying before then only shows this again.
pub(crate) fn rate_limited(label: &str, until: OffsetDateTime, now: OffsetDateTime) -> String {
    let minutes = ((until - now).whole_seconds().max(0) + 59) / 60;
    let minutes = minutes.max(1);
    let clock = until.to_offset(time::UtcOffset::UTC);
    format!(
        "{label} has asked this site to slow down (its rate limit is reached). \
         Please try again after {:02}:{:02} UTC, in about {minutes} minute{}.",
        clock.hour(),
        clock.minute(),
        if minutes == 1 { "" } else { "s" }
    )
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
    fn a_rate_limit_says_when_to_come_back() {
        let now = time::macros::datetime!(2026-12-07 12:00:10 UTC);
        let until = time::macros::datetime!(2026-12-07 12:14:30 UTC);
        let message = rate_limited("GitHub", until, now);
        assert!(
            message.contains("GitHub has asked this site to slow down"),
            "{message}"
        );
        assert!(
            message.contains("after 12:14 UTC, in about 15 minutes"),
            "{message}"
        );
        let soon = rate_limited("GitHub", now + time::Duration::seconds(5), now);
        assert!(soon.contains("in about 1 minute."), "{soon}");
        let problem = ProviderProblem::from_error(Provider::GitHub, &Error::RateLimited { until });
        assert_eq!(problem.kind, ProblemKind::Retry);
        assert_eq!(problem.retry_at, Some(until));
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
