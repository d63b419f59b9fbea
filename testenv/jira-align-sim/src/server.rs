//! Running a simulator: binding the listener, serving HTTP/1.1 connections one task each,
//! dropping a connection on demand (for injected faults), and stopping on shutdown or drop.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::admin::Admin;
use crate::config::SimConfig;
use crate::error::SimError;
use crate::seed::Seed;
use crate::state::Shared;
use crate::{admin_http, api};

/// Lets a handler close its own connection without answering.
#[derive(Clone)]
pub(crate) struct ConnectionKill(Arc<Notify>);

impl ConnectionKill {
    pub(crate) fn trigger(&self) {
        self.0.notify_one();
    }
}

/// A simulator serving on a local port. Dropping it stops the server.
pub struct RunningSimulator {
    addr: SocketAddr,
    base_url: String,
    admin: Admin,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

/// Starts a simulator on `127.0.0.1` with a free port.
pub async fn start(seed: Seed, config: SimConfig) -> Result<RunningSimulator, SimError> {
    start_at(SocketAddr::from(([127, 0, 0, 1], 0)), seed, config).await
}

/// Starts a simulator on `addr` (port 0 picks a free port).
pub async fn start_at(
    addr: SocketAddr,
    seed: Seed,
    config: SimConfig,
) -> Result<RunningSimulator, SimError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let bound = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let base_url = format!("http://{bound}");
    let shared = Arc::new(Shared::new(seed, config, &base_url));
    let router = Router::new()
        .nest("/__admin", admin_http::router())
        .fallback(api::handle)
        .with_state(Arc::clone(&shared));

    let (stop, stopped) = oneshot::channel();
    let task = tokio::spawn(accept_loop(listener, router, stopped));
    tracing::info!(url = %base_url, "jira align simulator listening");
    Ok(RunningSimulator {
        addr: bound,
        base_url,
        admin: Admin::new(shared),
        stop: Some(stop),
        task: Some(task),
    })
}

impl RunningSimulator {
    /// The site URL, e.g. `http://127.0.0.1:41234`; the API lives under `/rest/align/api/2/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url()` followed by `/rest/align/api/2`.
    pub fn api_url(&self) -> String {
        format!("{}/rest/align/api/2", self.base_url)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// In-process access to state, journal and configuration.
    pub fn admin(&self) -> Admin {
        self.admin.clone()
    }

    /// Stops accepting, closes every open connection and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => tracing::warn!(%error, "failed to accept a connection"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

async fn serve_connection(stream: TcpStream, router: Router) {
    // Without NODELAY, small answers wait on delayed ACKs and every page costs ~40 ms.
    let _ = stream.set_nodelay(true);
    let kill = ConnectionKill(Arc::new(Notify::new()));
    let signal = Arc::clone(&kill.0);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(kill.clone());
        router.clone().oneshot(request)
    });
    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
        _ = signal.notified() => tracing::debug!("connection dropped by an injected fault"),
    }
}
