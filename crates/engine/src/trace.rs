//! The trace: a running 64-bit hash over every processed event, and, when asked for, the
//! full list of events for JSON lines, Perfetto and `--check-determinism`.

use std::hash::{Hash, Hasher};

use crate::network::DropReason;
use crate::node::NodeId;
use crate::time::SimTime;

/// A small, fixed hash function (no per-process keys, no platform-width surprises):
/// every `usize`/`isize` is hashed as 64 bits, so 32- and 64-bit builds agree.
#[derive(Clone, Copy, Debug)]
pub struct TraceHasher(u64);

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

impl TraceHasher {
    pub fn new(state: u64) -> TraceHasher {
        TraceHasher(state)
    }

    #[inline]
    pub fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(MULTIPLIER);
    }

    /// Hashes anything `Hash` into one word.
    pub fn of<T: Hash>(value: &T) -> u64 {
        let mut h = TraceHasher::new(0);
        value.hash(&mut h);
        h.finish()
    }
}

impl Hasher for TraceHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // Final avalanche (splitmix64), so nearby states give unrelated hashes.
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        self.mix(bytes.len() as u64);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.mix(i as i64 as u64);
    }
}

/// One entry of a full trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceRecord {
    pub at: SimTime,
    /// The running trace hash after this record (unchanged by sends, which are not events).
    pub hash: u64,
    pub event: TraceEvent,
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

    #[test]
    fn equal_values_hash_equal_and_order_matters() {
        assert_eq!(TraceHasher::of(&(1u32, "x")), TraceHasher::of(&(1u32, "x")));
        assert_ne!(TraceHasher::of(&(1u32, 2u32)), TraceHasher::of(&(2u32, 1u32)));
        assert_ne!(TraceHasher::of(&"ab"), TraceHasher::of(&"ba"));
    }

    #[test]
    fn divergence_finds_the_first_difference_or_the_shorter_end() {
        let rec = |hash| TraceRecord {
            at: SimTime::ZERO,
            hash,
            event: TraceEvent::Start { node: NodeId(0) },
        };
        assert_eq!(first_divergence(&[rec(1), rec(2)], &[rec(1), rec(2)]), None);
        assert_eq!(first_divergence(&[rec(1), rec(2)], &[rec(1), rec(3)]), Some(1));
        assert_eq!(first_divergence(&[rec(1)], &[rec(1), rec(3)]), Some(1));
    }
}
