//! The orders model's nodes: customers, the shop (order service), the broker, the payment
//! worker and the inventory service, and what they say to each other.

use std::collections::{BTreeMap, BTreeSet};

use faultline_engine::{
    Ctx, Latency, ModelFault, Names, Node, NodeId, Purpose, SimDuration, SimTime, TimerId,
    TraceEncode, TraceHasher, attempt_key,
};

use super::{Answer, Channel, Consumer, Inventory, OrdersPolicy, Producer};
use crate::broker::{Log, PubSub};
use crate::slowdown::Slowdowns;

pub(super) const CUSTOMERS: NodeId = NodeId(0);
pub(super) const SHOP: NodeId = NodeId(1);
pub(super) const BROKER: NodeId = NodeId(2);
pub(super) const WORKER: NodeId = NodeId(3);
pub(super) const INVENTORY: NodeId = NodeId(4);

/// How often a log consumer asks the broker for entries (`XREADGROUP … BLOCK`, roughly).
const POLL: SimDuration = SimDuration::from_millis(50);
/// How often a pub/sub subscriber renews its subscription: a client library reconnecting
/// after a dropped connection or a broker restart. What was published meanwhile is gone.
const RESUBSCRIBE: SimDuration = SimDuration::from_secs(1);
/// How often the outbox relay resends what the broker has not confirmed.
const RELAY: SimDuration = SimDuration::from_millis(200);
/// Entries a log consumer takes per poll.
const BATCH: usize = 64;
/// How long the shop waits for the broker's answer to a read, or the inventory's to a
/// reservation, before asking again. Both requests are idempotent; asking again is what a
/// client library does after a timeout or a dropped connection. The dual write's publish is
/// not asked again: that is what makes it a dual write.
const RETRY: SimDuration = SimDuration::from_millis(500);

/// Where events travel: payment requests to the worker, results back.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Topic {
    /// `payment:{id}:initiate`, for the payment worker.
    Initiate,
    /// The payment's result, for the shop and the inventory.
    Final,
}

/// An event on a topic.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Event {
    Initiate { order: u32, product: u32, reserved: bool },
    Final { order: u32, product: u32, charged: bool, reserved: bool },
}

/// What an event is, in the reader's words, for "order 17: publish payment request".
fn event_name(event: Event) -> &'static str {
    match event {
        Event::Initiate { .. } => "payment request",
        Event::Final { charged: true, .. } => "\"paid\"",
        Event::Final { charged: false, .. } => "\"declined\"",
    }
}

impl Event {
    fn order(self) -> u32 {
        match self {
            Event::Initiate { order, .. } | Event::Final { order, .. } => order,
        }
    }
}

/// What the shop tells a customer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Told {
    Completed,
    Failed,
    /// "We are processing your payment": honest, when the shop does not know yet.
    Pending,
    /// The last items were gone before the payment (reserve-then-charge).
    OutOfStock,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OrdersMsg {
    Place {
        order: u32,
        product: u32,
    },
    Tell {
        order: u32,
        told: Told,
    },
    Reserve {
        order: u32,
        product: u32,
    },
    Reserved {
        order: u32,
        ok: bool,
    },
    Publish {
        topic: Topic,
        event: Event,
    },
    Published {
        order: u32,
    },
    Subscribe {
        topic: Topic,
    },
    Poll {
        topic: Topic,
    },
    Deliver {
        topic: Topic,
        event: Event,
        offset: Option<u64>,
        deliveries: u32,
    },
    Ack {
        topic: Topic,
        offset: u64,
    },
    Set {
        order: u32,
        charged: bool,
    },
    Get {
        order: u32,
    },
    Value {
        order: u32,
        charged: Option<bool>,
    },
    /// The inventory asks the payment provider to give an order's money back.
    Refund {
        order: u32,
    },
    Refunded {
        order: u32,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum OrdersTimer {
    NextOrder,
    /// The shop's answer clock for an order (a sleep, a poll, a deadline).
    Answer {
        order: u32,
    },
    /// The shop's read or reservation for an order had no reply: ask again.
    Retry {
        order: u32,
    },
    Relay,
    Poll,
    Resubscribe,
    /// The worker finished recording a payment it charged (or that was declined).
    Recorded {
        event: Event,
        charged: bool,
        offset: Option<u64>,
    },
    /// The inventory's reservation transaction for an order is done.
    Reserve {
        order: u32,
        product: u32,
    },
}

fn encode_topic(topic: Topic, out: &mut TraceHasher) {
    out.word(match topic {
        Topic::Initiate => 0,
        Topic::Final => 1,
    });
}

fn encode_event(event: &Event, out: &mut TraceHasher) {
    match *event {
        Event::Initiate { order, product, reserved } => {
            out.word(0);
            (order, product, reserved).encode(out);
        }
        Event::Final { order, product, charged, reserved } => {
            out.word(1);
            (order, product, charged).encode(out);
            reserved.encode(out);
        }
    }
}

impl TraceEncode for OrdersMsg {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            OrdersMsg::Place { order, product } => (0u8, *order, *product).encode(out),
            OrdersMsg::Tell { order, told } => (1u8, *order, *told as u8).encode(out),
            OrdersMsg::Reserve { order, product } => (2u8, *order, *product).encode(out),
            OrdersMsg::Reserved { order, ok } => (3u8, *order, *ok).encode(out),
            OrdersMsg::Publish { topic, event } => {
                out.word(4);
                encode_topic(*topic, out);
                encode_event(event, out);
            }
            OrdersMsg::Published { order } => (5u8, *order).encode(out),
            OrdersMsg::Subscribe { topic } => {
                out.word(6);
                encode_topic(*topic, out);
            }
            OrdersMsg::Poll { topic } => {
                out.word(7);
                encode_topic(*topic, out);
            }
            OrdersMsg::Deliver { topic, event, offset, deliveries } => {
                out.word(8);
                encode_topic(*topic, out);
                encode_event(event, out);
                (*offset, *deliveries).encode(out);
            }
            OrdersMsg::Ack { topic, offset } => {
                out.word(9);
                encode_topic(*topic, out);
                offset.encode(out);
            }
            OrdersMsg::Set { order, charged } => (10u8, *order, *charged).encode(out),
            OrdersMsg::Get { order } => (11u8, *order).encode(out),
            OrdersMsg::Value { order, charged } => (12u8, *order, *charged).encode(out),
            OrdersMsg::Refund { order } => (13u8, *order).encode(out),
            OrdersMsg::Refunded { order } => (14u8, *order).encode(out),
        }
    }
}

