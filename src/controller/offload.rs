//! Runs a future on a thread of its own, with its own single-threaded runtime, for futures
//! the compiler cannot prove `Send` (the controller spawns reconciles on the shared runtime,
//! which needs `Send`). Dropping the returned future cancels the work at its next await, so a
//! replica that loses the lease stops at once, as it would on the shared runtime.
//
// TODO: the per-user stream in `apply` (a closure returning a future that borrows its
// argument) trips a known limitation of the `Send` check; once it is written so the check
// passes, the sync can run on the shared runtime and this thread per run goes away.

use std::future::Future;

use tokio::sync::oneshot;

/// Why the work produced no result.
#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    #[error("failed to start a thread for {name}")]
    Spawn {
        name: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the thread running {name} ended without a result")]
    Ended { name: String },
}

/// Builds the future with `make` on a new thread named `name` and waits for its output.
pub async fn on_own_thread<F, Fut, T>(name: &str, make: F) -> Result<T, OffloadError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = T>,
    T: Send + 'static,
{
    let (result_tx, result_rx) = oneshot::channel();
    let (cancel_tx, cancel_rx) = oneshot::channel::<()>();
    let spawned = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, "failed to build a runtime for a sync");
                    return;
                }
            };
            runtime.block_on(async move {
                tokio::select! {
                    output = make() => {
                        let _ = result_tx.send(output);
                    }
                    // The caller went away (leadership lost or shutdown timeout): stop here.
                    _ = cancel_rx => {}
                }
            });
        });
    if let Err(source) = spawned {
        return Err(OffloadError::Spawn {
            name: name.to_owned(),
            source,
        });
    }

    let result = result_rx.await;
    drop(cancel_tx);
    result.map_err(|_| OffloadError::Ended {
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_future_that_is_not_send_runs_and_returns_its_output() {
        let output = on_own_thread("sum", || async {
            // Rc is not Send: this future could not be spawned on the shared runtime.
            let shared = Rc::new(20);
            tokio::task::yield_now().await;
            *shared + 22
        })
        .await;
        assert_eq!(output.ok(), Some(42));
    }

    #[tokio::test]
    async fn dropping_the_caller_cancels_the_work() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        let call = on_own_thread("slow", move || async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            flag.store(true, Ordering::SeqCst);
        });
        let _ = tokio::time::timeout(Duration::from_millis(50), call).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!finished.load(Ordering::SeqCst));
    }
}
