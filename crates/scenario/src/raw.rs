//! The scenario file as written: serde types that mirror the RON text one to one.
//! Unknown fields are errors everywhere; values are checked later, in `validate`. The
//! model's part and each variant's policy are the model's own: here they are only skipped
//! over, and the model parses them from their text (see `registry`).

use faultline_engine::SimDuration;
pub(crate) use faultline_models::raw::{Dur, RawLatency, parse_duration};
use serde::Deserialize;
use serde::de::IgnoredAny;

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
    /// Each is a [`RawFault`] of the engine's or a fault the model defines: skipped here,
    /// parsed from its text once the model is known.
    #[serde(default)]
    pub faults: Vec<IgnoredAny>,
    /// `Name(...)`: skipped here, parsed by the model called `Name` from its text.
    #[expect(dead_code, reason = "serde checks it is there; the model reads it")]
    pub model: IgnoredAny,
    #[serde(default)]
    pub invariants: Vec<String>,
    /// Invariants of the model this scenario leaves out on purpose: (invariant, why).
    #[serde(default)]
    pub unchecked: Vec<(String, String)>,
    pub variants: Vec<RawVariant>,
    #[serde(default)]
    pub max_events: Option<u64>,
    /// Seeds `0..n` swept for the report's table of strategies and trade-off chart.
    #[serde(default)]
    pub report_sweep: Option<u64>,
    /// The bounds a swarm sweep (`--swarm`) draws each seed's faults and network within.
    #[serde(default)]
    pub swarm: Option<RawSwarm>,
}

/// `swarm: (enable: 0.5, loss: (0.0, 0.05), duplicate: (0.0, 0.01), latency: (0.5, 2.0))`;
/// a field left out takes its default from the scenario (see `validate`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename = "Swarm")]
pub(crate) struct RawSwarm {
    #[serde(default)]
    pub enable: Option<f64>,
    #[serde(default)]
    pub loss: Option<(f64, f64)>,
    #[serde(default)]
    pub duplicate: Option<(f64, f64)>,
    #[serde(default)]
    pub latency: Option<(f64, f64)>,
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
    /// Faults of a kind the model defines, at random nodes, with a parameter from `value`.
    RandomModelFaults {
        kind: String,
        nodes: Vec<String>,
        count: u32,
        value: (f64, f64),
        duration: (Dur, Dur),
        within: (Dur, Dur),
    },
}

/// A fault a model defines, `Kind(node: "...", <param>: 1.5, from: "...", until: "...")`:
/// its fields by name, checked against the model's declaration in `validate`.
#[derive(Debug)]
pub(crate) struct RawModelFault {
    pub fields: Vec<(String, RawScalar)>,
}

/// A field value of a model fault.
#[derive(Debug)]
pub(crate) enum RawScalar {
    Text(String),
    Number(f64),
}

impl<'de> Deserialize<'de> for RawModelFault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = RawModelFault;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the fault's fields, `(node: \"...\", from: \"...\", ...)`")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut fields = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    fields.push((name, map.next_value::<RawScalar>()?));
                }
                Ok(RawModelFault { fields })
            }
        }
        deserializer.deserialize_struct("Fault", &[], Fields)
    }
}

impl<'de> Deserialize<'de> for RawScalar {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl serde::de::Visitor<'_> for Scalar {
            type Value = RawScalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawScalar, E> {
                Ok(RawScalar::Text(text.to_owned()))
            }
            fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<RawScalar, E> {
                Ok(RawScalar::Number(value))
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<RawScalar, E> {
                Ok(RawScalar::Number(value as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<RawScalar, E> {
                Ok(RawScalar::Number(value as f64))
            }
        }
        deserializer.deserialize_any(Scalar)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Variant")]
pub(crate) struct RawVariant {
    pub name: String,
    /// `Name(...)`, the model's name: skipped here, parsed by the model from its text.
    #[expect(dead_code, reason = "serde checks it is there; the model reads it")]
    pub policy: IgnoredAny,
}
