//! `GET`/`POST /userinfo` (OpenID Connect Core §5.3), protected by a bearer
//! token or a DPoP-bound one (RFC 9449 §7).

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::DemoGoogle;
use super::dpop::{self, ProofError, ProofTarget};
use super::id_token::person_claims;
use crate::oauth2_server::grants::ValidAccess;
use crate::oauth2_server::now;
use crate::people;

/// Answers with the claims the token's scope allows. A token bound to a
/// DPoP key is taken only in the `DPoP` scheme with a proof by that key
/// (RFC 9449 §7).
pub async fn userinfo(google: web::Data<DemoGoogle>, req: HttpRequest) -> HttpResponse {
    google.server.knobs.count("userinfo");
    let presented = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(scheme, token)| (scheme.to_ascii_lowercase(), token.trim()))
        .filter(|(scheme, _)| scheme == "bearer" || scheme == "dpop");
    let access = presented
        .as_ref()
        .and_then(|(_, t)| google.server.grants.read(|g| g.access(t, now())));
    if let (Some((scheme, token)), Some(access)) = (&presented, &access)
        && let Some(refusal) = binding_refusal(&google, &req, scheme, token, access)
    {
        return refusal;
    }
    let person = access.as_ref().and_then(|a| {
        a.authorization
            .person
            .as_deref()
            .and_then(people::find)
            .map(|p| (p, a.authorization.scope.clone()))
    });
    match person {
        Some((person, scope)) => HttpResponse::Ok()
            .insert_header((
                "Cache-Control",
                "no-cache, no-store, max-age=0, must-revalidate",
            ))
            .json(person_claims(&google, person, &scope)),
        // RFC 6750 §3.1: a bad token gets a challenge naming the error.
        None => HttpResponse::Unauthorized()
            .insert_header((
                "WWW-Authenticate",
                format!(
                    "Bearer realm=\"{}\", error=\"invalid_token\"",
                    google.issuer()
                ),
            ))
            .json(json!({
                "error": "invalid_request",
                "error_description": "Invalid Credentials",
            })),
    }
}

/// The refusal of `token`, presented in `scheme`, if it may not be used
/// so: a bound token needs the `DPoP` scheme and a proof by its key, an
/// unbound one the `Bearer` scheme.
fn binding_refusal(
    google: &DemoGoogle,
    req: &HttpRequest,
    scheme: &str,
    token: &str,
    access: &ValidAccess,
) -> Option<HttpResponse> {
    let refuse = |error, description: &str| Some(dpop::resource_error(google, error, description));
    match (scheme, access.authorization.dpop_jkt.as_deref()) {
        ("bearer", None) => None,
        ("bearer", Some(_)) => refuse("invalid_token", "The access token is bound to a DPoP key."),
        ("dpop", None) => refuse("invalid_token", "The access token is not a DPoP token."),
        (_, Some(jkt)) => {
            let url = google.server.endpoint("/userinfo");
            let target = ProofTarget {
                endpoint: "userinfo",
                method: req.method().as_str(),
                url: &url,
                access_token: Some(token),
            };
            match google.check_proof(req, target) {
                Ok(Some(proved)) if proved == jkt => None,
                Ok(Some(_)) => refuse("invalid_dpop_proof", "The proof is by another key."),
                Ok(None) => refuse("invalid_dpop_proof", "A DPoP proof is required."),
                Err(ProofError::UseNonce) => refuse(
                    "use_dpop_nonce",
                    "Resource server requires nonce in DPoP proof",
                ),
                Err(ProofError::Invalid(why)) => refuse("invalid_dpop_proof", &why),
            }
        }
        _ => refuse("invalid_token", "Unknown authorization scheme."),
    }
}
