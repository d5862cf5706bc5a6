//! The orders checker: from the history alone (orders placed, answers given, events received,
//! cards charged, stock moved) it finds lost events, double charges, untruthful answers,
//! overselling and views that never converge, each explained with the order it concerns.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{NodeId, SimDuration, SimTime};
use faultline_outcome::{FaultWindow, Metrics, Series, Violation};

use super::nodes::{OrdersObs, Told};
use super::{
    ANSWERS, BACKLOG, CONVERGENCE, EXACTLY_ONCE_CHARGE, INCONSISTENT, NO_LOST_EVENT, NO_OVERSELL,
    TRUTHFUL_ANSWER,
};
use crate::setup::RunSetup;
use crate::stats::{Bins, StepMax, percentile, rates};

/// The backlog chart's finest resolution, in milliseconds: fine enough to show a
/// redelivery wave, coarse enough that a 60 s run is a few hundred points however many
/// entries move. A long run's chart takes wider bins.
const BACKLOG_BUCKET_MS: u64 = 100;

#[derive(Default)]
pub(super) struct Checker {
    placed: BTreeMap<u32, SimTime>,
    told: BTreeMap<u32, (Told, SimTime)>,
    published: BTreeMap<u32, SimTime>,
    outboxed: BTreeSet<u32>,
    appended: BTreeSet<u32>,
    received: BTreeSet<u32>,
    redelivered: u64,
    /// When each order was charged, every time it was.
    charged: BTreeMap<u32, Vec<SimTime>>,
    declined: BTreeSet<u32>,
    refunded: BTreeMap<u32, SimTime>,
    settled: BTreeMap<u32, SimTime>,
    stock_min: Option<i64>,
    oversold: u64,
    /// When, which order, which product, and the stock it left.
    first_oversell: Option<(SimTime, u32, u32, i64)>,
    /// The most entries waiting in each [`BACKLOG_BUCKET_MS`], and the most ever.
    backlog: StepMax<BACKLOG_BUCKET_MS>,
    backlog_max: u64,
}

/// An order whose views disagree (the shop's, the payment provider's, the inventory's, and
/// what its customer was told) from `from` until `until`, or to the end of the run.
struct Disagreement {
    order: u32,
    from: SimTime,
    until: Option<SimTime>,
    /// What disagrees, completing "order N …".
    why: &'static str,
}

/// What the model reports of a run: metrics, violations, chart series, a verdict.
pub(super) struct Summary {
    pub metrics: BTreeMap<String, f64>,
    pub violations: Vec<Violation>,
    pub series: Vec<Series>,
    pub verdict: String,
}

fn said(told: Told) -> &'static str {
    match told {
        Told::Completed => "completed",
        Told::Failed => "failed",
        Told::Pending => "pending",
        Told::OutOfStock => "out of stock",
    }
}

impl Checker {
    pub(super) fn observe(&mut self, at: SimTime, _node: NodeId, obs: OrdersObs) {
        match obs {
            OrdersObs::Placed { order } => {
                self.placed.insert(order, at);
            }
            OrdersObs::Told { order, told } => {
                self.told.entry(order).or_insert((told, at));
            }
            OrdersObs::Published { order } => {
                self.published.entry(order).or_insert(at);
            }
            OrdersObs::Outboxed { order } => {
                self.outboxed.insert(order);
            }
            OrdersObs::Appended { order } => {
                self.appended.insert(order);
            }
            OrdersObs::Refunded { order } => {
                self.refunded.entry(order).or_insert(at);
            }
            OrdersObs::Received { order, deliveries } => {
                self.received.insert(order);
                self.redelivered += u64::from(deliveries > 1);
            }
            OrdersObs::Charged { order } => {
                self.charged.entry(order).or_default().push(at);
            }
            OrdersObs::Declined { order } => {
                self.declined.insert(order);
            }
            OrdersObs::Settled { order } => {
                self.settled.insert(order, at);
            }
            OrdersObs::Stock { order, product, level } => {
                self.stock_min = Some(self.stock_min.map_or(level, |min| min.min(level)));
                if level < 0 {
                    self.oversold += 1;
                    self.first_oversell.get_or_insert((at, order, product, level));
                }
            }
            OrdersObs::Backlog { entries } => {
                self.backlog.set(at, entries);
                self.backlog_max = self.backlog_max.max(entries);
            }
        }
    }

    /// Charged, and not refunded by the end: the customer paid.
    fn paid(&self, order: u32) -> bool {
        self.charged.contains_key(&order) && !self.refunded.contains_key(&order)
    }

