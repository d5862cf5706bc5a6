//! Eventual consistency, the article's third example: a shop publishes a payment request,
//! a worker charges the card and records the result, the shop tells the customer, the
//! inventory takes the item. The article's code publishes on Redis Pub/Sub (at most once),
//! sleeps a second and reads the result: lost events, customers told "failed" for payments
//! that went through, and items sold twice over.
//!
//! The variants turn five independent knobs: the channel (pub/sub or a durable log with
//! consumer groups), the producer (a dual write or a transactional outbox), the consumer
//! (plain or idempotent), the answer (sleep-then-read, polling, or waiting for a
//! confirmation) and the inventory (charge-then-decrement, charge-then-refund, or
//! reserve-then-charge with compensation).
//!
//! Redis speaks TCP, which neither duplicates nor reorders what it delivers on one
//! connection: scenarios of this model lose and delay messages, and leave duplication to
//! the log's redeliveries and the outbox's resends, where it really comes from.

mod checker;
mod nodes;
mod scenario;

use faultline_engine::{Latency, LimitExceeded, Prng, SimDuration, SimTime, Simulation, Stream};
use faultline_outcome::{ChartId, ChartKind, ChartSpec, Invariant, Metric, Outcome, Tradeoff};
use serde::Deserialize;

use crate::check::{Check, Step::Field};
use crate::model::{FaultSpec, Knob, KnobSize, Model};
use crate::setup::RunSetup;
use crate::slowdown::slowdown;
use crate::workload::RateSchedule;
pub use nodes::{Event, OrdersMsg, OrdersNode, OrdersObs, OrdersTimer, Told, Topic};
pub use scenario::{RawAnswer, RawOrders, RawOrdersPolicy};

pub const NO_LOST_EVENT: Invariant = Invariant {
    id: "no-lost-event",
    promise: "every payment event the shop publishes reaches the payment worker",
};
pub const EXACTLY_ONCE_CHARGE: Invariant =
    Invariant { id: "exactly-once-charge", promise: "no order is charged more than once" };
pub const TRUTHFUL_ANSWER: Invariant = Invariant {
    id: "truthful-answer",
    promise: "a customer told \"completed\" paid and was not refunded, and one told \"failed\" did not pay",
};
pub const NO_OVERSELL: Invariant =
    Invariant { id: "no-oversell", promise: "no product sells more items than it had" };
pub const CONVERGENCE: Invariant = Invariant {
    id: "convergence",
    promise: "when the run ends, the shop, the payment provider and the inventory agree on every order",
};

pub const FALSE_FAILURES: Metric = Metric("orders.false_failures");
pub const EVENTS_LOST: Metric = Metric("events.lost");
pub const CHARGED_TWICE: Metric = Metric("orders.charged_twice");
pub const OVERSOLD: Metric = Metric("orders.oversold");
/// Payments given back because the item was gone (charge-then-refund).
pub const REFUNDED: Metric = Metric("orders.refunded");
/// Over answered orders; see [`UNANSWERED`] for the others.
pub const LATENCY_P99_MS: Metric = Metric("order.latency_p99_ms");
/// Orders placed whose customer never got an answer (a lost request, a crashed shop).
pub const UNANSWERED: Metric = Metric("orders.unanswered");
/// Answers the end of the run does not contradict, as a share of the answers given.
pub const TRUTHFUL_SHARE: Metric = Metric("answers.truthful_share");

/// What the customer was told, second by second, stacked (one chart per variant).
pub const ANSWERS: ChartId = ChartId("answers");
/// Orders whose views disagree (the payment, the inventory, what the customer was told).
pub const INCONSISTENT: ChartId = ChartId("inconsistent");
/// Payment events published and not yet acknowledged by the worker (durable log only).
pub const BACKLOG: ChartId = ChartId("backlog");

/// The payment worker takes `factor` times as long to record each payment.
pub const SLOWDOWN: FaultSpec =
    slowdown(&["worker"], "the payment worker takes `factor` times as long to record each payment");

