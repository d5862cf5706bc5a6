//! The article's payment story: service A (`auth`) calls service B (`payments`) over
//! an unreliable network. A slow or unreachable B holds A's workers, so `login`, which never
//! touches B, goes down with `pay`: the cascade. The variants are A's policies for calling
//! B — timeouts, retries with backoff and jitter, retry budgets, circuit breakers (and the
//! article's own breaker, which never closes) — compared on the same faults.

mod metrics;
mod nodes;
mod scenario;

use std::cell::RefCell;
use std::rc::Rc;

use faultline_engine::{
    Fault, FaultGen, FaultKind, Latency, LimitExceeded, Prng, RandomFaults, SimDuration, SimTime,
    Simulation, Stream,
};
use faultline_outcome::{
    CellOutcome, ChartId, ChartKind, ChartSpec, FaultWindow, Grid, GridVariant, Invariant, Metric,
    Outcome, Unit,
};

use crate::check::{Check, Step};
use crate::ids::IdWindow;
use crate::model::{FaultSpec, Model};
use crate::resilience::{
    ArticleBreaker, Backoff, Breaker, BreakerConfig, CircuitBreaker, RetryBudget,
};
use crate::setup::RunSetup;
use crate::slowdown::slowdown;
use crate::stats::Bins;
use crate::workload::{Phase, RateSchedule};
pub use nodes::{Answer, Cause, PayMsg, PayNode, PayObs, PayTimer};
pub use scenario::{RawCallPolicy, RawPayment};

/// The nodes, in id order.
pub const NODE_NAMES: [&str; 3] = ["clients", "auth", "payments"];

/// The parts of the metric families reported per kind of request: [`Kind::name`]s.
const KINDS: &[&str] = &["login", "pay"];

pub const REQUESTS: Metric = Metric::new(
    "{kind}.requests",
    Unit::Count,
    "requests of the kind the clients sent (`pay`: payments, `login`: logins); a kind nobody \
     sends reports none of its metrics",
)
.each(KINDS);
pub const OK: Metric = Metric::new(
    "{kind}.ok",
    Unit::Count,
    "requests of the kind answered with success before the client's deadline",
)
.each(KINDS);
pub const PAY_DEGRADED: Metric = Metric::new(
    "pay.degraded",
    Unit::Count,
    "payments the `AcceptForLater` fallback answered \"accepted for later\" while the breaker \
     refused calls, before the client's deadline",
);
pub const FAILED_TIMEOUT: Metric = Metric::new(
    "{kind}.failed.timeout",
    Unit::Count,
    "requests of the kind with no answer in time: the client's deadline passed, or auth's last \
     attempt at payments timed out",
)
.each(KINDS);
pub const FAILED_REJECTED: Metric = Metric::new(
    "{kind}.failed.rejected",
    Unit::Count,
    "requests of the kind that auth turned away at the door because its own queue was full",
)
.each(KINDS);
pub const FAILED_BREAKER_OPEN: Metric = Metric::new(
    "{kind}.failed.breaker_open",
    Unit::Count,
    "requests of the kind failed fast by auth's open breaker under the `FailFast` fallback \
     (always 0 for logins, which never call payments)",
)
.each(KINDS);
pub const FAILED_OVERLOADED: Metric = Metric::new(
    "{kind}.failed.overloaded",
    Unit::Count,
    "requests of the kind that failed because payments' queue was full on auth's last attempt \
     (always 0 for logins)",
)
.each(KINDS);
pub const SUCCESS_RATE: Metric = Metric::new(
    "{kind}.success_rate",
    Unit::Share,
    "the share of the kind's requests that succeeded",
)
.each(KINDS);
pub const PAY_SUCCESS_RATE_IN_FAULTS: Metric = Metric::new(
    "pay.success_rate_in_faults",
    Unit::Share,
    "the share of the payments sent while a fault was active that succeeded; absent when none \
     was sent then",
);
pub const LOGIN_SUCCESS_RATE_IN_FAULTS: Metric = Metric::new(
    "login.success_rate_in_faults",
    Unit::Share,
    "the share of the logins sent while a fault was active that succeeded; absent when none \
     was sent then",
);
pub const LATENCY_P50_MS: Metric = Metric::new(
    "{kind}.latency_p50_ms",
    Unit::Ms,
    "the median time from sending a request of the kind to its answer, or to the client's \
     deadline when none came in time, over all of them, failures included (a histogram to 3 \
     significant digits)",
)
.each(KINDS);
pub const LATENCY_P99_MS: Metric =
    Metric::new("{kind}.latency_p99_ms", Unit::Ms, "the 99th percentile of the same times")
        .each(KINDS);
