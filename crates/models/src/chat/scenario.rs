//! The chat model's part of a scenario file, as written, and its validation.

use faultline_engine::SimDuration;
use serde::Deserialize;

use super::{ChatConfig, Delivery};
use crate::check::{Check, Step::Field};
use crate::raw::Dur;

/// The chat workload is drawn up front; more messages than this is a typo, not a scenario.
const MAX_MESSAGES_PER_USER: f64 = 1_000_000.0;
/// More than chat needs; more is a typo.
const MAX_RATE_PER_S: f64 = 10_000.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Chat")]
pub struct RawChat {
    pub rate_per_s: f64,
    pub send_until: Dur,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Chat")]
pub struct RawChatPolicy {
    pub delivery: RawDelivery,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Delivery")]
pub enum RawDelivery {
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

pub(super) fn config(raw: &RawChat, end: SimDuration, c: &mut Check) -> ChatConfig {
    c.positive(&[Field("rate_per_s")], "rate_per_s", raw.rate_per_s);
    if raw.rate_per_s > MAX_RATE_PER_S {
        let message = format!(
            "{} messages per second per user is more than chat needs; at most {MAX_RATE_PER_S}",
            raw.rate_per_s
        );
        c.error(&[Field("rate_per_s")], message, None);
    }
    let messages_per_user = raw.rate_per_s * raw.send_until.0.as_secs_f64();
    if messages_per_user > MAX_MESSAGES_PER_USER {
        let message = format!(
            "{} messages per second until {} is about {messages_per_user:.0} messages per \
             user; at most {MAX_MESSAGES_PER_USER} fit in one run",
            raw.rate_per_s, raw.send_until.0
        );
        c.error(&[Field("rate_per_s")], message, None);
    }
    if raw.send_until.0 > end {
        let message = format!(
            "users type until {} but the run ends at {}",
            raw.send_until.0.human(),
            end.human()
        );
        c.error(&[Field("send_until")], message, None);
    }
    ChatConfig { rate_per_s: raw.rate_per_s, send_until: raw.send_until.0 }
}

pub(super) fn policy(raw: &RawChatPolicy, c: &mut Check) -> Delivery {
    match raw.delivery {
        RawDelivery::FireAndForget => Delivery::FireAndForget,
        RawDelivery::AckRetransmit { rto, rto_max, backoff } => {
            let at = [Field("delivery")];
            if rto.0 == SimDuration::ZERO {
                c.error(&at, "`rto` must be longer than zero".into(), None);
            }
            if rto_max.0 < rto.0 {
                let message = format!(
                    "`rto_max` ({}) is shorter than `rto` ({})",
                    rto_max.0.human(),
                    rto.0.human()
                );
                c.error(&at, message, None);
            }
            if !(backoff.is_finite() && backoff >= 1.0) {
                c.error(&at, format!("`backoff` must be 1 or more, not {backoff}"), None);
            }
            Delivery::AckRetransmit { rto: rto.0, rto_max: rto_max.0, backoff }
        }
    }
}
