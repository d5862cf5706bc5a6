//! The event queue: a binary min-heap of 16-byte `(time, order, slot)` keys over a slab of
//! event payloads, so sifting moves 16 bytes whatever the model's message size, and neither
//! the heap nor the slab allocates once warmed up.
//!
//! The heap is hand-written rather than `std`'s `BinaryHeap` because `BinaryHeap::push`
//! writes the new key and immediately reads it back wider than it was written, a
//! store-forwarding stall that cost the engine a third of its time on the `rr` benchmark.
//! Here the key being placed stays in registers and is written once.

use crate::time::SimTime;

/// A heap key in one `u128`: the time in the high 64 bits, then the push order, then the
/// payload's slot. One integer comparison orders keys by `(at, push order)`, without a
/// branch; the order is unique, so the slot never decides.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u128);

impl Key {
    #[inline]
    fn new(at: SimTime, order: u32, slot: u32) -> Key {
        Key((u128::from(at.as_nanos()) << 64) | (u128::from(order) << 32) | u128::from(slot))
    }

    #[inline]
    fn at(self) -> SimTime {
        SimTime::from_nanos((self.0 >> 64) as u64)
    }

    #[inline]
    fn slot(self) -> u32 {
        self.0 as u32
    }
}

/// Events ordered by time, then by the order they were pushed in.
pub(crate) struct EventQueue<E> {
    /// A binary min-heap: `heap[i] <= heap[2i + 1]` and `heap[i] <= heap[2i + 2]`.
    heap: Vec<Key>,
    /// By slot: the caller's id for the event (its seq), and the event.
    payloads: Vec<Option<(u64, E)>>,
    free: Vec<u32>,
    /// The next push's place in the order. Renumbered when it would wrap, so a run of any
    /// length keeps 16-byte keys.
    next_order: u32,
}

impl<E> EventQueue<E> {
    pub(crate) fn with_capacity(capacity: usize) -> EventQueue<E> {
        EventQueue {
            heap: Vec::with_capacity(capacity),
            payloads: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            next_order: 0,
        }
    }