pub const RECOVERED: Metric = Metric::new(
    "recovered",
    Unit::Flag,
    "whether, after the last fault ended, the payments' success rate per second came back to \
     within 0.02 of its level before the first fault and held there for 5 s (1 without \
     faults); 0 also when that cannot be measured: no payments before the faults, or arrivals \
     that stop before the faults end",
);
pub const RECOVERY_S: Metric = Metric::new(
    "recovery_s",
    Unit::Seconds,
    "from the end of the last fault to the first second from which payments held that level \
     (0 without faults); absent when `recovered` is 0",
);
pub const DOWNSTREAM_FIRST_TRIES: Metric = Metric::new(
    "downstream.first_tries",
    Unit::Count,
    "first calls auth made to payments: one per payment past auth's own work and its breaker",
);
pub const DOWNSTREAM_RETRIES: Metric = Metric::new(
    "downstream.retries",
    Unit::Count,
    "calls auth made to payments again after a timeout or a full queue",
);
pub const DOWNSTREAM_ATTEMPTS: Metric = Metric::new(
    "downstream.attempts",
    Unit::Count,
    "every call auth made to payments: first tries and retries",
);
pub const DOWNSTREAM_AMPLIFICATION: Metric = Metric::new(
    "downstream.amplification",
    Unit::Ratio,
    "calls auth made to payments per payment request (`downstream.attempts` over \
     `pay.requests`); 0 with no payments",
);
pub const DOWNSTREAM_WASTED: Metric = Metric::new(
    "downstream.wasted",
    Unit::Count,
    "calls payments served for an attempt auth had already given up on: work done for nobody",
);
pub const DOWNSTREAM_SKIPPED: Metric = Metric::new(
    "downstream.skipped",
    Unit::Count,
    "queued calls payments dropped unserved because their propagated deadline had passed \
     (only with `propagate_deadlines`)",
);
pub const BREAKER_SHORT_CIRCUITED: Metric = Metric::new(
    "breaker.short_circuited",
    Unit::Count,
    "calls auth's breaker refused without calling payments",
);
pub const AUTH_BUSY_MAX_IN_FAULTS: Metric = Metric::new(
    "auth.busy_max_in_faults",
    Unit::Count,
    "the most of auth's workers busy at once while a fault was active (0 without faults)",
);

/// The family counting the requests that failed for `cause`.
fn failed(cause: Cause) -> Metric {
    match cause {
        Cause::Timeout => FAILED_TIMEOUT,
        Cause::Rejected => FAILED_REJECTED,
        Cause::BreakerOpen => FAILED_BREAKER_OPEN,
        Cause::Overloaded => FAILED_OVERLOADED,
    }
}

/// The success rate, while faults were active, of requests of `kind`.
fn success_rate_in_faults(kind: Kind) -> Metric {
    match kind {
        Kind::Login => LOGIN_SUCCESS_RATE_IN_FAULTS,
        Kind::Pay => PAY_SUCCESS_RATE_IN_FAULTS,
    }
}

