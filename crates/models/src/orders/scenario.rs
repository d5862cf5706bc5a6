//! The orders model's part of a scenario file, as written, and its validation.

use faultline_engine::SimDuration;
use serde::Deserialize;

use super::{Answer, Channel, Consumer, Inventory, OrdersConfig, OrdersPolicy, Producer};
use crate::check::{Check, Step::Field};
use crate::raw::{Dur, RawLatency};

/// Orders are drawn up front; more than this is a typo, not a scenario.
const MAX_ORDERS: f64 = 200_000.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Orders")]
pub struct RawOrders {
    /// Orders per second, all customers together (Poisson).
    pub rate_per_s: f64,
    /// When customers stop ordering.
    pub until: Dur,
    /// Products `0 … n-1`, each order for one drawn uniformly.
    pub products: u32,
    /// Items of each product in stock at the start.
    pub stock: u32,
    /// How long the payment worker takes from charging a card to recording the result.
    pub processing: RawLatency,
    /// The share of cards the payment provider declines.
    #[serde(default)]
    pub decline: f64,
    /// How long the inventory takes to reserve an item (a transaction on the stock).
    #[serde(default = "reserve_time")]
    pub reserve_time: RawLatency,
    /// A pending log entry is handed out again after this long without an acknowledgement.
    #[serde(default = "visibility_timeout")]
    pub visibility_timeout: Dur,
}

fn reserve_time() -> RawLatency {
    RawLatency::Constant(Dur(SimDuration::from_millis(20)))
}

fn visibility_timeout() -> Dur {
    Dur(SimDuration::from_secs(5))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Orders")]
pub struct RawOrdersPolicy {
    pub channel: Channel,
    #[serde(default)]
    pub producer: Producer,
    #[serde(default)]
    pub consumer: Consumer,
    pub answer: RawAnswer,
    #[serde(default)]
    pub inventory: Inventory,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename = "Answer")]
pub enum RawAnswer {
    SleepThenRead(Dur),
    Poll { every: Dur, deadline: Dur },
    Confirmation { deadline: Dur },
}

pub(super) fn config(raw: &RawOrders, end: SimDuration, c: &mut Check) -> OrdersConfig {
    c.positive(&[Field("rate_per_s")], "rate_per_s", raw.rate_per_s);
    if raw.rate_per_s * raw.until.0.as_secs_f64() > MAX_ORDERS {
        let message = format!("at most {MAX_ORDERS} orders fit in one run");
        c.error(&[Field("rate_per_s")], message, None);
    }
    if raw.until.0 >= end {
        let message =
            format!("orders stop at {} but the run ends at {}", raw.until.0.human(), end.human());
        c.error(&[Field("until")], message, Some("leave time for the last orders".into()));
    }
    if raw.products == 0 || raw.products > 10_000 {
        let message = format!("products must be 1 to 10000, not {}", raw.products);
        c.error(&[Field("products")], message, None);
    }
    c.probability(&[Field("decline")], "decline", raw.decline);
    if raw.visibility_timeout.0 == SimDuration::ZERO {
        let message = "the visibility timeout must be longer than zero".to_string();
        c.error(&[Field("visibility_timeout")], message, None);
    }
    OrdersConfig {
        rate_per_s: raw.rate_per_s,
        until: raw.until.0,
        products: raw.products,
        stock: raw.stock,
        processing: c.latency(&[Field("processing")], &raw.processing),
        reserve_time: c.latency(&[Field("reserve_time")], &raw.reserve_time),
        decline: raw.decline,
        visibility_timeout: raw.visibility_timeout.0,
    }
}

pub(super) fn policy(raw: &RawOrdersPolicy, c: &mut Check) -> OrdersPolicy {
    let positive = |c: &mut Check, what: &str, d: Dur| {
        if d.0 == SimDuration::ZERO {
            c.error(&[Field("answer")], format!("{what} must be longer than zero"), None);
        }
    };
    let answer = match raw.answer {
        RawAnswer::SleepThenRead(sleep) => {
            positive(c, "the sleep", sleep);
            Answer::SleepThenRead { sleep: sleep.0 }
        }
        RawAnswer::Poll { every, deadline } => {
            positive(c, "`every`", every);
            if deadline.0 < every.0 {
                let message = format!(
                    "the deadline ({}) is shorter than `every` ({})",
                    deadline.0.human(),
                    every.0.human()
                );
                c.error(&[Field("answer")], message, None);
            }
            Answer::Poll { every: every.0, deadline: deadline.0 }
        }
        RawAnswer::Confirmation { deadline } => {
            positive(c, "the deadline", deadline);
            Answer::Confirmation { deadline: deadline.0 }
        }
    };
    OrdersPolicy {
        channel: raw.channel,
        producer: raw.producer,
        consumer: raw.consumer,
        answer,
        inventory: raw.inventory,
    }
}
