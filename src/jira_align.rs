//! The Jira Align API 2.0 client: list, read, create and patch users, with a shared request
//! budget per site, retries with backoff, and no secret in any output.
//!
//! Layers, outermost first: the operations here and in `listing` and `create`; the retry
//! layer (`retry`); the transport, which sends one attempt under the site's `Budget`.

mod budget;
mod config;
mod create;
mod error;
mod error_body;
mod listing;
mod odata;
mod operation;
mod retry;
mod stats;
mod transport;
mod wire;

use std::sync::Arc;

use serde::Serialize;

pub use budget::{Budget, BudgetLimits, BudgetPermit, BudgetRegistry};
pub use config::{ClientConfig, Listing, Patches, site_key};
pub use error::JiraAlignError;
pub use odata::{PAGE_SIZE, USER_SELECT, string_literal};
pub use operation::Operation;
pub use retry::{Jitter, RandomJitter, RetryPolicy, parse_retry_after};
pub use stats::{AnswerCounts, ClientStats};
pub use transport::install_crypto_provider;

use crate::snapshot::JiraUser;
use retry::Retrier;
use transport::{Answer, Request, Transport};

/// The body of a create request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewUser {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub role_id: u64,
    pub cost_center_id: u64,
    pub division_id: u64,
    pub region_id: u64,
    pub city_id: u64,
    pub is_external: bool,
}

/// One JSON Patch operation. `patch_user` may send a patch more than once (retries), so
/// only idempotent operations (`replace`, `remove` of a field) belong here.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatchOp {
    pub op: &'static str,
    pub path: &'static str,
    pub value: serde_json::Value,
}

impl PatchOp {
    pub fn replace(path: &'static str, value: impl Into<serde_json::Value>) -> Self {
        PatchOp {
            op: "replace",
            path,
            value: value.into(),
        }
    }

    /// Deactivation: `/isLocked` = -1 (the site fills in `userEndDate` itself).
    pub fn deactivate() -> Vec<PatchOp> {
        vec![PatchOp::replace("/isLocked", -1)]
    }

    /// Reactivation: `/isLocked` = 0 and `/userEndDate` cleared, since a past end date
    /// would still block the login.
    pub fn reactivate() -> Vec<PatchOp> {
        vec![
            PatchOp::replace("/isLocked", 0),
            PatchOp::replace("/userEndDate", serde_json::Value::Null),
        ]
    }
}

/// A client of one site. Cheap to share by reference across tasks; all clients of one site
/// share its budget.
pub struct Client {
    transport: Arc<Transport>,
    retry: RetryPolicy,
    jitter: Arc<dyn Jitter>,
    token_user_id: Option<u64>,
    listing: Listing,
    patches: Patches,
}

impl Client {
    /// Checks the configuration and prepares the client; sends nothing. The request budget
    /// is the one `BudgetRegistry::global()` keeps for the site.
    pub fn new(config: ClientConfig) -> Result<Self, JiraAlignError> {
        config.validate()?;
        let registry = BudgetRegistry::global();
        let budget = registry.budget_for(
            &config.base_url,
            &config.budget_owner,
            config.budget_limits(),
        )?;
        Client::with_budget(config, budget)
    }

    /// Like `new`, drawing on `budget` instead of the registry's (its limits then replace
    /// the configuration's `requests_per_minute` and `max_concurrency`).
    pub fn with_budget(config: ClientConfig, budget: Arc<Budget>) -> Result<Self, JiraAlignError> {
        let api_root = config.validate()?;
        let token_user_id = config
            .token
            .strip_prefix("user:")
            .and_then(|rest| rest.split('|').next())
            .and_then(|id| id.parse().ok());
        Ok(Client {
            transport: Arc::new(Transport::new(&config, api_root, budget)?),
            retry: config.retry_policy(),
            jitter: Arc::new(RandomJitter),
            token_user_id,
            listing: config.listing,
            patches: config.patches,
        })
    }

    /// The same client retrying under `policy` instead of the default backoff.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = RetryPolicy {
            max_attempts: policy.max_attempts.max(1),
            ..policy
        };
        self
    }

    /// The same client drawing backoff jitter from `jitter` (tests make it fixed).
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// The user id named in the token, if the token has the documented shape.
    pub fn token_user_id(&self) -> Option<u64> {
        self.token_user_id
    }

    /// The request budget this client draws from.
    pub fn budget(&self) -> &Arc<Budget> {
        &self.transport.budget
    }

    /// What this client has done so far.
    pub fn stats(&self) -> ClientStats {
        self.transport.stats.snapshot()
    }

    /// One user by id; `NotFound` when the site has none.
    pub async fn get_user(&self, id: u64) -> Result<JiraUser, JiraAlignError> {
        let path = format!("Users/{id}");
        let request = Request {
            op: Operation::GetUser,
            user_id: Some(id),
            path: &path,
            query: None,
            body: None,
        };
        let answer = self.send_with_retries(&request).await?;
        let invalid = |detail: String| JiraAlignError::InvalidResponse {
            op: Operation::GetUser,
            detail,
        };
        let value: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| invalid(format!("body is not JSON ({e})")))?;
        wire::parse_user(&value).map_err(invalid)
    }

    /// Applies `ops` to user `id` as one JSON Patch (with `Patches::PerAction`, one per run
    /// of operations of the same kind, stopping at the first failure); 200 and 204 are
    /// success.
    pub async fn patch_user(&self, id: u64, ops: &[PatchOp]) -> Result<(), JiraAlignError> {
        match self.patches {
            Patches::Combined => self.send_patch(id, ops).await,
            Patches::PerAction => {
                for group in ops.chunk_by(|a, b| change_kind(a.path) == change_kind(b.path)) {
                    self.send_patch(id, group).await?;
                }
                Ok(())
            }
        }
    }

    async fn send_patch(&self, id: u64, ops: &[PatchOp]) -> Result<(), JiraAlignError> {
        let body = serde_json::to_vec(ops).map_err(|e| JiraAlignError::InvalidConfig {
            field: "patch",
            detail: format!("cannot be written as JSON ({e})"),
        })?;
        let path = format!("Users/{id}");
        let request = Request {
            op: Operation::PatchUser,
            user_id: Some(id),
            path: &path,
            query: None,
            body: Some(&body),
        };
        self.send_with_retries(&request).await?;
        Ok(())
    }

    fn retrier(&self) -> Retrier<'_> {
        Retrier {
            policy: &self.retry,
            jitter: self.jitter.as_ref(),
            stats: &self.transport.stats,
        }
    }

    /// Sends an idempotent request until it succeeds or the retry layer gives up.
    async fn send_with_retries(&self, request: &Request<'_>) -> Result<Answer, JiraAlignError> {
        self.retrier()
            .run(request.op, request.user_id, |_| {
                self.transport.attempt(request)
            })
            .await
    }
}

/// The kind of change a patch path makes: 0 fills in missing fields, 1 changes the status,
/// 2 changes an attribute.
fn change_kind(path: &str) -> u8 {
    match path {
        "/divisionId" | "/cityId" => 0,
        "/isLocked" | "/userEndDate" => 1,
        _ => 2,
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_root", &self.transport.api_root().as_str())
            .field("budget", &self.budget().limits())
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
