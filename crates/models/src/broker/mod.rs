//! A message broker in the two shapes the article's eventual-consistency example reaches
//! for, as pure state machines a node can own (time comes in as arguments):
//!
//! - [`PubSub`], Redis Pub/Sub: a message reaches the subscribers connected when it is
//!   published, and nobody else. Nothing is stored, so a subscriber that is disconnected,
//!   partitioned or restarting, or a broker that restarts, loses it for good: at most once.
//! - [`Log`], a durable append-only log with consumer groups, as Redis Streams offer (`XADD`,
//!   `XREADGROUP`, `XACK`, `XAUTOCLAIM`), or a queue with a visibility timeout (SQS): an
//!   entry stays pending until a consumer acknowledges it, and is handed out again once it
//!   has been idle longer than the timeout: at least once. (Kafka differs in the mechanism,
//!   redelivering everything after the committed offset on a rebalance, not in the promise.)
//!   The log is taken to be durable; Redis with `appendfsync everysec` can lose about the
//!   last second of entries in a crash, which this does not model.
//!
//! Both are kept by the broker node; the log and its groups are durable (on disk), the
//! subscriptions of [`PubSub`] live in connections and die with them.

mod log;
mod pubsub;

pub use log::{Delivery, Log};
pub use pubsub::PubSub;