pub const PAY_SUCCESS: ChartId = ChartId("pay-success");
pub const LOGIN_SUCCESS: ChartId = ChartId("login-success");
pub const AUTH_BUSY: ChartId = ChartId("auth-busy");
pub const PAY_LATENCY: ChartId = ChartId("pay-latency");
/// The longest auth has been waiting on a call to payments.
pub const PAY_WAITING: ChartId = ChartId("pay-waiting");
pub const PAYMENTS_QUEUE: ChartId = ChartId("payments-queue");
pub const BREAKER: ChartId = ChartId("breaker");
/// Drawn once per variant: its first tries, retries and refused calls, stacked.
pub const ATTEMPTS: ChartId = ChartId("attempts");

/// B works `factor` times slower while it lasts: a drop in capacity (a bad deploy, a noisy
/// neighbour, a garbage-collection storm). Overlapping slowdowns multiply.
pub const SLOWDOWN: FaultSpec =
    slowdown(&["payments"], "payments takes `factor` times as long for every call while it lasts");

/// Service A calls service B; the variants are A's policies for calling B.
pub struct Payment;

impl Model for Payment {
    const NAME: &'static str = "Payment";
    const ABOUT: &'static str = "auth calls payments for every payment; timeouts, retries, \
                                 budgets and circuit breakers against cascades and retry storms";
    /// Its outcomes are measured, not forbidden: no safety invariants.
    const INVARIANTS: &'static [Invariant] = &[];
    const FAULTS: &'static [FaultSpec] = &[SLOWDOWN];
    const METRICS: &'static [Metric] = &[
        REQUESTS,
        OK,
        PAY_DEGRADED,
        FAILED_TIMEOUT,
        FAILED_REJECTED,
        FAILED_BREAKER_OPEN,
        FAILED_OVERLOADED,
        SUCCESS_RATE,
        PAY_SUCCESS_RATE_IN_FAULTS,
        LOGIN_SUCCESS_RATE_IN_FAULTS,
        LATENCY_P50_MS,
        LATENCY_P99_MS,
        RECOVERED,
        RECOVERY_S,
        DOWNSTREAM_FIRST_TRIES,
        DOWNSTREAM_RETRIES,
        DOWNSTREAM_ATTEMPTS,
        DOWNSTREAM_AMPLIFICATION,
        DOWNSTREAM_WASTED,
        DOWNSTREAM_SKIPPED,
        BREAKER_SHORT_CIRCUITED,
        AUTH_BUSY_MAX_IN_FAULTS,
    ];
    const HEADLINE_METRICS: &'static [Metric] = &[
        PAY_SUCCESS_RATE_IN_FAULTS,
        LOGIN_SUCCESS_RATE_IN_FAULTS,
        RECOVERY_S,
        DOWNSTREAM_AMPLIFICATION,
    ];

    type RawConfig = RawPayment;
    type RawPolicy = RawCallPolicy;
    type Config = PaymentConfig;
    type Policy = CallPolicy;

    fn config(raw: &RawPayment, duration: SimDuration, check: &mut Check) -> PaymentConfig {
        scenario::config(raw, duration, check)
    }

    fn policy(raw: &RawCallPolicy, _config: &PaymentConfig, check: &mut Check) -> CallPolicy {
        scenario::policy(raw, check)
    }

    fn node_names(_config: &PaymentConfig) -> Vec<String> {
        NODE_NAMES.iter().map(|n| n.to_string()).collect()
    }

    /// The charts a payment report shows; the stacked attempts chart is per variant. Logins and
    /// the breaker's state get a chart only when there are logins and a breaker to show.
    fn charts(config: &PaymentConfig, variants: &[(&str, &CallPolicy)]) -> Vec<ChartSpec> {
        // "second", or a wider bin's width in a long run.
        let bin = Bins::seconds(config.duration).words();
        let mut charts = vec![ChartSpec::line(
            PAY_SUCCESS,
            format!(
                "Payments that succeed, by {bin} sent: which policy keeps paying, and how soon it \
                 comes back"
            ),
            "pay success rate",
        )];
        if config.pay_fraction < 1.0 {
            charts.push(ChartSpec::line(
                LOGIN_SUCCESS,
                "Logins that succeed: logins never touch payments, yet a cascade takes them down too",
                "login success rate",
            ));
        }
        charts.extend([
            ChartSpec::line(
                AUTH_BUSY,
                format!(
                    "Busy workers of auth (max per {bin}): a pool held by calls to payments is the \
                     cascade"
                ),
                "busy workers",
            ),
            ChartSpec::line(
                PAY_LATENCY,
                format!(
                    "Latency of the payments that succeeded, p99 by {bin} sent: where none did, the \
                     line breaks"
                ),
                "p99 latency (ms)",
            ),
            ChartSpec::line(
                PAY_WAITING,
                format!(
                    "Longest auth waited on a call to payments, per {bin}: a timeout caps it; \
                     without one it grows for ever"
                ),
                "waited (s)",
            ),
            ChartSpec::line(
                PAYMENTS_QUEUE,
                format!(
                    "Queue at payments (max per {bin}): a queue that stays full after the trigger \
                     is a storm"
                ),
                "queued calls",
            ),
        ]);
        if variants.iter().any(|(_, policy)| policy.breaker.is_some()) {
            charts.push(ChartSpec {
                states: ["closed", "half-open", "open"].map(String::from).to_vec(),
                ..ChartSpec::line(
                    BREAKER,
                    "Circuit breaker state: open fails fast, half-open probes, closed is business as usual",
                    "",
                )
                .kind(ChartKind::StateStrip)
            });
        }
        for (variant, _) in variants {
            charts.push(
                ChartSpec::line(
                    ATTEMPTS,
                    format!(
                        "{variant}: calls to payments per second: first tries, retries, and calls \
                         the breaker refused"
                    ),
                    "attempts / s",
                )
                .kind(ChartKind::StackedArea)
                .of_variant(variant),
            );
        }
        charts
    }

    /// Runs one variant.
    fn run(
        config: &PaymentConfig,
        policy: &CallPolicy,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded> {
        let clients = nodes::Clients {
            arrivals: arrivals(config, setup.sim.seed),
            next: 0,
            deadline: config.client_deadline,
            waiting: IdWindow::default(),
        };
        let auth = nodes::Auth::new(
            config.auth_workers,
            config.auth_queue,
            config.login_time.clone(),
            config.pay_time.clone(),
            policy.clone(),
        );
        let payments = nodes::Payments::new(
            config.payments_workers,
            config.payments_queue,
            config.service_time.clone(),
            policy.propagate_deadlines,
        );
        let nodes = vec![
            (NODE_NAMES[0].to_string(), PayNode::Clients(clients)),
            (NODE_NAMES[1].to_string(), PayNode::Auth(Box::new(auth))),
            (NODE_NAMES[2].to_string(), PayNode::Payments(payments)),
        ];
        let mut sim = Simulation::new(setup.sim.clone(), nodes);
        let mut watcher = metrics::Watcher::new(setup.sim.duration);
        let stats = sim.run(&mut |at, _node, obs| watcher.observe(at, obs))?;
        let trace = sim.take_trace();
        let windows = fault_windows(setup);
        let summary = watcher.summarise(&windows, setup.sim.duration, config, policy, variant);
        Ok(Outcome {
            variant: variant.to_string(),
            trace_hash: stats.trace_hash,
            events: stats.events,
            sim_time: stats.end,
            metrics: summary.metrics,
            violations: Vec::new(),
            series: summary.series,
            verdict: summary.verdict,
            trace,
        })
    }

    fn grids(
        config: &PaymentConfig,
        variants: &[(&str, &CallPolicy)],
        setup: &RunSetup,
    ) -> Result<Vec<Grid>, LimitExceeded> {
        Ok(storm_grid(config, variants, setup)?.into_iter().collect())
    }

    fn check_schedule(
        config: &PaymentConfig,
        fixed: &[Fault],
        random: &[RandomFaults],
        check: &mut Check,
    ) {
        let drawn = random
            .iter()
            .any(|r| matches!(r.generator, FaultGen::Model { kind, .. } if kind == SLOWDOWN.kind));
        if config.grid.is_some() && first_slowdown(fixed).is_none() && !drawn {
            let message = "a grid varies the first slowdown, and there is none".to_string();
            let help = "add `Slowdown(node: \"payments\", factor: ..., from: ..., until: ...)` to `faults`";
            let at = [Step::Field("model"), Step::Field("grid")];
            check.error(&at, message, Some(help.into()));
        }
    }
}