impl TraceEncode for OrdersTimer {
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            OrdersTimer::NextOrder => out.word(0),
            OrdersTimer::Answer { order } => (1u8, *order).encode(out),
            OrdersTimer::Relay => out.word(2),
            OrdersTimer::Poll => out.word(3),
            OrdersTimer::Resubscribe => out.word(4),
            OrdersTimer::Recorded { event, charged, offset } => {
                out.word(5);
                encode_event(event, out);
                (*charged, *offset).encode(out);
            }
            OrdersTimer::Reserve { order, product } => (6u8, *order, *product).encode(out),
            OrdersTimer::Retry { order } => (7u8, *order).encode(out),
        }
    }
}

/// What the nodes report to the checker.
#[derive(Clone, Debug, PartialEq)]
pub enum OrdersObs {
    Placed {
        order: u32,
    },
    Told {
        order: u32,
        told: Told,
    },
    /// The shop handed the order's payment event to the broker (first attempt).
    Published {
        order: u32,
    },
    /// The shop wrote the order's payment event to its outbox, to be relayed until the
    /// broker confirms it: not lost, even if the run ends first.
    Outboxed {
        order: u32,
    },
    /// The broker's log holds the order's payment event: not lost, even if unread.
    Appended {
        order: u32,
    },
    /// The worker received the order's payment event; `deliveries` above 1 is a redelivery.
    Received {
        order: u32,
        deliveries: u32,
    },
    Charged {
        order: u32,
    },
    Declined {
        order: u32,
    },
    /// The payment provider gave the order's money back (the item was gone).
    Refunded {
        order: u32,
    },
    /// A product's stock changed for an order (below zero: sold items that did not exist).
    Stock {
        order: u32,
        product: u32,
        level: i64,
    },
    /// The inventory applied the order's payment result.
    Settled {
        order: u32,
    },
    /// Entries of the payment topic not yet acknowledged by the worker, whenever it changes.
    Backlog {
        entries: u64,
    },
}

pub enum OrdersNode {
    Customers(Customers),
    Shop(Shop),
    Broker(Broker),
    Worker(Worker),
    Inventory(InventoryService),
}

pub struct Customers {
    /// (when, product) of each order, drawn before the run: the same in every variant.
    pub(super) orders: Vec<(SimTime, u32)>,
    pub(super) next: usize,
}

/// An order as the shop's database holds it (durable, but for the request in flight).
struct ShopOrder {
    product: u32,
    /// When its payment event went out; `None` while it waits for a reservation.
    published_at: Option<SimTime>,
    answered: bool,
    /// The answer clock (a sleep, a poll, a deadline), cancelled once the customer has an
    /// answer: a deadline that can no longer matter is not an event.
    clock: Option<TimerId>,
    /// The retry of the read or reservation in flight, if one is: its reply is awaited, and
    /// any other reply for the order is a duplicate.
    awaiting: Option<TimerId>,
}

