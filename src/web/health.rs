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

/// 200 `{"status":"ok","database":"ok","backend":"sqlite"}` when `SELECT 1`
/// answers; 503 with `"unavailable"` otherwise. `backend` is `sqlite` or
/// `postgresql`.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = &state.services.pool;
    let backend = pool.database().backend();
    match db::ping(pool, CHECK_TIMEOUT).await {
        Ok(()) => {
            HttpResponse::Ok().json(json!({"status": "ok", "database": "ok", "backend": backend}))
        }
        Err(e) => {
            tracing::error!(
                error = format!("{e:#}"),
                backend,
                "health check: database unavailable"
            );
            HttpResponse::ServiceUnavailable().json(
                json!({"status": "unavailable", "database": "unavailable", "backend": backend}),
            )
        }
    }
}
