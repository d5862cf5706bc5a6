//! Circuit breakers for calls from one service to another: a breaker with the semantics users
//! know from resilience4j (sliding window, failure and slow-call rates, half-open trials), and
//! the article's broken one, which opens for good, behind one enum the caller uses.

use std::collections::VecDeque;

use faultline_engine::{SimDuration, SimTime};

const NS_PER_S: u64 = 1_000_000_000;

/// Where a breaker stands; the order of `index` is the order charts stack them in.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through and their outcomes are watched.
    Closed,
    /// A few trial calls go through to see whether the callee has recovered.
    HalfOpen,
    /// Calls are refused at once (short-circuited) without reaching the callee.
    Open,
}

impl BreakerState {
    /// The name resilience4j uses: `CLOSED`, `HALF_OPEN`, `OPEN`.
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "CLOSED",
            BreakerState::HalfOpen => "HALF_OPEN",
            BreakerState::Open => "OPEN",
        }
    }

    /// 0, 1, 2 for `Closed`, `HalfOpen`, `Open`: a dense index for per-state counters.
    pub fn index(self) -> usize {
        match self {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }
}

/// Which recent outcomes a CLOSED breaker judges by.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SlidingWindow {
    /// The last `calls` outcomes.
    Count { calls: u32 },
    /// Outcomes that ended in the last `seconds` seconds, kept in one-second buckets (by the
    /// whole second of virtual time they ended in), so an outcome expires when its bucket is
    /// `seconds` seconds old: up to a second earlier than an exact window would drop it.
    Time { seconds: u32 },
}

/// A resilience4j-style breaker's settings. Rates are fractions in 0..=1, not percentages.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakerConfig {
    /// Opens when the failure rate is at or above this.
    pub failure_rate_threshold: f64,
    /// Opens when the slow-call rate is at or above this; 1.0 means only "all calls slow"
    /// trips it, and anything above 1.0 turns slow-call detection off.
    pub slow_call_rate_threshold: f64,
    /// A call at least this long is slow.
    pub slow_call_duration: SimDuration,
    pub window: SlidingWindow,
    /// No verdict before this many calls are in the window.
    pub minimum_calls: u32,
    /// How long OPEN refuses everything before it lets trial calls through.
    pub wait_in_open: SimDuration,
    /// Trial calls permitted in HALF_OPEN; the verdict is taken over exactly these.
    pub half_open_calls: u32,
}

impl Default for BreakerConfig {
    /// resilience4j's defaults, so a scenario that names no settings behaves like a breaker
    /// built with `CircuitBreakerConfig.ofDefaults()`.
    fn default() -> BreakerConfig {
        BreakerConfig {
            failure_rate_threshold: 0.5,
            slow_call_rate_threshold: 1.0,
            slow_call_duration: SimDuration::from_secs(60),
            window: SlidingWindow::Count { calls: 100 },
            minimum_calls: 100,
            wait_in_open: SimDuration::from_secs(60),
            half_open_calls: 10,
        }
    }
}

/// Counts of outcomes: one call, one bucket, a whole window or a set of trials.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Tally {
    calls: u32,
    failures: u32,
    slow: u32,
}

impl Tally {
    fn one(failed: bool, slow: bool) -> Tally {
        Tally { calls: 1, failures: u32::from(failed), slow: u32::from(slow) }
    }

    fn add(&mut self, other: Tally) {
        self.calls = self.calls.saturating_add(other.calls);
        self.failures = self.failures.saturating_add(other.failures);
        self.slow = self.slow.saturating_add(other.slow);
    }

    fn remove(&mut self, other: Tally) {
        debug_assert!(self.calls >= other.calls, "removing more calls than were added");
        self.calls -= other.calls;
        self.failures -= other.failures;
        self.slow -= other.slow;
    }
}

/// The outcomes a CLOSED breaker judges by, with their running total.
#[derive(Clone, Debug)]
enum Window {
    Count { calls_max: usize, outcomes: VecDeque<Tally>, total: Tally },
    Time { seconds: u64, buckets: VecDeque<(u64, Tally)>, total: Tally },
}

