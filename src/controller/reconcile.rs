//! One reconcile as a pipeline: read the resource's Secrets, decide whether it is due,
//! validate, sync (read the directory, read Jira Align, plan, apply), then conclude: status,
//! Event, metrics and one outcome log line, all from the same `Outcome`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use kube::Api;
use kube::runtime::controller::Action;
use sha2::{Digest, Sha256};

use super::conflict::{self, Conflict};
use super::context::Context;
use super::outcome::{Outcome, Retry, reason};
use super::schedule::{BACKOFF_MAX, Gate, ResourceKey, jittered};
use super::secrets::{self, ResolvedSecrets, SecretError};
use super::validate::{prepare, site_of};
use super::{events, status};
use crate::crd::{APPROVE_PLAN_ANNOTATION, JiraAlignUserSync, SYNC_NOW_ANNOTATION};
use crate::jira_align::ClientStats;
use crate::sync::{self, SyncInputs};

/// Why a reconcile could not finish; the run itself never ends up here, only the
/// Kubernetes writes around it.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("resource has no namespace or name")]
    MissingKey,

    #[error("failed to write the status of {resource}")]
    WriteStatus {
        resource: ResourceKey,
        #[source]
        source: kube::Error,
    },
}

/// What a run produced besides its outcome.
struct RunResult {
    outcome: Outcome,
    /// The run applied a plan approved by annotation and removed the annotation.
    approval_consumed: bool,
    stats: Option<ClientStats>,
    interval: Option<Duration>,
}

/// Reconciles one resource. Called by the controller for every watch event and requeue.
pub async fn reconcile(
    resource: Arc<JiraAlignUserSync>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let key = ResourceKey::of(&resource).ok_or(ReconcileError::MissingKey)?;
    if !ctx.health.is_leading() {
        return Ok(Action::await_change());
    }
    ctx.prune();

    // Inputs: the Secrets, and whether another resource holds the site's deactivations.
    let resolved = if resource.spec.suspend {
        None
    } else {
        Some(secrets::resolve(&ctx.client, &resource, &key.namespace).await)
    };
    let conflict = find_conflict(&ctx, &resource);
    let fingerprint = fingerprint_of(&resource, resolved.as_ref(), conflict.as_ref());
    // What the fingerprint becomes once a used approval is removed: that removal is the
    // operator's own doing and must not trigger another run.
    let consumed_fingerprint = {
        let mut without = (*resource).clone();
        if let Some(annotations) = without.metadata.annotations.as_mut() {
            annotations.remove(APPROVE_PLAN_ANNOTATION);
        }
        fingerprint_of(&without, resolved.as_ref(), conflict.as_ref())
    };

    if let Some(due) = written_schedule(&resource, &fingerprint)
        && ctx.schedule.resume(&key, &fingerprint, due)
    {
        tracing::info!(
            namespace = %key.namespace,
            name = %key.name,
            next_sync_time = %status::rfc3339(due),
            "kept the schedule from the status"
        );
    }
    match ctx.schedule.gate(&key, &fingerprint, Utc::now()) {
        Gate::Wait(delay) => return Ok(Action::requeue(delay)),
        Gate::AwaitChange => return Ok(Action::await_change()),
        Gate::Run => {}
    }

    let run = match resolved {
        None => RunResult {
            outcome: Outcome::stopped(
                reason::SUSPENDED,
                "spec.suspend is true; no sync runs until it is false".to_owned(),
                Retry::OnChange,
            ),
            stats: None,
            interval: None,
            approval_consumed: false,
        },
        Some(resolved) => run(&ctx.client, &resource, &key, resolved, conflict).await,
    };
    let fingerprint = if run.approval_consumed {
        consumed_fingerprint
    } else {
        fingerprint
    };
    conclude(&ctx, &resource, &key, &fingerprint, run).await
}

/// The controller's answer to a failed reconcile: try again soon.
pub fn error_policy(
    resource: Arc<JiraAlignUserSync>,
    error: &ReconcileError,
    _ctx: Arc<Context>,
) -> Action {
    let name = resource.metadata.name.as_deref().unwrap_or_default();
    tracing::warn!(%error, name, "reconcile failed");
    Action::requeue(Duration::from_secs(15))
}

/// Removes the approval annotation once a run applied the plan it approved, so an approval
/// holds for one run: the same set of deactivations held back later needs a new approval.
async fn consume_approval(client: &kube::Client, resource: &JiraAlignUserSync) -> bool {
    let namespace = resource.metadata.namespace.as_deref().unwrap_or_default();
    let name = resource.metadata.name.as_deref().unwrap_or_default();
    let api: Api<JiraAlignUserSync> = Api::namespaced(client.clone(), namespace);
    let patch = serde_json::json!({"metadata": {"annotations": {APPROVE_PLAN_ANNOTATION: null}}});
    let params = kube::api::PatchParams::default();
    match api
        .patch(name, &params, &kube::api::Patch::Merge(&patch))
        .await
    {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(namespace, name, %error, "could not remove the used approval");
            false
        }
    }
}

