//! What the simulator saw: the request log, request counts by route kind and status, and
//! strict-mode violations of the documented contract.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::routes::RouteKind;

/// Status recorded for a request whose connection was dropped without an answer.
pub const DROPPED: u16 = 0;

/// One API request as the simulator handled it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// Position among all API requests since start or reset, from 1.
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub route: RouteKind,
    /// The answer's status, or `DROPPED` (0).
    pub status: u16,
    /// The token's user, when the token was valid.
    pub user_id: Option<i64>,
    /// The parsed JSON body of writes.
    pub body: Option<Value>,
    /// Whether the request changed state (a write that succeeded, even if its answer was
    /// then lost to an injected fault).
    pub applied: bool,
    /// The injected fault, if any (`drop`, `status 503`, `delay 1500ms`, ...).
    pub fault: Option<String>,
    /// The client went away before the answer was ready (during the added latency or an
    /// injected delay); `status` is then `DROPPED`, and a write may still have been applied.
    #[serde(default)]
    pub abandoned: bool,
    /// Time from arrival to answer inside the simulator, added latency included.
    pub elapsed_micros: u64,
}

/// A request that broke the documented contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub kind: ViolationKind,
    pub detail: String,
}

/// The contract rules strict mode checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ViolationKind {
    /// `$top` above the documented maximum of 100.
    TopOverLimit,
    /// A query option written without its `$` (`top=10`).
    MissingDollar,
    /// A query option the documentation does not describe (`$orderby`, `$count`, ...).
    UndocumentedQueryOption,
    /// A PATCH body that is not a JSON array.
    PatchNotArray,
    /// A JSON Patch operation other than add/replace/remove, or a malformed one.
    PatchUnsupported,
    /// A field or path the user resource does not have.
    UnknownField,
    /// A write whose Content-Type is not JSON.
    ContentType,
    /// A path that is not an API route.
    UnknownRoute,
    /// A method the route does not support (DELETE on a user, POST on a reference list).
    UnsupportedMethod,
}

/// A violation found while handling, before it is tied to its request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Breach {
    pub kind: ViolationKind,
    pub detail: String,
}

impl Breach {
    pub(crate) fn new(kind: ViolationKind, detail: impl Into<String>) -> Self {
        Breach {
            kind,
            detail: detail.into(),
        }
    }
}

/// One row of the request counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteCount {
    pub route: RouteKind,
    pub status: u16,
    pub count: u64,
}

#[derive(Default)]
pub(crate) struct Journal {
    log: VecDeque<LoggedRequest>,
    counts: BTreeMap<(RouteKind, u16), u64>,
    violations: Vec<Violation>,
    next_seq: u64,
}

impl Journal {
    /// The sequence number of a new request.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(crate) fn record(&mut self, entry: LoggedRequest, limit: usize) {
        *self.counts.entry((entry.route, entry.status)).or_default() += 1;
        self.log.push_back(entry);
        while self.log.len() > limit {
            self.log.pop_front();
        }
    }

    pub(crate) fn violate(&mut self, entry: &LoggedRequest, breach: Breach) {
        self.violations.push(Violation {
            seq: entry.seq,
            method: entry.method.clone(),
            path: entry.path.clone(),
            kind: breach.kind,
            detail: breach.detail,
        });
    }

    pub(crate) fn log(&self) -> Vec<LoggedRequest> {
        self.log.iter().cloned().collect()
    }

    pub(crate) fn counts(&self) -> BTreeMap<(RouteKind, u16), u64> {
        self.counts.clone()
    }

    pub(crate) fn count_rows(&self) -> Vec<RouteCount> {
        let row = |((route, status), count): (&(RouteKind, u16), &u64)| RouteCount {
            route: *route,
            status: *status,
            count: *count,
        };
        self.counts.iter().map(row).collect()
    }

    pub(crate) fn violations(&self) -> Vec<Violation> {
        self.violations.clone()
    }
}
