//! The network: latency, loss, duplication and the link faults that change them over time.
//!
//! Every directed link has its own random stream, and every message on it consumes a fixed
//! number of words from that stream, so the fate of the k-th message on a link depends on
//! (seed, link, k) only — not on what other links or nodes did. Two variants that send the
//! same messages see the same losses.

use crate::dist::Latency;
use crate::node::NodeId;
use crate::rng::{Prng, Stream, unit_from_bits};
use crate::time::SimDuration;

/// The steady-state behaviour of every link, before faults.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkConfig {
    pub latency: Latency,
    /// Probability that a message is lost, independently of every other.
    pub loss_probability: f64,
    /// Probability that a message is delivered twice (the copy has its own latency).
    pub duplicate_probability: f64,
}

impl Default for NetworkConfig {
    fn default() -> NetworkConfig {
        NetworkConfig {
            latency: Latency::Constant(SimDuration::from_millis(1)),
            loss_probability: 0.0,
            duplicate_probability: 0.0,
        }
    }
}

/// Why a message did not arrive.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Random loss (the configured probability, plus any loss fault).
    Loss,
    /// A partition cut the link when the message was sent or when it would have arrived.
    Partition,
    /// The receiver was crashed when the message arrived.
    NodeDown,
}

impl DropReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::NodeDown => "node-down",
        }
    }
}

/// What the network decided for one message at send time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Dropped(DropReason),
    Delivered { latency: SimDuration, duplicate_latency: Option<SimDuration> },
}

/// Link state for `n` nodes, indexed `from * n + to`.
pub(crate) struct Network {
    config: NetworkConfig,
    seed: u64,
    nodes: usize,
    /// How many active partitions cut each directed link (they may overlap).
    cuts: Vec<u16>,
    /// Extra latency from active spikes, summed.
    extra_latency: Vec<SimDuration>,
    /// Extra loss from active loss faults, combined as independent losses.
    extra_loss: Vec<f64>,
    /// Created on first use: most links of a large cluster never carry a message.
    rngs: Vec<Option<Prng>>,
}

impl Network {
    pub(crate) fn new(config: NetworkConfig, seed: u64, nodes: usize) -> Network {
        let links = nodes * nodes;
        Network {
            config,
            seed,
            nodes,
            cuts: vec![0; links],
            extra_latency: vec![SimDuration::ZERO; links],
            extra_loss: vec![0.0; links],
            rngs: vec![None; links],
        }
    }

    fn link(&self, from: NodeId, to: NodeId) -> usize {
        from.index() * self.nodes + to.index()
    }

    /// The shortest a message sent on this link now can take (with the spikes in force).
    pub(crate) fn earliest(&self, from: NodeId, to: NodeId) -> SimDuration {
        self.config.latency.min() + self.extra_latency[self.link(from, to)]
    }

    /// The longest a message sent on this link now can take (with the spikes in force),
    /// if the latency distribution has a bound.
    pub(crate) fn latest(&self, from: NodeId, to: NodeId) -> Option<SimDuration> {
        Some(self.config.latency.max()? + self.extra_latency[self.link(from, to)])
    }

    #[inline]
    pub(crate) fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts[self.link(from, to)] > 0
    }

    /// Decides a message's fate. Every message consumes the same words from its link's
    /// stream whatever happens to it — one for loss, one for duplication (when configured),
    /// the latency's words and the copy's (when configured) — so the k-th message on a link
    /// sees the same numbers in every variant, partitioned or not.
    #[inline]
    pub(crate) fn decide(&mut self, from: NodeId, to: NodeId) -> Fate {
        let link = self.link(from, to);
        let seed = self.seed;
        let rng = self.rngs[link].get_or_insert_with(|| Prng::new(seed, Stream::Link { from, to }));
        let duplicates = self.config.duplicate_probability > 0.0;
        let loss_draw = unit_from_bits(rng.next_u64());
        let duplicate_draw = if duplicates { rng.unit() } else { 1.0 };
        let extra = self.extra_latency[link];
        let latency = self.config.latency.sample(rng) + extra;
        let copy_latency =
            if duplicates { self.config.latency.sample(rng) + extra } else { latency };

        if self.cuts[link] > 0 {
            return Fate::Dropped(DropReason::Partition);
        }
        let extra_loss = self.extra_loss[link];
        let loss = if extra_loss > 0.0 {
            1.0 - (1.0 - self.config.loss_probability) * (1.0 - extra_loss)
        } else {
            self.config.loss_probability
        };
        if loss_draw < loss {
            return Fate::Dropped(DropReason::Loss);
        }
        let duplicate_latency =
            (duplicate_draw < self.config.duplicate_probability).then_some(copy_latency);
        Fate::Delivered { latency, duplicate_latency }
    }

    pub(crate) fn add_cut(&mut self, from: NodeId, to: NodeId) {
        let link = self.link(from, to);
        self.cuts[link] += 1;
    }

    pub(crate) fn remove_cut(&mut self, from: NodeId, to: NodeId) {
        let link = self.link(from, to);
        assert!(self.cuts[link] > 0, "healing a link that is not cut");
        self.cuts[link] -= 1;
    }

    /// Sets a link's extra latency and loss, recomputed by the caller from the faults in
    /// force.
    pub(crate) fn set_link_faults(
        &mut self,
        from: NodeId,
        to: NodeId,
        extra_latency: SimDuration,
        extra_loss_probability: f64,
    ) {
        let link = self.link(from, to);
        self.extra_latency[link] = extra_latency;
        self.extra_loss[link] = extra_loss_probability;
    }
}