impl Window {
    fn new(spec: SlidingWindow) -> Window {
        // A zero-sized window could never reach a verdict; treat it as one (validation of
        // scenario files should reject it before it gets here). Storage grows with use, so a
        // huge window costs memory only for outcomes actually recorded.
        match spec {
            SlidingWindow::Count { calls } => Window::Count {
                calls_max: calls.max(1) as usize,
                outcomes: VecDeque::new(),
                total: Tally::default(),
            },
            SlidingWindow::Time { seconds } => Window::Time {
                seconds: u64::from(seconds.max(1)),
                buckets: VecDeque::new(),
                total: Tally::default(),
            },
        }
    }

    fn record(&mut self, now: SimTime, call: Tally) {
        match self {
            Window::Count { calls_max, outcomes, total } => {
                if outcomes.len() == *calls_max {
                    let oldest = outcomes.pop_front().unwrap();
                    total.remove(oldest);
                }
                outcomes.push_back(call);
                total.add(call);
            }
            Window::Time { seconds, buckets, total } => {
                let second = now.as_nanos() / NS_PER_S;
                // Buckets `seconds` or more seconds old have left the window.
                while let Some(&(bucket_second, bucket)) = buckets.front() {
                    if second - bucket_second.min(second) < *seconds {
                        break;
                    }
                    buckets.pop_front();
                    total.remove(bucket);
                }
                match buckets.back_mut() {
                    // Virtual time never runs backwards; should a caller report out of order,
                    // the outcome joins the newest bucket rather than resurrecting an old one.
                    Some((bucket_second, bucket)) if *bucket_second >= second => bucket.add(call),
                    _ => buckets.push_back((second, call)),
                }
                total.add(call);
            }
        }
    }

    fn total(&self) -> Tally {
        match self {
            Window::Count { total, .. } | Window::Time { total, .. } => *total,
        }
    }

    fn clear(&mut self) {
        match self {
            Window::Count { outcomes, total, .. } => {
                outcomes.clear();
                *total = Tally::default();
            }
            Window::Time { buckets, total, .. } => {
                buckets.clear();
                *total = Tally::default();
            }
        }
    }
}

#[derive(Clone, Debug)]
enum Phase {
    Closed,
    Open {
        since: SimTime,
    },
    HalfOpen {
        since: SimTime,
        /// Trial calls let through so far.
        admitted: u32,
        /// Outcomes of those trials so far.
        trials: Tally,
    },
}

/// A circuit breaker with resilience4j's semantics.
#[derive(Clone, Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    /// Used only while CLOSED; emptied whenever the breaker leaves CLOSED.
    window: Window,
    phase: Phase,
}

impl CircuitBreaker {
    pub fn new(config: BreakerConfig) -> CircuitBreaker {
        let window = Window::new(config.window);
        CircuitBreaker { config, window, phase: Phase::Closed }
    }

    /// May a call start at `now`? OPEN becomes HALF_OPEN on the first request after
    /// `wait_in_open` has passed; HALF_OPEN admits at most `half_open_calls` trial calls;
    /// everything else in OPEN or HALF_OPEN is refused (short-circuited).
    pub fn try_acquire(&mut self, now: SimTime) -> bool {
        let half_open_calls = self.half_open_calls();
        match &mut self.phase {
            Phase::Closed => true,
            Phase::Open { since } => {
                // Like resilience4j without automaticTransitionFromOpenToHalfOpenEnabled: no
                // timer, the first request after the wait moves it on and is the first trial.
                if now.since(*since) < self.config.wait_in_open {
                    return false;
                }
                self.phase = Phase::HalfOpen { since: now, admitted: 1, trials: Tally::default() };
                true
            }
            Phase::HalfOpen { admitted, .. } => {
                if *admitted >= half_open_calls {
                    return false;
                }
                *admitted += 1;
                true
            }
        }
    }

