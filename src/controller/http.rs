//! The HTTP server for probes and scraping: `/live` answers while the process runs, `/ready`
//! once this replica can do its part, `/metrics` in the Prometheus text format.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::metrics::Metrics;

/// What the readiness probe reports. A replica waiting for the lease is ready once it has
/// reached the API server (otherwise a rolling update would wait forever on the standby); the
/// leader is ready once its watches have listed every resource.
#[derive(Debug, Default)]
pub struct Health {
    leading: AtomicBool,
    watches_synced: AtomicBool,
    api_reached: AtomicBool,
}

impl Health {
    pub fn set_leading(&self, leading: bool) {
        self.leading.store(leading, Ordering::SeqCst);
        if !leading {
            self.watches_synced.store(false, Ordering::SeqCst);
        }
    }

    pub fn set_watches_synced(&self) {
        self.watches_synced.store(true, Ordering::SeqCst);
    }

    pub fn set_api_reached(&self) {
        self.api_reached.store(true, Ordering::SeqCst);
    }

    pub fn is_leading(&self) -> bool {
        self.leading.load(Ordering::SeqCst)
    }

    pub fn is_ready(&self) -> bool {
        if self.is_leading() {
            self.watches_synced.load(Ordering::SeqCst)
        } else {
            self.api_reached.load(Ordering::SeqCst)
        }
    }
}

#[derive(Clone)]
struct Shared {
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("failed to listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Binds `addr` and serves in a background task; returns the bound address (port 0 picks a
/// free one).
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
) -> Result<SocketAddr, HttpError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| HttpError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| HttpError::Bind { addr, source })?;
    let router = Router::new()
        .route("/live", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(Shared { health, metrics });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "http server stopped");
        }
    });
    Ok(bound)
}

async fn ready(State(shared): State<Shared>) -> impl IntoResponse {
    if shared.health.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

async fn metrics_text(State(shared): State<Shared>) -> impl IntoResponse {
    match shared.metrics.encode() {
        Ok(text) => {
            let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
            (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], text).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "failed to encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standby_is_ready_once_it_reached_the_api() {
        let health = Health::default();
        assert!(!health.is_ready());
        health.set_api_reached();
        assert!(health.is_ready());
    }

    #[test]
    fn a_leader_is_ready_only_after_its_watches_synced() {
        let health = Health::default();
        health.set_api_reached();
        health.set_leading(true);
        assert!(!health.is_ready());
        health.set_watches_synced();
        assert!(health.is_ready());
        health.set_leading(false);
        health.set_leading(true);
        assert!(!health.is_ready());
    }
}
