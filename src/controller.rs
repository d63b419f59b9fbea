//! The Kubernetes operator: watches `JiraAlignUserSync` resources and keeps each Jira Align
//! site in step with its directory groups, on a schedule and on every change.
//!
//! Only the replica holding the Lease reconciles. It serves `/live`, `/ready` and `/metrics`,
//! and on SIGTERM stops taking new work, lets running syncs finish for a bounded time and
//! releases the Lease.

mod args;
mod conflict;
mod context;
mod events;
mod http;
mod leader;
mod metrics;
mod outcome;
mod reconcile;
mod schedule;
mod secrets;
mod status;
mod validate;
mod watches;

use std::process::ExitCode;
use std::sync::Arc;

use futures::StreamExt;
use kube::runtime::events::{Recorder, Reporter};
use tokio::sync::watch;

pub use args::{LogFormat, RunArgs};
pub use outcome::reason;

use context::Context;
use http::Health;
use leader::{Elector, LeaseSettings};
use metrics::Metrics;
use schedule::Schedule;

/// The name this operator reports as in Events.
const CONTROLLER_NAME: &str = "jira-align-user-sync";

/// Why the operator could not start.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    #[error("failed to start the async runtime")]
    Runtime {
        #[source]
        source: std::io::Error,
    },

    #[error("failed to configure the kubernetes client")]
    KubeConfig {
        #[source]
        source: kube::Error,
    },

    #[error(transparent)]
    Http(#[from] http::HttpError),
}

/// Entry point of `run`: sets up logging and the runtime, runs until SIGTERM or SIGINT.
pub fn main(args: RunArgs) -> ExitCode {
    crate::logging::init(args.log_format == LogFormat::Json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ControllerError::Runtime { source });
    let result = runtime.and_then(|runtime| runtime.block_on(run(args)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let cause = std::error::Error::source(&error);
            tracing::error!(error = %error, cause = ?cause, "operator failed");
            ExitCode::FAILURE
        }
    }
}

/// Runs the operator until a shutdown signal.
pub async fn run(args: RunArgs) -> Result<(), ControllerError> {
    crate::jira_align::install_crypto_provider();
    let client = kube::Client::try_default()
        .await
        .map_err(|source| ControllerError::KubeConfig { source })?;

    let health = Arc::new(Health::default());
    let metrics = Arc::new(Metrics::new());
    let addr = http::serve(args.metrics_addr, Arc::clone(&health), Arc::clone(&metrics)).await?;
    tracing::info!(%addr, "serving /live, /ready and /metrics");

    let shutdown = shutdown_signal();
    let settings = LeaseSettings {
        namespace: args.lease_namespace(),
        name: args.lease_name.clone(),
        identity: args.identity(),
        duration: args.lease_duration(),
    };
    let elector = Elector::new(client.clone(), settings.clone(), Arc::clone(&health));

    loop {
        let mut stopping = shutdown.clone();
        tokio::select! {
            () = elector.acquire() => {}
            _ = stopping.wait_for(|stop| *stop) => break,
        }
        health.set_leading(true);
        let term = lead(
            &client,
            &args,
            &settings.identity,
            &health,
            &metrics,
            &shutdown,
        );
        let ended_by_shutdown = tokio::select! {
            () = term => true,
            () = elector.hold() => false,
        };
        health.set_leading(false);
        if ended_by_shutdown {
            break;
        }
        tracing::warn!("lost the lease; stopped syncing and waiting to lead again");
    }

    elector.release().await;
    tracing::info!("stopped");
    Ok(())
}

/// One leadership term: runs the controllers until shutdown (bounded by the shutdown
/// timeout). Dropping the returned future aborts every running reconcile.
async fn lead(
    client: &kube::Client,
    args: &RunArgs,
    identity: &str,
    health: &Arc<Health>,
    metrics: &Arc<Metrics>,
    shutdown: &watch::Receiver<bool>,
) {
    let namespaces = args.watched_namespaces();
    let scoped = watches::controllers(client, &namespaces, args.concurrency.max(1), shutdown);
    let reporter = Reporter {
        controller: CONTROLLER_NAME.to_owned(),
        instance: Some(identity.to_owned()),
    };
    let ctx = Arc::new(Context {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), reporter),
        metrics: Arc::clone(metrics),
        health: Arc::clone(health),
        schedule: Schedule::new(),
        stores: scoped.iter().map(|s| s.store.clone()).collect(),
    });

    let stores = ctx.stores.clone();
    let synced_health = Arc::clone(health);
    tokio::spawn(async move {
        for store in &stores {
            wait_until_ready(store).await;
        }
        synced_health.set_watches_synced();
        tracing::info!("watches synced");
    });

    let runs = scoped.into_iter().map(|s| {
        let scope = s.scope.unwrap_or_else(|| "*".to_owned());
        tracing::info!(namespace = %scope, "watching");
        s.controller
            .run(
                reconcile::reconcile,
                reconcile::error_policy,
                Arc::clone(&ctx),
            )
            .for_each(|result| async move {
                if let Err(error) = result {
                    tracing::debug!(%error, "controller event");
                }
            })
    });
    let all = futures::future::join_all(runs);

    let mut stopping = shutdown.clone();
    let timeout = args.shutdown_timeout();
    let deadline = async move {
        let _ = stopping.wait_for(|stop| *stop).await;
        tokio::time::sleep(timeout).await;
    };
    tokio::select! {
        _ = all => tracing::info!("controllers finished their running syncs"),
        () = deadline => tracing::warn!(
            timeout_s = timeout.as_secs(),
            "abandoned running syncs at the shutdown timeout"
        ),
    }
}

/// Returns once `store` has its first complete listing.
async fn wait_until_ready(store: &kube::runtime::reflector::Store<crate::crd::JiraAlignUserSync>) {
    // The store wakes only the last task that waited on it, and the controller waits on it
    // too, so a waiter of its own has to look again now and then.
    let look_again = std::time::Duration::from_millis(250);
    while tokio::time::timeout(look_again, store.wait_until_ready())
        .await
        .is_err()
    {}
}

/// A flag that turns true on SIGTERM or SIGINT.
fn shutdown_signal() -> watch::Receiver<bool> {
    let (sender, receiver) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested; finishing running syncs");
        let _ = sender.send(true);
        // Keep the sender alive so receivers do not see a closed channel as a second signal.
        std::future::pending::<()>().await;
    });
    receiver
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only SIGINT stops the operator");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