    /// The outcome of an admitted call that ended at `now` after `duration`. Every admitted
    /// call must be reported (a timeout is a failure): HALF_OPEN waits for all its trials.
    pub fn on_result(&mut self, now: SimTime, success: bool, duration: SimDuration) {
        // A failure is a failure whatever its duration, and also slow if it took long (a
        // resilience4j SLOW_ERROR); a slow success counts toward the slow-call rate only.
        let call = Tally::one(!success, duration >= self.config.slow_call_duration);
        let half_open_calls = self.half_open_calls();
        match &mut self.phase {
            // Calls admitted before the breaker opened may still end while it is open. Their
            // outcomes are ignored: the verdict that opened it is taken, and the next one is
            // the trials'.
            Phase::Open { .. } => {}
            Phase::Closed => {
                self.window.record(now, call);
                let total = self.window.total();
                // Evaluated after every outcome, but only once the window holds enough calls
                // for a rate to mean something.
                if total.calls >= self.minimum_calls() && self.trips(total) {
                    self.open(now);
                }
            }
            Phase::HalfOpen { since, trials, .. } => {
                // Deliberately stricter than resilience4j, which would count a call admitted
                // while CLOSED that happens to end now as one of the trials: only calls that
                // started after the breaker turned HALF_OPEN are trials, so the verdict is on
                // exactly the calls it let through to probe the callee.
                let started =
                    SimTime::from_nanos(now.as_nanos().saturating_sub(duration.as_nanos()));
                if started < *since {
                    return;
                }
                trials.add(call);
                if trials.calls < half_open_calls {
                    return;
                }
                // All trials are in: judged over exactly those, with no minimum-calls rule.
                let trials = *trials;
                if self.trips(trials) {
                    // A fresh wait from now, not from the first opening.
                    self.open(now);
                } else {
                    // The window was emptied on opening: CLOSED starts with a clean slate,
                    // not with the failures that opened it.
                    self.phase = Phase::Closed;
                }
            }
        }
    }

    pub fn state(&self) -> BreakerState {
        match self.phase {
            Phase::Closed => BreakerState::Closed,
            Phase::HalfOpen { .. } => BreakerState::HalfOpen,
            Phase::Open { .. } => BreakerState::Open,
        }
    }

    fn open(&mut self, now: SimTime) {
        self.phase = Phase::Open { since: now };
        self.window.clear();
    }

    /// Is either rate at or above its threshold? Plain IEEE division is correctly rounded, so
    /// 5 of 10 failures against a threshold of 0.5 compares exactly equal, on every platform.
    fn trips(&self, tally: Tally) -> bool {
        if tally.calls == 0 {
            return false;
        }
        let calls = f64::from(tally.calls);
        f64::from(tally.failures) / calls >= self.config.failure_rate_threshold
            || f64::from(tally.slow) / calls >= self.config.slow_call_rate_threshold
    }

    fn minimum_calls(&self) -> u32 {
        // As in resilience4j, a count window smaller than the minimum lowers the minimum to
        // the window's size: otherwise the breaker could never open.
        let minimum_calls = match self.config.window {
            SlidingWindow::Count { calls } => self.config.minimum_calls.min(calls),
            SlidingWindow::Time { .. } => self.config.minimum_calls,
        };
        minimum_calls.max(1)
    }

    fn half_open_calls(&self) -> u32 {
        // Zero trials would leave it HALF_OPEN forever; one is the least that can decide.
        self.config.half_open_calls.max(1)
    }
}

/// How many failures the article's breaker tolerates: it opens when `retryCount > 3`.
const ARTICLE_FAILURES_TOLERATED: u32 = 3;

/// The article's breaker, faithfully: it counts failures forever (no window), opens after
/// more than three, never closes again (no half-open probe, no reset), and knows nothing of
/// time.
#[derive(Clone, Debug, Default)]
pub struct ArticleBreaker {
    /// The article's `retryCount`, which counts failures, not retries.
    failures: u32,
    open: bool,
}

impl ArticleBreaker {
    pub fn new() -> ArticleBreaker {
        ArticleBreaker::default()
    }

    /// Refuses everything once open, however long ago that was: `now` is ignored, like the
    /// article's unused `timeout` field.
    pub fn try_acquire(&mut self, _now: SimTime) -> bool {
        !self.open
    }

    /// Counts a failure; successes change nothing (the count is never reset), and so does
    /// the duration: a slow call is not a failure to it.
    pub fn on_result(&mut self, _now: SimTime, success: bool, _duration: SimDuration) {
        if success || self.open {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures > ARTICLE_FAILURES_TOLERATED {
            self.open = true;
        }
    }

    /// Only ever `Closed` or, from the fourth failure on, `Open`.
    pub fn state(&self) -> BreakerState {
        if self.open { BreakerState::Open } else { BreakerState::Closed }
    }
}

/// The breaker a caller uses: either kind, chosen by the scenario's variant.
#[derive(Clone, Debug)]
pub enum Breaker {
    Resilient(CircuitBreaker),
    Article(ArticleBreaker),
}

impl Breaker {
    /// See `CircuitBreaker::try_acquire` and `ArticleBreaker::try_acquire`.
    pub fn try_acquire(&mut self, now: SimTime) -> bool {
        match self {
            Breaker::Resilient(breaker) => breaker.try_acquire(now),
            Breaker::Article(breaker) => breaker.try_acquire(now),
        }
    }

