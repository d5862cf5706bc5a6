//! What the payment runs measure: per-kind outcomes by cause, latency percentiles (HDR
//! histograms), attempts at B, A's busy workers, B's queue, the breaker's state, how long
//! payments took to recover after the faults, and a one-sentence verdict.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{SimDuration, SimTime};
use faultline_outcome::{FaultWindow, Metrics, Series};
use hdrhistogram::Histogram;

use super::nodes::{Answer, Cause, PayObs};
use super::{CallPolicy, Kind, PaymentConfig};
use crate::stats::{Bins, StepMax, percentile_unsorted};

/// How close (in success-rate points) to its level before the faults `pay` must come back,
/// and for how many consecutive seconds, to count as recovered.
const RECOVERY_TOLERANCE: f64 = 0.02;
const RECOVERY_HOLD_S: u64 = 5;

/// The calls A is waiting on B for, and per bin the longest any of them had waited by the
/// bin's end (or by its own end, for a call that ended in the bin): a call B never
/// answers shows as a wait that grows for ever. A bin in which A waited on nothing has no
/// value (NaN), not a wait of 0.
struct Waiting {
    /// (when the attempt was sent, request id) of every call still waited for.
    open: BTreeSet<(SimTime, u64)>,
    /// When each open call was sent, by request id (one attempt at a time per request).
    sent: BTreeMap<u64, SimTime>,
    longest_s: Vec<f64>,
    /// Bins whose end has been sampled.
    sampled: usize,
}

impl Waiting {
    fn new(bins: &Bins) -> Waiting {
        let longest_s = vec![f64::NAN; bins.count()];
        Waiting { open: BTreeSet::new(), sent: BTreeMap::new(), longest_s, sampled: 0 }
    }

    fn called(&mut self, bins: &Bins, at: SimTime, id: u64) {
        self.sample_until(bins, at);
        self.open.insert((at, id));
        self.sent.insert(id, at);
        self.note(bins, at, at);
    }

    fn ended(&mut self, bins: &Bins, at: SimTime, id: u64) {
        self.sample_until(bins, at);
        if let Some(sent) = self.sent.remove(&id) {
            self.open.remove(&(sent, id));
            self.note(bins, at, sent);
        }
    }

    fn idle(&mut self, bins: &Bins, at: SimTime) {
        self.sample_until(bins, at);
        self.open.clear();
        self.sent.clear();
    }

    /// A call sent at `sent` had waited until `at`: the longest of its bin, if longer.
    fn note(&mut self, bins: &Bins, at: SimTime, sent: SimTime) {
        if let Some(longest_s) = self.longest_s.get_mut(bins.index(at)) {
            *longest_s = longest_s.max(at.since(sent).as_secs_f64());
        }
    }

    /// Samples the oldest open call at the end of every bin that ended by `at` (calls change
    /// only at observations, so that is exact).
    fn sample_until(&mut self, bins: &Bins, at: SimTime) {
        while self.sampled < self.longest_s.len() && bins.start(self.sampled + 1) <= at {
            let edge = bins.start(self.sampled + 1);
            if let Some(&(oldest, _)) = self.open.first() {
                let waited_s = edge.since(oldest).as_secs_f64();
                let longest_s = &mut self.longest_s[self.sampled];
                *longest_s = longest_s.max(waited_s);
            }
            self.sampled += 1;
        }
    }

    /// The longest wait per bin, as (bin start, seconds) points; the last bin's calls are
    /// sampled at the run's `end`.
    fn points(mut self, bins: &Bins, end: SimTime) -> Vec<(f64, f64)> {
        self.sample_until(bins, end);
        if let (Some(&(oldest, _)), Some(last)) =
            (self.open.first(), self.longest_s.get_mut(self.sampled))
        {
            *last = last.max(end.since(oldest).as_secs_f64());
        }
        self.longest_s.iter().enumerate().map(|(i, &s)| (bins.start_s(i), s)).collect()
    }
}

/// When and how a request was answered.
type Answered = (SimTime, Answer);

/// Collects the observations of one run.
pub(super) struct Watcher {
    /// By request id (ids are dense from 0): when it was sent, what it was, and when and
    /// how it was answered.
    requests: Vec<(SimTime, Kind, Option<Answered>)>,
    /// The charts' bins: one second, wider in a long run.
    bins: Bins,
    first_tries: Counts,
    retries: Counts,
    short_circuited: Counts,
    breaker: Vec<(f64, f64)>,
    auth_busy: StepMax<1_000>,
    waiting: Waiting,
    payments_queue: StepMax<1_000>,
    wasted: u64,
    skipped: u64,
}