pub struct Shop {
    pub(super) policy: OrdersPolicy,
    orders: BTreeMap<u32, ShopOrder>,
    /// Events written with their order, not yet confirmed by the broker (the outbox table).
    outbox: BTreeMap<u32, Event>,
}

pub struct Broker {
    channel: Channel,
    /// Volatile: subscriptions live in connections.
    pubsub: PubSub<Topic, NodeId>,
    /// Durable: the logs, their consumer groups and the key-value store.
    initiate: Log<Event, NodeId, NodeId>,
    finals: Log<Event, NodeId, NodeId>,
    kv: BTreeMap<u32, bool>,
    visibility_timeout: SimDuration,
}

pub struct Worker {
    channel: Channel,
    consumer: Consumer,
    processing: Latency,
    decline: f64,
    /// The payment provider's ledger: charges per order (durable, and not ours to undo).
    charges: BTreeMap<u32, u32>,
    /// The slowdowns in force.
    slowdowns: Slowdowns,
    /// Orders whose money the provider gave back (durable, like its charges).
    refunded: BTreeSet<u32>,
    /// Log entries to acknowledge once the broker confirms their result is published
    /// (volatile: after a crash they are handed out again).
    unconfirmed: BTreeMap<u32, Vec<u64>>,
}

pub struct InventoryService {
    channel: Channel,
    policy: Inventory,
    reserve_time: Latency,
    /// Items per product (durable).
    stock: Vec<i64>,
    /// Orders whose item is set aside, and orders already settled (durable).
    reserved: BTreeSet<u32>,
    settled: BTreeSet<u32>,
    /// Refunds asked for and not yet confirmed (durable): asked again until they are.
    refunds_owed: BTreeSet<u32>,
}

impl Shop {
    pub(super) fn new(policy: OrdersPolicy) -> Shop {
        Shop { policy, orders: BTreeMap::new(), outbox: BTreeMap::new() }
    }

    fn publish(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32, reserved: bool) {
        let Some(record) = self.orders.get_mut(&order) else {
            unreachable!("order {order} is in the shop's database before its event goes out")
        };
        record.published_at = Some(ctx.now());
        let event = Event::Initiate { order, product: record.product, reserved };
        if self.policy.producer == Producer::Outbox {
            // Written in the same transaction as the order; the relay sends it until the
            // broker confirms.
            self.outbox.insert(order, event);
            ctx.observe(OrdersObs::Outboxed { order });
        }
        ctx.send(BROKER, OrdersMsg::Publish { topic: Topic::Initiate, event });
        ctx.observe(OrdersObs::Published { order });
        let first = match self.policy.answer {
            Answer::SleepThenRead { sleep } => sleep,
            Answer::Poll { every, .. } => every,
            Answer::Confirmation { deadline } => deadline,
        };
        record.clock = Some(ctx.set_timer(first, OrdersTimer::Answer { order }));
    }

    fn tell(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32, told: Told) {
        let Some(record) = self.orders.get_mut(&order) else { return };
        if !record.answered {
            record.answered = true;
            if let Some(clock) = record.clock.take() {
                ctx.cancel_timer(clock);
            }
            ctx.send(CUSTOMERS, OrdersMsg::Tell { order, told });
        }
    }

    /// Sends the order's read (`Get`) or reservation (`Reserve`), and arms its retry.
    fn request(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) {
        let Some(record) = self.orders.get_mut(&order) else { return };
        let (to, msg) = match record.published_at {
            Some(_) => (BROKER, OrdersMsg::Get { order }),
            None => (INVENTORY, OrdersMsg::Reserve { order, product: record.product }),
        };
        ctx.send(to, msg);
        record.awaiting = Some(ctx.set_timer(RETRY, OrdersTimer::Retry { order }));
    }

    /// The reply to the order's request in flight arrived: true if it was awaited (and is
    /// no longer), false for a duplicate or a reply to a request already answered.
    fn replied(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) -> bool {
        let Some(record) = self.orders.get_mut(&order).filter(|o| !o.answered) else {
            return false;
        };
        let Some(retry) = record.awaiting.take() else { return false };
        ctx.cancel_timer(retry);
        true
    }

    fn answer_clock(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) {
        let answered = self.orders.get(&order).is_none_or(|o| o.answered);
        if answered {
            return;
        }
        match self.policy.answer {
            // The article: sleep, then read whatever is there.
            Answer::SleepThenRead { .. } | Answer::Poll { .. } => self.request(ctx, order),
            Answer::Confirmation { .. } => self.tell(ctx, order, Told::Pending),
        }
    }

