//! A durable log with consumer groups: Redis Streams' `XADD`, `XREADGROUP >`, `XACK` and
//! `XAUTOCLAIM` (an SQS-like visibility timeout for unacknowledged entries).

use std::collections::BTreeMap;

use faultline_engine::{SimDuration, SimTime};

/// Entries `T` in append order, read by consumer groups `G` whose consumers are `S`.
///
/// Each group sees every entry. Within a group an entry goes to one consumer and stays
/// *pending* until that consumer acknowledges it; a pending entry idle for longer than a
/// visibility timeout can be claimed by another consumer, which gets it again (its delivery
/// count grows). Nothing is ever lost, and anything may be delivered more than once.
#[derive(Clone, Debug)]
pub struct Log<T, G: Ord + Copy, S: Ord + Copy> {
    entries: Vec<T>,
    groups: BTreeMap<G, Group<S>>,
}

#[derive(Clone, Debug)]
struct Group<S> {
    /// The offset of the first entry never handed to this group (Redis's last delivered id,
    /// plus one; a Kafka consumer's fetch position).
    next: u64,
    /// Handed out and not acknowledged, by offset.
    pending: BTreeMap<u64, Pending<S>>,
    acked: u64,
}

#[derive(Copy, Clone, Debug)]
struct Pending<S> {
    consumer: S,
    delivered_at: SimTime,
    deliveries: u32,
}

/// One entry handed to a consumer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub offset: u64,
    /// How many times this group has handed it out, this time included: above 1 is a
    /// redelivery, which a consumer that is not idempotent applies again.
    pub deliveries: u32,
}

impl<T, G: Ord + Copy, S: Ord + Copy> Default for Log<T, G, S> {
    fn default() -> Self {
        Log { entries: Vec::new(), groups: BTreeMap::new() }
    }
}

impl<T, G: Ord + Copy, S: Ord + Copy> Log<T, G, S> {
    pub fn new() -> Self {
        Log::default()
    }

    /// Appends an entry (`XADD`) and returns its offset.
    pub fn append(&mut self, entry: T) -> u64 {
        self.entries.push(entry);
        self.entries.len() as u64 - 1
    }

    pub fn get(&self, offset: u64) -> Option<&T> {
        self.entries.get(offset as usize)
    }

    /// Entries appended so far.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Creates `group`, reading from the first entry (`XGROUP CREATE … 0`, or Kafka's
    /// `auto.offset.reset=earliest`); an existing group is left as it is.
    pub fn create_group(&mut self, group: G) {
        self.groups.entry(group).or_insert(Group { next: 0, pending: BTreeMap::new(), acked: 0 });
    }

    fn group(&mut self, group: G) -> &mut Group<S> {
        self.groups.get_mut(&group).expect("a consumer group is created before it is used")
    }

    /// Hands `consumer` up to `max` entries its group has never handed out
    /// (`XREADGROUP … >`); they are pending until acknowledged.
    pub fn read(&mut self, group: G, consumer: S, max: usize, now: SimTime) -> Vec<Delivery> {
        let len = self.len();
        let g = self.group(group);
        let end = len.min(g.next.saturating_add(max as u64));
        let offsets = g.next..end;
        g.next = end;
        offsets
            .map(|offset| {
                let pending = Pending { consumer, delivered_at: now, deliveries: 1 };
                g.pending.insert(offset, pending);
                Delivery { offset, deliveries: 1 }
            })
            .collect()
    }

    /// Acknowledges `offset` for `group` (`XACK`). False when it was not pending: already
    /// acknowledged (a duplicate ack after a redelivery), or never handed out.
    pub fn ack(&mut self, group: G, offset: u64) -> bool {
        let g = self.group(group);
        let was_pending = g.pending.remove(&offset).is_some();
        g.acked += u64::from(was_pending);
        was_pending
    }

    /// Hands `consumer` up to `max` pending entries that have waited at least `min_idle`
    /// since they were last handed out (`XAUTOCLAIM`; a visibility timeout). Each is handed
    /// out again, to `consumer`, with its delivery count raised.
    pub fn claim_idle(
        &mut self,
        group: G,
        consumer: S,
        min_idle: SimDuration,
        max: usize,
        now: SimTime,
    ) -> Vec<Delivery> {
        let g = self.group(group);
        let mut claimed = Vec::new();
        for (&offset, pending) in g.pending.iter_mut() {
            if claimed.len() == max {
                break;
            }
            if now.since(pending.delivered_at) >= min_idle {
                pending.consumer = consumer;
                pending.delivered_at = now;
                pending.deliveries += 1;
                claimed.push(Delivery { offset, deliveries: pending.deliveries });
            }
        }
        claimed
    }

    /// Entries the group has never handed out (Redis 7's `lag`).
    pub fn lag(&self, group: G) -> u64 {
        self.groups.get(&group).map_or(self.len(), |g| self.len() - g.next)
    }

    /// Entries handed out and not yet acknowledged.
    pub fn pending(&self, group: G) -> u64 {
        self.groups.get(&group).map_or(0, |g| g.pending.len() as u64)
    }

    /// Who holds a pending entry, if it is pending.
    pub fn holder(&self, group: G, offset: u64) -> Option<S> {
        self.groups.get(&group)?.pending.get(&offset).map(|p| p.consumer)
    }

