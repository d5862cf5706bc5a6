//! What the payment runs measure: per-kind outcomes by cause, latency percentiles (HDR
//! histograms), attempts at B, A's busy workers, B's queue, the breaker's state, how long
//! payments took to recover after the faults, and a one-sentence verdict.

use std::collections::BTreeMap;

use faultline_engine::{SimDuration, SimTime};
use faultline_outcome::{FaultWindow, Metrics, Series};
use hdrhistogram::Histogram;

use super::nodes::{Answer, Cause, PayObs};
use super::{CallPolicy, Kind, PaymentConfig};
use crate::stats::percentile_unsorted;

/// How close (in success-rate points) to its level before the faults `pay` must come back,
/// and for how many consecutive seconds, to count as recovered.
const RECOVERY_TOLERANCE: f64 = 0.02;
const RECOVERY_HOLD_S: usize = 5;

/// The running maximum of a step function per one-second bin, carrying the current value
/// through seconds without changes (a pool stuck at 64 busy workers reports 64, not 0).
#[derive(Default)]
struct StepMax {
    bins: Vec<u32>,
    current: u32,
}

impl StepMax {
    fn set(&mut self, at: SimTime, value: u32) {
        let bin = second(at);
        self.fill_to(bin);
        self.current = value;
        self.bins[bin] = self.bins[bin].max(value);
    }

    fn fill_to(&mut self, bin: usize) {
        while self.bins.len() <= bin {
            self.bins.push(self.current);
        }
    }

    fn points(mut self, seconds: usize) -> Vec<(f64, f64)> {
        self.fill_to(seconds.saturating_sub(1));
        self.bins.iter().take(seconds).enumerate().map(|(s, &v)| (s as f64, f64::from(v))).collect()
    }

    fn max_within(&self, windows: &[FaultWindow]) -> u32 {
        let in_window = |s: usize| {
            windows.iter().any(|w| (s as f64) >= w.from_s.floor() && (s as f64) < w.until_s)
        };
        self.bins
            .iter()
            .enumerate()
            .filter(|(s, _)| in_window(*s))
            .map(|(_, &v)| v)
            .max()
            .unwrap_or(0)
    }
}

/// When and how a request was answered.
type Answered = (SimTime, Answer);

/// Collects the observations of one run.
#[derive(Default)]
pub(super) struct Watcher {
    /// By request id (ids are dense from 0): when it was sent, what it was, and when and
    /// how it was answered.
    requests: Vec<(SimTime, Kind, Option<Answered>)>,
    first_tries_per_s: Vec<u32>,
    retries_per_s: Vec<u32>,
    short_circuited_per_s: Vec<u32>,
    breaker: Vec<(f64, f64)>,
    auth_busy: StepMax,
    payments_queue: StepMax,
    wasted: u64,
    skipped: u64,
}

/// One run's numbers, series and verdict.
pub(super) struct Summary {
    pub metrics: BTreeMap<String, f64>,
    pub series: Vec<Series>,
    pub verdict: String,
}

/// The one-second bin `at` falls in. Integer division, not `as_secs_f64`, on the hot path;
/// the two agree for any run shorter than a hundred days.
fn second(at: SimTime) -> usize {
    (at.as_nanos() / 1_000_000_000) as usize
}

fn bump(bins: &mut Vec<u32>, at: SimTime) {
    let bin = second(at);
    if bins.len() <= bin {
        bins.resize(bin + 1, 0);
    }
    bins[bin] += 1;
}

/// Outcomes of one kind of request.
#[derive(Default)]
struct KindStats {
    requests: u64,
    ok: u64,
    degraded: u64,
    /// By cause, in the order of `Cause::ALL`.
    failed: [u64; Cause::ALL.len()],
    in_faults: u64,
    ok_in_faults: u64,
    before_faults: u64,
    ok_before_faults: u64,
    /// Per second sent: (requests, ok).
    per_s: Vec<(u64, u64)>,
    /// Per second sent: latencies in microseconds (kept for payments only, for the p99 chart).
    latency_us_per_s: Vec<Vec<u64>>,
    latency_us: Option<Histogram<u64>>,
}