    fn retry(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) {
        let waiting = self.orders.get(&order).is_some_and(|o| !o.answered && o.awaiting.is_some());
        if waiting {
            self.request(ctx, order);
        }
    }

    fn value(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32, charged: Option<bool>) {
        if !self.replied(ctx, order) {
            return;
        }
        let told = match (self.policy.answer, charged) {
            (_, Some(true)) => Told::Completed,
            (_, Some(false)) => Told::Failed,
            // The article's code answers "failed" for anything but "completed".
            (Answer::SleepThenRead { .. }, None) => Told::Failed,
            (Answer::Poll { every, deadline }, None) => {
                let since = self.orders.get(&order).and_then(|o| o.published_at);
                let waited = since.map_or(SimDuration::ZERO, |at| ctx.now().since(at));
                if waited + every <= deadline {
                    let clock = ctx.set_timer(every, OrdersTimer::Answer { order });
                    if let Some(record) = self.orders.get_mut(&order) {
                        record.clock = Some(clock);
                    }
                    return;
                }
                Told::Pending
            }
            (Answer::Confirmation { .. }, None) => {
                unreachable!("a shop waiting for confirmations reads no values")
            }
        };
        self.tell(ctx, order, told);
    }
}

impl Broker {
    pub(super) fn new(channel: Channel, visibility_timeout: SimDuration) -> Broker {
        let mut initiate = Log::new();
        initiate.create_group(WORKER);
        let mut finals = Log::new();
        finals.create_group(SHOP);
        finals.create_group(INVENTORY);
        Broker {
            channel,
            pubsub: PubSub::new(),
            initiate,
            finals,
            kv: BTreeMap::new(),
            visibility_timeout,
        }
    }

    fn log(&mut self, topic: Topic) -> &mut Log<Event, NodeId, NodeId> {
        match topic {
            Topic::Initiate => &mut self.initiate,
            Topic::Final => &mut self.finals,
        }
    }

    /// What the worker still owes: entries never handed out (Redis's lag) plus those handed
    /// out and not acknowledged (its pending entries).
    fn observe_backlog(&self, ctx: &mut Ctx<'_, OrdersNode>) {
        let entries = self.initiate.lag(WORKER) + self.initiate.pending(WORKER);
        ctx.observe(OrdersObs::Backlog { entries });
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, OrdersNode>, from: NodeId, msg: OrdersMsg) {
        match msg {
            OrdersMsg::Publish { topic, event } => {
                match self.channel {
                    Channel::PubSub => {
                        let receivers: Vec<NodeId> = self.pubsub.publish(topic).collect();
                        for to in receivers {
                            let deliver =
                                OrdersMsg::Deliver { topic, event, offset: None, deliveries: 1 };
                            ctx.send(to, deliver);
                        }
                    }
                    Channel::Log => {
                        self.log(topic).append(event);
                        if topic == Topic::Initiate {
                            ctx.observe(OrdersObs::Appended { order: event.order() });
                            self.observe_backlog(ctx);
                        }
                    }
                }
                ctx.send(from, OrdersMsg::Published { order: event.order() });
            }
            OrdersMsg::Subscribe { topic } => self.pubsub.subscribe(topic, from),
            OrdersMsg::Poll { topic } => {
                let (now, timeout) = (ctx.now(), self.visibility_timeout);
                let log = self.log(topic);
                let mut batch = log.claim_idle(from, from, timeout, BATCH, now);
                batch.extend(log.read(from, from, BATCH - batch.len(), now));
                for delivery in batch {
                    let event =
                        *self.log(topic).get(delivery.offset).expect("a delivered entry exists");
                    let deliveries = delivery.deliveries;
                    ctx.send(
                        from,
                        OrdersMsg::Deliver {
                            topic,
                            event,
                            offset: Some(delivery.offset),
                            deliveries,
                        },
                    );
                }
            }
            OrdersMsg::Ack { topic, offset } => {
                let acked = self.log(topic).ack(from, offset);
                if acked && topic == Topic::Initiate {
                    self.observe_backlog(ctx);
                }
            }
            OrdersMsg::Set { order, charged } => {
                self.kv.insert(order, charged);
            }
            OrdersMsg::Get { order } => {
                let charged = self.kv.get(&order).copied();
                ctx.send(from, OrdersMsg::Value { order, charged });
            }
            other => unreachable!("the broker is sent only broker commands, not {other:?}"),
        }
    }
}

impl Worker {
    pub(super) fn new(
        channel: Channel,
        consumer: Consumer,
        processing: Latency,
        decline: f64,
    ) -> Worker {
        Worker {
            channel,
            consumer,
            processing,
            decline,
            charges: BTreeMap::new(),
            slowdowns: Slowdowns::default(),
            refunded: BTreeSet::new(),
            unconfirmed: BTreeMap::new(),
        }
    }

