//! The event queue: 16-byte `(time, order, slot)` keys over a slab of event payloads, so
//! ordering moves 16 bytes whatever the model's message size, and nothing allocates once
//! warmed up.
//!
//! Two parts, because models with many clients keep most of their queue far in the future:
//! a payment run holds 50–110 events, nine in ten of them deadline timers seconds away
//! (nearly all cancelled before they fire), while the events that pop next are a handful of
//! messages a few milliseconds out. A single heap made every pop sift through all of them.
//! Now `near` holds what is due before a boundary, at most [`NEAR_MAX`] events kept sorted,
//! so a pop takes the last one and costs nothing; `far` holds the rest as a binary heap, and
//! its earliest events move to `near` in batches when `near` runs dry. A small queue never
//! splits: the `rr` workload's queue is a sorted list of two or three events.
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
    /// Above every real key: while it is the boundary, every event is near.
    const MAX: Key = Key(u128::MAX);

    #[inline]
    fn new(at: SimTime, order: u32, slot: u32) -> Key {
        Key((u128::from(at.as_nanos()) << 64) | (u128::from(order) << 32) | u128::from(slot))
    }

    /// Below every key at `at` or later, above every earlier one.
    fn first_at(at: SimTime) -> Key {
        Key::new(at, 0, 0)
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

/// The most events `near` holds before its later half moves to `far`: enough that a small
/// queue never splits, few enough that an insertion moves at most half a kilobyte.
const NEAR_MAX: usize = 32;

/// Events ordered by time, then by the order they were pushed in.
pub(crate) struct EventQueue<E> {
    /// The events before `boundary`, sorted latest first: the next event is the last one,
    /// unless `near` is empty.
    near: Vec<Key>,
    /// The events at or after `boundary`, as a binary min-heap.
    far: Vec<Key>,
    /// Every key in `near` is below it and every key in `far` at or above it. `Key::MAX`
    /// until `near` first outgrows [`NEAR_MAX`], and again whenever `far` empties.
    boundary: Key,
    /// How far past the earliest far event a refill of `near` reaches, in nanoseconds:
    /// adapted so that a refill moves a few events but not a whole heap's worth.
    refill_span_ns: u64,
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
            near: Vec::with_capacity(NEAR_MAX + 1),
            far: Vec::with_capacity(capacity),
            boundary: Key::MAX,
            refill_span_ns: 1,
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
        let key = Key::new(at, order, slot);
        if key < self.boundary {
            // A short list: a scan from the latest beats a binary search's unpredictable
            // branches, and a timer set far ahead stops at once.
            let place =
                self.near.iter().position(|&queued| queued < key).unwrap_or(self.near.len());
            self.near.insert(place, key);
            if self.near.len() > NEAR_MAX {
                self.split();
            }
        } else {
            sift_up(&mut self.far, key);
        }
    }

    /// Removes the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.near.is_empty() {
            if self.far.is_empty() {
                return None;
            }
            self.refill();
        }
        let key = self.near.pop().expect("a refill leaves near non-empty");
        Some((key.at(), self.take(key.slot())))
    }

    /// How many events are queued.
    pub(crate) fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }

    /// Drops every event `keep` refuses, in O(n): what the rest pop as is unchanged, since
    /// the order is the keys' whatever the heaps' shapes. For timers cancelled long before
    /// they are due, which would otherwise deepen the heaps every other event sifts through.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        let payloads = &mut self.payloads;
        let free = &mut self.free;
        for keys in [&mut self.near, &mut self.far] {
            keys.retain(|key| {
                let slot = &mut payloads[key.slot() as usize];
                let (_, event) = slot.as_ref().expect("a queued slot holds an event");
                let kept = keep(event);
                if !kept {
                    *slot = None;
                    free.push(key.slot());
                }
                kept
            });
        }
        heapify(&mut self.far); // `near` stays sorted: retaining keeps the order
        if self.far.is_empty() {
            self.boundary = Key::MAX;
        }
    }

    /// Every queued event with its time and seq, in no particular order. For exploration,
    /// which offers a scheduler the events that could go next.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SimTime, u64, &E)> {
        self.near.iter().chain(&self.far).map(|key| {
            let (seq, event) =
                self.payloads[key.slot() as usize].as_ref().expect("a queued slot holds an event");
            (key.at(), *seq, event)
        })
    }

    /// Removes the event pushed with `seq`, wherever it is in the order; O(n), for
    /// exploration only.
    pub(crate) fn remove(&mut self, seq: u64) -> Option<(SimTime, E)> {
        let payloads = &self.payloads;
        let holds = |key: &Key| {
            payloads[key.slot() as usize].as_ref().is_some_and(|&(queued, _)| queued == seq)
        };
        let key = match self.near.iter().position(holds) {
            Some(index) => self.near.remove(index),
            None => {
                let index = self.far.iter().position(holds)?;
                let key = self.far.swap_remove(index);
                heapify(&mut self.far);
                key
            }
        };
        if self.far.is_empty() {
            self.boundary = Key::MAX;
        }
        Some((key.at(), self.take(key.slot())))
    }

    #[inline]
    fn take(&mut self, slot: u32) -> E {
        self.free.push(slot);
        let (_, event) = self.payloads[slot as usize].take().expect("a queued slot holds an event");
        event
    }

    /// `near` outgrew [`NEAR_MAX`]: its later half moves to `far`, and the boundary down to
    /// the first event moved.
    #[cold]
    fn split(&mut self) {
        // Latest first: the first half is the later one.
        let moved = self.near.len() / 2;
        let (first_moved, earliest) = (self.near[moved - 1], self.near[self.near.len() - 1]);
        // A refill should reach about as far ahead as the half that stays.
        self.refill_span_ns = (first_moved.at().as_nanos() - earliest.at().as_nanos()).max(1);
        for key in self.near.drain(..moved) {
            sift_up(&mut self.far, key);
        }
        self.boundary = first_moved;
    }

    /// `near` ran dry: the far events up to `refill_span_ns` past the earliest move to it,
    /// at most [`NEAR_MAX`] of them, and the boundary up to the first event left behind.
    #[cold]
    fn refill(&mut self) {
        let until = self.far[0].at().as_nanos().saturating_add(self.refill_span_ns);
        while let Some(&first) = self.far.first() {
            if first.at().as_nanos() > until || self.near.len() == NEAR_MAX {
                break;
            }
            self.near.push(first);
            pop_root(&mut self.far);
        }
        self.near.reverse(); // far keys come out earliest first
        self.boundary = match self.far.first() {
            Some(&first) => first.min(Key::first_at(SimTime::from_nanos(until.saturating_add(1)))),
            None => Key::MAX,
        };
        // Few events per refill means refilling often; a whole heap's worth means deep sifts.
        if self.near.len() < NEAR_MAX / 8 {
            self.refill_span_ns = self.refill_span_ns.saturating_mul(2);
        } else if self.near.len() > NEAR_MAX / 2 {
            self.refill_span_ns = (self.refill_span_ns / 2).max(1);
        }
    }

    /// The push order is about to wrap: number the queued keys afresh in their order,
    /// which keeps every comparison between them, and the near keys below the far ones.
    #[cold]
    fn renumber(&mut self) {
        self.near.reverse(); // earliest first, like the far keys once sorted
        self.far.sort_unstable(); // a sorted array is a heap, too
        let keys = self.near.iter_mut().chain(self.far.iter_mut());
        for (order, key) in keys.enumerate() {
            let order = u32::try_from(order).expect("fewer than 2^32 pending events");
            *key = Key::new(key.at(), order, key.slot());
        }
        self.near.reverse();
        self.next_order = u32::try_from(self.len()).expect("fewer than 2^32 pending events");
        self.boundary = self.far.first().copied().unwrap_or(Key::MAX);
    }
}