    /// Every order whose views disagreed at some time, and over what. An order in flight
    /// (published, not yet processed) disagrees only if it never is.
    fn disagreements(&self) -> Vec<Disagreement> {
        let mut out = Vec::new();
        for (&order, times) in &self.charged {
            let until = self.settled.get(&order).copied();
            out.push(Disagreement {
                order,
                from: times[0],
                until,
                why: "was charged but the inventory never heard of it",
            });
        }
        let processed = |o: &u32| self.charged.contains_key(o) || self.declined.contains(o);
        for (&order, &at) in self.published.iter().filter(|(o, _)| !processed(o)) {
            let why = "is still waiting for a payment the worker never made";
            out.push(Disagreement { order, from: at, until: None, why });
        }
        for (&order, &(told, at)) in &self.told {
            let (from, why) = match told {
                Told::Completed if !self.paid(order) => match self.refunded.get(&order) {
                    Some(&refunded) => {
                        (at.max(refunded), "was refunded after its customer was told \"completed\"")
                    }
                    None => (at, "was told \"completed\" and never charged"),
                },
                Told::Failed if self.paid(order) => {
                    (at.max(self.charged[&order][0]), "was told \"failed\" and charged")
                }
                _ => continue,
            };
            out.push(Disagreement { order, from, until: None, why });
        }
        out
    }