/// The nodes, in id order.
pub const NODE_NAMES: [&str; 5] = ["customers", "shop", "broker", "worker", "inventory"];

/// The workload and the services, shared by every variant.
#[derive(Clone, Debug, PartialEq)]
pub struct OrdersConfig {
    pub rate_per_s: f64,
    pub until: SimDuration,
    pub products: u32,
    pub stock: u32,
    pub processing: Latency,
    pub reserve_time: Latency,
    pub decline: f64,
    pub visibility_timeout: SimDuration,
}

/// How events travel from the shop to the worker and back.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Channel {
    /// Redis Pub/Sub: to the subscribers connected now; at most once.
    #[default]
    PubSub,
    /// A durable log with consumer groups and acknowledgements: at least once.
    Log,
}

/// How the shop hands its event to the broker.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Producer {
    /// Write the order, then publish once: a publish lost on the way is lost for good.
    #[default]
    DualWrite,
    /// Write the order and the event in one transaction; a relay publishes until confirmed.
    Outbox,
}

/// What the worker does with an event it has seen before.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Consumer {
    /// Charges again.
    #[default]
    Plain,
    /// Charges with the order id as an idempotency key the payment provider honours: a
    /// request seen before records the earlier result and charges nothing.
    Idempotent,
}

/// How the shop finds out what to tell the customer.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Answer {
    /// The article: sleep, then read the result; anything but "completed" is "failed".
    SleepThenRead { sleep: SimDuration },
    /// Read every `every` until a result is there; "pending" at the deadline.
    Poll { every: SimDuration, deadline: SimDuration },
    /// Wait for the worker's result event; "pending" at the deadline.
    Confirmation { deadline: SimDuration },
}

/// When the item leaves the stock.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum Inventory {
    /// When the payment's result arrives: whatever is left, even nothing.
    #[default]
    ChargeThenDecrement,
    /// When the payment's result arrives, if one is left; if not, the payment is refunded
    /// (compensation after the fact: the customer may already have been told "completed").
    ChargeThenRefund,
    /// Reserved before the charge (the customer waits for it); released if the card is
    /// declined: a saga with compensation.
    ReserveThenCharge,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrdersPolicy {
    pub channel: Channel,
    pub producer: Producer,
    pub consumer: Consumer,
    pub answer: Answer,
    pub inventory: Inventory,
}

/// Orders, payments and inventory over a broker: the article's eventual-consistency example.
pub struct Orders;

impl Model for Orders {
    const NAME: &'static str = "Orders";
    const ABOUT: &'static str = "a shop publishes payment requests through a broker to a worker; \
                                 pub/sub or a durable log, dual write or outbox, sleep-then-read \
                                 or confirmation, charge-then-decrement or reserve-then-charge";
    const INVARIANTS: &'static [Invariant] =
        &[NO_LOST_EVENT, EXACTLY_ONCE_CHARGE, TRUTHFUL_ANSWER, NO_OVERSELL, CONVERGENCE];
    const HEADLINE_METRICS: &'static [Metric] =
        &[EVENTS_LOST, FALSE_FAILURES, CHARGED_TWICE, OVERSOLD, LATENCY_P99_MS];
    const TRADEOFF: Option<Tradeoff> =
        Some(Tradeoff::lower(LATENCY_P99_MS, "p99 answer latency (ms)"));
    const FAULTS: &'static [FaultSpec] = &[SLOWDOWN];

    type RawConfig = RawOrders;
    type RawPolicy = RawOrdersPolicy;
    type Config = OrdersConfig;
    type Policy = OrdersPolicy;

    fn config(raw: &RawOrders, duration: SimDuration, check: &mut Check) -> OrdersConfig {
        scenario::config(raw, duration, check)
    }

    fn policy(raw: &RawOrdersPolicy, _config: &OrdersConfig, check: &mut Check) -> OrdersPolicy {
        scenario::policy(raw, check)
    }