fn rate(ok: u64, n: u64) -> f64 {
    if n == 0 { 1.0 } else { ok as f64 / n as f64 }
}

impl Watcher {
    pub(super) fn observe(&mut self, at: SimTime, obs: PayObs) {
        match obs {
            PayObs::Sent { id, kind } => {
                debug_assert_eq!(id as usize, self.requests.len(), "request ids are dense");
                self.requests.push((at, kind, None));
            }
            PayObs::Answered { id, answer } => {
                self.requests[id as usize].2 = Some((at, answer));
            }
            PayObs::Attempt { first: true } => bump(&mut self.first_tries_per_s, at),
            PayObs::Attempt { first: false } => bump(&mut self.retries_per_s, at),
            PayObs::ShortCircuited => bump(&mut self.short_circuited_per_s, at),
            PayObs::Breaker(state) => self.breaker.push((at.as_secs_f64(), state.index() as f64)),
            PayObs::AuthBusy(n) => self.auth_busy.set(at, n),
            PayObs::PaymentsQueue(n) => self.payments_queue.set(at, n),
            PayObs::Wasted => self.wasted += 1,
            PayObs::Skipped => self.skipped += 1,
        }
    }

    pub(super) fn summarise(
        self,
        windows: &[FaultWindow],
        duration: SimDuration,
        config: &PaymentConfig,
        policy: &CallPolicy,
        variant: &str,
    ) -> Summary {
        let seconds = duration.as_secs_f64().ceil() as usize;
        let first_fault_s = windows.iter().map(|w| w.from_s).fold(f64::INFINITY, f64::min);
        let last_fault_end_s = windows.iter().map(|w| w.until_s).fold(f64::NEG_INFINITY, f64::max);
        let in_faults = |s: f64| windows.iter().any(|w| s >= w.from_s && s < w.until_s);

        let mut kinds: [KindStats; 2] = Default::default();
        for &(sent_at, kind, answered) in &self.requests {
            let stats = &mut kinds[kind as usize];
            let sent_s = sent_at.as_secs_f64();
            let bin = second(sent_at);
            if stats.per_s.len() <= bin {
                stats.per_s.resize(bin + 1, (0, 0));
            }
            stats.requests += 1;
            stats.per_s[bin].0 += 1;
            let faulty = in_faults(sent_s);
            stats.in_faults += u64::from(faulty);
            let before = sent_s < first_fault_s;
            stats.before_faults += u64::from(before);
            // Every request is answered or timed out by the end: arrivals stop a deadline
            // before it. One that is not (a run cut short) counts as a timeout.
            let (answered_at, answer) =
                answered.unwrap_or((sent_at + duration, Answer::Failed(Cause::Timeout)));
            let latency_us = answered_at.since(sent_at).as_nanos() / 1_000;
            if kind == Kind::Pay {
                if stats.latency_us_per_s.len() <= bin {
                    stats.latency_us_per_s.resize(bin + 1, Vec::new());
                }
                stats.latency_us_per_s[bin].push(latency_us);
            }
            let histogram = stats.latency_us.get_or_insert_with(|| {
                Histogram::new_with_bounds(1, 24 * 3_600 * 1_000_000, 3).expect("valid bounds")
            });
            histogram.saturating_record(latency_us.max(1));
            match answer {
                Answer::Ok => {
                    stats.ok += 1;
                    stats.per_s[bin].1 += 1;
                    stats.ok_in_faults += u64::from(faulty);
                    stats.ok_before_faults += u64::from(before);
                }
                Answer::Degraded => stats.degraded += 1,
                Answer::Failed(cause) => stats.failed[cause as usize] += 1,
            }
        }

        let mut metrics = Metrics::default();
        let mut series = Vec::new();
        for kind in [Kind::Login, Kind::Pay] {
            let k = &kinds[kind as usize];
            let name = kind.name();
            // A kind nobody sent has no rates, no latencies, not even a count worth a
            // column: its metrics are absent, not "0 requests, 100% success".
            if k.requests == 0 {
                continue;
            }
            metrics.put_of(super::REQUESTS, name, k.requests as f64);
            metrics.put_of(super::OK, name, k.ok as f64);
            if kind == Kind::Pay {
                metrics.put(super::PAY_DEGRADED, k.degraded as f64);
            }
            for cause in Cause::ALL {
                let failed = k.failed[cause as usize];
                metrics.put_of(super::failed(cause), name, failed as f64);
            }
            metrics.put_of(super::SUCCESS_RATE, name, rate(k.ok, k.requests));
            if k.in_faults > 0 {
                let in_faults = rate(k.ok_in_faults, k.in_faults);
                metrics.put(super::success_rate_in_faults(kind), in_faults);
            }
            if let Some(latency_us) = &k.latency_us {
                let quantile_ms = |q: f64| latency_us.value_at_quantile(q) as f64 / 1_000.0;
                metrics.put_of(super::LATENCY_P50_MS, name, quantile_ms(0.50));
                metrics.put_of(super::LATENCY_P99_MS, name, quantile_ms(0.99));
            }
            let success: Vec<(f64, f64)> = k
                .per_s
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| *n > 0)
                .map(|(s, &(n, ok))| (s as f64, rate(ok, n)))
                .collect();
            let chart = match kind {
                Kind::Login => super::LOGIN_SUCCESS,
                Kind::Pay => super::PAY_SUCCESS,
            };
            series.push(Series::new(chart, success));
        }

