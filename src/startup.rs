//! Building and running the server from a configuration.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Data;
use actix_web::HttpServer;
use anyhow::Context;
use rand::RngCore;

use crate::auth::{CallerCache, TokenService};
use crate::config::{Config, JwtKeys};
use crate::domain::account::LoginThrottle;
use crate::http::observe::Metrics;
use crate::http::{app, AppState};
use crate::storage::{self, idempotency, login_throttle, Database};

/// The shared state for a configuration whose signing keys are settled.
pub fn build_state(config: &Config) -> anyhow::Result<Data<AppState>> {
    let metrics = Arc::new(Metrics::new()?);
    let db = Database::connect(
        &config.database_url,
        config.db_pool_size,
        metrics.db_statements.clone(),
    )?;
    Ok(Data::new(AppState {
        callers: Arc::new(CallerCache::new(db.caller_facts_epoch().clone())),
        db,
        tokens: TokenService::new(&config.jwt)?,
        metrics,
        max_batch_bytes: config.max_batch_bytes,
        batch_slots: Arc::new(tokio::sync::Semaphore::new(crate::http::BATCH_SLOTS)),
    }))
}

/// With `--demo` and no key, a random secret for this run (tokens end with the process).
pub fn settle_keys(config: &mut Config, demo: bool) -> anyhow::Result<()> {
    if matches!(config.jwt.keys, JwtKeys::Missing) {
        if !demo {
            anyhow::bail!(
                "no token signing key. Set KPI_JWT_SECRET to at least 32 random bytes, e.g.\n  export KPI_JWT_SECRET=\"$(openssl rand -base64 48)\"\nor KPI_JWT_PUBLIC_KEY_FILE (RS256, with KPI_JWT_PRIVATE_KEY_FILE to issue tokens). `serve --demo` runs without one."
            );
        }
        let mut secret = vec![0u8; 48];
        rand::thread_rng().fill_bytes(&mut secret);
        tracing::warn!("demo mode without KPI_JWT_SECRET: using a random signing secret; tokens stop working when the process ends");
        config.jwt.keys = JwtKeys::Hs256 { secret };
    }
    Ok(())
}

pub async fn serve(mut config: Config, demo: bool) -> anyhow::Result<()> {
    settle_keys(&mut config, demo)?;
    // Bound first, so what is printed is the address really listened on (port 0 included).
    let listener = std::net::TcpListener::bind(config.bind_addr)
        .with_context(|| format!("BIND_ADDR: cannot listen on {}", config.bind_addr))?;
    let address = listener
        .local_addr()
        .context("reading the address listened on")?;
    let applied = storage::run_migrations(&config.database_url)?;
    tracing::info!(database = %config.database_url.redacted(), applied, "migrations applied");
    let state = build_state(&config)?;
    if demo {
        crate::cli::seed_demo(&state.db, address).await?;
    }
    spawn_housekeeping(state.clone());

    let origins = config.cors_origins.clone();
    let server_state = state.clone();
    let server = HttpServer::new(move || app(server_state.clone(), &origins))
        .workers(config.workers)
        // Each worker queues for the pool on at most as many blocking threads as there are
        // connections: a bound we chose, not a thread pile-up. (Password hashes run on their
        // own threads: auth::passwords.)
        .worker_max_blocking_threads(config.db_pool_size as usize)
        // SIGTERM: stop accepting, let in-flight requests finish (up to 30 s).
        .shutdown_timeout(30)
        .listen(listener)
        .with_context(|| format!("BIND_ADDR: cannot listen on {address}"))?;
    tracing::info!(address = %format!("http://{address}/"), engine = state.db.engine(), "listening; Swagger UI at /swagger-ui/");
    server.run().await.context("running the server")
}

/// Every hour: deletes expired idempotency keys and login counts that have ended.
fn spawn_housekeeping(state: Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(Duration::from_secs(3600));
        loop {
            interval.tick().await;
            match state.db.write(idempotency::purge_expired).await {
                Ok(purged) => tracing::debug!(purged, "expired idempotency keys deleted"),
                Err(error) => tracing::warn!(%error, "purging idempotency keys failed"),
            }
            let purged = state
                .db
                .write(|conn| login_throttle::purge_ended(conn, &LoginThrottle::STANDARD))
                .await;
            match purged {
                Ok(purged) => tracing::debug!(purged, "ended login counts deleted"),
                Err(error) => tracing::warn!(%error, "purging login counts failed"),
            }
        }
    });
}
