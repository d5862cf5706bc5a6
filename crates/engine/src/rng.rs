//! Seeded randomness: one ChaCha8 generator per purpose, split by ChaCha's stream id.
//!
//! A run has one seed. Every consumer of randomness gets its own stream (faults, workload,
//! each network link, each purpose of each node), so the draws one consumer makes never
//! shift another's. That is what gives *common random numbers*: two variants of a scenario
//! see the same fault timeline and the same workload, whatever their policies do with the
//! network.
//!
//! Inside a node a stream per purpose is not always enough: if a policy changes the order in
//! which a service starts its requests, the k-th service time goes to a different request.
//! So a node can also draw *by key* ([`Prng::keyed`]): the numbers for request 17 sit at a
//! fixed place in the stream, and are the same whatever was drawn before, in any order.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

use crate::node::NodeId;
use crate::time::SimDuration;

/// What a stream of random numbers is for. Each purpose maps to a distinct ChaCha stream id.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Drawing random fault schedules (swarm testing).
    Faults,
    /// The model's workload: arrivals, request kinds, amounts.
    Workload,
    /// One network link, by direction: loss, duplication and latency of its messages.
    Link { from: NodeId, to: NodeId },
    /// One purpose of one node, drawn in order.
    Node { node: NodeId, purpose: Purpose },
    /// One purpose of one node, drawn by key ([`Prng::keyed`]).
    Keyed { node: NodeId, purpose: Purpose },
    /// A swarm sweep's draw of a seed: which fault generators are on, and the network
    /// ([`draw_swarm`](crate::draw_swarm)). Its own stream, so a plain run never reads it.
    Swarm,
}

/// What a node draws random numbers for. Each purpose is its own stream, so a policy that
/// draws more or fewer numbers for one (retry jitter) never shifts another's (service times).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// How long work takes.
    ServiceTime,
    /// Randomised waits: backoff jitter, spreading retries out.
    Jitter,
    /// Random decisions: which peer, which value.
    Choice,
}

impl Purpose {
    pub(crate) const COUNT: usize = 3;

    pub(crate) fn index(self) -> usize {
        match self {
            Purpose::ServiceTime => 0,
            Purpose::Jitter => 1,
            Purpose::Choice => 2,
        }
    }
}

impl Stream {
    fn id(self) -> u64 {
        // The tag lives in the top byte so no two kinds of stream can collide; node streams
        // carry the purpose in bits 32..40 and the node in the low 32 bits.
        let node_stream = |tag: u64, node: NodeId, purpose: Purpose| {
            (tag << 56) | ((purpose.index() as u64) << 32) | u64::from(node.0)
        };
        match self {
            Stream::Faults => 1 << 56,
            Stream::Workload => 2 << 56,
            Stream::Link { from, to } => (3 << 56) | (u64::from(from.0) << 24) | u64::from(to.0),
            Stream::Node { node, purpose } => node_stream(4, node, purpose),
            Stream::Keyed { node, purpose } => node_stream(5, node, purpose),
            Stream::Swarm => 6 << 56,
        }
    }
}

/// The 32-bit words each key owns in a keyed stream: one ChaCha block, eight `u64` draws.
/// Whole blocks, so jumping to a key costs nothing until the draw reads a number (a constant
/// service time reads none), and one refill of ChaCha's four-block buffer serves four keys.
const KEY_WORDS: u128 = 16;

/// The key of the `attempt`-th draw about `subject` (a request, a transfer), for
/// [`Prng::keyed`]: attempt 2 of request 17 gets the same numbers in every variant that
/// makes it. Attempt-major, so the first attempts of requests numbered in arrival order
/// have neighbouring keys and share buffer refills.
pub fn attempt_key(subject: u64, attempt: u32) -> u64 {
    assert!(subject < 1 << 32, "subject {subject} does not fit in a draw key's 32 bits");
    (u64::from(attempt) << 32) | subject
}

/// A deterministic random number generator for one purpose of one run.
#[derive(Clone, Debug)]
pub struct Prng {
    inner: ChaCha8Rng,
}

impl Prng {
    pub fn new(seed: u64, stream: Stream) -> Prng {
        let mut inner = ChaCha8Rng::seed_from_u64(seed);
        inner.set_stream(stream.id());
        Prng { inner }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Runs `draw` on the numbers that belong to `key` alone: the stream jumps to the key's own
    /// block, so what `key` draws does not depend on what other keys drew, or in which order.
    /// A draw may take at most eight `u64`s; more would read the next key's numbers.
    pub fn keyed<R>(&mut self, key: u64, draw: impl FnOnce(&mut Prng) -> R) -> R {
        let start = u128::from(key) * KEY_WORDS;
        // A jump empties ChaCha's buffer, and the next read refills it: draws for keys in
        // increasing order (requests numbered as they arrive) mostly need no jump.
        if self.inner.get_word_pos() != start {
            self.inner.set_word_pos(start);
        }
        let result = draw(self);
        let used = self.inner.get_word_pos() - start;
        assert!(used <= KEY_WORDS, "a keyed draw took {used} 32-bit words; its key owns 16");
        if used > 0 {
            // Leave the stream at the next key's start, in the buffer this draw filled: two
            // words a step, as `Prng` only ever draws whole `u64`s.
            debug_assert_eq!(used % 2, 0, "a Prng draws whole u64s");
            for _ in used / 2..KEY_WORDS / 2 {
                self.inner.next_u64();
            }
        }
        result
    }

    /// A uniform float in [0, 1) with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        unit_from_bits(self.next_u64())
    }

