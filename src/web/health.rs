//! `GET /healthz`: liveness and database reachability, for load balancers
//! and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::state::AppState;
use trilogin_accounts::db;

/// How long the check waits for a pooled connection before reporting the
/// database unavailable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 `{"status":"ok","database":"ok"}` when `SELECT 1` answers;
/// 503 `{"status":"unavailable","database":"unavailable"}` otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match db::ping(&state.services.pool, CHECK_TIMEOUT).await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                "health check: database unavailable"
            );
            unavailable()
        }
    }
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .json(json!({"status": "unavailable", "database": "unavailable"}))
}
