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
