//! Request budgets per token: a fixed one-minute window opened by a token's first request;
//! past the budget, requests are refused until the window ends.

use std::collections::HashMap;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

struct Window {
    opened: Instant,
    used: u32,
}

#[derive(Default)]
pub(crate) struct Budgets {
    windows: HashMap<i64, Window>,
}

impl Budgets {
    /// Counts one request of `user_id`; `Err` carries the whole seconds until the window
    /// ends (at least 1), for `Retry-After`.
    pub(crate) fn charge(
        &mut self,
        user_id: i64,
        per_minute: u32,
        now: Instant,
    ) -> Result<(), u32> {
        let window = self.windows.entry(user_id).or_insert(Window {
            opened: now,
            used: 0,
        });
        if now.duration_since(window.opened) >= WINDOW {
            *window = Window {
                opened: now,
                used: 0,
            };
        }
        if window.used < per_minute {
            window.used += 1;
            return Ok(());
        }
        let left = WINDOW.saturating_sub(now.duration_since(window.opened));
        let seconds = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        Err(u32::try_from(seconds.max(1)).unwrap_or(60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_until_the_window_ends() {
        let mut budgets = Budgets::default();
        let start = Instant::now();
        assert_eq!(budgets.charge(1, 2, start), Ok(()));
        assert_eq!(budgets.charge(1, 2, start), Ok(()));
        assert_eq!(
            budgets.charge(1, 2, start + Duration::from_millis(20_500)),
            Err(40)
        );
        assert_eq!(budgets.charge(2, 2, start), Ok(()));
        assert_eq!(
            budgets.charge(1, 2, start + Duration::from_secs(60)),
            Ok(())
        );
    }
}