    /// See `CircuitBreaker::on_result` and `ArticleBreaker::on_result`.
    pub fn on_result(&mut self, now: SimTime, success: bool, duration: SimDuration) {
        match self {
            Breaker::Resilient(breaker) => breaker.on_result(now, success, duration),
            Breaker::Article(breaker) => breaker.on_result(now, success, duration),
        }
    }

    pub fn state(&self) -> BreakerState {
        match self {
            Breaker::Resilient(breaker) => breaker.state(),
            Breaker::Article(breaker) => breaker.state(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BreakerState::{Closed, HalfOpen, Open};

    const FAST: SimDuration = SimDuration::from_millis(10);
    const SLOW: SimDuration = SimDuration::from_secs(2);
    const WAIT: SimDuration = SimDuration::from_secs(10);

    fn at_ms(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    /// Fails half or more of at least 5 calls; slow calls (>= 1 s) trip it only if all are
    /// slow; waits 10 s in OPEN; 3 trials in HALF_OPEN.
    fn config(window: SlidingWindow) -> BreakerConfig {
        BreakerConfig {
            failure_rate_threshold: 0.5,
            slow_call_rate_threshold: 1.0,
            slow_call_duration: SimDuration::from_secs(1),
            window,
            minimum_calls: 5,
            wait_in_open: WAIT,
            half_open_calls: 3,
        }
    }

    fn count_breaker() -> CircuitBreaker {
        CircuitBreaker::new(config(SlidingWindow::Count { calls: 10 }))
    }

    /// Admits and reports one fast call at `now`.
    fn call(breaker: &mut CircuitBreaker, now: SimTime, success: bool) {
        assert!(breaker.try_acquire(now), "a call at {now:?} was refused in {:?}", breaker.state());
        breaker.on_result(now, success, FAST);
    }

    /// A breaker opened at 1 s by five failures.
    fn opened_at_1s() -> CircuitBreaker {
        let mut breaker = count_breaker();
        for _ in 0..5 {
            call(&mut breaker, at_ms(1_000), false);
        }
        assert_eq!(breaker.state(), Open);
        breaker
    }

    #[test]
    fn state_names_and_indices_are_stable() {
        let names: Vec<_> = [Closed, HalfOpen, Open].map(|s| (s.name(), s.index())).into();
        assert_eq!(names, [("CLOSED", 0), ("HALF_OPEN", 1), ("OPEN", 2)]);
    }

    #[test]
    fn count_window_waits_for_the_minimum_number_of_calls() {
        let mut breaker = count_breaker();
        for _ in 0..4 {
            call(&mut breaker, at_ms(0), false);
        }
        assert_eq!(breaker.state(), Closed, "4 of 4 failed, but 5 calls are needed for a verdict");
        call(&mut breaker, at_ms(0), false);
        assert_eq!(breaker.state(), Open);
    }

    #[test]
    fn failure_rate_exactly_at_the_threshold_opens() {
        let ten_calls = |failures: usize| {
            let mut breaker = CircuitBreaker::new(BreakerConfig {
                minimum_calls: 10,
                ..config(SlidingWindow::Count { calls: 10 })
            });
            for i in 0..10 {
                call(&mut breaker, at_ms(0), i >= failures);
            }
            breaker.state()
        };
        assert_eq!(ten_calls(4), Closed, "40% is below 50%");
        assert_eq!(ten_calls(5), Open, "50% is at the threshold");
    }

    #[test]
    fn count_window_forgets_outcomes_beyond_the_last_n() {
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            failure_rate_threshold: 0.6,
            minimum_calls: 4,
            ..config(SlidingWindow::Count { calls: 4 })
        });
        for success in [false, false, true, true, false] {
            call(&mut breaker, at_ms(0), success);
        }
        // 3 of 5 failed (60%), but the window is the last four: F S S F, 50%.
        assert_eq!(breaker.state(), Closed);
        call(&mut breaker, at_ms(0), false);
        assert_eq!(breaker.state(), Closed, "S S F F: 50%");
        call(&mut breaker, at_ms(0), false);
        assert_eq!(breaker.state(), Open, "S F F F: 75%");
    }

    #[test]
    fn a_count_window_smaller_than_the_minimum_can_still_open() {
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            minimum_calls: 100,
            ..config(SlidingWindow::Count { calls: 3 })
        });
        for _ in 0..3 {
            call(&mut breaker, at_ms(0), false);
        }
        assert_eq!(breaker.state(), Open);
    }