    fn node_names(_config: &OrdersConfig) -> Vec<String> {
        NODE_NAMES.iter().map(|n| n.to_string()).collect()
    }

    fn charts(_config: &OrdersConfig, variants: &[(&str, &OrdersPolicy)]) -> Vec<ChartSpec> {
        let mut charts = vec![ChartSpec::line(
            INCONSISTENT,
            "Orders whose views disagree: charged but not in the inventory, or told the opposite of what happened",
            "orders",
        )];
        if variants.iter().any(|(_, p)| p.channel == Channel::Log) {
            charts.push(ChartSpec::line(
                BACKLOG,
                "Payment events waiting for the worker: a durable log keeps them through the faults",
                "events not yet acknowledged",
            ));
        }
        for (variant, _) in variants {
            charts.push(
                ChartSpec::line(
                    ANSWERS,
                    format!("{variant}: what customers were told, per second (pink: \"failed\" for a payment that went through)"),
                    "answers / s",
                )
                .kind(ChartKind::StackedArea)
                .of_variant(variant),
            );
        }
        charts
    }

    /// Customers who stop ordering sooner place fewer orders.
    fn workload_knobs(raw: &RawOrders) -> Vec<Knob> {
        let size = KnobSize::Duration { value: raw.until.0, min: SimDuration::ZERO };
        vec![Knob { path: vec![Field("until")], size }]
    }

    fn workload_size(config: &OrdersConfig, seed: u64) -> Option<String> {
        let orders = workload(config, seed).len();
        Some(format!("{orders} order{}", if orders == 1 { "" } else { "s" }))
    }

    fn run(
        config: &OrdersConfig,
        policy: &OrdersPolicy,
        setup: &RunSetup,
        variant: &str,
    ) -> Result<Outcome, LimitExceeded> {
        let customers = nodes::Customers { orders: workload(config, setup.sim.seed), next: 0 };
        let nodes = vec![
            (NODE_NAMES[0].to_owned(), OrdersNode::Customers(customers)),
            (NODE_NAMES[1].to_owned(), OrdersNode::Shop(nodes::Shop::new(policy.clone()))),
            (
                NODE_NAMES[2].to_owned(),
                OrdersNode::Broker(nodes::Broker::new(policy.channel, config.visibility_timeout)),
            ),
            (
                NODE_NAMES[3].to_owned(),
                OrdersNode::Worker(nodes::Worker::new(
                    policy.channel,
                    policy.consumer,
                    config.processing.clone(),
                    config.decline,
                )),
            ),
            (
                NODE_NAMES[4].to_owned(),
                OrdersNode::Inventory(nodes::InventoryService::new(
                    policy.channel,
                    policy.inventory,
                    config.products,
                    config.stock,
                    config.reserve_time.clone(),
                )),
            ),
        ];
        let mut sim = Simulation::new(setup.sim.clone(), nodes);
        let mut checker = checker::Checker::default();
        let stats = sim.run(&mut |at, node, obs| checker.observe(at, node, obs))?;
        let trace = sim.take_trace();
        let windows = setup.fault_windows(sim.names());
        let summary = checker.finish(setup, &windows, stats.end, variant);
        Ok(Outcome {
            variant: variant.to_owned(),
            trace_hash: stats.trace_hash,
            events: stats.events,
            sim_time: stats.end,
            metrics: summary.metrics,
            violations: summary.violations,
            series: summary.series,
            verdict: summary.verdict,
            trace,
        })
    }
}

/// When each order is placed and for which product, from the workload stream.
fn workload(config: &OrdersConfig, seed: u64) -> Vec<(SimTime, u32)> {
    let mut rng = Prng::new(seed, Stream::Workload);
    let (rates, end) = (RateSchedule::constant(config.rate_per_s), SimTime::ZERO + config.until);
    let mut orders = Vec::new();
    let mut at = SimTime::ZERO;
    while let Some(next) = rates.next_arrival(&mut rng, at, end) {
        at = next;
        orders.push((at, rng.below(u64::from(config.products.max(1))) as u32));
    }
    orders
}