        // The p99 latency per second, for payments: the tail is where timeouts show, and
        // a p50 line per variant beside it would double a crowded chart.
        let [login, mut pay] = kinds;
        let mut p99 = Vec::new();
        for (s, latencies) in pay.latency_us_per_s.iter_mut().enumerate() {
            if latencies.is_empty() {
                continue;
            }
            p99.push((s as f64, percentile_unsorted(latencies, 99.0) as f64 / 1_000.0));
        }
        series.push(Series::new(super::PAY_LATENCY, p99));

        // Recovery: the first second after the last fault from which `pay` holds within
        // RECOVERY_TOLERANCE of its level before the first fault for RECOVERY_HOLD_S seconds.
        let baseline = rate(pay.ok_before_faults, pay.before_faults);
        let arrivals_end_s = config.arrivals_until.as_secs_f64();
        // Recovery needs payments before the faults (the level to come back to) and after
        // them (the coming back); without either it cannot be measured, and is not claimed.
        let unmeasurable = last_fault_end_s >= arrivals_end_s || pay.before_faults == 0;
        // `None`: it never came back (or could not be seen to).
        let recovery_s = if windows.is_empty() {
            Some(0.0)
        } else if unmeasurable {
            None
        } else {
            let rates: Vec<Option<f64>> =
                pay.per_s.iter().map(|&(n, ok)| (n > 0).then(|| rate(ok, n))).collect();
            let healthy = |s: usize| {
                rates.get(s).copied().flatten().is_none_or(|r| r >= baseline - RECOVERY_TOLERANCE)
            };
            let last_data = rates.iter().rposition(Option::is_some);
            let start = last_fault_end_s.max(0.0) as usize;
            let found = last_data.and_then(|last| {
                (start..=last).find(|&s| {
                    rates[s].is_some() && (s..=(s + RECOVERY_HOLD_S - 1).min(last)).all(healthy)
                })
            });
            found.map(|s| (s as f64 - last_fault_end_s).max(0.0))
        };
        metrics.put(super::RECOVERED, if recovery_s.is_some() { 1.0 } else { 0.0 });
        // Absent when it never came back: the time left in the run is not a recovery time,
        // and a sweep must not average it with real ones.
        if let Some(recovery_s) = recovery_s {
            metrics.put(super::RECOVERY_S, recovery_s);
        }

