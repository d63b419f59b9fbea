//! Backoff bounds, `Retry-After` parsing and the retry loop under a paused clock.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::*;

struct FixedJitter(f64);

impl Jitter for FixedJitter {
    fn unit(&self) -> f64 {
        self.0
    }
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        max_retry_after: Duration::from_secs(60),
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

#[test]
fn backoff_doubles_up_to_the_cap_and_jitter_takes_a_share() {
    let policy = policy();
    assert_eq!(policy.backoff(1, 1.0), ms(100));
    assert_eq!(policy.backoff(2, 1.0), ms(200));
    assert_eq!(policy.backoff(4, 1.0), ms(800));
    assert_eq!(policy.backoff(5, 1.0), ms(1000));
    assert_eq!(policy.backoff(u32::MAX, 1.0), ms(1000));
    assert_eq!(policy.backoff(3, 0.25), ms(100));
    assert_eq!(policy.backoff(3, 0.0), Duration::ZERO);
    assert_eq!(policy.backoff(3, 7.0), ms(400));
}

#[test]
fn retry_after_wins_over_backoff_and_is_capped() {
    let policy = policy();
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(3)), 0.9),
        Duration::from_secs(3)
    );
    assert_eq!(
        policy.delay(1, Some(Duration::from_secs(900)), 0.9),
        Duration::from_secs(60)
    );
    assert_eq!(policy.delay(1, Some(Duration::ZERO), 0.9), Duration::ZERO);
    assert_eq!(policy.delay(2, None, 0.5), ms(100));
}

#[test]
fn retry_after_is_read_as_seconds_or_http_date() {
    // 2024-07-01T10:00:00Z
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_719_828_000);
    assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
    assert_eq!(
        parse_retry_after(" 120 ", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        parse_retry_after("Mon, 01 Jul 2024 10:00:30 GMT", now),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        parse_retry_after("Mon, 01 Jul 2024 09:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    assert_eq!(parse_retry_after("soon", now), None);
    assert_eq!(parse_retry_after("-5", now), None);
}

fn throttled() -> JiraAlignError {
    JiraAlignError::Throttled {
        op: Operation::ListUsers,
        user_id: None,
        attempts: 1,
    }
}

fn timeout() -> JiraAlignError {
    JiraAlignError::Timeout {
        op: Operation::CreateUser,
        user_id: None,
        attempts: 1,
    }
}

#[tokio::test(start_paused = true)]
async fn attempts_are_retried_after_the_computed_delays() {
    let stats = Recorder::default();
    let retrier = Retrier {
        policy: &policy(),
        jitter: &FixedJitter(0.5),
        stats: &stats,
    };
    let seen = Mutex::new(Vec::new());
    let started = tokio::time::Instant::now();

    let result = retrier
        .run(Operation::ListUsers, None, |info| {
            seen.lock().expect("test lock").push(info);
            async move {
                match info.number {
                    1 => Attempt::Retry {
                        error: timeout(),
                        retry_after: None,
                        maybe_applied: true,
                    },
                    2 => Attempt::Retry {
                        error: throttled(),
                        retry_after: Some(Duration::from_secs(2)),
                        maybe_applied: false,
                    },
                    _ => Attempt::Done(info.number),
                }
            }
        })
        .await;

    assert_eq!(result.ok(), Some(3));
    // 50 ms of backoff (half of 100 ms), then the 2 s the server asked for.
    assert_eq!(started.elapsed(), ms(2050));
    assert_eq!(stats.snapshot().retries, 2);
    let seen = seen.lock().expect("test lock").clone();
    let expected = vec![
        AttemptInfo {
            number: 1,
            earlier_maybe_applied: false,
        },
        AttemptInfo {
            number: 2,
            earlier_maybe_applied: true,
        },
        AttemptInfo {
            number: 3,
            earlier_maybe_applied: true,
        },
    ];
    assert_eq!(seen, expected);
}

#[tokio::test(start_paused = true)]
async fn the_last_error_is_returned_with_the_attempt_count() {
    let stats = Recorder::default();
    let retrier = Retrier {
        policy: &policy(),
        jitter: &FixedJitter(1.0),
        stats: &stats,
    };
    let started = tokio::time::Instant::now();

    let result: Result<(), _> = retrier
        .run(Operation::ListUsers, None, |_| async {
            Attempt::Retry {
                error: throttled(),
                retry_after: None,
                maybe_applied: false,
            }
        })
        .await;

    let message = result.err().map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some("jira align throttled GET /Users on all 4 attempts")
    );
    assert_eq!(started.elapsed(), ms(100 + 200 + 400));
    assert_eq!(stats.snapshot().retries, 3);
}

#[tokio::test(start_paused = true)]
async fn a_final_failure_is_not_retried() {
    let stats = Recorder::default();
    let retrier = Retrier {
        policy: &policy(),
        jitter: &FixedJitter(1.0),
        stats: &stats,
    };
    let calls = Mutex::new(0);

    let result: Result<(), _> = retrier
        .run(Operation::GetUser, Some(9), |_| {
            *calls.lock().expect("test lock") += 1;
            async {
                Attempt::Fail(JiraAlignError::NotFound {
                    op: Operation::GetUser,
                    user_id: Some(9),
                })
            }
        })
        .await;

    assert_eq!(result.err().map(|e| e.reason()), Some("JiraAlignNotFound"));
    assert_eq!(*calls.lock().expect("test lock"), 1);
    assert_eq!(stats.snapshot().retries, 0);
}