    pub(super) fn finish(
        self,
        setup: &RunSetup,
        windows: &[FaultWindow],
        end: SimTime,
        variant: &str,
    ) -> Summary {
        let checks = |invariant| setup.checks(invariant);
        let mut violations = Vec::new();
        let charged = |order: &u32| self.charged.contains_key(order);

        // Events the worker never received, and that nothing still holds: not the log, not
        // the shop's outbox. Those are only late (`events.undelivered`).
        let unreceived = |o: &&u32| !self.received.contains(o);
        let held = |o: &u32| self.appended.contains(o) || self.outboxed.contains(o);
        let lost: Vec<u32> =
            self.published.keys().filter(unreceived).copied().filter(|o| !held(o)).collect();
        let undelivered = self.published.keys().filter(unreceived).filter(|o| held(o)).count();
        if let (Some(&order), true) = (lost.first(), checks(NO_LOST_EVENT)) {
            let told = self.told.get(&order).map_or("nothing", |(t, _)| said(*t));
            let detail = format!(
                "order {order}'s payment event was published at {:.1} s but the payment worker never \
                 received it; the customer was told \"{told}\" and was {}charged",
                self.published[&order].as_secs_f64(),
                if charged(&order) { "" } else { "never " }
            );
            // At the publish: the diagram of the violation shows the event going nowhere.
            let at = self.published[&order] + SimDuration::from_millis(10);
            violations
                .push(Violation::new(NO_LOST_EVENT, at, "worker", detail).about(order.into()));
        }
        // Charged twice.
        let twice: Vec<(u32, &[SimTime])> = self
            .charged
            .iter()
            .filter(|(_, times)| times.len() > 1)
            .map(|(&o, times)| (o, times.as_slice()))
            .collect();
        if let (Some(&(order, times)), true) = (twice.first(), checks(EXACTLY_ONCE_CHARGE)) {
            let detail = format!(
                "order {order} was charged {} times, first at {:.1} s and again at {:.1} s: its \
                 payment event was handed out again after a charge that was never acknowledged",
                times.len(),
                times[0].as_secs_f64(),
                times[1].as_secs_f64()
            );
            let violation = Violation::new(EXACTLY_ONCE_CHARGE, times[1], "worker", detail);
            violations.push(violation.about(order.into()));
        }
        // Answers that the end of the run contradicts.
        let mut false_failures = 0u64;
        let mut false_completions = 0u64;
        let mut first_untruth = None;
        for (&order, &(told, at)) in &self.told {
            let untrue = match told {
                Told::Failed => self.paid(order),
                Told::Completed => !self.paid(order),
                Told::Pending | Told::OutOfStock => false,
            };
            if untrue {
                if told == Told::Failed {
                    false_failures += 1;
                } else {
                    false_completions += 1;
                }
                first_untruth.get_or_insert((order, told, at));
            }
        }
        if let (Some((order, told, at)), true) = (first_untruth, checks(TRUTHFUL_ANSWER)) {
            let told_at = format!(
                "order {order}'s customer was told \"{}\" at {:.1} s",
                said(told),
                at.as_secs_f64()
            );
            let charged_at = self.charged.get(&order).map(|times| times[0].as_secs_f64());
            let detail = match (charged_at, self.refunded.get(&order)) {
                (Some(charged_s), Some(refunded)) => format!(
                    "{told_at}, but the payment taken at {charged_s:.1} s was refunded at {:.1} s: \
                     the item was gone",
                    refunded.as_secs_f64()
                ),
                (Some(charged_s), None) => {
                    format!("{told_at}, but the card was charged at {charged_s:.1} s")
                }
                (None, _) => format!("{told_at}, but the card was never charged"),
            };
            violations
                .push(Violation::new(TRUTHFUL_ANSWER, at, "shop", detail).about(order.into()));
        }
        if let (Some((at, order, product, level)), true) =
            (self.first_oversell, checks(NO_OVERSELL))
        {
            let detail = format!(
                "order {order} was charged for product {product} when none was left: its stock \
                 reached {level} at {:.1} s",
                at.as_secs_f64()
            );
            let violation = Violation::new(NO_OVERSELL, at, "inventory", detail);
            violations.push(violation.about(u64::from(order)));
        }
        // Views that still disagree when the run ends.
        let disagreements = self.disagreements();
        let unsettled: Vec<&Disagreement> =
            disagreements.iter().filter(|d| d.until.is_none()).collect();
        if let (Some(first), true) = (unsettled.iter().min_by_key(|d| d.order), checks(CONVERGENCE))
        {
            let orders: BTreeSet<u32> = unsettled.iter().map(|d| d.order).collect();
            let detail = format!(
                "when the run ended, the views of {} orders still disagreed: order {} {}",
                orders.len(),
                first.order,
                first.why
            );
            let violation = Violation::new(CONVERGENCE, end, "inventory", detail);
            violations.push(violation.about(first.order.into()));
        }
        violations.sort_by_key(|v| v.at);

        let mut metrics = Metrics::default();
        let count = |told: Told| self.told.values().filter(|(t, _)| *t == told).count() as f64;
        metrics.put(super::PLACED, self.placed.len() as f64);
        metrics.put(super::CHARGED, self.charged.len() as f64);
        metrics.put(super::TOLD_COMPLETED, count(Told::Completed));
        metrics.put(super::TOLD_FAILED, count(Told::Failed));
        metrics.put(super::TOLD_PENDING, count(Told::Pending));
        metrics.put(super::TOLD_OUT_OF_STOCK, count(Told::OutOfStock));
        let unanswered = self.placed.keys().filter(|o| !self.told.contains_key(o)).count();
        metrics.put(super::UNANSWERED, unanswered as f64);
        metrics.put(super::FALSE_FAILURES, false_failures as f64);
        metrics.put(super::FALSE_COMPLETIONS, false_completions as f64);
        let processed = |o: &u32| charged(o) || self.declined.contains(o);
        let never = self.published.keys().filter(|o| !processed(o)).count();
        metrics.put(super::NEVER_PROCESSED, never as f64);
        metrics.put(super::EVENTS_PUBLISHED, self.published.len() as f64);
        metrics.put(super::EVENTS_LOST, lost.len() as f64);
        metrics.put(super::EVENTS_UNDELIVERED, undelivered as f64);
        metrics.put(super::EVENTS_REDELIVERED, self.redelivered as f64);
        metrics.put(super::CHARGED_TWICE, twice.len() as f64);
        metrics.put(super::OVERSOLD, self.oversold as f64);
        metrics.put(super::REFUNDED, self.refunded.len() as f64);
        if let Some(min) = self.stock_min {
            metrics.put(super::STOCK_MIN, min as f64);
        }
        if !self.backlog.is_empty() {
            // Entries the worker has not acknowledged, handed out or not (Redis's lag plus
            // its pending entries): what the worker still owes.
            metrics.put(super::CONSUMER_LAG_MAX, self.backlog_max as f64);
        }
        let mut latencies_ns: Vec<u64> = self
            .told
            .iter()
            .filter_map(|(o, &(_, at))| Some(at.since(*self.placed.get(o)?).as_nanos()))
            .collect();
        latencies_ns.sort_unstable();
        if !latencies_ns.is_empty() {
            metrics.put(super::LATENCY_P50_MS, percentile(&latencies_ns, 50.0) as f64 / 1e6);
            metrics.put(super::LATENCY_P99_MS, percentile(&latencies_ns, 99.0) as f64 / 1e6);
        }
        // Orders whose views disagree, at each bin's edge (each second's, in a short run).
        let bins = Bins::seconds(end - SimTime::ZERO);
        let inconsistent = disagreeing_at_edges(&disagreements, &bins);
        // How long after the last fault the disagreements it left behind took to clear;
        // absent if some never did. Orders still on their way when it ended count, orders
        // placed after it do not: with customers still ordering, some payment is always
        // between the worker and the inventory, and that is the system working.
        let last_fault_s = windows.iter().map(|w| w.until_s).fold(0.0, f64::max);
        if unsettled.is_empty() {
            let cleared_s = disagreements
                .iter()
                .filter(|d| d.from.as_secs_f64() <= last_fault_s)
                .filter_map(|d| d.until)
                .map(|until| until.as_secs_f64() - last_fault_s)
                .fold(0.0, f64::max);
            // To the millisecond: seconds since a fault are a difference of two times.
            metrics.put(super::CONVERGENCE_S, (cleared_s * 1e3).round() / 1e3);
        }
        let answered = self.told.len() as f64;
        let truthful = answered - (false_failures + false_completions) as f64;
        if answered > 0.0 {
            metrics.put(super::TRUTHFUL_SHARE, truthful / answered);
        }

        let told_s = |kind: Told| {
            rates(self.told.values().filter(|(t, _)| *t == kind).map(|&(_, at)| at), &bins)
        };
        let false_s = rates(
            self.told
                .iter()
                .filter(|&(&o, (t, _))| *t == Told::Failed && self.paid(o))
                .map(|(_, &(_, at))| at),
            &bins,
        );
        let answers = ANSWERS.for_variant(variant);
        let mut series = vec![
            Series::labelled(&answers, "completed", told_s(Told::Completed)),
            Series::labelled(&answers, "failed, and true", {
                let all = told_s(Told::Failed);
                all.iter().zip(&false_s).map(|(&(x, n), &(_, f))| (x, n - f)).collect()
            }),
            Series::labelled(&answers, "failed, but charged", false_s),
            Series::labelled(&answers, "pending", told_s(Told::Pending)),
        ];
        if !self.backlog.is_empty() {
            // To the end of the run, the bin holding its last instant included.
            let backlog_bins =
                Bins::over(end - SimTime::ZERO, SimDuration::from_millis(BACKLOG_BUCKET_MS));
            let points = self.backlog.points(&backlog_bins, backlog_bins.index(end) + 1);
            series.push(Series::new(BACKLOG, points));
        }
        series.push(Series::new(INCONSISTENT, inconsistent));
        let placed = self.placed.len();
        let mut wrongs = Vec::new();
        if !lost.is_empty() {
            let published = self.published.len();
            wrongs.push(format!("{} of {published} payment events were lost", lost.len()));
        }
        if false_failures > 0 {
            wrongs.push(format!(
                "{false_failures} customers were told \"failed\" for a payment that went through"
            ));
        }
        let told_completed = |o: &u32| self.told.get(o).is_some_and(|(t, _)| *t == Told::Completed);
        let refunded_after = self.refunded.keys().filter(|o| told_completed(o)).count() as u64;
        if refunded_after > 0 {
            wrongs.push(format!(
                "{refunded_after} customers were told \"completed\" and then refunded: the item was gone"
            ));
        }
        if false_completions > refunded_after {
            wrongs.push(format!(
                "{} were told \"completed\" for a payment that never happened",
                false_completions - refunded_after
            ));
        }
        if !twice.is_empty() {
            wrongs.push(format!("{} orders were charged twice", twice.len()));
        }
        if self.oversold > 0 {
            wrongs.push(format!("{} items were sold that were not in stock", self.oversold));
        }
        let unheard = self.charged.keys().filter(|o| !self.settled.contains_key(o)).count();
        if unheard > 0 {
            wrongs.push(format!("{unheard} charged orders never reached the inventory"));
        }
        if undelivered > 0 {
            wrongs.push(format!(
                "{undelivered} payment events were still waiting for the worker when the run ended"
            ));
        }
        if unanswered > 0 {
            wrongs.push(format!("{unanswered} customers never got an answer"));
        }
        let refunds = self.refunded.len();
        let verdict = match wrongs.as_slice() {
            [] if refunds > 0 => format!(
                "all {placed} orders were processed once, and every answer was true, but {refunds} \
                 payments were refunded because the item was gone."
            ),
            [] => format!(
                "all {placed} orders were processed once, and every answer was true{}.",
                if count(Told::Pending) > 0.0 { " (some said \"pending\")" } else { "" }
            ),
            [only] => format!("{only}."),
            [first @ .., last] => format!("{}, and {last}.", first.join(", ")),
        };
        Summary { metrics: metrics.into_map(), violations, series, verdict }
    }
}

/// How many orders disagree at each bin's edge, from the run's start to its end (the end
/// included): an order counts from the first edge at or after its views parted to the last
/// edge before they met again.
fn disagreeing_at_edges(disagreements: &[Disagreement], bins: &Bins) -> Vec<(f64, f64)> {
    let edges = bins.count();
    let mut disagreeing = vec![0u32; edges + 1];
    let edge_at_or_after = |t: SimTime| (t.as_secs_f64() / bins.width_s()).ceil() as usize;
    for d in disagreements {
        let first = edge_at_or_after(d.from);
        let last = d.until.map_or(edges, |t| edge_at_or_after(t).saturating_sub(1));
        for count in disagreeing.iter_mut().take(last.min(edges) + 1).skip(first) {
            *count += 1;
        }
    }
    disagreeing.iter().enumerate().map(|(i, &n)| (bins.start_s(i), f64::from(n))).collect()
}
