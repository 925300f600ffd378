//! `GET /healthz`: liveness and database reachability, for load balancers
//! and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl as _;
use serde_json::json;

use crate::startup::AppState;

/// How long the check waits for a pooled connection before reporting the
/// database unavailable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 `{"status":"ok","database":"ok"}` when `SELECT 1` answers;
/// 503 `{"status":"unavailable","database":"unavailable"}` otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.services.pool.clone();
    let answer = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = pool.get_timeout(CHECK_TIMEOUT)?;
        diesel::sql_query("SELECT 1").execute(&mut conn)?;
        Ok(())
    })
    .await;
    match answer {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Ok(Err(e)) => {
            tracing::error!(
                error = format!("{e:#}"),
                "health check: database unavailable"
            );
            unavailable()
        }
        Err(e) => {
            tracing::error!(error = %e, "health check did not complete");
            unavailable()
        }
    }
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .json(json!({"status": "unavailable", "database": "unavailable"}))
}
