//! The scenario file as written: serde types that mirror the RON text one to one.
//! Unknown fields are errors everywhere; values are checked later, in `validate`.

use std::fmt;

use faultline_engine::SimDuration;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Scenario")]
pub(crate) struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub seed: u64,
    pub duration: Dur,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub faults: Vec<RawFault>,
    pub model: RawModel,
    #[serde(default)]
    pub invariants: Vec<String>,
    pub variants: Vec<RawVariant>,
    #[serde(default)]
    pub max_events: Option<u64>,
    /// Seeds `0..n` swept for the report's table of strategies and trade-off chart.
    #[serde(default)]
    pub report_sweep: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Network")]
pub(crate) struct RawNetwork {
    #[serde(default = "default_latency")]
    pub latency: RawLatency,
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub duplicate: f64,
}

impl Default for RawNetwork {
    fn default() -> RawNetwork {
        RawNetwork { latency: default_latency(), loss: 0.0, duplicate: 0.0 }
    }
}

fn default_latency() -> RawLatency {
    RawLatency::Constant(Dur(SimDuration::from_millis(1)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Latency")]
pub(crate) enum RawLatency {
    Constant(Dur),
    Uniform { min: Dur, max: Dur },
    Normal { mean: Dur, std_dev: Dur },
    LogNormal { median: Dur, sigma: f64 },
    Pareto { scale: Dur, shape: f64 },
}

/// Two groups of node names.
pub(crate) type Groups = (Vec<String>, Vec<String>);

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename = "Fault")]
pub(crate) enum RawFault {
    Partition {
        between: Groups,
        from: Dur,
        #[serde(default)]
        until: Option<Dur>,
    },
    OneWayPartition {
        senders: Vec<String>,
        receivers: Vec<String>,
        from: Dur,
        #[serde(default)]
        until: Option<Dur>,
    },
    LatencySpike {
        between: Groups,
        extra: Dur,
        from: Dur,
        #[serde(default)]
        until: Option<Dur>,
    },
    Loss {
        between: Groups,
        probability: f64,
        from: Dur,
        #[serde(default)]
        until: Option<Dur>,
    },
    Crash {
        node: String,
        at: Dur,
        #[serde(default)]
        restart: Option<Dur>,
    },
    Pause {
        node: String,
        from: Dur,
        until: Dur,
    },
    RandomPartitions {
        nodes: Vec<String>,
        count: u32,
        duration: (Dur, Dur),
        within: (Dur, Dur),
    },
    RandomCrashes {
        nodes: Vec<String>,
        count: u32,
        downtime: (Dur, Dur),
        within: (Dur, Dur),
    },
    RandomPauses {
        nodes: Vec<String>,
        count: u32,
        duration: (Dur, Dur),
        within: (Dur, Dur),
    },
    RandomLatencySpikes {
        nodes: Vec<String>,
        count: u32,
        extra: (Dur, Dur),
        duration: (Dur, Dur),
        within: (Dur, Dur),
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Model")]
pub(crate) enum RawModel {
    Chat(RawChat),
    Payment(RawPayment),
    Bank(RawBank),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Bank")]
pub(crate) struct RawBank {
    /// (name, opening balance in cents).
    pub accounts: Vec<(String, i64)>,
    pub transfers: Vec<RawTransfer>,
    #[serde(default = "zero")]
    pub start_jitter: Dur,
    #[serde(default = "zero")]
    pub think_time: Dur,
    pub request_timeout: Dur,
    #[serde(default = "default_lease")]
    pub lease: Dur,
    #[serde(default)]
    pub replication: Option<RawReplication>,
    /// Contention curves: client counts to rerun the first transfer with.
    #[serde(default)]
    pub contention: Vec<u32>,
}

/// Replicated accounts: the replicas' names, and which replica each client talks to.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Replication")]
pub(crate) struct RawReplication {
    pub replicas: Vec<String>,
    pub attach: Vec<(String, String)>,
}

fn zero() -> Dur {
    Dur(SimDuration::ZERO)
}

fn default_lease() -> Dur {
    Dur(SimDuration::from_secs(1))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Transfer")]
pub(crate) struct RawTransfer {
    pub client: String,
    pub from: String,
    pub to: String,
    /// In cents.
    pub amount: i64,
    pub at: Dur,
    /// The same transfer this many times, `every` apart (a client's steady stream).
    #[serde(default = "one")]
    pub repeat: u32,
    #[serde(default = "zero")]
    pub every: Dur,
    /// Made at once by this many clients, `<client>-1` … `<client>-N` (a hot account).
    #[serde(default = "one")]
    pub clients: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "BankPolicy")]
pub(crate) struct RawBankPolicy {
    pub strategy: RawStrategy,
    #[serde(default)]
    pub retry: Option<RawTransferRetry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Strategy")]
pub(crate) enum RawStrategy {
    CheckThenDebit,
    ReadModifyWrite,
    Atomic,
    CompareAndSet { max_attempts: u32, backoff: RawBackoff },
    LockLease { fencing: bool, max_attempts: u32, backoff: RawBackoff },
    SingleWriter,
    AsyncReplication,
    SyncPrimary { primary: String },
    Quorum,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "TransferRetry")]
pub(crate) struct RawTransferRetry {
    pub max_attempts: u32,
    pub backoff: RawBackoff,
    pub idempotency_key: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Payment")]
pub(crate) struct RawPayment {
    pub clients: RawClients,
    pub auth: RawAuth,
    pub payments: RawPayments,
    #[serde(default)]
    pub grid: Option<RawGrid>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Clients")]
pub(crate) struct RawClients {
    pub rate_per_s: f64,
    pub pay_fraction: f64,
    /// When arrivals stop.
    pub until: Dur,
    /// How long a client waits for an answer.
    pub deadline: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Auth")]
pub(crate) struct RawAuth {
    pub workers: u32,
    pub queue: u32,
    pub login_time: RawLatency,
    pub pay_time: RawLatency,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Payments")]
pub(crate) struct RawPayments {
    pub workers: u32,
    pub queue: u32,
    pub service_time: RawLatency,
    #[serde(default)]
    pub slowdowns: Vec<RawSlowdown>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Slowdown")]
pub(crate) struct RawSlowdown {
    pub from: Dur,
    pub until: Dur,
    pub factor: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Grid")]
pub(crate) struct RawGrid {
    pub rates_per_s: Vec<f64>,
    pub triggers: Vec<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Chat")]
pub(crate) struct RawChat {
    pub rate_per_s: f64,
    pub send_until: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Variant")]
pub(crate) struct RawVariant {
    pub name: String,
    pub policy: RawPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Policy")]
pub(crate) enum RawPolicy {
    Chat(RawChatPolicy),
    Payment(RawCallPolicy),
    Bank(RawBankPolicy),
}

/// A's policy for calling B. Everything is optional: `Payment()` waits for ever, once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "CallPolicy")]
pub(crate) struct RawCallPolicy {
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
pub(crate) struct RawRetry {
    pub max_attempts: u32,
    pub backoff: RawBackoff,
    #[serde(default)]
    pub budget: Option<RawBudget>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Backoff")]
pub(crate) enum RawBackoff {
    Immediate,
    Fixed(Dur),
    Exponential {
        base: Dur,
        #[serde(default = "default_backoff")]
        multiplier: f64,
        cap: Dur,
        #[serde(default)]
        jitter: RawJitter,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename = "Jitter")]
pub(crate) enum RawJitter {
    #[default]
    None,
    Full,
    Equal,
    Decorrelated,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Budget")]
pub(crate) struct RawBudget {
    pub ratio: f64,
    pub max_tokens: u32,
}

/// resilience4j's defaults where a field is left out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Breaker")]
pub(crate) enum RawBreaker {
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
    Seed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Window")]
pub(crate) enum RawWindow {
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
pub(crate) enum RawFallback {
    #[default]
    FailFast,
    AcceptForLater,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "ChatPolicy")]
pub(crate) struct RawChatPolicy {
    pub delivery: RawDelivery,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Delivery")]
pub(crate) enum RawDelivery {
    FireAndForget,
    AckRetransmit {
        rto: Dur,
        rto_max: Dur,
        #[serde(default = "default_backoff")]
        backoff: f64,
    },
}

fn default_backoff() -> f64 {
    2.0
}

/// A duration written with its unit: `"250ms"`, `"3s"`, `"1.5s"`, `"2m"`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub(crate) struct Dur(pub SimDuration);

const UNITS: [(&str, u64); 6] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses `<number><unit>`; the number may have a fraction, the result is whole nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let expected = "a number followed by a unit (ns, us, ms, s, m, h), like \"250ms\" or \"3s\"";
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let Some(&(_, ns_per_unit)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!("invalid duration \"{text}\": expected {expected}"));
    };
    let value: f64 = match number.parse() {
        Ok(v) if number.chars().next().is_some_and(|c| c.is_ascii_digit()) => v,
        _ => return Err(format!("invalid duration \"{text}\": expected {expected}")),
    };
    let ns = value * ns_per_unit as f64;
    if !ns.is_finite() || ns >= u64::MAX as f64 {
        return Err(format!("duration \"{text}\" is too long"));
    }
    Ok(SimDuration::from_nanos(ns.round() as u64))
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dur, D::Error> {
        struct DurVisitor;
        impl Visitor<'_> for DurVisitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"250ms\" or \"3s\"")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Dur, E> {
                parse_duration(text).map(Dur).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DurVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_fractions() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(SimDuration::from_secs(120)));
        assert_eq!(parse_duration("0s"), Ok(SimDuration::ZERO));
    }

    #[test]
    fn malformed_durations_say_what_was_expected() {
        for bad in ["3 parsecs", "3", "ms", "-1s", "1e3s", "", "1..2s", "99999999999999999h"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("duration"), "{bad}: {err}");
        }
    }
}
