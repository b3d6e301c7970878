//! Operator endpoints: liveness, readiness, Prometheus metrics.

use actix_web::web::Data;
use actix_web::{get, HttpResponse};
use prometheus::Encoder;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;
use crate::storage;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: String,
    #[schema(example = "sqlite")]
    pub database: String,
    pub migrations_applied: bool,
}

/// The process is alive (no database check).
///
/// For liveness probes: it answers as long as the process serves HTTP, also to `HEAD`. Use
/// `/readyz` to know whether the database is usable.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
    })
}

/// Ready for traffic: the database answers and every migration is applied.
///
/// 503 while the database is unreachable or migrations are pending, with the reason in
/// `status`; `database` names the engine (`sqlite` or `postgres`).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: database unreachable or migrations pending", body = Readiness),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: Data<AppState>) -> HttpResponse {
    let engine = state.db.engine().to_owned();
    let current = state.db.run(storage::migrations_current).await;
    match current {
        Ok(true) => HttpResponse::Ok().json(Readiness {
            status: "ready".into(),
            database: engine,
            migrations_applied: true,
        }),
        Ok(false) => HttpResponse::ServiceUnavailable().json(Readiness {
            status: "migrations pending".into(),
            database: engine,
            migrations_applied: false,
        }),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(Readiness {
                status: "database unreachable".into(),
                database: engine,
                migrations_applied: false,
            })
        }
    }
}

/// Prometheus metrics in the text exposition format.
///
/// Request counts and durations by method, route pattern and status, and the database pool's
/// idle and in-use connections, and the statements sent to the database
/// (`kpi_db_statements_total`).
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Metrics", content_type = "text/plain; version=0.0.4", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: Data<AppState>) -> HttpResponse {
    let pool = state.db.pool_state();
    let gauges = &state.metrics.pool_connections;
    gauges
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle_connections));
    gauges
        .with_label_values(&["in_use"])
        .set(i64::from(pool.connections - pool.idle_connections));
    let mut buffer = Vec::new();
    match prometheus::TextEncoder::new().encode(&state.metrics.registry.gather(), &mut buffer) {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(buffer),
        Err(error) => {
            tracing::error!(%error, "encoding metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}
