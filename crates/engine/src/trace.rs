//! The trace: a running 64-bit hash over every processed event, and, when asked for, the
//! full list of events for JSON lines, Perfetto and `--check-determinism`.
//!
//! # The trace hash is a documented format
//!
//! Pinned hashes are test vectors, so what goes into the hash is spelt out here rather than
//! left to `std::hash::Hash`, whose output may change with the compiler. The hash is a
//! sequence of 64-bit words fed to [`TraceHasher::word`]; each processed event contributes:
//!
//! 1. `now_ns ^ (tag << 56)` — `tag` says what happened: 1 start, 2 message delivered,
//!    3 message dropped on arrival, 4 timer fired, 5 fault began or ended, 6 message read
//!    after a pause, 7 message lost in a paused node's socket to a crash;
//! 2. `a ^ (b rotated left by 32)` — for messages `a = from << 32 | to` and `b = msg_id`;
//!    for a start or a timer `a` is the node and `b = 0`; for a fault `a` is its index in
//!    the schedule and `b` is 1 when it begins, 0 when it ends;
//! 3. for messages and timers, the payload's [`TraceEncode`] words.
//!
//! Nothing else enters it: a full record's `subject` (the story it belongs to) and the
//! `Debug` text of its payload are for readers, so a model may name its stories without
//! moving a pinned hash.
//!
//! [`TraceEncode`] writes a value as words: unsigned integers and `bool` as one
//! zero-extended word; signed integers as one sign-extended (two's complement) word;
//! [`NodeId`] as its index; [`SimTime`] and [`SimDuration`] as nanoseconds; `()` as nothing;
//! `Option` as 0, or 1 followed by the value; tuples as their fields in order. A model's
//! enum writes its variant's tag (0, 1, 2… in declaration order) and then its fields in
//! declaration order. Every encoding is prefix-free (the tag decides how many words
//! follow), so two different payloads never feed the same words.

use crate::network::DropReason;
use crate::node::NodeId;
use crate::rng::mix64;
use crate::time::{SimDuration, SimTime};

/// A small, fixed hash function over 64-bit words (no per-process keys, no platform-width
/// surprises): the running state is rotated, xored with the word and multiplied.
#[derive(Clone, Copy, Debug)]
pub struct TraceHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl TraceHasher {
    pub fn new(state: u64) -> TraceHasher {
        TraceHasher(state)
    }

    /// Feeds one word.
    #[inline]
    pub fn word(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
    }

    /// The hash of everything fed so far.
    #[inline]
    pub fn finish(&self) -> u64 {
        // Final avalanche, so nearby states give unrelated hashes.
        mix64(self.0)
    }

    /// The hash of a sequence of words from a zero state: what a value whose encoding is
    /// exactly these words hashes to, so a test can pin an encoding word by word.
    pub fn of_words(words: &[u64]) -> u64 {
        let mut h = TraceHasher::new(0);
        words.iter().for_each(|&w| h.word(w));
        h.finish()
    }

    /// The hash of one value's encoding, from a zero state.
    pub fn of<T: TraceEncode + ?Sized>(value: &T) -> u64 {
        let mut h = TraceHasher::new(0);
        value.encode(&mut h);
        h.finish()
    }
}

/// How a value enters the trace hash: a fixed sequence of 64-bit words (see the module
/// documentation). Models write it by hand for their messages and timers, so the format is
/// theirs to read and cannot change behind their back.
pub trait TraceEncode {
    fn encode(&self, out: &mut TraceHasher);
}

macro_rules! encode_unsigned {
    ($($t:ty),*) => {$(
        impl TraceEncode for $t {
            #[inline]
            fn encode(&self, out: &mut TraceHasher) {
                out.word(u64::from(*self));
            }
        }
    )*};
}
encode_unsigned!(bool, u8, u16, u32, u64);

macro_rules! encode_signed {
    ($($t:ty),*) => {$(
        impl TraceEncode for $t {
            #[inline]
            fn encode(&self, out: &mut TraceHasher) {
                out.word(i64::from(*self) as u64);
            }
        }
    )*};
}
encode_signed!(i8, i16, i32, i64);

impl TraceEncode for () {
    #[inline]
    fn encode(&self, _out: &mut TraceHasher) {}
}

impl TraceEncode for NodeId {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        out.word(u64::from(self.0));
    }
}

impl TraceEncode for SimTime {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        out.word(self.as_nanos());
    }
}

impl TraceEncode for SimDuration {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        out.word(self.as_nanos());
    }
}

/// A reference encodes as the value it points to.
impl<T: TraceEncode + ?Sized> TraceEncode for &T {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        (**self).encode(out);
    }
}

impl<T: TraceEncode> TraceEncode for Option<T> {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        match self {
            None => out.word(0),
            Some(value) => {
                out.word(1);
                value.encode(out);
            }
        }
    }
}