    /// Schedules `event` at `at`, after every event already queued for the same instant.
    /// `seq` is the caller's id for it, for [`EventQueue::iter`] and [`EventQueue::remove`].
    #[inline]
    pub(crate) fn push(&mut self, at: SimTime, seq: u64, event: E) {
        if self.next_order == u32::MAX {
            self.renumber();
        }
        let order = self.next_order;
        self.next_order += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.payloads[slot as usize] = Some((seq, event));
                slot
            }
            None => {
                self.payloads.push(Some((seq, event)));
                u32::try_from(self.payloads.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        self.sift_up(Key::new(at, order, slot));
    }

    /// Removes the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let key = match self.heap.first() {
            None => last,
            Some(&root) => {
                self.sift_down(0, last);
                root
            }
        };
        Some((key.at(), self.take(key.slot())))
    }

    /// How many events are queued.
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    /// Drops every event `keep` refuses, in O(n): what the rest pop as is unchanged, since
    /// the order is the keys' whatever the heap's shape. For timers cancelled long before
    /// they are due, which would otherwise deepen the heap every other event sifts through.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let payloads = &mut self.payloads;
        let free = &mut self.free;
        self.heap.retain(|key| {
            let slot = &mut payloads[key.slot() as usize];
            let (_, event) = slot.as_ref().expect("a queued slot holds an event");
            let kept = keep(event);
            if !kept {
                *slot = None;
                free.push(key.slot());
            }
            kept
        });
        // Floyd's heap construction: sift every parent down, the last first.
        for start in (0..self.heap.len() / 2).rev() {
            self.sift_down(start, self.heap[start]);
        }
    }

    /// Every queued event with its time and seq, in no particular order. For exploration,
    /// which looks at everything pending at each step; runs never call it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SimTime, u64, &E)> {
        self.heap.iter().map(|key| {
            let (seq, event) =
                self.payloads[key.slot() as usize].as_ref().expect("a queued slot holds an event");
            (key.at(), *seq, event)
        })
    }

    /// Removes the event with this seq, wherever it sits. Rebuilds the heap by sorting it
    /// (a sorted array is a heap), O(n log n): exploration's queues hold a few dozen events,
    /// and runs never call it. Not through `sift_up`, so that `push` stays its one caller
    /// and the hot loop's inlining does not depend on exploring.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<(SimTime, E)> {
        let payloads = &self.payloads;
        let index = self.heap.iter().position(|key| {
            payloads[key.slot() as usize].as_ref().is_some_and(|&(queued, _)| queued == seq)
        })?;
        let key = self.heap.swap_remove(index);
        self.heap.sort_unstable();
        Some((key.at(), self.take(key.slot())))
    }

    #[inline]
    fn take(&mut self, slot: u32) -> E {
        self.free.push(slot);
        let (_, event) = self.payloads[slot as usize].take().expect("a queued slot holds an event");
        event
    }

    /// Gives the queued events the orders 0, 1, … in their current order, and the next push
    /// the one after: once per four billion pushes.
    #[cold]
    fn renumber(&mut self) {
        self.heap.sort_unstable(); // a sorted array is a heap, too
        for (order, key) in self.heap.iter_mut().enumerate() {
            let order = u32::try_from(order).expect("fewer than 2^32 pending events");
            *key = Key::new(key.at(), order, key.slot());
        }
        self.next_order = u32::try_from(self.heap.len()).expect("fewer than 2^32 pending events");
    }

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

    /// Puts `key` in the hole at `hole` and moves smaller children up until it fits. Popping
    /// fills the root's place with the former bottom this way. (A bottom-up sift, down to a
    /// leaf and back up, was no faster on the payment model's deep heaps and slower on
    /// `rr`'s.) Always inlined: `retain` calls it too, and must not cost `pop` its inlining.
    #[inline(always)]
    fn sift_down(&mut self, mut hole: usize, key: Key) {
        let len = self.heap.len();
        loop {
            let mut child = 2 * hole + 1;
            if child >= len {
                break;
            }
            if child + 1 < len && self.heap[child + 1] < self.heap[child] {
                child += 1;
            }
            if key <= self.heap[child] {
                break;
            }
            self.heap[hole] = self.heap[child];
            hole = child;
        }
        self.heap[hole] = key;
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
    fn retaining_keeps_the_rest_in_order_and_reuses_the_freed_slots() {
        let mut q = EventQueue::with_capacity(0);
        for seq in 0..300u64 {
            q.push(SimTime::from_nanos((seq * 7919) % 61), seq, seq);
        }
        q.retain(|&seq| seq % 3 != 0);
        assert_eq!(q.len(), 200);
        // Freed slots are reused: the slab does not grow while the queue refills.
        for seq in 300..400u64 {
            q.push(SimTime::from_nanos((seq * 7919) % 61), seq, seq);
        }
        assert_eq!(q.payloads.len(), 300);
        let mut keys: Vec<(u64, u64)> =
            (0..400u64).filter(|&s| s >= 300 || s % 3 != 0).map(|s| ((s * 7919) % 61, s)).collect();
        keys.sort();
        for (at, seq) in keys {
            assert_eq!(q.pop(), Some((SimTime::from_nanos(at), seq)));
        }
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn the_push_order_survives_renumbering() {
        let mut q = EventQueue::with_capacity(0);
        let t = SimTime::from_millis;
        q.push(t(2), 0, "second at 2");
        q.next_order = u32::MAX - 1;
        q.push(t(2), 1, "third at 2");
        q.push(t(1), 2, "first"); // renumbers
        q.push(t(2), 3, "fourth at 2");
        q.push(t(3), 4, "last");
        assert_eq!(q.next_order, 5);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        assert_eq!(order, ["first", "second at 2", "third at 2", "fourth at 2", "last"]);
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
