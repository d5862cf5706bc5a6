//! The event queue: a binary heap of small `(time, seq, slot)` keys over a slab of event
//! payloads, so sifting moves 24 bytes whatever the model's message size, and neither the
//! heap nor the slab allocates once warmed up.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use crate::time::SimTime;

#[derive(Copy, Clone, Debug)]
struct Key {
    at: SimTime,
    /// A global insertion counter: unique, so ties in time pop in FIFO order.
    seq: u64,
    slot: u32,
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Key {}

/// Events ordered by `(at, seq)`, earliest first.
pub(crate) struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Key>>,
    payloads: Vec<Option<E>>,
    free: Vec<u32>,
}

impl<E> EventQueue<E> {
    pub(crate) fn with_capacity(capacity: usize) -> EventQueue<E> {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity),
            payloads: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
        }
    }

    /// Schedules `event` at `at`; `seq` must be unique (the caller's insertion counter).
    #[inline]
    pub(crate) fn push(&mut self, at: SimTime, seq: u64, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.payloads[slot as usize] = Some(event);
                slot
            }
            None => {
                self.payloads.push(Some(event));
                u32::try_from(self.payloads.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        self.heap.push(Reverse(Key { at, seq, slot }));
    }

    /// Removes the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let Reverse(key) = self.heap.pop()?;
        self.free.push(key.slot);
        let event = self.payloads[key.slot as usize].take().expect("a queued slot holds an event");
        Some((key.at, event))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::with_capacity(4);
        let t = SimTime::from_millis;
        q.push(t(5), 0, "late");
        q.push(t(1), 1, "first");
        q.push(t(1), 2, "second");
        q.push(t(3), 3, "middle");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["first", "second", "middle", "late"]);
        assert!(q.pop().is_none());
    }
}
