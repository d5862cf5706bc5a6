//! Retry budgets: a cap on retries as a fraction of requests, so that retries cannot multiply
//! the load on a struggling service (Finagle's `RetryBudget`).

/// Milli-tokens per token: the budget counts in integers so that ten deposits of 0.1 make
/// exactly one token (in floats they make 0.9999999999999999, and the retry is refused).
const MILLI_PER_TOKEN: u64 = 1_000;

/// A retry budget as a token bucket: every request deposits `ratio` tokens, every retry
/// withdraws one; savings are capped at `max_tokens` and start full, so a burst of failures
/// right after start may still be retried.
///
/// Call `on_request` for each original request, not for retries: then `ratio` is the
/// steady-state number of retries per request (0.1 → at most one retry per ten requests).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryBudget {
    deposit_milli: u64,
    balance_milli: u64,
    balance_milli_max: u64,
}

impl RetryBudget {
    /// `ratio` is kept to three decimal places, in exact milli-tokens; a negative or NaN
    /// ratio deposits nothing (the saturating float-to-integer cast maps both to zero).
    pub fn new(ratio: f64, max_tokens: u32) -> RetryBudget {
        let deposit_milli = (ratio * MILLI_PER_TOKEN as f64).round() as u64;
        let balance_milli_max = u64::from(max_tokens) * MILLI_PER_TOKEN;
        RetryBudget { deposit_milli, balance_milli: balance_milli_max, balance_milli_max }
    }

    /// A request was sent: deposit `ratio` tokens, keeping no more than `max_tokens`.
    pub fn on_request(&mut self) {
        self.balance_milli =
            self.balance_milli.saturating_add(self.deposit_milli).min(self.balance_milli_max);
    }

    /// Takes a token for a retry if one is there.
    pub fn try_spend(&mut self) -> bool {
        if self.balance_milli < MILLI_PER_TOKEN {
            return false;
        }
        self.balance_milli -= MILLI_PER_TOKEN;
        true
    }

    /// Whole tokens available now: how many retries could go out at once.
    pub fn tokens(&self) -> u32 {
        // The balance never exceeds max_tokens × 1000, so the quotient fits.
        u32::try_from(self.balance_milli / MILLI_PER_TOKEN).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spends until refused; returns how many retries went out.
    fn drain(budget: &mut RetryBudget) -> u32 {
        let mut spent = 0;
        while budget.try_spend() {
            spent += 1;
        }
        spent
    }

    #[test]
    fn starts_full_and_an_empty_budget_refuses() {
        let mut budget = RetryBudget::new(0.1, 10);
        assert_eq!(budget.tokens(), 10);
        assert_eq!(drain(&mut budget), 10);
        assert!(!budget.try_spend());
        assert_eq!(budget.tokens(), 0);
    }

    #[test]
    fn ratio_one_tenth_allows_one_retry_per_ten_requests_in_steady_state() {
        let mut budget = RetryBudget::new(0.1, 10);
        drain(&mut budget);
        // Every request fails and wants a retry: the budget lets exactly a tenth through.
        let mut retries = 0;
        for request in 1..=10_000 {
            budget.on_request();
            if budget.try_spend() {
                retries += 1;
                assert_eq!(request % 10, 0, "the token is complete on every tenth request");
            }
        }
        assert_eq!(retries, 1_000);
    }

    #[test]
    fn savings_are_capped_at_max_tokens() {
        let mut budget = RetryBudget::new(0.5, 3);
        drain(&mut budget);
        for _ in 0..100 {
            budget.on_request();
        }
        assert_eq!(budget.tokens(), 3);
        assert_eq!(drain(&mut budget), 3);
    }

    #[test]
    fn a_zero_or_nonsense_ratio_never_refills() {
        for ratio in [0.0, -1.0, f64::NAN, 0.0004] {
            let mut budget = RetryBudget::new(ratio, 2);
            drain(&mut budget);
            for _ in 0..1_000 {
                budget.on_request();
            }
            assert!(!budget.try_spend(), "ratio {ratio}");
        }
    }

    #[test]
    fn a_zero_cap_never_allows_a_retry() {
        let mut budget = RetryBudget::new(1.0, 0);
        budget.on_request();
        assert!(!budget.try_spend());
    }
}
