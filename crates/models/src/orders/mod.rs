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
use faultline_outcome::{
    ChartId, ChartKind, ChartSpec, Invariant, Metric, Outcome, Tradeoff, Unit,
};
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

pub const PLACED: Metric =
    Metric::new("orders.placed", Unit::Count, "orders the customers sent to the shop");
pub const CHARGED: Metric = Metric::new(
    "orders.charged",
    Unit::Count,
    "orders whose card the payment worker charged, at least once",
);
pub const CHARGED_TWICE: Metric = Metric::new(
    "orders.charged_twice",
    Unit::Count,
    "orders whose card was charged more than once",
);
pub const REFUNDED: Metric = Metric::new(
    "orders.refunded",
    Unit::Count,
    "orders whose payment was given back because the item was gone (`ChargeThenRefund`)",
);
pub const OVERSOLD: Metric = Metric::new(
    "orders.oversold",
    Unit::Count,
    "changes to a product's stock that left it below zero: items sold that were not there",
);
pub const NEVER_PROCESSED: Metric = Metric::new(
    "orders.never_processed",
    Unit::Count,
    "orders whose payment event was published but that the payment worker never charged or \
     declined",
);
pub const TOLD_COMPLETED: Metric = Metric::new(
    "orders.told_completed",
    Unit::Count,
    "orders whose customer's first answer was \"completed\"",
);
pub const TOLD_FAILED: Metric = Metric::new(
    "orders.told_failed",
    Unit::Count,
    "orders whose customer's first answer was \"failed\"",
);
pub const TOLD_PENDING: Metric = Metric::new(
    "orders.told_pending",
    Unit::Count,
    "orders whose customer's first answer was \"pending\" (no result by the deadline)",
);
pub const TOLD_OUT_OF_STOCK: Metric = Metric::new(
    "orders.told_out_of_stock",
    Unit::Count,
    "orders whose customer's first answer was \"out of stock\" (`ReserveThenCharge`)",
);
pub const UNANSWERED: Metric = Metric::new(
    "orders.unanswered",
    Unit::Count,
    "orders placed whose customer had no answer when the run ended (a lost request, a \
     crashed shop)",
);
pub const FALSE_FAILURES: Metric = Metric::new(
    "orders.false_failures",
    Unit::Count,
    "customers told \"failed\" whose card was charged and not refunded by the end",
);
pub const FALSE_COMPLETIONS: Metric = Metric::new(
    "orders.false_completions",
    Unit::Count,
    "customers told \"completed\" whose card was never charged, or was refunded",
);
pub const TRUTHFUL_SHARE: Metric = Metric::new(
    "answers.truthful_share",
    Unit::Share,
    "answers the end of the run does not contradict, as a share of the first answers given; \
     absent when no customer was answered",
);
pub const LATENCY_P50_MS: Metric = Metric::new(
    "order.latency_p50_ms",
    Unit::Ms,
    "the median time from placing an order to its customer's first answer, over answered \
     orders (nearest rank; see `orders.unanswered` for the others); absent when none was",
);
pub const LATENCY_P99_MS: Metric = Metric::new(
    "order.latency_p99_ms",
    Unit::Ms,
    "the 99th percentile of the same times; absent when no order was answered",
);
pub const EVENTS_PUBLISHED: Metric = Metric::new(
    "events.published",
    Unit::Count,
    "orders whose payment event the shop published, each once however often it was sent",
);
pub const EVENTS_LOST: Metric = Metric::new(
    "events.lost",
    Unit::Count,
    "published payment events the worker never received that went neither into the log nor \
     into the shop's outbox: nothing can deliver them later",
);
pub const EVENTS_UNDELIVERED: Metric = Metric::new(
    "events.undelivered",
    Unit::Count,
    "published payment events the worker had not received when the run ended that went into \
     the log or the shop's outbox: late rather than lost",
);
pub const EVENTS_REDELIVERED: Metric = Metric::new(
    "events.redelivered",
    Unit::Count,
    "deliveries of a log entry to the worker after its first, once its visibility timeout \
     passed unacknowledged",
);
pub const CONSUMER_LAG_MAX: Metric = Metric::new(
    "consumer.lag_max",
    Unit::Count,
    "the most payment entries the worker owed the log at once, handed out and \
     unacknowledged or not handed out yet; only with `channel: Log`",
);
pub const CONVERGENCE_S: Metric = Metric::new(
    "convergence_s",
    Unit::Seconds,
    "from the end of the last fault until the last disagreement between the shop, the \
     payment provider and the inventory that began by then had cleared (0 if none); absent \
     when some disagreement was left at the end",
);
pub const STOCK_MIN: Metric = Metric::new(
    "stock.min",
    Unit::Count,
    "the lowest stock, in items, any product reached (below 0: oversold); absent when no \
     stock moved",
);

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
    const METRICS: &'static [Metric] = &[
        PLACED,
        CHARGED,
        CHARGED_TWICE,
        REFUNDED,
        OVERSOLD,
        NEVER_PROCESSED,
        TOLD_COMPLETED,
        TOLD_FAILED,
        TOLD_PENDING,
        TOLD_OUT_OF_STOCK,
        UNANSWERED,
        FALSE_FAILURES,
        FALSE_COMPLETIONS,
        TRUTHFUL_SHARE,
        LATENCY_P50_MS,
        LATENCY_P99_MS,
        EVENTS_PUBLISHED,
        EVENTS_LOST,
        EVENTS_UNDELIVERED,
        EVENTS_REDELIVERED,
        CONSUMER_LAG_MAX,
        CONVERGENCE_S,
        STOCK_MIN,
    ];
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
