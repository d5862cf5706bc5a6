//! Redis Pub/Sub semantics: delivery to the subscribers connected now, and to nobody else.

use std::collections::{BTreeMap, BTreeSet};

/// Channels `C` and their subscribers `S` (node ids, say). Publishing returns who receives
/// the message; the caller sends it to each. Redis answers `PUBLISH` with that count.
#[derive(Clone, Debug, Default)]
pub struct PubSub<C: Ord + Copy, S: Ord + Copy> {
    subscribers: BTreeMap<C, BTreeSet<S>>,
}

impl<C: Ord + Copy, S: Ord + Copy> PubSub<C, S> {
    pub fn new() -> PubSub<C, S> {
        PubSub { subscribers: BTreeMap::new() }
    }

    /// `who` is connected and listening on `channel`.
    pub fn subscribe(&mut self, channel: C, who: S) {
        self.subscribers.entry(channel).or_default().insert(who);
    }

    /// `who`'s connection dropped: it hears nothing until it subscribes again.
    pub fn disconnect(&mut self, who: S) {
        for listeners in self.subscribers.values_mut() {
            listeners.remove(&who);
        }
    }

    /// The broker restarted: every connection, and so every subscription, is gone.
    pub fn restart(&mut self) {
        self.subscribers.clear();
    }

    /// Who receives a message published on `channel` now, in a fixed order. Empty when
    /// nobody listens: the message is simply dropped, as Redis does.
    pub fn publish(&self, channel: C) -> impl Iterator<Item = S> + '_ {
        self.subscribers.get(&channel).into_iter().flatten().copied()
    }

    pub fn is_subscribed(&self, channel: C, who: S) -> bool {
        self.subscribers.get(&channel).is_some_and(|listeners| listeners.contains(&who))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_subscribers_connected_at_publish_time_receive() {
        let mut bus: PubSub<u8, u32> = PubSub::new();
        assert_eq!(bus.publish(1).count(), 0, "nobody listens yet: the message is dropped");
        bus.subscribe(1, 10);
        bus.subscribe(1, 11);
        bus.subscribe(2, 10);
        assert_eq!(bus.publish(1).collect::<Vec<_>>(), [10, 11]);
        bus.disconnect(10);
        assert_eq!(bus.publish(1).collect::<Vec<_>>(), [11]);
        assert_eq!(bus.publish(2).count(), 0, "a dropped connection hears no channel");
        assert!(!bus.is_subscribed(2, 10));
    }

    #[test]
    fn a_broker_restart_forgets_every_subscription() {
        let mut bus: PubSub<u8, u32> = PubSub::new();
        bus.subscribe(1, 10);
        bus.restart();
        assert_eq!(bus.publish(1).count(), 0);
        bus.subscribe(1, 10);
        assert_eq!(bus.publish(1).collect::<Vec<_>>(), [10]);
    }
}
