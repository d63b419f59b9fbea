//! Counters of what a client did: requests by operation and answer class, 429s, retries and
//! the time spent waiting on the request budget. Lock-free, so counting never slows requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::operation::Operation;

/// Requests of one operation, by how they were answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AnswerCounts {
    /// 2xx.
    pub success: u64,
    /// 4xx, 429 included.
    pub client_error: u64,
    /// 5xx.
    pub server_error: u64,
    /// 1xx and 3xx.
    pub other: u64,
    /// No answer: timeout, refused or reset connection.
    pub no_answer: u64,
}

impl AnswerCounts {
    pub fn total(&self) -> u64 {
        self.success + self.client_error + self.server_error + self.other + self.no_answer
    }
}

/// A snapshot of a client's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Pages of the full listing.
    pub list: AnswerCounts,
    /// Look-ups by email or externalId (around creates).
    pub find: AnswerCounts,
    pub get: AnswerCounts,
    pub create: AnswerCounts,
    pub patch: AnswerCounts,
    /// 429 answers seen, retried or not.
    pub throttled: u64,
    /// Attempts after the first, over all operations.
    pub retries: u64,
    /// Total time requests waited for the budget (rate and concurrency).
    pub budget_wait: Duration,
}

impl ClientStats {
    /// The counts of one operation.
    pub fn of(&self, op: Operation) -> AnswerCounts {
        match op {
            Operation::ListUsers => self.list,
            Operation::FindUser => self.find,
            Operation::GetUser => self.get,
            Operation::CreateUser => self.create,
            Operation::PatchUser => self.patch,
        }
    }

    /// Every request sent.
    pub fn total_requests(&self) -> u64 {
        Operation::ALL.iter().map(|op| self.of(*op).total()).sum()
    }
}

const CLASSES: usize = 5;
const NO_ANSWER: usize = 4;

/// The live counters behind `ClientStats`.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    answers: [[AtomicU64; CLASSES]; Operation::ALL.len()],
    throttled: AtomicU64,
    retries: AtomicU64,
    budget_wait_nanos: AtomicU64,
}

impl Recorder {
    /// One request answered with `status`, or not answered at all (`None`).
    pub(crate) fn record_answer(&self, op: Operation, status: Option<u16>) {
        let class = match status {
            Some(200..=299) => 0,
            Some(400..=499) => 1,
            Some(500..=599) => 2,
            Some(_) => 3,
            None => NO_ANSWER,
        };
        self.answers[op.index()][class].fetch_add(1, Ordering::Relaxed);
        if status == Some(429) {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_budget_wait(&self, waited: Duration) {
        let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
        self.budget_wait_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        let counts = |op: Operation| {
            let row = &self.answers[op.index()];
            let at = |class: usize| row[class].load(Ordering::Relaxed);
            AnswerCounts {
                success: at(0),
                client_error: at(1),
                server_error: at(2),
                other: at(3),
                no_answer: at(NO_ANSWER),
            }
        };
        ClientStats {
            list: counts(Operation::ListUsers),
            find: counts(Operation::FindUser),
            get: counts(Operation::GetUser),
            create: counts(Operation::CreateUser),
            patch: counts(Operation::PatchUser),
            throttled: self.throttled.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            budget_wait: Duration::from_nanos(self.budget_wait_nanos.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_counted_by_operation_and_class() {
        let recorder = Recorder::default();
        recorder.record_answer(Operation::ListUsers, Some(200));
        recorder.record_answer(Operation::ListUsers, Some(429));
        recorder.record_answer(Operation::PatchUser, Some(204));
        recorder.record_answer(Operation::PatchUser, Some(503));
        recorder.record_answer(Operation::CreateUser, None);
        recorder.record_retry();
        recorder.record_budget_wait(Duration::from_millis(7));

        let stats = recorder.snapshot();
        assert_eq!(
            stats.list,
            AnswerCounts {
                success: 1,
                client_error: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            stats.patch,
            AnswerCounts {
                success: 1,
                server_error: 1,
                ..Default::default()
            }
        );
        assert_eq!(
            stats.create,
            AnswerCounts {
                no_answer: 1,
                ..Default::default()
            }
        );
        assert_eq!((stats.throttled, stats.retries), (1, 1));
        assert_eq!(stats.budget_wait, Duration::from_millis(7));
        assert_eq!(stats.total_requests(), 5);
    }
}