/// The two kinds of request.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Served by A alone.
    Login,
    /// A must call B.
    Pay,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::Pay => "pay",
        }
    }
}

/// The workload and the two services, shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentConfig {
    /// Open-loop Poisson arrivals, all clients together, from the start…
    pub rate_per_s: f64,
    /// …and from each phase's time on, at its rate (load that changes during the run).
    pub phases: Vec<Phase>,
    /// The share of requests that are payments; the rest are logins.
    pub pay_fraction: f64,
    /// Clients stop arriving here, so every request is answered or timed out by the end.
    pub arrivals_until: SimDuration,
    /// A client gives up on a request after this long.
    pub client_deadline: SimDuration,
    pub auth_workers: u32,
    pub auth_queue: u32,
    pub login_time: Latency,
    /// A's own work on a payment before it calls B.
    pub pay_time: Latency,
    pub payments_workers: u32,
    pub payments_queue: u32,
    pub service_time: Latency,
    /// The retry-storm grid: outcomes over load × trigger size.
    pub grid: Option<StormGrid>,
    /// How long a run lasts: the charts' bins, and so their titles, follow it.
    pub duration: SimDuration,
}

/// Reruns every variant over loads × trigger durations (the length of the first slowdown).
#[derive(Clone, Debug, PartialEq)]
pub struct StormGrid {
    pub rates_per_s: Vec<f64>,
    pub triggers: Vec<SimDuration>,
}