/// Adds `key` to a heap: it rises from the bottom past every parent above it.
#[inline]
fn sift_up(heap: &mut Vec<Key>, key: Key) {
    let mut hole = heap.len();
    heap.push(key);
    while hole > 0 {
        let parent = (hole - 1) / 2;
        if heap[parent] <= key {
            break;
        }
        heap[hole] = heap[parent];
        hole = parent;
    }
    heap[hole] = key;
}

/// Places `key` at `hole` or below it, moving the smaller child up until `key` fits.
#[inline(always)]
fn sift_down(heap: &mut [Key], mut hole: usize, key: Key) {
    let len = heap.len();
    loop {
        let mut child = 2 * hole + 1;
        if child >= len {
            break;
        }
        if child + 1 < len && heap[child + 1] < heap[child] {
            child += 1;
        }
        if key <= heap[child] {
            break;
        }
        heap[hole] = heap[child];
        hole = child;
    }
    heap[hole] = key;
}

/// Removes a non-empty heap's root.
fn pop_root(heap: &mut Vec<Key>) {
    let last = heap.pop().expect("a non-empty heap");
    if !heap.is_empty() {
        sift_down(heap, 0, last);
    }
}

/// Floyd's heap construction: sift every parent down, the last first. O(n).
fn heapify(heap: &mut [Key]) {
    for start in (0..heap.len() / 2).rev() {
        sift_down(heap, start, heap[start]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn a_deep_queue_splits_into_near_and_far_and_still_pops_in_order() {
        // Deadline timers seconds out under a stream of near messages: the shape that made
        // the split worth having. Checks the split really happens, and the order holds.
        let mut q = EventQueue::with_capacity(0);
        let mut want = Vec::new();
        let mut now = 0u64;
        for seq in 0..2_000u64 {
            let at = if seq % 3 == 0 { now + 5_000_000_000 } else { now + 1_000_000 + seq % 7 };
            q.push(SimTime::from_nanos(at), seq, seq);
            want.push((at, seq));
            if seq % 2 == 1 {
                let (popped_at, _) = q.pop().unwrap();
                now = popped_at.as_nanos();
                want.sort();
                assert_eq!(popped_at.as_nanos(), want.remove(0).0);
            }
        }
        assert!(!q.far.is_empty() && q.near.len() <= NEAR_MAX, "{} near", q.near.len());
        want.sort();
        for (at, seq) in want {
            assert_eq!(q.pop(), Some((SimTime::from_nanos(at), seq)));
        }
        assert_eq!((q.pop(), q.boundary), (None, Key::MAX));
    }

    /// One step of a random workload for the queue.
    #[derive(Clone, Debug)]
    enum Op {
        /// Push an event this far after the last popped time.
        Push(u64),
        Pop,
        /// Drop the events whose seq is a multiple of this.
        Retain(u64),
        /// Remove the event pushed this many pushes ago.
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            // Ties, near events and far ones, so splits and refills both happen.
            6 => prop_oneof![Just(0u64), 0..1_000u64, 1_000_000..5_000_000_000u64].prop_map(Op::Push),
            4 => Just(Op::Pop),
            1 => (2..5u64).prop_map(Op::Retain),
            1 => (0..50usize).prop_map(Op::Remove),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn behaves_like_a_sorted_map(ops in proptest::collection::vec(op(), 0..600), wrap_at in 0..1_000u32) {
            // The model: (time, seq) in a sorted set, seq being the push order.
            let mut q = EventQueue::with_capacity(0);
            q.next_order = u32::MAX - wrap_at; // renumbering happens mid-run in most cases
            let mut model = std::collections::BTreeSet::new();
            let (mut now, mut next_seq) = (0u64, 0u64);
            for op in ops {
                match op {
                    Op::Push(after) => {
                        q.push(SimTime::from_nanos(now + after), next_seq, next_seq);
                        model.insert((now + after, next_seq));
                        next_seq += 1;
                    }
                    Op::Pop => {
                        let want = model.pop_first();
                        prop_assert_eq!(q.pop(), want.map(|(at, seq)| (SimTime::from_nanos(at), seq)));
                        if let Some((at, _)) = want {
                            now = at;
                        }
                    }
                    Op::Retain(modulus) => {
                        q.retain(|&seq| seq % modulus != 0);
                        model.retain(|&(_, seq)| seq % modulus != 0);
                    }
                    Op::Remove(ago) => {
                        let seq = next_seq.wrapping_sub(1 + ago as u64);
                        let want = model.iter().find(|&&(_, s)| s == seq).copied();
                        if let Some(entry) = want {
                            model.remove(&entry);
                        }
                        prop_assert_eq!(q.remove(seq), want.map(|(at, s)| (SimTime::from_nanos(at), s)));
                    }
                }
                prop_assert_eq!(q.len(), model.len());
            }
            while let Some(want) = model.pop_first() {
                prop_assert_eq!(q.pop(), Some((SimTime::from_nanos(want.0), want.1)));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }
}