    /// Gives an order's money back, once however often asked, and confirms.
    fn refund(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) {
        if self.charges.contains_key(&order) && self.refunded.insert(order) {
            ctx.observe(OrdersObs::Refunded { order });
        }
        ctx.send(INVENTORY, OrdersMsg::Refunded { order });
    }

    fn receive(
        &mut self,
        ctx: &mut Ctx<'_, OrdersNode>,
        event: Event,
        offset: Option<u64>,
        deliveries: u32,
    ) {
        let Event::Initiate { order, .. } = event else {
            unreachable!("the worker consumes only payment requests")
        };
        ctx.observe(OrdersObs::Received { order, deliveries });
        // The idempotent worker charges with the order id as an idempotency key, which the
        // provider honours (as Stripe's `Idempotency-Key` does): a second charge of the same
        // order returns the first. A dedupe table of the worker's own, written when it
        // records, would miss the charge a crash cut off before the record.
        let seen = self.charges.contains_key(&order);
        if self.consumer == Consumer::Idempotent && seen {
            // Charged before (a redelivery, or a resend of the outbox): record, do not charge.
            self.record(ctx, event, true, offset);
            return;
        }
        // The provider's answer for this card, the same in every variant.
        let decline = self.decline;
        let declined = ctx.draw(Purpose::Choice, u64::from(order), |rng| rng.chance(decline));
        if declined {
            ctx.observe(OrdersObs::Declined { order });
        } else {
            *self.charges.entry(order).or_default() += 1;
            ctx.observe(OrdersObs::Charged { order });
        }
        // Recording the result takes a while: a crash in between leaves a charge without
        // its acknowledgement.
        let time = &self.processing;
        let key = attempt_key(u64::from(order), deliveries);
        let took = ctx.draw(Purpose::ServiceTime, key, |rng| time.sample(rng));
        let factor = self.slowdowns.factor();
        ctx.set_timer(
            took.mul_f64(factor),
            OrdersTimer::Recorded { event, charged: !declined, offset },
        );
    }

    fn record(
        &mut self,
        ctx: &mut Ctx<'_, OrdersNode>,
        event: Event,
        charged: bool,
        offset: Option<u64>,
    ) {
        let Event::Initiate { order, product, reserved } = event else {
            unreachable!("the worker records only payment requests")
        };
        ctx.send(BROKER, OrdersMsg::Set { order, charged });
        let result = Event::Final { order, product, charged, reserved };
        ctx.send(BROKER, OrdersMsg::Publish { topic: Topic::Final, event: result });
        // Acknowledged only once the result is safely published: acknowledging first could
        // lose the result with nothing left to hand the request out again.
        if let Some(offset) = offset {
            self.unconfirmed.entry(order).or_default().push(offset);
        }
    }

    fn confirmed(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32) {
        // Every entry of this order: an outbox resend may have appended it twice.
        for offset in self.unconfirmed.remove(&order).unwrap_or_default() {
            ctx.send(BROKER, OrdersMsg::Ack { topic: Topic::Initiate, offset });
        }
    }
}

impl InventoryService {
    pub(super) fn new(
        channel: Channel,
        policy: Inventory,
        products: u32,
        stock: u32,
        reserve_time: Latency,
    ) -> InventoryService {
        InventoryService {
            channel,
            policy,
            reserve_time,
            stock: vec![i64::from(stock); products as usize],
            reserved: BTreeSet::new(),
            settled: BTreeSet::new(),
            refunds_owed: BTreeSet::new(),
        }
    }

    /// Asks the payment provider again for every refund it has not confirmed.
    fn ask_refunds(&self, ctx: &mut Ctx<'_, OrdersNode>) {
        for &order in &self.refunds_owed {
            ctx.send(WORKER, OrdersMsg::Refund { order });
        }
    }

    fn take(&mut self, ctx: &mut Ctx<'_, OrdersNode>, order: u32, product: u32, items: i64) {
        let level = &mut self.stock[product as usize];
        *level -= items;
        ctx.observe(OrdersObs::Stock { order, product, level: *level });
    }

    fn settle(&mut self, ctx: &mut Ctx<'_, OrdersNode>, event: Event) {
        let Event::Final { order, product, charged, reserved } = event else {
            unreachable!("the inventory consumes only payment results")
        };
        // Idempotent by order: a redelivered result changes nothing.
        if !self.settled.insert(order) {
            return;
        }
        ctx.observe(OrdersObs::Settled { order });
        match (reserved, charged) {
            // Charge-then-refund: the item goes when the payment does, if there is one left;
            // if not, the customer's money goes back (compensation after the fact).
            (false, true)
                if self.policy == Inventory::ChargeThenRefund
                    && self.stock[product as usize] <= 0 =>
            {
                self.refunds_owed.insert(order);
                ctx.send(WORKER, OrdersMsg::Refund { order });
            }
            // Charge-then-decrement: the item goes when the payment does, in stock or not.
            (false, true) => self.take(ctx, order, product, 1),
            (false, false) | (true, true) => {}
            // The saga's compensation: the payment failed, so the reservation is released.
            (true, false) => {
                self.reserved.remove(&order);
                self.take(ctx, order, product, -1);
            }
        }
    }
}

