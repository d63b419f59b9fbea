//! The simulator's knobs: every behaviour the public documentation leaves open is a field
//! here, so tests can run a client against each setting. Loadable from JSON or YAML and
//! replaceable at runtime through the admin surface.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::faults::FaultPlan;

/// All knobs of one simulator. `Default` is the setting tests start from: strict mode on, no
/// latency, no faults, creates answered with the object, duplicate externalIds accepted,
/// `$top > 100` clamped, `{"message": ...}` error bodies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SimConfig {
    /// Record requests that break the documented contract as violations.
    pub strict: bool,
    pub top_over_limit: TopOverLimit,
    pub create_answer: CreateAnswer,
    pub duplicate_external_id: DuplicateExternalId,
    pub error_body: ErrorBody,
    pub put_semantics: PutSemantics,
    /// How `$filter` compares strings (undocumented, for `email eq '...'` in particular).
    pub filter_strings: StringMatch,
    pub latency: Latency,
    /// A request budget per token; `None` means unlimited.
    pub budget: Option<RequestBudget>,
    pub faults: FaultPlan,
    /// Seed of every random choice (jitter, probabilistic faults).
    pub seed: u64,
    /// Pins the simulator's clock (creation dates, deactivation dates); `None` = system time.
    pub fixed_now: Option<DateTime<Utc>>,
    /// Most entries kept in the request log; older ones are discarded first.
    pub request_log_limit: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            strict: true,
            top_over_limit: TopOverLimit::Clamp,
            create_answer: CreateAnswer::Object,
            duplicate_external_id: DuplicateExternalId::Accept,
            error_body: ErrorBody::Message,
            put_semantics: PutSemantics::Replace,
            filter_strings: StringMatch::IgnoreCase,
            latency: Latency::default(),
            budget: None,
            faults: FaultPlan::default(),
            seed: 0,
            fixed_now: None,
            request_log_limit: 200_000,
        }
    }
}

/// What a list request with `$top` above 100 gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TopOverLimit {
    /// Served as if `$top=100`.
    Clamp,
    /// Refused with 400.
    Reject,
}

/// The body of a 201 answer to `POST /Users`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CreateAnswer {
    /// The created user as `GET /Users/{id}` would return it.
    Object,
    /// The new id as a bare JSON number.
    BareId,
    /// No body at all.
    Empty,
}

/// Whether a create or patch may give a second user an existing externalId.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DuplicateExternalId {
    Accept,
    /// Refused with 400 when another user has the same externalId, ignoring case.
    Reject,
}

/// The JSON shape of error answers (401, 403, 400, 404 on a known route, 405, 415, 429, 5xx).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorBody {
    /// `{"message": "..."}` as `application/json`.
    Message,
    /// RFC 9457 problem details (`type`, `title`, `status`, `detail`) as
    /// `application/problem+json`.
    ProblemDetails,
}

/// What `PUT /Users/{id}` does; the real semantics are undocumented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PutSemantics {
    /// Full replace: validated like a create; writable fields left out become null.
    Replace,
    /// Only the fields present change, like a PATCH written as an object.
    Merge,
    /// 405 Method Not Allowed.
    NotAllowed,
}

/// How string values compare in `$filter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StringMatch {
    IgnoreCase,
    Exact,
}

/// Added delay of every API answer: `fixed` plus a uniform random share of `jitter`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Latency {
    #[serde(rename = "fixedMs", with = "crate::millis")]
    pub fixed: Duration,
    #[serde(rename = "jitterMs", with = "crate::millis")]
    pub jitter: Duration,
}

/// Requests one token may make per minute (a fixed window opened by its first request).
/// Beyond it: 429 with `Retry-After` in whole seconds until the window ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestBudget {
    pub per_minute: u32,
}

impl SimConfig {
    /// Reads a configuration from a `.yaml`/`.yml` file, or JSON for any other extension.
    /// Fields left out take their `Default` value.
    pub fn from_file(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadFile {
            path: path.to_path_buf(),
            source,
        })?;
        let is_yaml = path
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
        if is_yaml {
            serde_yaml::from_str(&text).map_err(|source| SimError::ParseYaml {
                path: path.to_path_buf(),
                source,
            })
        } else {
            serde_json::from_str(&text).map_err(|source| SimError::ParseJson {
                path: path.to_path_buf(),
                source,
            })
        }
    }

    /// One configuration per setting of every undocumented behaviour (all else default), each
    /// with a short name, for running a client against the whole matrix.
    pub fn knob_variants() -> Vec<(&'static str, SimConfig)> {
        let base = SimConfig::default();
        let with = |change: &dyn Fn(&mut SimConfig)| {
            let mut config = base.clone();
            change(&mut config);
            config
        };
        vec![
            ("default", base.clone()),
            (
                "top-reject",
                with(&|c| c.top_over_limit = TopOverLimit::Reject),
            ),
            (
                "create-bare-id",
                with(&|c| c.create_answer = CreateAnswer::BareId),
            ),
            (
                "create-empty",
                with(&|c| c.create_answer = CreateAnswer::Empty),
            ),
            (
                "external-id-reject",
                with(&|c| c.duplicate_external_id = DuplicateExternalId::Reject),
            ),
            (
                "problem-details",
                with(&|c| c.error_body = ErrorBody::ProblemDetails),
            ),
            (
                "put-merge",
                with(&|c| c.put_semantics = PutSemantics::Merge),
            ),
            (
                "put-not-allowed",
                with(&|c| c.put_semantics = PutSemantics::NotAllowed),
            ),
            (
                "filter-exact-case",
                with(&|c| c.filter_strings = StringMatch::Exact),
            ),
        ]
    }
}