    #[test]
    fn time_window_forgets_failures_older_than_the_window() {
        let window = SlidingWindow::Time { seconds: 10 };
        // Four failures at 1.5 s, then one more within the window: five of five, open.
        let mut breaker = CircuitBreaker::new(config(window));
        for _ in 0..4 {
            call(&mut breaker, at_ms(1_500), false);
        }
        call(&mut breaker, at_ms(10_900), false);
        assert_eq!(breaker.state(), Open);
        // The same failures, but the fifth comes when the first four have expired (their
        // bucket, second 1, leaves the window at 11 s): one call, no verdict.
        let mut breaker = CircuitBreaker::new(config(window));
        for _ in 0..4 {
            call(&mut breaker, at_ms(1_500), false);
        }
        call(&mut breaker, at_ms(11_000), false);
        assert_eq!(breaker.state(), Closed);
        for _ in 0..3 {
            call(&mut breaker, at_ms(12_000), false);
        }
        assert_eq!(breaker.state(), Closed, "only 4 failures are in the window");
        call(&mut breaker, at_ms(12_000), false);
        assert_eq!(breaker.state(), Open);
    }

    #[test]
    fn time_window_rate_counts_only_recent_successes_too() {
        let mut breaker = CircuitBreaker::new(config(SlidingWindow::Time { seconds: 5 }));
        // Many old successes would dilute the failure rate if they were still counted.
        for _ in 0..20 {
            call(&mut breaker, at_ms(0), true);
        }
        for _ in 0..5 {
            call(&mut breaker, at_ms(6_000), false);
        }
        assert_eq!(breaker.state(), Open, "25 calls, 5 failed, but only the 5 failures are recent");
    }