/// A's policy for calling B: what the variants vary.
#[derive(Clone, Debug, PartialEq)]
pub struct CallPolicy {
    /// Per attempt; `None` waits for ever.
    pub timeout: Option<SimDuration>,
    pub retry: Option<RetryPolicy>,
    pub breaker: Option<BreakerSpec>,
    pub fallback: Fallback,
    /// A tells B when it stops waiting (the sooner of the client's deadline and the
    /// attempt's timeout) and stops retrying past the client's deadline; both skip queued
    /// work nobody is waiting for any more.
    pub propagate_deadlines: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub backoff: Backoff,
    pub budget: Option<BudgetSpec>,
}

/// A retry budget: retries at most about `ratio` of requests, with `max_tokens` saved up.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct BudgetSpec {
    pub ratio: f64,
    pub max_tokens: u32,
}

impl BudgetSpec {
    pub(crate) fn build(self) -> RetryBudget {
        RetryBudget::new(self.ratio, self.max_tokens)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum BreakerSpec {
    /// resilience4j's semantics.
    Resilient(BreakerConfig),
    /// The article's: opens after more than three failures, ever; never closes.
    Article,
}

impl BreakerSpec {
    pub(crate) fn build(&self) -> Breaker {
        match self {
            BreakerSpec::Resilient(config) => {
                Breaker::Resilient(CircuitBreaker::new(config.clone()))
            }
            BreakerSpec::Article => Breaker::Article(ArticleBreaker::default()),
        }
    }
}

/// What A answers when its breaker refuses a call.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fallback {
    FailFast,
    /// Take the payment and process it later: a degraded success, counted separately.
    AcceptForLater,
}

/// Arrival times and kinds in `[0, until)`, from the workload stream.
///
/// They depend on the seed and the workload alone, so every variant of a seed has the same
/// ones. Each thread keeps the last schedule it drew: a sweep, which hands out a seed's
/// variants one after another, draws it once per seed instead of once per variant (it was
/// a twentieth of a payment sweep's time).
fn arrivals(config: &PaymentConfig, seed: u64) -> Rc<Vec<(SimTime, Kind)>> {
    type Drawn = (ArrivalsKey, Rc<Vec<(SimTime, Kind)>>);
    thread_local! {
        static LAST: RefCell<Option<Drawn>> = const { RefCell::new(None) };
    }
    let key = ArrivalsKey {
        seed,
        rates: RateSchedule { base_per_s: config.rate_per_s, phases: config.phases.clone() },
        until: config.arrivals_until,
        pay_fraction: config.pay_fraction,
    };
    LAST.with_borrow_mut(|last| match last {
        Some((drawn_for, arrivals)) if *drawn_for == key => Rc::clone(arrivals),
        _ => {
            let arrivals = Rc::new(draw_arrivals(&key));
            *last = Some((key, Rc::clone(&arrivals)));
            arrivals
        }
    })
}

/// Everything an arrival schedule is drawn from.
#[derive(PartialEq)]
struct ArrivalsKey {
    seed: u64,
    rates: RateSchedule,
    until: SimDuration,
    pay_fraction: f64,
}

fn draw_arrivals(key: &ArrivalsKey) -> Vec<(SimTime, Kind)> {
    let mut rng = Prng::new(key.seed, Stream::Workload);
    let end = SimTime::ZERO + key.until;
    let mut out = Vec::new();
    let mut at = SimTime::ZERO;
    while let Some(next) = key.rates.next_arrival(&mut rng, at, end) {
        at = next;
        // Always one draw for the kind, so arrival times do not depend on the pay fraction.
        let kind = if rng.chance(key.pay_fraction) { Kind::Pay } else { Kind::Login };
        out.push((at, kind));
    }
    out
}

/// The windows of a run's faults, its slowdowns included.
fn fault_windows(setup: &RunSetup) -> Vec<FaultWindow> {
    let names: Vec<String> = NODE_NAMES.iter().map(|n| n.to_string()).collect();
    setup.fault_windows(&names)
}

/// The index of the first slowdown in a schedule: the one the storm grid varies.
fn first_slowdown(faults: &[Fault]) -> Option<usize> {
    faults.iter().position(
        |f| matches!(&f.kind, FaultKind::Model { fault, .. } if fault.kind == SLOWDOWN.kind),
    )
}

/// Reruns every variant over the storm grid; `None` when the scenario has no grid.
fn storm_grid(
    config: &PaymentConfig,
    variants: &[(&str, &CallPolicy)],
    setup: &RunSetup,
) -> Result<Option<Grid>, LimitExceeded> {
    let Some(grid) = &config.grid else { return Ok(None) };
    let Some(trigger) = first_slowdown(&setup.sim.faults) else { return Ok(None) };
    let from = setup.sim.faults[trigger].from;
    let mut out = Vec::new();
    for (name, policy) in variants {
        let mut cells = Vec::new();
        for &rate_per_s in &grid.rates_per_s {
            let mut row = Vec::new();
            for &length in &grid.triggers {
                let mut varied = config.clone();
                varied.rate_per_s = rate_per_s;
                let mut schedule = setup.clone();
                schedule.sim.faults[trigger].until = Some(from + length);
                let outcome = Payment::run(&varied, policy, &schedule, name)?;
                let recovered = outcome.metrics[RECOVERED.name()] == 1.0;
                let cell = if recovered {
                    (
                        format!("recovered in {:.0} s", outcome.metrics[RECOVERY_S.name()]),
                        CellOutcome::Ok,
                    )
                } else {
                    ("stuck".to_string(), CellOutcome::Failed)
                };
                row.push(cell);
            }
            cells.push(row);
        }
        out.push(GridVariant { name: name.to_string(), cells });
    }
    Ok(Some(Grid {
        id: "storm".into(),
        title: "Recovered or stuck, by load and by how long payments were slow".into(),
        row_label: "load (requests/s)".into(),
        column_label: "slowdown".into(),
        rows: grid.rates_per_s.iter().map(|r| format!("{r}/s")).collect(),
        columns: grid.triggers.iter().map(|t| t.to_string()).collect(),
        variants: out,
    }))
}