/// Events counted in all, and per bin for a chart.
struct Counts {
    total: u64,
    per_bin: Vec<u32>,
}

impl Counts {
    fn new(bins: &Bins) -> Counts {
        Counts { total: 0, per_bin: vec![0; bins.count()] }
    }

    fn bump(&mut self, bins: &Bins, at: SimTime) {
        self.total += 1;
        // An event at the very end of the run is counted, but falls in no bin.
        if let Some(n) = self.per_bin.get_mut(bins.index(at)) {
            *n += 1;
        }
    }

    /// Per second, averaged over each bin.
    fn rates(&self, bins: &Bins) -> Vec<(f64, f64)> {
        crate::stats::rates_of_counts(self.per_bin.iter().map(|&n| u64::from(n)), bins)
    }
}

/// One run's numbers, series and verdict.
pub(super) struct Summary {
    pub metrics: BTreeMap<String, f64>,
    pub series: Vec<Series>,
    pub verdict: String,
}

/// The one-second bin `at` falls in. Integer division, not `as_secs_f64`, on the hot path;
/// the two agree for any run shorter than a hundred days.
fn second(at: SimTime) -> u64 {
    at.as_nanos() / 1_000_000_000
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
    /// Per second sent, for the seconds in which some were sent: (second, requests, ok).
    /// Recovery is judged second by second however long the run.
    per_s: Vec<(u64, u64, u64)>,
    /// Per chart bin sent: latencies in microseconds of those that succeeded (kept for
    /// payments only, for the p99 chart).
    latency_us_per_bin: Vec<Vec<u64>>,
    latency_us: Option<Histogram<u64>>,
}

fn rate(ok: u64, n: u64) -> f64 {
    if n == 0 { 1.0 } else { ok as f64 / n as f64 }
}

impl Watcher {
    /// A watcher of a run that lasts `duration`.
    pub(super) fn new(duration: SimDuration) -> Watcher {
        let bins = Bins::seconds(duration);
        Watcher {
            requests: Vec::new(),
            bins,
            first_tries: Counts::new(&bins),
            retries: Counts::new(&bins),
            short_circuited: Counts::new(&bins),
            breaker: Vec::new(),
            auth_busy: StepMax::default(),
            waiting: Waiting::new(&bins),
            payments_queue: StepMax::default(),
            wasted: 0,
            skipped: 0,
        }
    }