/// Asks the broker for what a consumer waits for: a poll for a log, a (re)subscription for
/// pub/sub; and re-arms itself.
fn listen(ctx: &mut Ctx<'_, OrdersNode>, channel: Channel, topic: Topic) {
    match channel {
        Channel::Log => {
            ctx.send(BROKER, OrdersMsg::Poll { topic });
            ctx.set_timer(POLL, OrdersTimer::Poll);
        }
        Channel::PubSub => {
            ctx.send(BROKER, OrdersMsg::Subscribe { topic });
            ctx.set_timer(RESUBSCRIBE, OrdersTimer::Resubscribe);
        }
    }
}

impl OrdersNode {
    /// The topic this node consumes, if any, and over which channel.
    fn listens(&self) -> Option<(Channel, Topic)> {
        match self {
            OrdersNode::Worker(w) => Some((w.channel, Topic::Initiate)),
            OrdersNode::Inventory(i) => Some((i.channel, Topic::Final)),
            OrdersNode::Shop(s) if matches!(s.policy.answer, Answer::Confirmation { .. }) => {
                Some((s.policy.channel, Topic::Final))
            }
            OrdersNode::Shop(_) | OrdersNode::Customers(_) | OrdersNode::Broker(_) => None,
        }
    }

    fn wake(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Some((channel, topic)) = self.listens() {
            listen(ctx, channel, topic);
        }
        match self {
            OrdersNode::Customers(c) => {
                if let Some(&(at, _)) = c.orders.get(c.next) {
                    ctx.set_timer(at.since(ctx.now()), OrdersTimer::NextOrder);
                }
            }
            OrdersNode::Shop(s) if s.policy.producer == Producer::Outbox => {
                ctx.set_timer(RELAY, OrdersTimer::Relay);
            }
            _ => {}
        }
    }
}

