//! The Jira Align API 2.0 client: list, read, create and patch users, with a shared request
//! budget per site, retries with backoff, and no secret in any output.

use std::time::Duration;

use serde::Serialize;

use crate::snapshot::{JiraAlignSnapshot, JiraUser};

/// How to reach one Jira Align site.
#[derive(Clone)]
pub struct ClientConfig {
    /// Site base URL, without `/rest/align/api/2`.
    pub base_url: String,
    /// API 2.0 token, `user:<id>|<secret>`.
    pub token: String,
    pub requests_per_minute: u32,
    pub max_concurrency: u32,
    pub timeout: Duration,
    /// Most attempts of one request (the first included).
    pub max_attempts: u32,
}

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

/// One JSON Patch operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PatchOp {
    pub op: &'static str,
    pub path: &'static str,
    pub value: serde_json::Value,
}

/// Why a Jira Align call failed.
#[derive(Debug, thiserror::Error)]
pub enum JiraAlignError {
    #[error("jira align client not implemented")]
    NotImplemented,
}

/// A client of one site.
pub struct Client {
    config: ClientConfig,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, JiraAlignError> {
        Ok(Client { config })
    }

    /// The user id named in the token, if the token has the documented shape.
    pub fn token_user_id(&self) -> Option<u64> {
        let rest = self.config.token.strip_prefix("user:")?;
        rest.split('|').next()?.parse().ok()
    }

    pub async fn list_users(&self) -> Result<JiraAlignSnapshot, JiraAlignError> {
        Err(JiraAlignError::NotImplemented)
    }

    pub async fn get_user(&self, id: u64) -> Result<JiraUser, JiraAlignError> {
        let _ = id;
        Err(JiraAlignError::NotImplemented)
    }

    pub async fn create_user(&self, user: &NewUser) -> Result<u64, JiraAlignError> {
        let _ = user;
        Err(JiraAlignError::NotImplemented)
    }

    pub async fn patch_user(&self, id: u64, ops: &[PatchOp]) -> Result<(), JiraAlignError> {
        let _ = (id, ops);
        Err(JiraAlignError::NotImplemented)
    }
}
