//! Why a Jira Align call failed. Every variant carries the operation and, where one applies,
//! the user id; none ever carries the API token.

use super::operation::Operation;

/// Why a Jira Align call failed.
#[derive(Debug, thiserror::Error)]
pub enum JiraAlignError {
    /// 401: the token is wrong, regenerated, or its user was deactivated. Never retried.
    #[error("jira align rejected the api token on {op}{}", said(.message))]
    Unauthorized {
        op: Operation,
        message: Option<String>,
    },

    /// 403: the token is valid but its user may not do this. Never retried.
    #[error("the token's user is not allowed to {op}{}{}", user(.user_id), said(.message))]
    Forbidden {
        op: Operation,
        user_id: Option<u64>,
        message: Option<String>,
    },

    /// 429 on every attempt.
    #[error("jira align throttled {op}{} on all {attempts} attempts", user(.user_id))]
    Throttled {
        op: Operation,
        user_id: Option<u64>,
        attempts: u32,
    },

    /// 5xx (or 408) on the last attempt.
    #[error(
        "jira align answered {status} to {op}{} after {attempts} attempts{}",
        user(.user_id),
        said(.message)
    )]
    ServerError {
        op: Operation,
        user_id: Option<u64>,
        status: u16,
        message: Option<String>,
        attempts: u32,
    },

    /// No complete answer within the timeout on the last attempt.
    #[error("{op}{} timed out after {attempts} attempts", user(.user_id))]
    Timeout {
        op: Operation,
        user_id: Option<u64>,
        attempts: u32,
    },

    /// The connection failed or was reset on the last attempt.
    #[error(
        "connection to jira align failed during {op}{} after {attempts} attempts: {detail}",
        user(.user_id)
    )]
    Connection {
        op: Operation,
        user_id: Option<u64>,
        attempts: u32,
        detail: String,
    },

    /// The TLS handshake failed: the certificate is not trusted, or the site does not speak
    /// TLS at all (an https:// URL to a plain-http port). Retrying cannot help, so it is not.
    #[error(
        "TLS with jira align failed during {op}: {detail}; check that the URL's scheme fits \
         the site and that its certificate is trusted"
    )]
    Tls { op: Operation, detail: String },

    /// 400 (or 422): the request was refused as invalid; `message` is the server's text.
    #[error("jira align refused {op}{}: {message}", user(.user_id))]
    BadRequest {
        op: Operation,
        user_id: Option<u64>,
        message: String,
    },

    /// 404 on a user route.
    #[error("jira align found nothing at {op}{}", user(.user_id))]
    NotFound { op: Operation, user_id: Option<u64> },

    /// Any other non-success status (405, 409, 415, ...). Never retried.
    #[error("jira align answered {status} to {op}{}{}", user(.user_id), said(.message))]
    UnexpectedStatus {
        op: Operation,
        user_id: Option<u64>,
        status: u16,
        message: Option<String>,
    },

    /// A success status with a body the client cannot use.
    #[error("unusable answer to {op}: {detail}")]
    InvalidResponse { op: Operation, detail: String },

    /// The client configuration cannot work; found before any request is sent.
    #[error("invalid jira align client configuration: {field} {detail}")]
    InvalidConfig { field: &'static str, detail: String },
}

impl JiraAlignError {
    /// A static category used as condition reason, Event reason and metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            JiraAlignError::Unauthorized { .. } => "JiraAlignUnauthorized",
            JiraAlignError::Forbidden { .. } => "JiraAlignForbidden",
            JiraAlignError::Throttled { .. } => "JiraAlignThrottled",
            JiraAlignError::ServerError { .. } => "JiraAlignServerError",
            JiraAlignError::Timeout { .. } => "JiraAlignTimeout",
            JiraAlignError::Connection { .. } => "JiraAlignUnreachable",
            JiraAlignError::Tls { .. } => "JiraAlignTlsFailed",
            JiraAlignError::BadRequest { .. } => "JiraAlignBadRequest",
            JiraAlignError::NotFound { .. } => "JiraAlignNotFound",
            JiraAlignError::UnexpectedStatus { .. } => "JiraAlignUnexpectedStatus",
            JiraAlignError::InvalidResponse { .. } => "JiraAlignInvalidResponse",
            JiraAlignError::InvalidConfig { .. } => "JiraAlignInvalidConfig",
        }
    }

    /// The operation that failed, when a request was involved.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            JiraAlignError::Unauthorized { op, .. }
            | JiraAlignError::Forbidden { op, .. }
            | JiraAlignError::Throttled { op, .. }
            | JiraAlignError::ServerError { op, .. }
            | JiraAlignError::Timeout { op, .. }
            | JiraAlignError::Connection { op, .. }
            | JiraAlignError::Tls { op, .. }
            | JiraAlignError::BadRequest { op, .. }
            | JiraAlignError::NotFound { op, .. }
            | JiraAlignError::UnexpectedStatus { op, .. }
            | JiraAlignError::InvalidResponse { op, .. } => Some(*op),
            JiraAlignError::InvalidConfig { .. } => None,
        }
    }

    /// The same error with the attempt count of the retry loop filled in.
    pub(crate) fn after_attempts(mut self, count: u32) -> Self {
        match &mut self {
            JiraAlignError::Throttled { attempts, .. }
            | JiraAlignError::ServerError { attempts, .. }
            | JiraAlignError::Timeout { attempts, .. }
            | JiraAlignError::Connection { attempts, .. } => *attempts = count,
            _ => {}
        }
        self
    }
}

fn user(user_id: &Option<u64>) -> String {
    user_id
        .map(|id| format!(" for user {id}"))
        .unwrap_or_default()
}

fn said(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|text| format!(": {text}"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_operation_user_and_server_text() {
        let error = JiraAlignError::BadRequest {
            op: Operation::CreateUser,
            user_id: None,
            message: "Email is required.".into(),
        };
        assert_eq!(
            error.to_string(),
            "jira align refused POST /Users: Email is required."
        );

        let error = JiraAlignError::ServerError {
            op: Operation::PatchUser,
            user_id: Some(42),
            status: 503,
            message: None,
            attempts: 0,
        }
        .after_attempts(5);
        assert_eq!(
            error.to_string(),
            "jira align answered 503 to PATCH /Users/{id} for user 42 after 5 attempts"
        );
        assert_eq!(error.reason(), "JiraAlignServerError");
    }

    #[test]
    fn the_attempt_count_only_applies_to_retried_failures() {
        let error = JiraAlignError::NotFound {
            op: Operation::GetUser,
            user_id: Some(7),
        };
        let error = error.after_attempts(3);
        assert_eq!(
            error.to_string(),
            "jira align found nothing at GET /Users/{id} for user 7"
        );
    }
}
