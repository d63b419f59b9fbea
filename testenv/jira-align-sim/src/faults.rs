//! Fault injection: failures chosen by probability from the configured seed, and scripted
//! failures such as "fail the 3rd PATCH" or "drop the answer of the 2nd POST after applying
//! it". The plan is configuration; `FaultEngine` holds the state that makes it reproducible.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::config::Latency;
use crate::routes::RouteKind;

/// Which failures to inject. Probabilities are per API request, between 0 and 1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Answer 500 before applying the request.
    #[serde(rename = "error500")]
    pub error_500: f64,
    /// Answer 503 before applying the request.
    #[serde(rename = "error503")]
    pub error_503: f64,
    /// Close the connection without an answer, before applying the request.
    pub drop_connection: f64,
    /// Apply the request, then hold the answer back (longer than a client's timeout).
    pub slow: Option<SlowResponses>,
    /// Start a run of consecutive 429 answers.
    pub burst_429: Option<Burst429>,
    /// Faults tied to the n-th request of a kind; each fires once.
    pub scripted: Vec<ScriptedFault>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlowResponses {
    pub probability: f64,
    #[serde(rename = "delayMs", with = "crate::millis")]
    pub delay: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Burst429 {
    /// Chance that a request starts a burst.
    pub probability: f64,
    /// Requests answered 429 in a row, the first included.
    pub length: u32,
    pub retry_after_secs: u32,
}

/// "The `nth` request matching `method` and `route` gets `action`."
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScriptedFault {
    /// HTTP method, any case; `None` matches every method.
    #[serde(default)]
    pub method: Option<String>,
    /// `None` matches every route.
    #[serde(default)]
    pub route: Option<RouteKind>,
    /// 1-based position among the matching requests, counted since the plan was set.
    pub nth: u64,
    /// How many matching requests in a row, from the `nth`, get the action (a scripted burst).
    #[serde(default = "one")]
    pub times: u64,
    pub action: FaultAction,
    /// Apply the request first, then misbehave (for a lost answer to a successful write).
    #[serde(default)]
    pub after_apply: bool,
}

fn one() -> u64 {
    1
}

/// What an injected fault does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer this status (with an error body, and `Retry-After` when given).
    #[serde(rename_all = "camelCase")]
    Status {
        status: u16,
        #[serde(default)]
        retry_after_secs: Option<u32>,
    },
    /// Close the connection without an answer.
    Drop,
    /// Hold the answer back this long.
    Delay {
        #[serde(rename = "delayMs", with = "crate::millis")]
        delay: Duration,
    },
}

impl ScriptedFault {
    /// The `nth` request with `method` is answered `status` without being applied.
    pub fn fail_nth(method: &str, nth: u64, status: u16) -> Self {
        ScriptedFault {
            method: Some(method.to_owned()),
            route: None,
            nth,
            times: 1,
            action: FaultAction::Status {
                status,
                retry_after_secs: None,
            },
            after_apply: false,
        }
    }

    /// The `nth` request with `method` is applied, then its connection closed unanswered.
    pub fn drop_after_apply(method: &str, nth: u64) -> Self {
        ScriptedFault {
            method: Some(method.to_owned()),
            route: None,
            nth,
            times: 1,
            action: FaultAction::Drop,
            after_apply: true,
        }
    }

    fn matches(&self, method: &str, route: RouteKind) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        let route_ok = self.route.is_none_or(|r| r == route);
        method_ok && route_ok
    }
}

/// What the engine chose for one request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct FaultDecision {
    /// Added latency before handling.
    pub latency: Duration,
    /// A fault that replaces handling.
    pub before: Option<FaultAction>,
    /// A fault applied after handling.
    pub after: Option<FaultAction>,
}

/// The random source and counters behind a `FaultPlan`; reset whenever the plan changes.
pub(crate) struct FaultEngine {
    rng: StdRng,
    burst_left: u32,
    seen: Vec<u64>,
}

impl FaultEngine {
    pub(crate) fn new(seed: u64) -> Self {
        FaultEngine {
            rng: StdRng::seed_from_u64(seed),
            burst_left: 0,
            seen: Vec::new(),
        }
    }

    /// Chooses latency and faults for the next API request. Draws happen in a fixed order,
    /// so the same configuration and request sequence give the same choices.
    pub(crate) fn decide(
        &mut self,
        plan: &FaultPlan,
        latency: &Latency,
        method: &str,
        route: RouteKind,
    ) -> FaultDecision {
        let mut decision = FaultDecision {
            latency: self.latency(latency),
            ..Default::default()
        };

        if let Some((after_apply, action)) = self.scripted(plan, method, route) {
            if after_apply {
                decision.after = Some(action);
            } else {
                decision.before = Some(action);
            }
            return decision;
        }

        decision.before = self.random_before(plan);
        if decision.before.is_none()
            && let Some(slow) = plan.slow
            && self.chance(slow.probability)
        {
            decision.after = Some(FaultAction::Delay { delay: slow.delay });
        }
        decision
    }

