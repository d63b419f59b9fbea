//! The API request pipeline: classify the route, inject faults, authenticate, charge the
//! budget, authorize, serve, answer no sooner than the added latency allows, and journal the
//! outcome once, even when the client leaves first.

use std::sync::Arc;
use std::time::Instant;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, request::Parts};
use axum::response::Response;

use crate::answer::{Refusal, empty};
use crate::config::SimConfig;
use crate::faults::FaultAction;
use crate::journal::{Breach, DROPPED, LoggedRequest};
use crate::routes;
use crate::server::ConnectionKill;
use crate::state::Shared;

mod serve;

use serve::{Call, serve};

/// Largest request body read; a larger one is answered 413.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

enum Answer {
    Respond(Response),
    Drop,
}

/// The journal entry of one request, written exactly once: when the request is answered, or
/// when its client goes away first (hyper then drops the handler mid-way, during an added
/// latency or an injected delay), in which case it is marked abandoned.
struct Journaled {
    shared: Arc<Shared>,
    config: Arc<SimConfig>,
    started: Instant,
    entry: LoggedRequest,
    breaches: Vec<Breach>,
}

impl Drop for Journaled {
    fn drop(&mut self) {
        let elapsed = self.started.elapsed().as_micros();
        self.entry.elapsed_micros = u64::try_from(elapsed).unwrap_or(u64::MAX);
        let entry = std::mem::take(&mut self.entry);
        tracing::debug!(
            seq = entry.seq,
            method = %entry.method,
            path = %entry.path,
            status = entry.status,
            abandoned = entry.abandoned,
            elapsed_micros = entry.elapsed_micros,
            "api request"
        );
        let breaches = std::mem::take(&mut self.breaches);
        journal(&self.shared, &self.config, entry, breaches);
    }
}

/// Serves one request outside `/__admin/`.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let route = routes::classify(&parts.method, parts.uri.path());
    let (seq, config, decision) = {
        let mut runtime = shared.runtime();
        let config = Arc::clone(&runtime.config);
        let decision = runtime.faults.decide(
            &config.faults,
            &config.latency,
            parts.method.as_str(),
            route.kind(),
        );
        (runtime.journal.next_seq(), config, decision)
    };
    // The added latency is a floor on the answer's time, not an extra: the simulator's own
    // work happens within it, so a busy machine does not lengthen every answer.
    let answer_at = tokio::time::Instant::from_std(started) + decision.latency;
    let mut record = Journaled {
        shared: Arc::clone(&shared),
        config: Arc::clone(&config),
        started,
        entry: LoggedRequest {
            seq,
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            route: route.kind(),
            status: DROPPED,
            user_id: None,
            body: None,
            applied: false,
            fault: None,
            abandoned: true,
            elapsed_micros: 0,
        },
        breaches: Vec::new(),
    };
    let bytes = match to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(error) => {
            // Too large, or the client stopped sending mid-body (then nobody reads this).
            let status = if too_large(&error) {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
            tokio::time::sleep_until(answer_at).await;
            record.entry.status = status.as_u16();
            record.entry.abandoned = false;
            return empty(status);
        }
    };

    let mut before = decision.before;
    if let Some(FaultAction::Delay { delay }) = before {
        record.entry.fault = Some(describe(&FaultAction::Delay { delay }));
        tokio::time::sleep(delay).await;
        before = None;
    }
    let answer = match before {
        Some(action) => {
            record.entry.fault = Some(describe(&action));
            act(action, None, &config).await
        }
        None => {
            let call = Call {
                shared: &shared,
                config: &config,
                route,
                parts: &parts,
                bytes: &bytes,
            };
            let response = serve(&call, &mut record.entry, &mut record.breaches);
            match decision.after {
                Some(action) => {
                    record.entry.fault = Some(describe(&action));
                    act(action, Some(response), &config).await
                }
                None => Answer::Respond(response),
            }
        }
    };
    tokio::time::sleep_until(answer_at).await;

    record.entry.status = match &answer {
        Answer::Respond(response) => response.status().as_u16(),
        Answer::Drop => DROPPED,
    };
    record.entry.abandoned = false;
    drop(record);
    match answer {
        Answer::Respond(response) => response,
        Answer::Drop => drop_connection(&parts).await,
    }
}

/// Whether reading the body failed because it exceeded [`BODY_LIMIT`].
fn too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

fn journal(shared: &Shared, config: &SimConfig, entry: LoggedRequest, breaches: Vec<Breach>) {
    let mut runtime = shared.runtime();
    if config.strict {
        for breach in breaches {
            runtime.journal.violate(&entry, breach);
        }
    }
    runtime.journal.record(entry, config.request_log_limit);
}

/// Closes the request's connection without an answer; the future never completes.
async fn drop_connection(parts: &Parts) -> Response {
    match parts.extensions.get::<ConnectionKill>() {
        Some(kill) => {
            kill.trigger();
            std::future::pending().await
        }
        None => empty(StatusCode::BAD_GATEWAY),
    }
}

async fn act(action: FaultAction, response: Option<Response>, config: &SimConfig) -> Answer {
    match action {
        FaultAction::Drop => Answer::Drop,
        FaultAction::Status {
            status,
            retry_after_secs,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut refusal = Refusal::new(
                status,
                "The service is temporarily unable to handle the request.",
            );
            refusal.retry_after = retry_after_secs;
            Answer::Respond(refusal.into_response(config.error_body))
        }
        FaultAction::Delay { delay } => {
            tokio::time::sleep(delay).await;
            Answer::Respond(response.unwrap_or_else(|| empty(StatusCode::NO_CONTENT)))
        }
    }
}

fn describe(action: &FaultAction) -> String {
    match action {
        FaultAction::Drop => "drop".to_owned(),
        FaultAction::Status { status, .. } => format!("status {status}"),
        FaultAction::Delay { delay } => format!("delay {}ms", delay.as_millis()),
    }
}
