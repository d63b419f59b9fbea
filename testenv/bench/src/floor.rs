//! The floor of a run: the least time its requests could take, given how many may be in
//! flight, the simulator's mean latency and, when there is one, the request budget.

use std::time::Duration;

/// What bounds a run's requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Requests in flight at once.
    pub concurrency: u32,
    /// Mean added latency per answer.
    pub mean_latency: Duration,
    /// Requests a minute the site accepts, if limited.
    pub per_minute: Option<u32>,
}

/// The floor of `requests` answered requests (429 answers excluded: a run that needed none
/// would not have sent them).
pub fn floor(requests: u64, limits: &Limits) -> Duration {
    let waves = requests as f64 / f64::from(limits.concurrency.max(1));
    let by_latency = limits.mean_latency.mul_f64(waves);
    let by_budget = match limits.per_minute {
        Some(per_minute) => Duration::from_secs_f64(requests as f64 * 60.0 / f64::from(per_minute)),
        None => Duration::ZERO,
    };
    by_latency.max(by_budget)
}

/// `wall / floor`, or `None` when the floor is zero (no added latency, no budget).
pub fn ratio(wall: Duration, floor: Duration) -> Option<f64> {
    (!floor.is_zero()).then(|| wall.as_secs_f64() / floor.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATENCY: Duration = Duration::from_millis(50);

    #[test]
    fn eight_in_flight_take_an_eighth_of_the_serial_time() {
        let ours = Limits {
            concurrency: 8,
            mean_latency: LATENCY,
            per_minute: None,
        };
        assert_eq!(floor(1_000, &ours), Duration::from_millis(6_250));
        let serial = Limits {
            concurrency: 1,
            ..ours
        };
        assert_eq!(floor(1_000, &serial), Duration::from_secs(50));
    }

    #[test]
    fn a_budget_below_the_latency_rate_sets_the_floor() {
        let limits = Limits {
            concurrency: 8,
            mean_latency: LATENCY,
            per_minute: Some(600),
        };
        assert_eq!(floor(900, &limits), Duration::from_secs(90));
        assert_eq!(
            ratio(Duration::from_secs(99), Duration::from_secs(90)),
            Some(1.1)
        );
        assert_eq!(ratio(Duration::from_secs(1), Duration::ZERO), None);
    }
}