    fn latency(&mut self, latency: &Latency) -> Duration {
        if latency.jitter.is_zero() {
            return latency.fixed;
        }
        let jitter_nanos = u64::try_from(latency.jitter.as_nanos()).unwrap_or(u64::MAX);
        latency.fixed + Duration::from_nanos(self.rng.random_range(0..=jitter_nanos))
    }

    fn scripted(
        &mut self,
        plan: &FaultPlan,
        method: &str,
        route: RouteKind,
    ) -> Option<(bool, FaultAction)> {
        self.seen.resize(plan.scripted.len(), 0);
        let mut chosen = None;
        for (fault, seen) in plan.scripted.iter().zip(self.seen.iter_mut()) {
            if !fault.matches(method, route) {
                continue;
            }
            *seen += 1;
            let in_run = *seen >= fault.nth && *seen < fault.nth.saturating_add(fault.times);
            if in_run && chosen.is_none() {
                chosen = Some((fault.after_apply, fault.action.clone()));
            }
        }
        chosen
    }

    fn random_before(&mut self, plan: &FaultPlan) -> Option<FaultAction> {
        if let Some(burst) = plan.burst_429 {
            let retry_after = Some(burst.retry_after_secs);
            if self.burst_left > 0 {
                self.burst_left -= 1;
                return Some(FaultAction::Status {
                    status: 429,
                    retry_after_secs: retry_after,
                });
            }
            if burst.length > 0 && self.chance(burst.probability) {
                self.burst_left = burst.length - 1;
                return Some(FaultAction::Status {
                    status: 429,
                    retry_after_secs: retry_after,
                });
            }
        }
        if self.chance(plan.drop_connection) {
            return Some(FaultAction::Drop);
        }
        if self.chance(plan.error_503) {
            return Some(FaultAction::Status {
                status: 503,
                retry_after_secs: None,
            });
        }
        if self.chance(plan.error_500) {
            return Some(FaultAction::Status {
                status: 500,
                retry_after_secs: None,
            });
        }
        None
    }

    fn chance(&mut self, probability: f64) -> bool {
        probability > 0.0 && self.rng.random_bool(probability.min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_fault_fires_on_the_nth_matching_request_only() {
        let plan = FaultPlan {
            scripted: vec![ScriptedFault::fail_nth("patch", 3, 500)],
            ..Default::default()
        };
        let mut engine = FaultEngine::new(1);
        let latency = Latency::default();
        let outcomes: Vec<bool> = ["PATCH", "GET", "PATCH", "PATCH", "PATCH"]
            .iter()
            .map(|m| {
                engine
                    .decide(&plan, &latency, m, RouteKind::PatchUser)
                    .before
                    .is_some()
            })
            .collect();
        assert_eq!(outcomes, vec![false, false, false, true, false]);
    }

    #[test]
    fn same_seed_gives_same_random_faults() {
        let plan = FaultPlan {
            error_500: 0.3,
            drop_connection: 0.1,
            ..Default::default()
        };
        let latency = Latency {
            fixed: Duration::ZERO,
            jitter: Duration::from_millis(5),
        };
        let run = |seed| {
            let mut engine = FaultEngine::new(seed);
            (0..50)
                .map(|_| engine.decide(&plan, &latency, "GET", RouteKind::ListUsers))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert_ne!(run(9), run(10));
    }

    #[test]
    fn a_scripted_burst_answers_429_for_its_whole_length() {
        let mut fault = ScriptedFault::fail_nth("GET", 2, 429);
        fault.times = 3;
        let plan = FaultPlan {
            scripted: vec![fault],
            ..Default::default()
        };
        let mut engine = FaultEngine::new(0);
        let statuses: Vec<Option<u16>> = (0..6)
            .map(|_| {
                match engine
                    .decide(&plan, &Latency::default(), "GET", RouteKind::ListUsers)
                    .before
                {
                    Some(FaultAction::Status { status, .. }) => Some(status),
                    _ => None,
                }
            })
            .collect();
        assert_eq!(
            statuses,
            vec![None, Some(429), Some(429), Some(429), None, None]
        );
    }

    #[test]
    fn a_random_burst_lasts_its_length() {
        let burst = Burst429 {
            probability: 0.05,
            length: 4,
            retry_after_secs: 2,
        };
        let plan = FaultPlan {
            burst_429: Some(burst),
            ..Default::default()
        };
        let mut engine = FaultEngine::new(3);
        let hits: Vec<bool> = (0..400)
            .map(|_| {
                engine
                    .decide(&plan, &Latency::default(), "GET", RouteKind::ListUsers)
                    .before
                    .is_some()
            })
            .collect();
        let first = hits
            .iter()
            .position(|hit| *hit)
            .expect("a 5% chance over 400 draws fires");
        assert_eq!(&hits[first..first + 4], &[true, true, true, true]);
    }
}