    pub(super) fn observe(&mut self, at: SimTime, obs: PayObs) {
        match obs {
            PayObs::Sent { id, kind } => {
                debug_assert_eq!(id as usize, self.requests.len(), "request ids are dense");
                self.requests.push((at, kind, None));
            }
            PayObs::Answered { id, answer } => {
                self.requests[id as usize].2 = Some((at, answer));
            }
            PayObs::Attempt { id, first } => {
                let counts = if first { &mut self.first_tries } else { &mut self.retries };
                counts.bump(&self.bins, at);
                self.waiting.called(&self.bins, at, id);
            }
            PayObs::CallEnded { id } => self.waiting.ended(&self.bins, at, id),
            PayObs::ShortCircuited => self.short_circuited.bump(&self.bins, at),
            PayObs::Breaker(state) => self.breaker.push((at.as_secs_f64(), state.index() as f64)),
            PayObs::AuthBusy(n) => {
                self.auth_busy.set(at, u64::from(n));
                // No busy worker, no call to wait for: this is how a restart drops them.
                if n == 0 {
                    self.waiting.idle(&self.bins, at);
                }
            }
            PayObs::PaymentsQueue(n) => self.payments_queue.set(at, u64::from(n)),
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
        let bins = self.bins;
        let first_fault_s = windows.iter().map(|w| w.from_s).fold(f64::INFINITY, f64::min);
        let last_fault_end_s = windows.iter().map(|w| w.until_s).fold(f64::NEG_INFINITY, f64::max);
        let in_faults = |s: f64| windows.iter().any(|w| s >= w.from_s && s < w.until_s);

        let mut kinds: [KindStats; 2] = Default::default();
        kinds[Kind::Pay as usize].latency_us_per_bin = vec![Vec::new(); bins.count()];
        for &(sent_at, kind, answered) in &self.requests {
            let stats = &mut kinds[kind as usize];
            let sent_s = sent_at.as_secs_f64();
            let sent_second = second(sent_at);
            // Requests are numbered as they are sent: seconds come in order.
            match stats.per_s.last_mut() {
                Some(last) if last.0 == sent_second => last.1 += 1,
                _ => stats.per_s.push((sent_second, 1, 0)),
            }
            stats.requests += 1;
            let faulty = in_faults(sent_s);
            stats.in_faults += u64::from(faulty);
            let before = sent_s < first_fault_s;
            stats.before_faults += u64::from(before);
            // Every request is answered or timed out by the end: arrivals stop a deadline
            // before it. One that is not (a run cut short) counts as a timeout.
            let (answered_at, answer) =
                answered.unwrap_or((sent_at + duration, Answer::Failed(Cause::Timeout)));
            let latency_us = answered_at.since(sent_at).as_nanos() / 1_000;
            // The chart's latencies are of payments that succeeded: a failure's latency says
            // how fast it failed, and drawn as a latency it makes a dead service look fast.
            if kind == Kind::Pay && answer == Answer::Ok {
                if let Some(latencies) = stats.latency_us_per_bin.get_mut(bins.index(sent_at)) {
                    latencies.push(latency_us);
                }
            }
            let histogram = stats.latency_us.get_or_insert_with(|| {
                Histogram::new_with_bounds(1, 24 * 3_600 * 1_000_000, 3).expect("valid bounds")
            });
            histogram.saturating_record(latency_us.max(1));
            match answer {
                Answer::Ok => {
                    stats.ok += 1;
                    stats.per_s.last_mut().expect("this request's second").2 += 1;
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
            let success = success_per_bin(&k.per_s, &bins);
            let chart = match kind {
                Kind::Login => super::LOGIN_SUCCESS,
                Kind::Pay => super::PAY_SUCCESS,
            };
            series.push(Series::new(chart, success));
        }

        // The p99 latency per bin, for payments that succeeded: where none did there is no
        // latency to draw, and the line breaks. A p50 line per variant beside it would double
        // a crowded chart.
        let [login, mut pay] = kinds;
        let p99: Vec<(f64, f64)> = (pay.latency_us_per_bin.iter_mut().enumerate())
            .map(|(bin, latencies)| {
                let p99_ms = if latencies.is_empty() {
                    f64::NAN
                } else {
                    percentile_unsorted(latencies, 99.0) as f64 / 1_000.0
                };
                (bins.start_s(bin), p99_ms)
            })
            .collect();
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
            recovered_at(&pay.per_s, baseline, last_fault_end_s)
                .map(|s| (s as f64 - last_fault_end_s).max(0.0))
        };
        metrics.put(super::RECOVERED, if recovery_s.is_some() { 1.0 } else { 0.0 });
        // Absent when it never came back: the time left in the run is not a recovery time,
        // and a sweep must not average it with real ones.
        if let Some(recovery_s) = recovery_s {
            metrics.put(super::RECOVERY_S, recovery_s);
        }

        let (first_tries, retries) = (self.first_tries.total, self.retries.total);
        let attempts = first_tries + retries;
        metrics.put(super::DOWNSTREAM_ATTEMPTS, attempts as f64);
        metrics.put(super::DOWNSTREAM_FIRST_TRIES, first_tries as f64);
        metrics.put(super::DOWNSTREAM_RETRIES, retries as f64);
        let amplification =
            if pay.requests == 0 { 0.0 } else { attempts as f64 / pay.requests as f64 };
        metrics.put(super::DOWNSTREAM_AMPLIFICATION, amplification);
        metrics.put(super::DOWNSTREAM_WASTED, self.wasted as f64);
        metrics.put(super::DOWNSTREAM_SKIPPED, self.skipped as f64);
        let short_circuited = self.short_circuited.total;
        metrics.put(super::BREAKER_SHORT_CIRCUITED, short_circuited as f64);
        let busy_in_faults = self.auth_busy.max_within(windows) as u32;
        metrics.put(super::AUTH_BUSY_MAX_IN_FAULTS, f64::from(busy_in_faults));

        let attempts_chart = super::ATTEMPTS.for_variant(variant);
        let first_tries = self.first_tries.rates(&bins);
        series.push(Series::labelled(&attempts_chart, "first tries", first_tries));
        series.push(Series::labelled(&attempts_chart, "retries", self.retries.rates(&bins)));
        if policy.breaker.is_some() {
            let refused = self.short_circuited.rates(&bins);
            series.push(Series::labelled(&attempts_chart, "short-circuited", refused));
        }
        let busy = self.auth_busy.points(&bins, bins.count());
        series.push(Series::new(super::AUTH_BUSY, busy));
        let waiting = self.waiting.points(&bins, SimTime::ZERO + duration);
        series.push(Series::new(super::PAY_WAITING, waiting));
        let queued = self.payments_queue.points(&bins, bins.count());
        series.push(Series::new(super::PAYMENTS_QUEUE, queued));
        if policy.breaker.is_some() {
            let mut steps = vec![(0.0, 0.0)];
            steps.extend(self.breaker);
            series.push(Series::new(super::BREAKER, steps));
        }

        let verdict = verdict(&Facts {
            pay_in: (pay.ok_in_faults, pay.in_faults),
            pay_all: (pay.ok, pay.requests),
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

/// The success rate of the requests sent in each bin, from per-second counts (second,
/// requests, ok) in time order. A bin in which none were sent has no rate (NaN): the line
/// breaks there rather than join its neighbours over it.
fn success_per_bin(per_s: &[(u64, u64, u64)], bins: &Bins) -> Vec<(f64, f64)> {
    let mut per_bin = vec![(0, 0); bins.count()];
    for &(second, n, ok) in per_s {
        if let Some(counts) = per_bin.get_mut(bins.index(SimTime::from_secs(second))) {
            *counts = (counts.0 + n, counts.1 + ok);
        }
    }
    let point = |(bin, &(n, ok)): (usize, &(u64, u64))| {
        (bins.start_s(bin), if n == 0 { f64::NAN } else { rate(ok, n) })
    };
    per_bin.iter().enumerate().map(point).collect()
}

/// The first second at or after the last fault from which payments, second by second,
/// hold within RECOVERY_TOLERANCE of `baseline` for RECOVERY_HOLD_S seconds (a second in
/// which none were sent does not break the hold). `per_s` is (second, requests, ok) for the
/// seconds in which some were sent, in order. `None`: they never came back.
fn recovered_at(per_s: &[(u64, u64, u64)], baseline: f64, last_fault_end_s: f64) -> Option<u64> {
    let healthy = |&(_, n, ok): &(u64, u64, u64)| rate(ok, n) >= baseline - RECOVERY_TOLERANCE;
    let start = last_fault_end_s.max(0.0) as u64;
    let first = per_s.partition_point(|&(second, ..)| second < start);
    (first..per_s.len()).map(|i| (i, per_s[i].0)).find_map(|(i, second)| {
        let mut held = per_s[i..].iter().take_while(|&&(s, ..)| s < second + RECOVERY_HOLD_S);
        held.all(healthy).then_some(second)
    })
}

/// What a verdict is built from.
struct Facts {
    /// Payments sent during faults: (ok, all).
    pay_in: (u64, u64),
    /// Payments sent at any time: (ok, all).
    pay_all: (u64, u64),
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
        // Over the whole run, not the (empty) fault windows.
        return match f.pay_all {
            (_, 0) => "no faults, and no payments".to_owned(),
            (ok, n) => format!("no faults; {} of payments succeeded", pct(ok as f64 / n as f64)),
        };
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
    fn a_second_without_payments_has_no_success_rate_and_does_not_break_a_recovery() {
        // (second, requests, ok): nothing sent in seconds 1 and 2.
        let per_s = [(0, 4, 4), (3, 2, 1), (4, 1, 1), (5, 1, 1), (6, 1, 1), (7, 1, 1), (8, 1, 1)];
        let success = success_per_bin(&per_s, &Bins::seconds(SimDuration::from_secs(10)));
        let rates: Vec<f64> = success.iter().map(|&(_, r)| r).collect();
        assert_eq!(rates[0], 1.0);
        assert!(rates[1].is_nan() && rates[2].is_nan() && rates[9].is_nan(), "{rates:?}");
        assert_eq!(rates[3], 0.5);
        // Back at 4 s: 4..8 all succeed; second 3 at 50% is not.
        assert_eq!(recovered_at(&per_s, 1.0, 2.0), Some(4));
        assert_eq!(recovered_at(&per_s, 1.0, 9.0), None);
    }

    #[test]
    fn attempt_rates_agree_with_the_shared_rates_in_the_last_partial_bin() {
        // A 2.5 s run: the last one-second bin covers half a second.
        let bins = Bins::seconds(SimDuration::from_millis(2_500));
        let times = [100, 1_200, 2_100, 2_200].map(SimTime::from_millis);
        let mut counts = Counts::new(&bins);
        times.iter().for_each(|&at| counts.bump(&bins, at));
        let shared = crate::stats::rates(times.into_iter(), &bins);
        assert_eq!(counts.rates(&bins), shared);
        assert_eq!(shared.last(), Some(&(2.0, 4.0)), "two in half a second is 4 a second");
    }

    fn facts() -> Facts {
        Facts {
            pay_in: (0, 1_500),
            pay_all: (3_000, 4_500),
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