    /// True with the given probability.
    #[inline]
    pub fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// A uniform integer in [0, n); `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no values");
        // Lemire's multiply-shift: unbiased enough for simulation (bias < n / 2^64).
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform duration in [min, max].
    pub fn duration_between(&mut self, min: SimDuration, max: SimDuration) -> SimDuration {
        let (lo, hi) = (min.as_nanos(), max.as_nanos().max(min.as_nanos()));
        SimDuration::from_nanos(lo + self.below(hi - lo + 1))
    }

    /// An exponentially distributed duration with the given mean (Poisson arrivals).
    pub fn exponential(&mut self, mean: SimDuration) -> SimDuration {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        let u = 1.0 - self.unit();
        mean.mul_f64(-libm::log(u))
    }
}

/// SplitMix64's finaliser (Sebastiano Vigna): every bit of `z` reaches every bit of the
/// result, so nearby inputs give unrelated outputs.
#[inline]
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Maps 64 random bits to [0, 1) using the top 53 bits, exactly representable in an f64.
#[inline]
pub fn unit_from_bits(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED_FAULTS_0: u64 = 0x9dbf_4430_b847_541d;
    const PINNED_LINK_42: u64 = 0x0668_f4e2_050d_1da9;

    #[test]
    fn same_seed_and_stream_give_the_same_numbers() {
        let mut a = Prng::new(7, Stream::Workload);
        let mut b = Prng::new(7, Stream::Workload);
        assert!((0..100).all(|_| a.next_u64() == b.next_u64()));
    }

    #[test]
    fn streams_and_seeds_are_independent() {
        let first = |seed, stream| Prng::new(seed, stream).next_u64();
        assert_ne!(first(7, Stream::Workload), first(7, Stream::Faults));
        assert_ne!(first(7, Stream::Swarm), first(7, Stream::Faults));
        assert_ne!(first(7, Stream::Swarm), first(7, Stream::Workload));
        assert_ne!(first(7, Stream::Workload), first(8, Stream::Workload));
        let link = |f, t| Stream::Link { from: NodeId(f), to: NodeId(t) };
        assert_ne!(first(7, link(0, 1)), first(7, link(1, 0)));
    }

    #[test]
    fn pinned_draws_guard_against_silent_algorithm_changes() {
        // If these change, every pinned trace hash changes with them: a rand_chacha
        // upgrade that alters the streams must be a deliberate, explained commit.
        assert_eq!(Prng::new(0, Stream::Faults).next_u64(), PINNED_FAULTS_0);
        let link = Stream::Link { from: NodeId(1), to: NodeId(2) };
        assert_eq!(Prng::new(42, link).next_u64(), PINNED_LINK_42);
    }

    #[test]
    fn node_purposes_are_separate_streams() {
        let first = |stream| Prng::new(7, stream).next_u64();
        let node = |purpose| Stream::Node { node: NodeId(1), purpose };
        let keyed = |purpose| Stream::Keyed { node: NodeId(1), purpose };
        assert_ne!(first(node(Purpose::ServiceTime)), first(node(Purpose::Jitter)));
        assert_ne!(first(node(Purpose::Jitter)), first(node(Purpose::Choice)));
        assert_ne!(first(node(Purpose::Jitter)), first(keyed(Purpose::Jitter)));
        let other = Stream::Node { node: NodeId(2), purpose: Purpose::Jitter };
        assert_ne!(first(node(Purpose::Jitter)), first(other));
    }

    #[test]
    fn keyed_draws_do_not_depend_on_other_keys_or_order() {
        let stream = Stream::Keyed { node: NodeId(0), purpose: Purpose::ServiceTime };
        let mut alone = Prng::new(3, stream);
        let want = alone.keyed(17, |rng| (rng.next_u64(), rng.next_u64()));
        let mut busy = Prng::new(3, stream);
        busy.keyed(18, |rng| {
            (0..8).for_each(|_| {
                rng.next_u64();
            })
        });
        busy.keyed(2, |rng| rng.next_u64());
        assert_eq!(busy.keyed(17, |rng| (rng.next_u64(), rng.next_u64())), want);
        assert_ne!(busy.keyed(16, |rng| (rng.next_u64(), rng.next_u64())), want);
    }

    #[test]
    #[should_panic(expected = "a keyed draw took 18 32-bit words")]
    fn a_keyed_draw_cannot_read_the_next_keys_numbers() {
        let stream = Stream::Keyed { node: NodeId(0), purpose: Purpose::Jitter };
        Prng::new(3, stream).keyed(5, |rng| {
            (0..9).for_each(|_| {
                rng.next_u64();
            })
        });
    }

    #[test]
    fn attempt_keys_are_distinct_per_subject_and_attempt() {
        assert_ne!(attempt_key(1, 0), attempt_key(0, 1));
        assert_eq!(attempt_key(3, 2), (2 << 32) | 3);
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Prng::new(1, Stream::Workload);
        assert!((0..10_000).all(|_| rng.below(3) < 3));
    }
}
