//! The retry layer: runs the attempts of one logical request with exponential backoff and
//! full jitter, honouring `Retry-After`, up to a bounded number of attempts. What is worth
//! retrying is decided by the caller for each attempt.

use std::future::Future;
use std::time::{Duration, SystemTime};

use chrono::DateTime;
use tracing::debug;

use super::error::JiraAlignError;
use super::operation::Operation;
use super::stats::Recorder;

/// How often and how patiently a request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts, the first included; at least 1.
    pub max_attempts: u32,
    /// Upper bound of the first backoff; doubles with each retry.
    pub base_delay: Duration,
    /// Upper bound of any backoff.
    pub max_delay: Duration,
    /// Longest `Retry-After` honoured; a longer ask is shortened to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (1 for the first retry): the share `unit`
    /// (in `[0, 1)`, drawn at random) of `min(max_delay, base_delay * 2^(retry - 1))`.
    pub fn backoff(&self, retry: u32, unit: f64) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        ceiling.mul_f64(unit.clamp(0.0, 1.0))
    }

    /// The wait before retry number `retry`: the server's `Retry-After` when it gave one
    /// (capped at `max_retry_after`), else the jittered backoff.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        match retry_after {
            Some(asked) => asked.min(self.max_retry_after),
            None => self.backoff(retry, unit),
        }
    }
}

/// A `Retry-After` value, in seconds or as an HTTP date, as a wait from `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    let when = SystemTime::from(when);
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Where the random share of each backoff comes from; tests pass a fixed one.
pub trait Jitter: Send + Sync {
    /// A number in `[0, 1)`.
    fn unit(&self) -> f64;
}

/// Uniform random jitter from the thread-local generator.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn unit(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// What one attempt produced.
pub(crate) enum Attempt<T> {
    Done(T),
    /// Worth another attempt; `maybe_applied` when the server may have acted on the request
    /// although no success answer arrived (a timeout, a reset, a 5xx).
    Retry {
        error: JiraAlignError,
        retry_after: Option<Duration>,
        maybe_applied: bool,
    },
    /// Final: retrying cannot help.
    Fail(JiraAlignError),
}

impl<T> Attempt<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> U) -> Attempt<U> {
        match self {
            Attempt::Done(value) => Attempt::Done(f(value)),
            Attempt::Retry {
                error,
                retry_after,
                maybe_applied,
            } => Attempt::Retry {
                error,
                retry_after,
                maybe_applied,
            },
            Attempt::Fail(error) => Attempt::Fail(error),
        }
    }
}

/// What an attempt knows about the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AttemptInfo {
    /// 1 for the first attempt.
    pub number: u32,
    /// Some earlier attempt may have been applied by the server.
    pub earlier_maybe_applied: bool,
}

/// The retry layer's collaborators.
pub(crate) struct Retrier<'a> {
    pub policy: &'a RetryPolicy,
    pub jitter: &'a dyn Jitter,
    pub stats: &'a Recorder,
}

impl Retrier<'_> {
    /// Runs `attempt` until it is done, fails for good, or the attempts are used up; the
    /// error returned is the last attempt's, with the attempt count filled in.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        op: Operation,
        user_id: Option<u64>,
        mut attempt: F,
    ) -> Result<T, JiraAlignError>
    where
        F: FnMut(AttemptInfo) -> Fut,
        Fut: Future<Output = Attempt<T>>,
    {
        let mut info = AttemptInfo {
            number: 1,
            earlier_maybe_applied: false,
        };
        loop {
            let (error, retry_after, maybe_applied) = match attempt(info).await {
                Attempt::Done(value) => return Ok(value),
                Attempt::Fail(error) => return Err(error.after_attempts(info.number)),
                Attempt::Retry {
                    error,
                    retry_after,
                    maybe_applied,
                } => (error, retry_after, maybe_applied),
            };
            if info.number >= self.policy.max_attempts {
                return Err(error.after_attempts(info.number));
            }

            let delay = self
                .policy
                .delay(info.number, retry_after, self.jitter.unit());
            self.stats.record_retry();
            debug!(
                op = op.label(),
                user_id,
                attempt = info.number,
                reason = error.reason(),
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "retrying jira align request"
            );
            tokio::time::sleep(delay).await;
            info = AttemptInfo {
                number: info.number + 1,
                earlier_maybe_applied: info.earlier_maybe_applied || maybe_applied,
            };
        }
    }
}

#[cfg(test)]
mod tests;