        let first_tries: u64 = self.first_tries_per_s.iter().map(|&n| u64::from(n)).sum();
        let retries: u64 = self.retries_per_s.iter().map(|&n| u64::from(n)).sum();
        let attempts = first_tries + retries;
        metrics.put(super::DOWNSTREAM_ATTEMPTS, attempts as f64);
        metrics.put(super::DOWNSTREAM_FIRST_TRIES, first_tries as f64);
        metrics.put(super::DOWNSTREAM_RETRIES, retries as f64);
        let amplification =
            if pay.requests == 0 { 0.0 } else { attempts as f64 / pay.requests as f64 };
        metrics.put(super::DOWNSTREAM_AMPLIFICATION, amplification);
        metrics.put(super::DOWNSTREAM_WASTED, self.wasted as f64);
        metrics.put(super::DOWNSTREAM_SKIPPED, self.skipped as f64);
        let short_circuited: u64 = self.short_circuited_per_s.iter().map(|&n| u64::from(n)).sum();
        metrics.put(super::BREAKER_SHORT_CIRCUITED, short_circuited as f64);
        let busy_in_faults = self.auth_busy.max_within(windows);
        metrics.put(super::AUTH_BUSY_MAX_IN_FAULTS, f64::from(busy_in_faults));

        let per_s = |bins: &[u32]| -> Vec<(f64, f64)> {
            (0..seconds).map(|s| (s as f64, f64::from(bins.get(s).copied().unwrap_or(0)))).collect()
        };
        let attempts_chart = super::ATTEMPTS.for_variant(variant);
        series.push(Series::labelled(
            &attempts_chart,
            "first tries",
            per_s(&self.first_tries_per_s),
        ));
        series.push(Series::labelled(&attempts_chart, "retries", per_s(&self.retries_per_s)));
        if policy.breaker.is_some() {
            let refused = per_s(&self.short_circuited_per_s);
            series.push(Series::labelled(&attempts_chart, "short-circuited", refused));
        }
        series.push(Series::new(super::AUTH_BUSY, self.auth_busy.points(seconds)));
        series.push(Series::new(super::PAYMENTS_QUEUE, self.payments_queue.points(seconds)));
        if policy.breaker.is_some() {
            let mut steps = vec![(0.0, 0.0)];
            steps.extend(self.breaker);
            series.push(Series::new(super::BREAKER, steps));
        }

        let verdict = verdict(&Facts {
            pay_in: (pay.ok_in_faults, pay.in_faults),
            login_in: (login.in_faults > 0).then(|| rate(login.ok_in_faults, login.in_faults)),
            login_before: rate(login.ok_before_faults, login.before_faults),
            busy_in_faults,
            workers: config.auth_workers,
            short_circuited,
            degraded: pay.degraded,
            recovery_s,
            amplification,
            faulty: !windows.is_empty(),
            recovery_unmeasurable: unmeasurable,
        });
        Summary { metrics: metrics.into_map(), series, verdict }
    }
}

/// What a verdict is built from.
struct Facts {
    /// Payments sent during faults: (ok, all).
    pay_in: (u64, u64),
    /// `None` when no logins were sent during the faults.
    login_in: Option<f64>,
    login_before: f64,
    busy_in_faults: u32,
    workers: u32,
    short_circuited: u64,
    degraded: u64,
    /// `None` when payments never came back.
    recovery_s: Option<f64>,
    amplification: f64,
    faulty: bool,
    /// No payments before the faults, or none after them: recovery could not be seen.
    recovery_unmeasurable: bool,
}

