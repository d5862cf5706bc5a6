//! The payment model's part of a scenario file, as written (the workload, the two services
//! and A's policies for calling B), and its validation.

use faultline_engine::{SimDuration, SimTime};
use serde::Deserialize;

use super::{BreakerSpec, BudgetSpec, CallPolicy, Fallback, PaymentConfig, RetryPolicy, StormGrid};
use crate::check::{
    Check,
    Step::{self, Field, Index},
};
use crate::raw::{Dur, RawBackoff, RawLatency};
use crate::resilience::{BreakerConfig, SlidingWindow};
use crate::workload::{Phase, RateSchedule};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Payment")]
pub struct RawPayment {
    pub clients: RawClients,
    pub auth: RawAuth,
    pub payments: RawPayments,
    #[serde(default)]
    pub grid: Option<RawGrid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Clients")]
pub struct RawClients {
    pub rate_per_s: f64,
    pub pay_fraction: f64,
    /// When arrivals stop.
    pub until: Dur,
    /// Changes of `rate_per_s` during the run, in time order.
    #[serde(default)]
    pub phases: Vec<RawPhase>,
    /// How long a client waits for an answer.
    pub deadline: Dur,
}

/// From `from` on, clients arrive at `rate_per_s`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Phase")]
pub struct RawPhase {
    pub from: Dur,
    pub rate_per_s: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Auth")]
pub struct RawAuth {
    pub workers: u32,
    pub queue: u32,
    pub login_time: RawLatency,
    pub pay_time: RawLatency,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Payments")]
pub struct RawPayments {
    pub workers: u32,
    pub queue: u32,
    pub service_time: RawLatency,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Grid")]
pub struct RawGrid {
    pub rates_per_s: Vec<f64>,
    pub triggers: Vec<Dur>,
}

/// A's policy for calling B. Everything is optional: `Payment()` waits for ever, once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Payment")]
pub struct RawCallPolicy {
    #[serde(default)]
    pub timeout: Option<Dur>,
    #[serde(default)]
    pub retry: Option<RawRetry>,
    #[serde(default)]
    pub breaker: Option<RawBreaker>,
    #[serde(default)]
    pub fallback: RawFallback,
    #[serde(default)]
    pub propagate_deadlines: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Retry")]
pub struct RawRetry {
    pub max_attempts: u32,
    pub backoff: RawBackoff,
    #[serde(default)]
    pub budget: Option<RawBudget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Budget")]
pub struct RawBudget {
    pub ratio: f64,
    pub max_tokens: u32,
}

/// resilience4j's defaults where a field is left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Breaker")]
pub enum RawBreaker {
    Resilient {
        #[serde(default = "default_failure_rate")]
        failure_rate: f64,
        #[serde(default = "default_slow_call_rate")]
        slow_call_rate: f64,
        #[serde(default = "default_slow_call")]
        slow_call: Dur,
        #[serde(default = "default_window")]
        window: RawWindow,
        #[serde(default = "default_minimum_calls")]
        minimum_calls: u32,
        #[serde(default = "default_wait_in_open")]
        wait_in_open: Dur,
        #[serde(default = "default_half_open_calls")]
        half_open_calls: u32,
    },
    Article,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Window")]
pub enum RawWindow {
    Count(u32),
    Time(Dur),
}

fn default_failure_rate() -> f64 {
    0.5
}
fn default_slow_call_rate() -> f64 {
    1.0
}
fn default_slow_call() -> Dur {
    Dur(SimDuration::from_secs(60))
}
fn default_window() -> RawWindow {
    RawWindow::Count(100)
}
fn default_minimum_calls() -> u32 {
    100
}
fn default_wait_in_open() -> Dur {
    Dur(SimDuration::from_secs(60))
}
fn default_half_open_calls() -> u32 {
    10
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "Fallback")]
pub enum RawFallback {
    #[default]
    FailFast,
    AcceptForLater,
}

/// Arrivals are drawn up front; more than this is a typo, not a scenario.
const MAX_ARRIVALS: f64 = 5_000_000.0;
const MAX_ATTEMPTS: u32 = 100;

fn at(d: SimDuration) -> SimTime {
    SimTime::ZERO + d
}

pub(super) fn config(raw: &RawPayment, end: SimDuration, c: &mut Check) -> PaymentConfig {
    let p = |path: &[&'static str]| path.iter().map(|name| Field(name)).collect::<Vec<Step>>();
    let clients = &raw.clients;
    c.positive(&p(&["clients", "rate_per_s"]), "rate_per_s", clients.rate_per_s);
    if clients.rate_per_s > 1_000_000.0 {
        let message = format!(
            "{} requests per second is beyond this model; at most 1000000",
            clients.rate_per_s
        );
        c.error(&p(&["clients", "rate_per_s"]), message, None);
    }
    let mut phases: Vec<Phase> = Vec::new();
    for (i, phase) in clients.phases.iter().enumerate() {
        let path = [Field("clients"), Field("phases"), Index(i)];
        let field = |name| [&path[..], &[Field(name)]].concat();
        if !(phase.rate_per_s.is_finite() && (0.0..=1_000_000.0).contains(&phase.rate_per_s)) {
            let message =
                format!("a phase's rate_per_s must be 0 to 1000000, not {}", phase.rate_per_s);
            c.error(&field("rate_per_s"), message, None);
        }
        if phase.from.0 >= clients.until.0 {
            let message = format!(
                "this phase starts at {} but arrivals stop at {}",
                phase.from.0.human(),
                clients.until.0.human()
            );
            c.error(&field("from"), message, None);
        }
        if phases.last().is_some_and(|previous| previous.from >= at(phase.from.0)) {
            c.error(&field("from"), "phases must be in time order".into(), None);
        }
        phases.push(Phase { from: at(phase.from.0), rate_per_s: phase.rate_per_s });
    }
    let rates = RateSchedule { base_per_s: clients.rate_per_s, phases: phases.clone() };
    let arrivals = rates.expected_arrivals(at(clients.until.0));
    if arrivals > MAX_ARRIVALS {
        c.error(
            &p(&["clients", "rate_per_s"]),
            format!("about {arrivals:.0} requests in one run; at most {MAX_ARRIVALS} fit"),
            None,
        );
    }
    c.probability(&p(&["clients", "pay_fraction"]), "pay_fraction", clients.pay_fraction);
    if clients.deadline.0 == SimDuration::ZERO {
        c.error(&p(&["clients", "deadline"]), "the deadline must be longer than zero".into(), None);
    }
    if clients.until.0 + clients.deadline.0 > end {
        c.error(
            &p(&["clients", "until"]),
            format!(
                "arrivals until {} plus the {} deadline end after the run ({}): the last \
                 requests would never be answered",
                clients.until.0.human(),
                clients.deadline.0.human(),
                end.human()
            ),
            Some("end arrivals one deadline before the run ends".into()),
        );
    }
    for (what, workers) in [("auth", raw.auth.workers), ("payments", raw.payments.workers)] {
        if workers == 0 {
            c.error(&p(&[what, "workers"]), format!("{what} needs at least one worker"), None);
        }
    }
    let login_time = c.latency(&p(&["auth", "login_time"]), &raw.auth.login_time);
    let pay_time = c.latency(&p(&["auth", "pay_time"]), &raw.auth.pay_time);
    let service_time = c.latency(&p(&["payments", "service_time"]), &raw.payments.service_time);

    let grid = raw.grid.as_ref().map(|g| {
        let path = p(&["grid"]);
        if g.rates_per_s.is_empty()
            || g.triggers.is_empty()
            || g.rates_per_s.len() * g.triggers.len() > 64
        {
            c.error(&path, "a grid needs 1 to 64 cells (rates × triggers)".into(), None);
        }
        for (i, &rate) in g.rates_per_s.iter().enumerate() {
            let at = [&path[..], &[Field("rates_per_s"), Index(i)]].concat();
            c.positive(&at, "a rate", rate);
            if rate * clients.until.0.as_secs_f64() > MAX_ARRIVALS {
                c.error(&at, format!("at most {MAX_ARRIVALS} requests fit in one run"), None);
            }
        }
        for (i, trigger) in g.triggers.iter().enumerate() {
            if trigger.0 == SimDuration::ZERO {
                let at = [&path[..], &[Field("triggers"), Index(i)]].concat();
                c.error(&at, "a trigger must last longer than zero".into(), None);
            }
        }
        StormGrid {
            rates_per_s: g.rates_per_s.clone(),
            triggers: g.triggers.iter().map(|t| t.0).collect(),
        }
    });

    PaymentConfig {
        rate_per_s: clients.rate_per_s,
        phases,
        pay_fraction: clients.pay_fraction,
        arrivals_until: clients.until.0,
        client_deadline: clients.deadline.0,
        auth_workers: raw.auth.workers,
        auth_queue: raw.auth.queue,
        login_time,
        pay_time,
        payments_workers: raw.payments.workers,
        payments_queue: raw.payments.queue,
        service_time,
        grid,
        duration: end,
    }
}

pub(super) fn policy(raw: &RawCallPolicy, c: &mut Check) -> CallPolicy {
    let field =
        |names: &[&'static str]| names.iter().map(|name| Field(name)).collect::<Vec<Step>>();
    if raw.timeout.is_some_and(|t| t.0 == SimDuration::ZERO) {
        c.error(&field(&["timeout"]), "a timeout must be longer than zero".into(), None);
    }
    let retry = raw.retry.as_ref().map(|r| {
        if r.max_attempts == 0 || r.max_attempts > MAX_ATTEMPTS {
            let message =
                format!("max_attempts must be 1 to {MAX_ATTEMPTS}, not {}", r.max_attempts);
            c.error(&field(&["retry", "max_attempts"]), message, None);
        }
        let backoff = c.backoff(&field(&["retry", "backoff"]), &r.backoff);
        let budget = r.budget.as_ref().map(|b| {
            if !(b.ratio.is_finite() && b.ratio > 0.0 && b.ratio <= 1.0) {
                let message = format!("ratio must be above 0 and at most 1, not {}", b.ratio);
                c.error(&field(&["retry", "budget", "ratio"]), message, None);
            }
            BudgetSpec { ratio: b.ratio, max_tokens: b.max_tokens }
        });
        RetryPolicy { max_attempts: r.max_attempts, backoff, budget }
    });
    let breaker = raw.breaker.as_ref().map(|b| match *b {
        RawBreaker::Article => BreakerSpec::Article,
        RawBreaker::Resilient {
            failure_rate,
            slow_call_rate,
            slow_call,
            ref window,
            minimum_calls,
            wait_in_open,
            half_open_calls,
        } => {
            let at = field(&["breaker"]);
            for (name, rate) in [("failure_rate", failure_rate), ("slow_call_rate", slow_call_rate)]
            {
                if !(rate > 0.0 && rate <= 1.0) {
                    c.error(&at, format!("{name} must be above 0 and at most 1, not {rate}"), None);
                }
            }
            for (name, n) in
                [("minimum_calls", minimum_calls), ("half_open_calls", half_open_calls)]
            {
                if n == 0 {
                    c.error(&at, format!("{name} must be at least 1"), None);
                }
            }
            let window = match *window {
                RawWindow::Count(calls) => {
                    if calls == 0 {
                        c.error(&at, "a count window needs at least one call".into(), None);
                    }
                    SlidingWindow::Count { calls }
                }
                RawWindow::Time(span) => {
                    let seconds = span.0.as_secs_f64();
                    if seconds < 1.0 || seconds.fract() != 0.0 || seconds > 3_600.0 {
                        let message = format!(
                            "a time window is whole seconds, 1s to 1h, not {}",
                            span.0.human()
                        );
                        c.error(&at, message, None);
                    }
                    SlidingWindow::Time { seconds: seconds as u32 }
                }
            };
            BreakerSpec::Resilient(BreakerConfig {
                failure_rate_threshold: failure_rate,
                slow_call_rate_threshold: slow_call_rate,
                slow_call_duration: slow_call.0,
                window,
                minimum_calls,
                wait_in_open: wait_in_open.0,
                half_open_calls,
            })
        }
    });
    let fallback = match raw.fallback {
        RawFallback::FailFast => Fallback::FailFast,
        RawFallback::AcceptForLater => Fallback::AcceptForLater,
    };
    CallPolicy {
        timeout: raw.timeout.map(|t| t.0),
        retry,
        breaker,
        fallback,
        propagate_deadlines: raw.propagate_deadlines,
    }
}