    /// Entries the group has acknowledged.
    pub fn acked(&self, group: G) -> u64 {
        self.groups.get(&group).map_or(0, |g| g.acked)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    type TestLog = Log<&'static str, u8, u32>;
    const ORDERS: u8 = 0;
    const AUDIT: u8 = 1;

    fn at(ms: u64) -> SimTime {
        SimTime::from_millis(ms)
    }

    #[test]
    fn each_group_sees_every_entry_and_a_group_hands_each_out_once() {
        let mut log = TestLog::new();
        log.create_group(ORDERS);
        log.create_group(AUDIT);
        for order in ["a", "b", "c"] {
            log.append(order);
        }
        let first = log.read(ORDERS, 1, 2, at(0));
        let second = log.read(ORDERS, 2, 10, at(0));
        assert_eq!(first.iter().map(|d| d.offset).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(second.iter().map(|d| d.offset).collect::<Vec<_>>(), [2]);
        assert!(log.read(ORDERS, 1, 10, at(0)).is_empty());
        assert_eq!(log.read(AUDIT, 9, 10, at(0)).len(), 3, "another group reads everything");
        assert_eq!((log.lag(ORDERS), log.pending(ORDERS)), (0, 3));
        assert_eq!(log.get(2), Some(&"c"));
    }

    #[test]
    fn an_entry_stays_pending_until_acknowledged_and_a_second_ack_is_refused() {
        let mut log = TestLog::new();
        log.create_group(ORDERS);
        log.append("a");
        log.read(ORDERS, 1, 1, at(0));
        assert_eq!(log.holder(ORDERS, 0), Some(1));
        assert!(log.ack(ORDERS, 0));
        assert!(!log.ack(ORDERS, 0), "already acknowledged");
        assert!(!log.ack(ORDERS, 7), "never handed out");
        assert_eq!((log.pending(ORDERS), log.acked(ORDERS)), (0, 1));
    }

    #[test]
    fn an_unacknowledged_entry_is_redelivered_only_after_the_visibility_timeout() {
        let mut log = TestLog::new();
        log.create_group(ORDERS);
        log.append("a");
        log.read(ORDERS, 1, 1, at(0));
        let timeout = SimDuration::from_millis(500);
        assert!(log.claim_idle(ORDERS, 2, timeout, 10, at(499)).is_empty());
        let again = log.claim_idle(ORDERS, 2, timeout, 10, at(500));
        assert_eq!(again, [Delivery { offset: 0, deliveries: 2 }]);
        assert_eq!(log.holder(ORDERS, 0), Some(2));
        // The claim restarts the clock: not handed out again right away.
        assert!(log.claim_idle(ORDERS, 3, timeout, 10, at(600)).is_empty());
        assert_eq!(log.claim_idle(ORDERS, 3, timeout, 10, at(1000))[0].deliveries, 3);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Append,
        Read { group: u8, consumer: u32, max: usize },
        Ack { group: u8, offset: u64 },
        Claim { group: u8, consumer: u32, max: usize },
        Wait(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            Just(Op::Append),
            (0u8..2, 0u32..3, 0usize..4).prop_map(|(group, consumer, max)| Op::Read {
                group,
                consumer,
                max
            }),
            (0u8..2, 0u64..20).prop_map(|(group, offset)| Op::Ack { group, offset }),
            (0u8..2, 0u32..3, 0usize..4).prop_map(|(group, consumer, max)| Op::Claim {
                group,
                consumer,
                max
            }),
            (0u64..400).prop_map(Op::Wait),
        ]
    }

    proptest! {
        #[test]
        fn nothing_is_lost_or_acknowledged_twice(ops in prop::collection::vec(op(), 0..80)) {
            let mut log: Log<u64, u8, u32> = Log::new();
            log.create_group(0);
            log.create_group(1);
            let mut now = at(0);
            let mut acked = [std::collections::BTreeSet::new(), std::collections::BTreeSet::new()];
            for op in ops {
                match op {
                    Op::Append => {
                        let n = log.len();
                        prop_assert_eq!(log.append(n), n);
                    }
                    Op::Read { group, consumer, max } => {
                        let got = log.read(group, consumer, max, now);
                        prop_assert!(got.len() <= max);
                        prop_assert!(got.windows(2).all(|w| w[0].offset < w[1].offset));
                        prop_assert!(got.iter().all(|d| d.deliveries == 1 && d.offset < log.len()));
                    }
                    Op::Ack { group, offset } => {
                        if log.ack(group, offset) {
                            let first_time = acked[group as usize].insert(offset);
                            prop_assert!(first_time, "offset {} acknowledged twice", offset);
                        }
                    }
                    Op::Claim { group, consumer, max } => {
                        let got = log.claim_idle(group, consumer, SimDuration::from_millis(100), max, now);
                        prop_assert!(got.len() <= max);
                        prop_assert!(got.iter().all(|d| d.deliveries >= 2));
                        prop_assert!(got.iter().all(|d| log.holder(group, d.offset) == Some(consumer)));
                    }
                    Op::Wait(ms) => now += SimDuration::from_millis(ms),
                }
                // Every entry is, for every group, undelivered, pending or acknowledged.
                for group in 0..2u8 {
                    prop_assert_eq!(log.lag(group) + log.pending(group) + log.acked(group), log.len());
                }
            }
        }
    }
}