impl<A: TraceEncode, B: TraceEncode> TraceEncode for (A, B) {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        self.0.encode(out);
        self.1.encode(out);
    }
}

impl<A: TraceEncode, B: TraceEncode, C: TraceEncode> TraceEncode for (A, B, C) {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        self.0.encode(out);
        self.1.encode(out);
        self.2.encode(out);
    }
}

/// One entry of a full trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    pub at: SimTime,
    /// The running trace hash after this record (unchanged by sends, which are not events).
    pub hash: u64,
    pub event: TraceEvent,
    /// The story the message or timer belongs to, as [`Node::subject`] and
    /// [`Node::timer_subject`] name it (`None` for starts and faults, and for models that
    /// name no stories). Not part of the trace hash: a diagram follows it, a run ignores it.
    ///
    /// [`Node::subject`]: crate::Node::subject
    /// [`Node::timer_subject`]: crate::Node::timer_subject
    pub subject: Option<u64>,
}

/// What happened. Messages are rendered with `Debug`, only when a full trace is on.
#[derive(Clone, Debug, PartialEq)]
pub enum TraceEvent {
    Start {
        node: NodeId,
    },
    Send {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: String,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: String,
    },
    /// The message reached a paused node and waits in its socket (read later, or lost if
    /// the node crashes first).
    Buffer {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: String,
    },
    Drop {
        from: NodeId,
        to: NodeId,
        msg_id: u64,
        msg: String,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: String,
    },
    FaultBegin {
        index: usize,
        description: String,
    },
    FaultEnd {
        index: usize,
        description: String,
    },
}

impl TraceEvent {
    /// The node the event happened at, if any (faults belong to the whole system).
    pub fn node(&self) -> Option<NodeId> {
        match self {
            TraceEvent::Start { node } | TraceEvent::Timer { node, .. } => Some(*node),
            TraceEvent::Send { from, .. } => Some(*from),
            TraceEvent::Deliver { to, .. }
            | TraceEvent::Buffer { to, .. }
            | TraceEvent::Drop { to, .. } => Some(*to),
            TraceEvent::FaultBegin { .. } | TraceEvent::FaultEnd { .. } => None,
        }
    }
}

/// The index of the first record where two traces of the same run differ, if any.
pub fn first_divergence(a: &[TraceRecord], b: &[TraceRecord]) -> Option<usize> {
    let common = a.len().min(b.len());
    (0..common).find(|&i| a[i] != b[i]).or((a.len() != b.len()).then_some(common))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_1_2_3: u64 = 0xf289_4fb6_a1d4_9a3c;

    #[test]
    fn encodings_are_the_documented_words() {
        // If one of these fails, every pinned trace hash moves: change the format only on
        // purpose, in a commit that says so, and update the module documentation.
        assert_eq!(TraceHasher::of(&()), TraceHasher::of_words(&[]));
        assert_eq!(TraceHasher::of(&true), TraceHasher::of_words(&[1]));
        assert_eq!(TraceHasher::of(&7u8), TraceHasher::of_words(&[7]));
        assert_eq!(TraceHasher::of(&u64::MAX), TraceHasher::of_words(&[u64::MAX]));
        assert_eq!(TraceHasher::of(&-2i64), TraceHasher::of_words(&[0xFFFF_FFFF_FFFF_FFFE]));
        assert_eq!(TraceHasher::of(&-1i8), TraceHasher::of_words(&[u64::MAX]));
        assert_eq!(TraceHasher::of(&None::<u32>), TraceHasher::of_words(&[0]));
        assert_eq!(TraceHasher::of(&Some(NodeId(3))), TraceHasher::of_words(&[1, 3]));
        let at = (SimTime::from_millis(2), SimDuration::from_micros(5), 9u32);
        assert_eq!(TraceHasher::of(&at), TraceHasher::of_words(&[2_000_000, 5_000, 9]));
    }

    #[test]
    fn the_mixing_function_is_pinned() {
        assert_eq!(TraceHasher::of_words(&[]), 0);
        assert_eq!(TraceHasher::of_words(&[1, 2, 3]), PINNED_1_2_3);
        assert_ne!(TraceHasher::of_words(&[1, 2]), TraceHasher::of_words(&[2, 1]), "order matters");
    }

    #[test]
    fn divergence_finds_the_first_difference_or_the_shorter_end() {
        let rec = |hash| TraceRecord {
            at: SimTime::ZERO,
            hash,
            event: TraceEvent::Start { node: NodeId(0) },
            subject: None,
        };
        assert_eq!(first_divergence(&[rec(1), rec(2)], &[rec(1), rec(2)]), None);
        assert_eq!(first_divergence(&[rec(1), rec(2)], &[rec(1), rec(3)]), Some(1));
        assert_eq!(first_divergence(&[rec(1)], &[rec(1), rec(3)]), Some(1));
    }
}