/// Validate, then sync.
async fn run(
    kube_client: &kube::Client,
    resource: &JiraAlignUserSync,
    key: &ResourceKey,
    resolved: Result<ResolvedSecrets, SecretError>,
    conflict: Option<Conflict>,
) -> RunResult {
    let stopped = |outcome| RunResult {
        outcome,
        approval_consumed: false,
        stats: None,
        interval: None,
    };
    let secrets = match resolved {
        Ok(secrets) => secrets,
        Err(error) => {
            let retry = if error.is_transient() {
                Retry::Backoff
            } else {
                Retry::OnChange
            };
            return stopped(Outcome::stopped(error.reason(), error.to_string(), retry));
        }
    };
    let prepared = match prepare(&resource.spec, &secrets, &key.to_string()) {
        Ok(prepared) => prepared,
        Err(error) => {
            return stopped(Outcome::stopped(
                error.reason(),
                error.to_string(),
                Retry::OnChange,
            ));
        }
    };

    let mut spec = resource.spec.clone();
    if conflict.is_some() {
        spec.policy.deactivate = false;
    }
    let approved = annotation(resource, APPROVE_PLAN_ANNOTATION).map(str::to_owned);
    let client = prepared.client;
    let started = Instant::now();
    let inputs = SyncInputs {
        spec: &spec,
        directory: prepared.directory,
        approved_hash: approved.as_deref(),
        now: Utc::now(),
    };
    let result = sync::run(inputs, &client).await;
    let approval_consumed = match &result {
        Ok(report) if report.plan.approval_used.is_some() => {
            consume_approval(kube_client, resource).await
        }
        _ => false,
    };
    let mut outcome = match result {
        Ok(report) => Outcome::completed(&report, conflict.map(|c| c.message())),
        Err(error) => Outcome::failed(&error, started.elapsed()),
    };
    if let Some(approved) = &approved
        && outcome.reason == reason::DEACTIVATION_LIMIT_EXCEEDED
    {
        outcome.message.push_str(&format!(
            " (the approved plan {approved} is not this one: the users to deactivate differ)"
        ));
    }
    RunResult {
        outcome,
        approval_consumed,
        stats: Some(client.stats()),
        interval: Some(prepared.interval),
    }
}

/// Schedules the next run and reports the outcome: status, Event, metrics, log line.
async fn conclude(
    ctx: &Context,
    resource: &JiraAlignUserSync,
    key: &ResourceKey,
    fingerprint: &str,
    run: RunResult,
) -> Result<Action, ReconcileError> {
    let RunResult {
        outcome,
        stats,
        interval,
        ..
    } = run;
    let now = Utc::now();
    let next = match outcome.retry {
        Retry::Interval => {
            let interval = interval.unwrap_or(BACKOFF_MAX);
            let delay = jittered(interval, rand::random::<f64>() * 2.0 - 1.0);
            Some(ctx.schedule.succeeded(key, fingerprint, now, delay))
        }
        Retry::Backoff => {
            let cap = interval.unwrap_or(BACKOFF_MAX);
            Some(ctx.schedule.failed(key, fingerprint, now, cap).0)
        }
        Retry::OnChange => {
            ctx.schedule.await_change(key, fingerprint);
            None
        }
    };

    // A replica that lost the lease while the run went on writes nothing more.
    if !ctx.health.is_leading() {
        return Ok(Action::await_change());
    }
    // Nor does a run whose resource was deleted meanwhile: its series would outlive it.
    if !ctx.exists(key) {
        ctx.forget(key);
        let (namespace, name, reason) = (&key.namespace, &key.name, outcome.reason);
        tracing::info!(%namespace, %name, reason, "resource deleted during its run");
        return Ok(Action::await_change());
    }
    let generation = resource.metadata.generation;
    let mut new_status = status::build(resource.status.as_ref(), &outcome, generation, now, next);
    new_status.observed_inputs = Some(fingerprint.to_owned());
    // Log, metrics and Event come first, so whoever sees the new status finds them too.
    log_outcome(key, &outcome, next);
    ctx.metrics.record(key, &outcome, stats.as_ref());
    if outcome.reason == reason::SUSPENDED {
        // Suspending is deliberate: a suspended resource is never stale.
        ctx.metrics.untrack(key);
    } else {
        let created = resource.metadata.creation_timestamp.as_ref();
        let last_success = new_status.last_successful_sync_time.as_deref();
        ctx.metrics.track(
            key,
            created.map(|time| time.0.as_millisecond() as f64 / 1000.0),
            last_success.and_then(unix_seconds),
        );
    }
    events::publish(&ctx.recorder, resource, &outcome).await;

    let api: Api<JiraAlignUserSync> = Api::namespaced(ctx.client.clone(), &key.namespace);
    if let Err(source) = status::write(&api, resource, &new_status).await {
        // Forget the schedule so that the next attempt runs again and reports.
        ctx.schedule.retain(|other| other != key);
        let resource = key.clone();
        return Err(ReconcileError::WriteStatus { resource, source });
    }

    Ok(match next {
        Some(due) => Action::requeue(until(now, due)),
        None => Action::await_change(),
    })
}