impl Node for OrdersNode {
    type Msg = OrdersMsg;
    type Timer = OrdersTimer;
    type Obs = OrdersObs;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.wake(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: OrdersMsg) {
        match (self, msg) {
            (OrdersNode::Customers(_), OrdersMsg::Tell { order, told }) => {
                ctx.observe(OrdersObs::Told { order, told });
            }
            (OrdersNode::Shop(shop), OrdersMsg::Place { order, product }) => {
                let record = ShopOrder {
                    product,
                    published_at: None,
                    answered: false,
                    clock: None,
                    awaiting: None,
                };
                shop.orders.insert(order, record);
                match shop.policy.inventory {
                    Inventory::ReserveThenCharge => shop.request(ctx, order),
                    Inventory::ChargeThenDecrement | Inventory::ChargeThenRefund => {
                        shop.publish(ctx, order, false)
                    }
                }
            }
            (OrdersNode::Shop(shop), OrdersMsg::Reserved { order, ok }) => {
                if !shop.replied(ctx, order) {
                    return; // a duplicate answer: the order went on already
                }
                if ok {
                    shop.publish(ctx, order, true);
                } else {
                    shop.tell(ctx, order, Told::OutOfStock);
                }
            }
            (OrdersNode::Shop(shop), OrdersMsg::Published { order }) => {
                shop.outbox.remove(&order);
            }
            (OrdersNode::Shop(shop), OrdersMsg::Value { order, charged }) => {
                shop.value(ctx, order, charged)
            }
            (OrdersNode::Shop(shop), OrdersMsg::Deliver { event, offset, .. }) => {
                let Event::Final { order, charged, .. } = event else {
                    unreachable!("the shop consumes only payment results")
                };
                shop.tell(ctx, order, if charged { Told::Completed } else { Told::Failed });
                if let Some(offset) = offset {
                    ctx.send(BROKER, OrdersMsg::Ack { topic: Topic::Final, offset });
                }
            }
            (OrdersNode::Broker(broker), msg) => broker.handle(ctx, from, msg),
            (OrdersNode::Worker(worker), OrdersMsg::Deliver { event, offset, deliveries, .. }) => {
                worker.receive(ctx, event, offset, deliveries);
            }
            (OrdersNode::Worker(worker), OrdersMsg::Published { order }) => {
                worker.confirmed(ctx, order)
            }
            (OrdersNode::Worker(worker), OrdersMsg::Refund { order }) => worker.refund(ctx, order),
            (OrdersNode::Inventory(inventory), OrdersMsg::Refunded { order }) => {
                inventory.refunds_owed.remove(&order);
            }
            (OrdersNode::Inventory(inventory), OrdersMsg::Reserve { order, product }) => {
                let time = &inventory.reserve_time;
                let took = ctx.draw(Purpose::ServiceTime, u64::from(order), |rng| time.sample(rng));
                ctx.set_timer(took, OrdersTimer::Reserve { order, product });
            }
            (OrdersNode::Inventory(inventory), OrdersMsg::Deliver { event, offset, .. }) => {
                inventory.settle(ctx, event);
                if let Some(offset) = offset {
                    ctx.send(BROKER, OrdersMsg::Ack { topic: Topic::Final, offset });
                }
            }
            (_, msg) => unreachable!(
                "{msg:?} is not for this node: each node is sent only its own part of the protocol"
            ),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: OrdersTimer) {
        match (&mut *self, timer) {
            (OrdersNode::Customers(c), OrdersTimer::NextOrder) => {
                let (_, product) = c.orders[c.next];
                let order = c.next as u32;
                c.next += 1;
                ctx.send(SHOP, OrdersMsg::Place { order, product });
                ctx.observe(OrdersObs::Placed { order });
                if let Some(&(at, _)) = c.orders.get(c.next) {
                    ctx.set_timer(at.since(ctx.now()), OrdersTimer::NextOrder);
                }
            }
            (OrdersNode::Shop(shop), OrdersTimer::Answer { order }) => {
                shop.answer_clock(ctx, order)
            }
            (OrdersNode::Shop(shop), OrdersTimer::Retry { order }) => shop.retry(ctx, order),
            (OrdersNode::Shop(shop), OrdersTimer::Relay) => {
                for &event in shop.outbox.values() {
                    ctx.send(BROKER, OrdersMsg::Publish { topic: Topic::Initiate, event });
                }
                ctx.set_timer(RELAY, OrdersTimer::Relay);
            }
            (OrdersNode::Worker(worker), OrdersTimer::Recorded { event, charged, offset }) => {
                worker.record(ctx, event, charged, offset);
            }
            (OrdersNode::Inventory(inventory), OrdersTimer::Reserve { order, product }) => {
                // Idempotent by order: a duplicated request reserves nothing more.
                let ok = if inventory.reserved.contains(&order) {
                    true
                } else if inventory.stock[product as usize] > 0 {
                    inventory.reserved.insert(order);
                    inventory.take(ctx, order, product, 1);
                    true
                } else {
                    false
                };
                ctx.send(SHOP, OrdersMsg::Reserved { order, ok });
            }
            (node, OrdersTimer::Poll | OrdersTimer::Resubscribe) => {
                let Some((channel, topic)) = node.listens() else {
                    unreachable!("only consumers poll or subscribe")
                };
                listen(ctx, channel, topic);
                if let OrdersNode::Inventory(inventory) = node {
                    inventory.ask_refunds(ctx);
                }
            }
            (_, timer) => unreachable!("{timer:?} belongs to another node"),
        }
    }

    /// Each order is a story: its placing, its events, reads, reservation and answer.
    fn subject(msg: &OrdersMsg) -> Option<u64> {
        let order = match *msg {
            OrdersMsg::Place { order, .. }
            | OrdersMsg::Tell { order, .. }
            | OrdersMsg::Reserve { order, .. }
            | OrdersMsg::Reserved { order, .. }
            | OrdersMsg::Published { order }
            | OrdersMsg::Set { order, .. }
            | OrdersMsg::Get { order }
            | OrdersMsg::Value { order, .. }
            | OrdersMsg::Refund { order }
            | OrdersMsg::Refunded { order } => order,
            OrdersMsg::Publish { event, .. } | OrdersMsg::Deliver { event, .. } => event.order(),
            OrdersMsg::Subscribe { .. } | OrdersMsg::Poll { .. } | OrdersMsg::Ack { .. } => {
                return None;
            }
        };
        Some(u64::from(order))
    }

    fn timer_subject(timer: &OrdersTimer) -> Option<u64> {
        match *timer {
            OrdersTimer::Answer { order }
            | OrdersTimer::Retry { order }
            | OrdersTimer::Reserve { order, .. } => Some(u64::from(order)),
            OrdersTimer::Recorded { event, .. } => Some(u64::from(event.order())),
            OrdersTimer::NextOrder
            | OrdersTimer::Relay
            | OrdersTimer::Poll
            | OrdersTimer::Resubscribe => None,
        }
    }

    fn describe(msg: &OrdersMsg, _names: Names<'_>) -> String {
        let told = |told: Told| match told {
            Told::Completed => "completed",
            Told::Failed => "failed",
            Told::Pending => "pending",
            Told::OutOfStock => "out of stock",
        };
        let topic = |topic: Topic| match topic {
            Topic::Initiate => "payment requests",
            Topic::Final => "payment results",
        };
        match *msg {
            OrdersMsg::Place { order, product } => format!("order {order}: buy product {product}"),
            OrdersMsg::Tell { order, told: t } => format!("order {order}: told \"{}\"", told(t)),
            OrdersMsg::Reserve { order, product } => {
                format!("order {order}: reserve product {product}")
            }
            OrdersMsg::Reserved { order, ok: true } => format!("order {order}: reserved"),
            OrdersMsg::Reserved { order, ok: false } => format!("order {order}: sold out"),
            OrdersMsg::Publish { event, .. } => {
                format!("order {}: publish {}", event.order(), event_name(event))
            }
            OrdersMsg::Published { order } => format!("order {order}: published"),
            OrdersMsg::Subscribe { topic: t } => format!("subscribe to {}", topic(t)),
            OrdersMsg::Poll { topic: t } => format!("poll {}", topic(t)),
            OrdersMsg::Deliver { event, deliveries, .. } => {
                let (order, name) = (event.order(), event_name(event));
                match deliveries {
                    0 | 1 => format!("order {order}: deliver {name}"),
                    2 => format!("order {order}: deliver {name} (2nd time)"),
                    3 => format!("order {order}: deliver {name} (3rd time)"),
                    n => format!("order {order}: deliver {name} ({n}th time)"),
                }
            }
            OrdersMsg::Ack { offset, .. } => format!("ack offset {offset}"),
            OrdersMsg::Set { order, charged: true } => format!("order {order}: store \"charged\""),
            OrdersMsg::Set { order, charged: false } => {
                format!("order {order}: store \"declined\"")
            }
            OrdersMsg::Get { order } => format!("order {order}: read status"),
            OrdersMsg::Value { order, charged: None } => format!("order {order}: no status yet"),
            OrdersMsg::Value { order, charged: Some(true) } => format!("order {order}: charged"),
            OrdersMsg::Value { order, charged: Some(false) } => format!("order {order}: declined"),
            OrdersMsg::Refund { order } => format!("order {order}: refund"),
            OrdersMsg::Refunded { order } => format!("order {order}: refunded"),
        }
    }

    fn describe_timer(timer: &OrdersTimer, _names: Names<'_>) -> String {
        match *timer {
            OrdersTimer::NextOrder => "next order".to_owned(),
            OrdersTimer::Answer { order } => format!("order {order}: time to answer"),
            OrdersTimer::Retry { order } => format!("order {order}: no reply, ask again"),
            OrdersTimer::Relay => "relay the outbox".to_owned(),
            OrdersTimer::Poll => "poll".to_owned(),
            OrdersTimer::Resubscribe => "resubscribe".to_owned(),
            OrdersTimer::Recorded { event, charged: true, .. } => {
                format!("order {}: charged", event.order())
            }
            OrdersTimer::Recorded { event, charged: false, .. } => {
                format!("order {}: declined", event.order())
            }
            OrdersTimer::Reserve { order, .. } => format!("order {order}: reservation done"),
        }
    }

    fn on_fault(&mut self, fault: &ModelFault, active: bool) {
        let OrdersNode::Worker(worker) = self else {
            unreachable!("validation aims {} only at the worker", fault.kind)
        };
        worker.slowdowns.apply(fault, active);
    }

    /// What survives a crash: the shop's database and outbox, the broker's logs and store
    /// (not its subscriptions), the provider's ledger, the inventory's stock. What does not:
    /// the shop's answers in progress (the customers' connections), the worker's payments
    /// being recorded, the customers' place in their schedule past the crash.
    fn on_crash(&mut self) {
        match self {
            OrdersNode::Broker(broker) => broker.pubsub.restart(),
            OrdersNode::Shop(shop) => {
                // The customers waiting on a connection get no answer any more.
                for order in shop.orders.values_mut() {
                    order.answered = true;
                }
            }
            OrdersNode::Worker(worker) => worker.unconfirmed.clear(),
            OrdersNode::Customers(_) | OrdersNode::Inventory(_) => {}
        }
    }

    /// Every node takes up its listening and relaying again; customers skip the orders they
    /// would have placed while down.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let OrdersNode::Customers(c) = self {
            let now = ctx.now();
            while c.orders.get(c.next).is_some_and(|&(at, _)| at < now) {
                c.next += 1;
            }
        }
        self.wake(ctx);
    }
}
