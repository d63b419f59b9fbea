//! The transport: sends one request under the site's budget and sorts its outcome into done,
//! worth retrying, or failed for good. The token goes only into a header marked sensitive;
//! error texts are built from error kinds and server messages with the token removed.

use std::error::Error as _;
use std::sync::{Arc, Once};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use tokio::time::Instant;
use tracing::debug;

use super::budget::Budget;
use super::config::ClientConfig;
use super::error::JiraAlignError;
use super::error_body::{redact, server_message};
use super::operation::Operation;
use super::retry::{Attempt, parse_retry_after};
use super::stats::Recorder;

/// One request, relative to the API root.
pub(crate) struct Request<'a> {
    pub op: Operation,
    pub user_id: Option<u64>,
    /// `Users` or `Users/{id}`.
    pub path: &'a str,
    /// An encoded query string, without `?`.
    pub query: Option<&'a str>,
    /// A JSON body.
    pub body: Option<&'a [u8]>,
}

/// A complete answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub location: Option<String>,
    pub retry_after: Option<String>,
}

/// Why no answer arrived.
enum NoAnswer {
    Timeout,
    /// The connection could not be opened: the request was never sent.
    Connect(String),
    /// The connection broke after the request may have been sent.
    Broken(String),
    /// The TLS handshake failed; the request was never sent, and a retry cannot help.
    Tls(String),
}

impl NoAnswer {
    /// Worth a retry unless TLS failed; only a connection that never opened proves the
    /// server did nothing.
    fn into_attempt<T>(self, op: Operation, user_id: Option<u64>) -> Attempt<T> {
        let (error, maybe_applied) = match self {
            NoAnswer::Tls(detail) => return Attempt::Fail(JiraAlignError::Tls { op, detail }),
            NoAnswer::Timeout => (
                JiraAlignError::Timeout {
                    op,
                    user_id,
                    attempts: 1,
                },
                true,
            ),
            NoAnswer::Connect(detail) => {
                let error = JiraAlignError::Connection {
                    op,
                    user_id,
                    attempts: 1,
                    detail,
                };
                (error, false)
            }
            NoAnswer::Broken(detail) => {
                let error = JiraAlignError::Connection {
                    op,
                    user_id,
                    attempts: 1,
                    detail,
                };
                (error, true)
            }
        };
        Attempt::Retry {
            error,
            retry_after: None,
            maybe_applied,
        }
    }
}

pub(crate) struct Transport {
    http: reqwest::Client,
    api_root: Url,
    authorization: HeaderValue,
    /// The token and its secret part, removed from any text that leaves the client.
    secrets: [String; 2],
    pub(crate) budget: Arc<Budget>,
    pub(crate) stats: Arc<Recorder>,
}