/// One sentence: what happened to payments and logins during the faults, why, and whether
/// (and how fast) payments came back.
fn verdict(f: &Facts) -> String {
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let (pay_ok, pay_n) = f.pay_in;
    let pay_rate = if pay_n == 0 { 1.0 } else { pay_ok as f64 / pay_n as f64 };
    if !f.faulty {
        return format!("no faults; {} of payments succeeded", pct(pay_rate));
    }
    if pay_n == 0 {
        let logins =
            f.login_in.map_or("no requests".to_string(), |l| format!("{} of logins", pct(l)));
        return format!("no payments were sent during the faults; {logins} succeeded.");
    }
    // A cascade: payments failed, logins fell with them, and every worker was busy.
    let cascade = f
        .login_in
        .filter(|&l| pay_ok < pay_n && l < f.login_before - 0.25 && f.busy_in_faults >= f.workers);
    let logins = f.login_in.map(|l| format!(" and {} of logins", pct(l))).unwrap_or_default();
    let mut text = if let Some(login_in) = cascade {
        format!(
            "{} of the {pay_n} payments during the faults failed and logins fell to {} because all \
             {} workers of auth were waiting on payments",
            pay_n - pay_ok,
            pct(login_in),
            f.workers
        )
    } else if f.short_circuited > 0 && f.login_in.is_some() {
        let fallback = if f.degraded > 0 {
            format!(", and {} payments were accepted for later", f.degraded)
        } else {
            String::new()
        };
        let login_in = f.login_in.unwrap_or(1.0);
        // Honest about logins: they may have dipped before the breaker opened.
        let logins = if login_in < f.login_before - 0.02 {
            format!("logins fell only to {}", pct(login_in))
        } else {
            format!("logins stayed at {}", pct(login_in))
        };
        format!(
            "the breaker short-circuited {} calls, so {logins} while {} of payments during the \
             faults succeeded{fallback}",
            f.short_circuited,
            pct(pay_rate)
        )
    } else if f.short_circuited > 0 {
        format!(
            "the breaker short-circuited {} calls while {} of payments during the faults succeeded",
            f.short_circuited,
            pct(pay_rate)
        )
    } else {
        format!("{} of payments{logins} during the faults succeeded", pct(pay_rate))
    };
    if f.recovery_unmeasurable {
        // Say nothing of recovery: the run never saw the faults end.
    } else {
        match f.recovery_s {
            Some(s) if s < 0.5 => text.push_str("; payments were back as soon as the faults ended"),
            Some(s) => {
                text.push_str(&format!("; payments were back {s:.0} s after the faults ended"))
            }
            None => text.push_str("; payments never came back"),
        }
    }
    if f.amplification >= 1.5 {
        text.push_str(&format!(", and each payment cost {:.1} calls to payments", f.amplification));
    }
    text.push('.');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_function_holds_its_value_through_quiet_seconds() {
        let mut busy = StepMax::default();
        busy.set(SimTime::from_millis(500), 3);
        busy.set(SimTime::from_millis(1_200), 64);
        busy.set(SimTime::from_millis(4_100), 2);
        let points = busy.points(6);
        let values: Vec<f64> = points.iter().map(|&(_, v)| v).collect();
        // Second 4 saw 64 until 4.1 s, then 2; second 5 holds 2.
        assert_eq!(values, [3.0, 64.0, 64.0, 64.0, 64.0, 2.0]);
    }

    fn facts() -> Facts {
        Facts {
            pay_in: (0, 1_500),
            login_in: Some(0.04),
            login_before: 1.0,
            busy_in_faults: 64,
            workers: 64,
            short_circuited: 0,
            degraded: 0,
            recovery_s: Some(3.0),
            amplification: 1.0,
            faulty: true,
            recovery_unmeasurable: false,
        }
    }

    #[test]
    fn verdicts_name_the_cascade_and_its_cause() {
        assert_eq!(
            verdict(&facts()),
            "1500 of the 1500 payments during the faults failed and logins fell to 4% because \
             all 64 workers of auth were waiting on payments; payments were back 3 s after the \
             faults ended."
        );
    }

    #[test]
    fn verdicts_credit_the_breaker_and_say_when_payments_never_came_back() {
        let f = Facts { login_in: Some(1.0), short_circuited: 900, recovery_s: None, ..facts() };
        let text = verdict(&f);
        assert!(
            text.starts_with("the breaker short-circuited 900 calls, so logins stayed at 100%")
        );
        assert!(text.ends_with("; payments never came back."), "{text}");
    }
}