/// The next run the status promises, when the status was written for exactly these inputs
/// (by this replica before a restart, or by the leader before it).
fn written_schedule(resource: &JiraAlignUserSync, fingerprint: &str) -> Option<DateTime<Utc>> {
    let status = resource.status.as_ref()?;
    if status.observed_inputs.as_deref() != Some(fingerprint) {
        return None;
    }
    let due = DateTime::parse_from_rfc3339(status.next_sync_time.as_deref()?).ok()?;
    Some(due.with_timezone(&Utc))
}

/// An RFC 3339 time of the status as Unix seconds.
fn unix_seconds(stamp: &str) -> Option<f64> {
    let time = DateTime::parse_from_rfc3339(stamp).ok()?;
    Some(time.timestamp_millis() as f64 / 1000.0)
}

fn log_outcome(key: &ResourceKey, outcome: &Outcome, next: Option<DateTime<Utc>>) {
    let counts = outcome
        .facts
        .as_ref()
        .map(|f| f.counts.clone())
        .unwrap_or_default();
    let members = outcome.facts.as_ref().map(|f| f.directory_members);
    let next = next.map(status::rfc3339);
    let duration_ms = u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX);
    let fields = (outcome.result(), outcome.reason, duration_ms);
    macro_rules! outcome_line {
        ($level:ident) => {
            tracing::$level!(
                namespace = %key.namespace,
                name = %key.name,
                result = fields.0,
                reason = fields.1,
                duration_ms = fields.2,
                members,
                created = counts.created,
                reactivated = counts.reactivated,
                deactivated = counts.deactivated,
                updated = counts.updated,
                repaired = counts.repaired,
                failed = counts.failed,
                next_sync = next.as_deref(),
                detail = %outcome.message,
                "sync outcome"
            )
        };
    }
    if outcome.warning {
        outcome_line!(warn);
    } else {
        outcome_line!(info);
    }
}

fn until(now: DateTime<Utc>, due: DateTime<Utc>) -> Duration {
    (due - now).to_std().unwrap_or(Duration::ZERO)
}

fn annotation<'a>(resource: &'a JiraAlignUserSync, name: &str) -> Option<&'a str> {
    let value = resource.metadata.annotations.as_ref()?.get(name)?.trim();
    (!value.is_empty()).then_some(value)
}

fn find_conflict(ctx: &Context, resource: &JiraAlignUserSync) -> Option<Conflict> {
    let mine = conflict::claim_of(resource, site_of(&resource.spec)?)?;
    conflict::find(&mine, &ctx.claims())
}

/// A hash of everything whose change calls for a run now rather than at the next due time.
fn fingerprint_of(
    resource: &JiraAlignUserSync,
    secrets: Option<&Result<ResolvedSecrets, SecretError>>,
    conflict: Option<&Conflict>,
) -> String {
    let mut hasher = Sha256::new();
    let mut part = |label: &str, value: &str| {
        hasher.update(label.as_bytes());
        hasher.update([0]);
        hasher.update(value.as_bytes());
        hasher.update([0]);
    };
    part("uid", resource.metadata.uid.as_deref().unwrap_or_default());
    part(
        "generation",
        &resource.metadata.generation.unwrap_or_default().to_string(),
    );
    part(
        "sync-now",
        annotation(resource, SYNC_NOW_ANNOTATION).unwrap_or_default(),
    );
    part(
        "approve",
        annotation(resource, APPROVE_PLAN_ANNOTATION).unwrap_or_default(),
    );
    match secrets {
        None => part("secrets", "suspended"),
        Some(Ok(resolved)) => part("secrets", &resolved.versions.join(",")),
        Some(Err(error)) => part("secrets-error", &error.to_string()),
    }
    part(
        "conflict",
        &conflict.map(|c| c.holder.to_string()).unwrap_or_default(),
    );
    hex::encode(&hasher.finalize()[..8])
}
