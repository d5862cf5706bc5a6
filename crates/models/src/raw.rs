//! Scenario-file vocabulary every model shares, as written: durations with units, latency
//! distributions and backoff policies. serde types; values are checked by [`crate::Check`].

use std::fmt;

use faultline_engine::SimDuration;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Latency")]
pub enum RawLatency {
    Constant(Dur),
    Uniform { min: Dur, max: Dur },
    Normal { mean: Dur, std_dev: Dur },
    LogNormal { median: Dur, sigma: f64 },
    Pareto { scale: Dur, shape: f64 },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Backoff")]
pub enum RawBackoff {
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
pub enum RawJitter {
    #[default]
    None,
    Full,
    Equal,
    Decorrelated,
}

fn default_backoff() -> f64 {
    2.0
}

/// A duration written with its unit: `"250ms"`, `"3s"`, `"1.5s"`, `"2m"`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Dur(pub SimDuration);

const UNITS: [(&str, u64); 6] = [
    ("ns", 1),
    ("us", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Parses `<number><unit>`; the number may have a fraction, the result is whole nanoseconds.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
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
