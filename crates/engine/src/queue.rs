//! The event queue: a binary min-heap of small `(time, seq, slot)` keys over a slab of
//! event payloads, so sifting moves 24 bytes whatever the model's message size, and neither
//! the heap nor the slab allocates once warmed up.
//!
//! The heap is hand-written rather than `std`'s `BinaryHeap` because `BinaryHeap::push`
//! writes the new key and immediately reads it back wider than it was written, a
//! store-forwarding stall that cost the engine a third of its time on the `rr` benchmark.
//! Here the key being placed stays in registers and is written once.

use std::cmp::Ordering;

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
    /// A binary min-heap: `heap[i] <= heap[2i + 1]` and `heap[i] <= heap[2i + 2]`.
    heap: Vec<Key>,
    payloads: Vec<Option<E>>,
    free: Vec<u32>,
}

impl<E> EventQueue<E> {
    pub(crate) fn with_capacity(capacity: usize) -> EventQueue<E> {
        EventQueue {
            heap: Vec::with_capacity(capacity),
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
        self.sift_up(Key { at, seq, slot });
    }

    /// Removes the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let key = if self.heap.is_empty() { last } else { self.sift_down(last) };
        self.free.push(key.slot);
        let event = self.payloads[key.slot as usize].take().expect("a queued slot holds an event");
        Some((key.at, event))
    }
}

impl<E> EventQueue<E> {
    /// Every queued event with its time and seq, in no particular order. For exploration,
    /// which looks at everything pending at each step; runs never call it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SimTime, u64, &E)> {
        self.heap.iter().map(|key| {
            let event =
                self.payloads[key.slot as usize].as_ref().expect("a queued slot holds an event");
            (key.at, key.seq, event)
        })
    }

    /// Removes the event with this seq, wherever it sits. Rebuilds the heap by sorting it
    /// (a sorted array is a heap), O(n log n): exploration's queues hold a few dozen events,
    /// and runs never call it. Not through `sift_up`, so that `push` stays its one caller
    /// and the hot loop's inlining does not depend on exploring.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<(SimTime, E)> {
        let index = self.heap.iter().position(|key| key.seq == seq)?;
        let key = self.heap.swap_remove(index);
        self.heap.sort_unstable();
        self.free.push(key.slot);
        let event = self.payloads[key.slot as usize].take().expect("a queued slot holds an event");
        Some((key.at, event))
    }
}

impl<E> EventQueue<E> {
    /// Adds `key` at the bottom and moves larger parents down until it fits.
    #[inline]
    fn sift_up(&mut self, key: Key) {
        let mut hole = self.heap.len();
        self.heap.push(key);
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if self.heap[parent] <= key {
                break;
            }
            self.heap[hole] = self.heap[parent];
            hole = parent;
        }
        self.heap[hole] = key;
    }

    /// Takes the root out, puts `last` (the former bottom) in its place and moves smaller
    /// children up until it fits. Returns the old root.
    #[inline]
    fn sift_down(&mut self, last: Key) -> Key {
        let root = self.heap[0];
        let len = self.heap.len();
        let mut hole = 0;
        loop {
            let mut child = 2 * hole + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.heap[child + 1] < self.heap[child] {
                child += 1;
            }
            if last <= self.heap[child] {
                break;
            }
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.heap[hole] = last;
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order_whatever_the_push_order() {
        // A small deterministic shuffle: times repeat, so seq must break the ties.
        let mut q = EventQueue::with_capacity(0);
        let mut keys: Vec<(u64, u64)> = (0..500).map(|seq| ((seq * 7919) % 37, seq)).collect();
        for &(at, seq) in &keys {
            q.push(SimTime::from_nanos(at), seq, seq);
        }
        keys.sort();
        for &(at, seq) in &keys {
            assert_eq!(q.pop(), Some((SimTime::from_nanos(at), seq)));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn removing_any_event_keeps_the_rest_in_order() {
        let mut q = EventQueue::with_capacity(0);
        for seq in 0..40u64 {
            q.push(SimTime::from_nanos((seq * 13) % 7), seq, seq);
        }
        assert_eq!(q.remove(17), Some((SimTime::from_nanos((17 * 13) % 7), 17)));
        assert_eq!(q.remove(17), None);
        assert_eq!(q.iter().count(), 39);
        let mut keys: Vec<(u64, u64)> =
            (0..40u64).filter(|&s| s != 17).map(|s| ((s * 13) % 7, s)).collect();
        keys.sort();
        for (at, seq) in keys {
            assert_eq!(q.pop(), Some((SimTime::from_nanos(at), seq)));
        }
    }

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