impl Transport {
    pub(crate) fn new(
        config: &ClientConfig,
        api_root: Url,
        budget: Arc<Budget>,
    ) -> Result<Self, JiraAlignError> {
        install_crypto_provider();
        let invalid = |detail: String| JiraAlignError::InvalidConfig {
            field: "token",
            detail,
        };
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", config.token))
            .map_err(|_| invalid("is not a valid header value".to_owned()))?;
        authorization.set_sensitive(true);

        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("jira-align-user-sync/", env!("CARGO_PKG_VERSION")))
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| JiraAlignError::InvalidConfig {
                field: "tls",
                detail: format!("the HTTP client cannot be built ({})", chain(&e)),
            })?;

        let secret_part = config
            .token
            .split_once('|')
            .map_or("", |(_, secret)| secret);
        Ok(Transport {
            http,
            api_root,
            authorization,
            secrets: [config.token.clone(), secret_part.to_owned()],
            budget,
            stats: Arc::new(Recorder::default()),
        })
    }

    pub(crate) fn api_root(&self) -> &Url {
        &self.api_root
    }

    /// Sends one attempt of `request` and sorts its outcome.
    pub(crate) async fn attempt(&self, request: &Request<'_>) -> Attempt<Answer> {
        let mut url = match self.api_root.join(request.path) {
            Ok(url) => url,
            Err(e) => {
                let detail = format!("no request URL for {} ({e})", request.path);
                return Attempt::Fail(JiraAlignError::InvalidConfig {
                    field: "base_url",
                    detail,
                });
            }
        };
        url.set_query(request.query);
        let outcome = self.send(request, url).await;
        self.classify(request, outcome)
    }

    async fn send(&self, request: &Request<'_>, url: Url) -> Result<Answer, NoAnswer> {
        let method = match request.op.method() {
            "POST" => Method::POST,
            "PATCH" => Method::PATCH,
            _ => Method::GET,
        };
        let mut builder = self
            .http
            .request(method, url)
            .header(header::AUTHORIZATION, self.authorization.clone());
        if let Some(body) = request.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }

        let permit = self.budget.acquire().await;
        self.stats.record_budget_wait(permit.waited);
        let started = Instant::now();
        let result = self.exchange(builder).await;
        drop(permit);

        let status = result.as_ref().ok().map(|answer| answer.status.as_u16());
        self.stats.record_answer(request.op, status);
        debug!(
            op = request.op.label(),
            user_id = request.user_id,
            status,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "jira align request"
        );
        result
    }

    async fn exchange(&self, builder: reqwest::RequestBuilder) -> Result<Answer, NoAnswer> {
        let response = builder.send().await.map_err(|e| self.no_answer(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| self.no_answer(&e))?;
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let answer = Answer {
            status,
            body: body.to_vec(),
            location: text(header::LOCATION),
            retry_after: text(header::RETRY_AFTER),
        };
        Ok(answer)
    }

    fn no_answer(&self, error: &reqwest::Error) -> NoAnswer {
        if error.is_timeout() {
            return NoAnswer::Timeout;
        }
        let detail = redact(&chain(error), &self.secret_refs());
        if is_tls_failure(error) {
            NoAnswer::Tls(detail)
        } else if error.is_connect() {
            NoAnswer::Connect(detail)
        } else {
            NoAnswer::Broken(detail)
        }
    }

    fn secret_refs(&self) -> [&str; 2] {
        [self.secrets[0].as_str(), self.secrets[1].as_str()]
    }

    fn classify(
        &self,
        request: &Request<'_>,
        outcome: Result<Answer, NoAnswer>,
    ) -> Attempt<Answer> {
        let (op, user_id) = (request.op, request.user_id);
        let answer = match outcome {
            Ok(answer) if answer.status.is_success() => return Attempt::Done(answer),
            Ok(answer) => answer,
            Err(no_answer) => return no_answer.into_attempt(op, user_id),
        };

        let status = answer.status.as_u16();
        let retry_after = answer
            .retry_after
            .as_deref()
            .and_then(|value| parse_retry_after(value, SystemTime::now()));
        let message = server_message(&answer.body, &self.secret_refs());
        match status {
            401 => Attempt::Fail(JiraAlignError::Unauthorized { op, message }),
            403 => Attempt::Fail(JiraAlignError::Forbidden {
                op,
                user_id,
                message,
            }),
            404 => Attempt::Fail(JiraAlignError::NotFound { op, user_id }),
            400 | 422 => {
                let message = message.unwrap_or_else(|| "no reason given".to_owned());
                Attempt::Fail(JiraAlignError::BadRequest {
                    op,
                    user_id,
                    message,
                })
            }
            429 => {
                let error = JiraAlignError::Throttled {
                    op,
                    user_id,
                    attempts: 1,
                };
                Attempt::Retry {
                    error,
                    retry_after,
                    maybe_applied: false,
                }
            }
            408 | 500..=599 => {
                let error = JiraAlignError::ServerError {
                    op,
                    user_id,
                    status,
                    message,
                    attempts: 1,
                };
                Attempt::Retry {
                    error,
                    retry_after,
                    maybe_applied: true,
                }
            }
            _ => Attempt::Fail(JiraAlignError::UnexpectedStatus {
                op,
                user_id,
                status,
                message,
            }),
        }
    }
}

/// An error and its sources in one line, without the URL (which adds nothing to the
/// operation named beside it).
fn chain(error: &reqwest::Error) -> String {
    let mut text = match error.url() {
        Some(url) => error.to_string().replace(&format!(" ({url})"), ""),
        None => error.to_string(),
    };
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Whether a rustls error is among the causes: a handshake that failed, which no retry
/// mends. An `io::Error` hides the error it wraps from `source()` (and the connector wraps
/// one in another), so those are opened here.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    fn rustls_inside(cause: &(dyn std::error::Error + 'static)) -> bool {
        if cause.is::<rustls::Error>() {
            return true;
        }
        let wrapped = cause
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref);
        match wrapped {
            Some(inner) => rustls_inside(inner),
            None => cause.source().is_some_and(rustls_inside),
        }
    }
    rustls_inside(error)
}

/// Makes aws-lc-rs the process's rustls provider, once, so a dependency tree that enables
/// more than one provider never panics choosing between them.
pub fn install_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // An error only means another provider was installed first, which is just as good.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}