    #[test]
    fn slow_calls_open_it() {
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            slow_call_rate_threshold: 0.8,
            ..config(SlidingWindow::Count { calls: 10 })
        });
        let slow_call_duration = breaker.config.slow_call_duration;
        for i in 0..5 {
            assert!(breaker.try_acquire(at_ms(0)));
            // Four slow successes, one exactly at the threshold (which counts as slow).
            let duration = if i == 0 {
                FAST
            } else if i == 1 {
                slow_call_duration
            } else {
                SLOW
            };
            breaker.on_result(at_ms(0), true, duration);
        }
        assert_eq!(breaker.state(), Open, "4 of 5 calls slow, though none failed");
    }

    #[test]
    fn a_slow_success_is_not_a_failure() {
        let mut breaker = count_breaker();
        for duration in [SLOW, SLOW, SLOW, FAST, FAST] {
            assert!(breaker.try_acquire(at_ms(0)));
            breaker.on_result(at_ms(0), true, duration);
        }
        // 60% slow is below the 100% slow threshold, and no call failed.
        assert_eq!(breaker.state(), Closed);
    }

    #[test]
    fn a_slow_failure_is_both_a_failure_and_slow() {
        let slow_failures_then_fast_successes = |config: BreakerConfig| {
            let mut breaker = CircuitBreaker::new(config);
            for (success, duration) in [(false, SLOW), (false, SLOW), (false, SLOW)]
                .into_iter()
                .chain([(true, FAST), (true, FAST)])
            {
                assert!(breaker.try_acquire(at_ms(0)));
                breaker.on_result(at_ms(0), success, duration);
            }
            breaker.state()
        };
        let base = config(SlidingWindow::Count { calls: 10 });
        // Counted as slow: 60% slow against a 50% slow threshold (failures can't trip it).
        let slow_only = BreakerConfig {
            failure_rate_threshold: 1.0,
            slow_call_rate_threshold: 0.5,
            ..base.clone()
        };
        assert_eq!(slow_failures_then_fast_successes(slow_only), Open);
        // Counted as failures: 60% failed against 50%, slow detection off.
        let failures_only = BreakerConfig { slow_call_rate_threshold: 1.1, ..base };
        assert_eq!(slow_failures_then_fast_successes(failures_only), Open);
    }

    #[test]
    fn open_refuses_until_the_wait_has_passed() {
        let mut breaker = opened_at_1s();
        for ms in [1_000, 5_000, 10_999] {
            assert!(!breaker.try_acquire(at_ms(ms)), "at {ms} ms");
            assert_eq!(breaker.state(), Open);
        }
        let just_before = at_ms(11_000).as_nanos() - 1;
        assert!(!breaker.try_acquire(SimTime::from_nanos(just_before)));
        assert!(breaker.try_acquire(at_ms(11_000)), "the wait is over: the first trial");
        assert_eq!(breaker.state(), HalfOpen);
    }

    #[test]
    fn half_open_admits_exactly_the_permitted_trials() {
        let mut breaker = opened_at_1s();
        let after_wait = at_ms(11_000);
        let admitted = (0..10).filter(|_| breaker.try_acquire(after_wait)).count();
        assert_eq!(admitted, 3);
        assert_eq!(breaker.state(), HalfOpen);
        // Still refusing later, while the trials are out.
        assert!(!breaker.try_acquire(at_ms(60_000)));
    }

    #[test]
    fn good_trials_close_it_with_an_empty_window() {
        let mut breaker = opened_at_1s();
        let after_wait = at_ms(11_000);
        for _ in 0..3 {
            assert!(breaker.try_acquire(after_wait));
        }
        // One bad trial of three is below the 50% threshold.
        breaker.on_result(at_ms(11_100), false, FAST);
        breaker.on_result(at_ms(11_100), true, FAST);
        assert_eq!(breaker.state(), HalfOpen, "no verdict before all three trials are in");
        breaker.on_result(at_ms(11_100), true, FAST);
        assert_eq!(breaker.state(), Closed);
        // The five failures that opened it are gone: four new ones are below the minimum.
        for _ in 0..4 {
            call(&mut breaker, at_ms(12_000), false);
        }
        assert_eq!(breaker.state(), Closed);
    }

    #[test]
    fn bad_trials_reopen_it_with_a_fresh_wait() {
        let mut breaker = opened_at_1s();
        for _ in 0..3 {
            assert!(breaker.try_acquire(at_ms(11_000)));
        }
        breaker.on_result(at_ms(11_500), false, FAST);
        breaker.on_result(at_ms(11_500), true, FAST);
        breaker.on_result(at_ms(12_000), false, FAST);
        assert_eq!(breaker.state(), Open, "two of three trials failed");
        // The wait restarts at 12 s, when the verdict was taken.
        assert!(!breaker.try_acquire(at_ms(21_999)));
        assert_eq!(breaker.state(), Open);
        assert!(breaker.try_acquire(at_ms(22_000)));
        assert_eq!(breaker.state(), HalfOpen);
    }

    #[test]
    fn results_that_arrive_while_open_are_ignored() {
        let mut breaker = count_breaker();
        // Ten calls go out while it is closed; the first five fail and open it.
        for _ in 0..10 {
            assert!(breaker.try_acquire(at_ms(0)));
        }
        for _ in 0..5 {
            breaker.on_result(at_ms(1_000), false, SimDuration::from_secs(1));
        }
        assert_eq!(breaker.state(), Open);
        // The other five end while it is open: successes do not close it ...
        for _ in 0..5 {
            breaker.on_result(at_ms(2_000), true, SimDuration::from_secs(2));
        }
        assert_eq!(breaker.state(), Open);
        assert!(!breaker.try_acquire(at_ms(2_000)));
        // ... and do not count as trials later: HALF_OPEN still wants all three of its own.
        for _ in 0..3 {
            assert!(breaker.try_acquire(at_ms(11_000)));
        }
        breaker.on_result(at_ms(11_100), true, FAST);
        breaker.on_result(at_ms(11_100), true, FAST);
        assert_eq!(breaker.state(), HalfOpen);
        breaker.on_result(at_ms(11_100), true, FAST);
        assert_eq!(breaker.state(), Closed);
    }

    #[test]
    fn a_call_from_before_half_open_is_not_a_trial() {
        let mut breaker = count_breaker();
        for _ in 0..6 {
            assert!(breaker.try_acquire(at_ms(0)));
        }
        for _ in 0..5 {
            breaker.on_result(at_ms(1_000), false, SimDuration::from_secs(1));
        }
        assert!(breaker.try_acquire(at_ms(11_000)));
        assert_eq!(breaker.state(), HalfOpen);
        // The sixth call, started at 0 s, fails at 11.5 s: not one of the trials.
        breaker.on_result(at_ms(11_500), false, SimDuration::from_millis(11_500));
        assert!(breaker.try_acquire(at_ms(11_500)));
        assert!(breaker.try_acquire(at_ms(11_500)));
        for _ in 0..3 {
            breaker.on_result(at_ms(11_600), true, FAST);
        }
        assert_eq!(breaker.state(), Closed);
    }

    #[test]
    fn seed_breaker_opens_on_the_fourth_failure() {
        let mut breaker = ArticleBreaker::new();
        for _ in 0..3 {
            assert!(breaker.try_acquire(at_ms(0)));
            breaker.on_result(at_ms(0), false, FAST);
        }
        assert_eq!(breaker.state(), Closed, "three failures are tolerated");
        assert!(breaker.try_acquire(at_ms(0)));
        breaker.on_result(at_ms(0), false, FAST);
        assert_eq!(breaker.state(), Open);
        assert!(!breaker.try_acquire(at_ms(0)));
    }

    #[test]
    fn seed_breaker_successes_never_reset_the_count() {
        let mut breaker = ArticleBreaker::new();
        // Four failures spread over a day, thousands of successes between them.
        for hour in 0..4 {
            for _ in 0..1_000 {
                breaker.on_result(at_ms(hour * 3_600_000), true, FAST);
            }
            assert_eq!(breaker.state(), Closed);
            breaker.on_result(at_ms(hour * 3_600_000 + 1), false, FAST);
        }
        assert_eq!(breaker.state(), Open);
    }

    #[test]
    fn seed_breaker_never_closes() {
        let mut breaker = ArticleBreaker::new();
        for _ in 0..4 {
            breaker.on_result(at_ms(0), false, FAST);
        }
        for hours in [1, 2, 24, 24 * 365] {
            let now = SimTime::from_secs(hours * 3_600);
            assert!(!breaker.try_acquire(now), "still refusing after {hours} h");
            breaker.on_result(now, true, FAST);
            assert_eq!(breaker.state(), Open);
        }
    }

    #[test]
    fn seed_breaker_does_not_treat_slow_calls_as_failures() {
        let mut breaker = ArticleBreaker::new();
        for _ in 0..10 {
            breaker.on_result(at_ms(0), true, SimDuration::from_secs(3_600));
        }
        assert_eq!(breaker.state(), Closed);
    }

    #[test]
    fn breaker_enum_delegates_to_its_kind() {
        let mut resilient = Breaker::Resilient(count_breaker());
        let mut article = Breaker::Article(ArticleBreaker::new());
        for breaker in [&mut resilient, &mut article] {
            // The article's breaker opens on the fourth failure and refuses the fifth call.
            for _ in 0..5 {
                if breaker.try_acquire(at_ms(0)) {
                    breaker.on_result(at_ms(0), false, FAST);
                }
            }
            assert_eq!(breaker.state(), Open);
        }
        // The difference the scenarios show: one probes again after its wait, one never does.
        assert!(resilient.try_acquire(at_ms(10_000)));
        assert_eq!(resilient.state(), HalfOpen);
        assert!(!article.try_acquire(at_ms(10_000)));
        assert_eq!(article.state(), Open);
    }

    #[test]
    fn defaults_are_resilience4js() {
        let config = BreakerConfig::default();
        assert_eq!(config.window, SlidingWindow::Count { calls: 100 });
        assert_eq!(config.minimum_calls, 100);
        assert_eq!(config.failure_rate_threshold, 0.5);
        assert_eq!(config.wait_in_open, SimDuration::from_secs(60));
        assert_eq!(config.half_open_calls, 10);
    }
}
