//! What a site asks of the person's login beyond a valid ID token:
//! Authlib's `claims_options` (per-claim `essential`, `value`, `values`),
//! `max_age` with its `auth_time` check and `acr_values` with its `acr`
//! check (OIDC Core §3.1.2.1, §3.1.3.7 items 11 to 13).
//!
//! They are checked on the ID token of a login. A refresh's ID token speaks
//! of the same authentication, whose age and strength were judged then.

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use crate::config::{ClaimRule, ClientConfig};
use crate::error::{Error, Result};

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidIdToken(reason.into())
}

/// Checks the claims of a login's ID token against `config`'s
/// `claims_options`, `max_age` and `acr_values`, at time `now`.
///
/// # Errors
///
/// [`Error::InvalidIdToken`] naming the first claim that fails.
pub fn check(
    claims: &Map<String, Value>,
    config: &ClientConfig,
    now: OffsetDateTime,
) -> Result<()> {
    for (name, rule) in &config.claims_options {
        check_rule(name, claims.get(name), rule)?;
    }
    if let Some(max_age) = config.max_age {
        check_auth_time(claims, max_age, config.id_token_leeway, now)?;
    }
    if let Some(acr_values) = &config.acr_values {
        let acr = claims
            .get("acr")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("acr_values were asked for but the ID token has no acr"))?;
        if !acr_values.split_whitespace().any(|wanted| wanted == acr) {
            return Err(invalid(format!("acr {acr} is not one of {acr_values}")));
        }
    }
    Ok(())
}

fn check_rule(name: &str, claim: Option<&Value>, rule: &ClaimRule) -> Result<()> {
    let claim = claim.filter(|v| !v.is_null() && v.as_str() != Some(""));
    let Some(claim) = claim else {
        return if rule.essential {
            Err(invalid(format!("the essential claim {name} is missing")))
        } else {
            Ok(())
        };
    };
    if let Some(value) = &rule.value
        && claim != value
    {
        return Err(invalid(format!("{name} is {claim}, expected {value}")));
    }
    if let Some(values) = &rule.values
        && !values.contains(claim)
    {
        return Err(invalid(format!("{name} is {claim}, not an allowed value")));
    }
    Ok(())
}

/// OIDC Core §3.1.2.1: with `max_age`, `auth_time` is required and the
/// person must have authenticated within it (give or take the clock skew).
fn check_auth_time(
    claims: &Map<String, Value>,
    max_age: Duration,
    leeway: Duration,
    now: OffsetDateTime,
) -> Result<()> {
    let auth_time = claims
        .get("auth_time")
        .and_then(Value::as_i64)
        .ok_or_else(|| invalid("max_age was asked for but the ID token has no auth_time"))?;
    let age = now.unix_timestamp().saturating_sub(auth_time);
    if age > (max_age + leeway).whole_seconds() {
        return Err(invalid(format!(
            "the person authenticated {age} s ago, more than max_age {} s",
            max_age.whole_seconds()
        )));
    }
    if -age > leeway.whole_seconds() {
        return Err(invalid("auth_time is in the future"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00:00 UTC);

    fn claims(value: &Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn config_with(options: &str) -> ClientConfig {
        ClientConfig {
            claims_options: crate::config::parse_claims_options(options).unwrap(),
            ..ClientConfig::default()
        }
    }

    #[test]
    fn an_essential_claim_must_be_present_and_not_empty() {
        let config = config_with(r#"{"email": {"essential": true}}"#);
        assert!(check(&claims(&json!({"email": "ada@example.com"})), &config, NOW).is_ok());
        for without in [json!({}), json!({"email": null}), json!({"email": ""})] {
            let refused = check(&claims(&without), &config, NOW);
            assert!(
                matches!(&refused, Err(Error::InvalidIdToken(r)) if r.contains("essential claim email")),
                "{without}: {refused:?}"
            );
        }
    }

    #[test]
    fn a_value_rule_holds_when_the_claim_is_there() {
        let workspace = config_with(r#"{"hd": {"essential": true, "value": "example.com"}}"#);
        assert!(check(&claims(&json!({"hd": "example.com"})), &workspace, NOW).is_ok());
        assert!(check(&claims(&json!({"hd": "evil.com"})), &workspace, NOW).is_err());
        assert!(
            check(&claims(&json!({})), &workspace, NOW).is_err(),
            "essential"
        );

        let optional = config_with(r#"{"hd": {"value": "example.com"}}"#);
        assert!(check(&claims(&json!({})), &optional, NOW).is_ok());
        assert!(check(&claims(&json!({"hd": "evil.com"})), &optional, NOW).is_err());
    }

    #[test]
    fn a_values_rule_allows_any_of_them() {
        let config = config_with(
            r#"{"email_verified": {"values": [true]}, "locale": {"values": ["en", "fr"]}}"#,
        );
        assert!(
            check(
                &claims(&json!({"email_verified": true, "locale": "fr"})),
                &config,
                NOW
            )
            .is_ok()
        );
        assert!(check(&claims(&json!({"email_verified": false})), &config, NOW).is_err());
        assert!(check(&claims(&json!({"locale": "de"})), &config, NOW).is_err());
    }

    #[test]
    fn unknown_rule_keys_and_non_objects_are_configuration_errors() {
        for bad in [
            r#"{"hd": {"required": true}}"#,
            r#"["hd"]"#,
            r#"{"hd": true}"#,
            "not json",
        ] {
            assert!(
                matches!(
                    crate::config::parse_claims_options(bad),
                    Err(Error::Config(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn max_age_needs_a_recent_enough_auth_time() {
        let config = ClientConfig {
            max_age: Some(Duration::minutes(5)),
            id_token_leeway: Duration::seconds(30),
            ..ClientConfig::default()
        };
        let at = |ago: i64| claims(&json!({"auth_time": NOW.unix_timestamp() - ago}));
        assert!(check(&at(60), &config, NOW).is_ok());
        assert!(
            check(&at(330), &config, NOW).is_ok(),
            "inside max_age and leeway"
        );
        assert!(check(&at(331), &config, NOW).is_err(), "too old");
        assert!(check(&at(-31), &config, NOW).is_err(), "in the future");
        let missing = check(&claims(&json!({})), &config, NOW);
        assert!(
            matches!(&missing, Err(Error::InvalidIdToken(r)) if r.contains("no auth_time")),
            "{missing:?}"
        );
    }

    #[test]
    fn acr_must_be_one_of_the_values_asked_for() {
        let config = ClientConfig {
            acr_values: Some("urn:mace:incommon:iap:silver phr".into()),
            ..ClientConfig::default()
        };
        assert!(check(&claims(&json!({"acr": "phr"})), &config, NOW).is_ok());
        assert!(check(&claims(&json!({"acr": "0"})), &config, NOW).is_err());
        assert!(check(&claims(&json!({})), &config, NOW).is_err());
    }

    #[test]
    fn nothing_asked_for_means_nothing_checked() {
        assert!(check(&claims(&json!({})), &ClientConfig::default(), NOW).is_ok());
    }
}
