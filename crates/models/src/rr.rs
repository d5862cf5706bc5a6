//! The `rr` reference workload of the design's performance budget: one client, one echo
//! server, 1 ms latency each way, 5% independent loss per message; the client waits 10 ms
//! for each response and resends the same request id on timeout, for N round trips.
//! It is the engine's benchmark, so it is as lean as a model can be.

use faultline_engine::{
    Ctx, Latency, LimitExceeded, NetworkConfig, Node, NodeId, SimConfig, SimDuration, Simulation,
    TimerId, TraceEncode, TraceHasher,
};

/// The workload's fixed parameters.
pub const LATENCY: SimDuration = SimDuration::from_millis(1);
pub const LOSS_PROBABILITY: f64 = 0.05;
pub const TIMEOUT: SimDuration = SimDuration::from_millis(10);

const CLIENT: NodeId = NodeId(0);
const SERVER: NodeId = NodeId(1);

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RrMsg {
    Request(u64),
    Response(u64),
}

/// The timeout of request `id`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Timeout(u64);

impl TraceEncode for RrMsg {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        let (tag, id) = match *self {
            RrMsg::Request(id) => (0, id),
            RrMsg::Response(id) => (1, id),
        };
        out.word(tag);
        out.word(id);
    }
}

impl TraceEncode for Timeout {
    #[inline]
    fn encode(&self, out: &mut TraceHasher) {
        out.word(self.0);
    }
}

pub enum RrNode {
    Client { roundtrips: u64, current: u64, timer: Option<TimerId> },
    Server,
}

impl RrNode {
    fn request(ctx: &mut Ctx<'_, RrNode>, id: u64) -> TimerId {
        ctx.send(SERVER, RrMsg::Request(id));
        ctx.set_timer(TIMEOUT, Timeout(id))
    }
}

impl Node for RrNode {
    type Msg = RrMsg;
    type Timer = Timeout;
    type Obs = ();

    fn on_start(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let RrNode::Client { roundtrips, current, timer } = self {
            if *current < *roundtrips {
                *timer = Some(RrNode::request(ctx, *current));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: RrMsg) {
        match (self, msg) {
            (RrNode::Server, RrMsg::Request(id)) => ctx.send(from, RrMsg::Response(id)),
            (RrNode::Client { roundtrips, current, timer }, RrMsg::Response(id)) => {
                if id != *current {
                    return; // a late answer to a request already answered
                }
                if let Some(pending) = timer.take() {
                    ctx.cancel_timer(pending);
                }
                *current += 1;
                if *current < *roundtrips {
                    *timer = Some(RrNode::request(ctx, *current));
                }
            }
            (RrNode::Server, RrMsg::Response(_)) | (RrNode::Client { .. }, RrMsg::Request(_)) => {
                unreachable!("only the client sends requests, and only the server answers them")
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, Timeout(id): Timeout) {
        let RrNode::Client { current, timer, .. } = self else {
            unreachable!("the server sets no timers")
        };
        // An answer cancels its request's timeout, so the one that fires is the current one.
        assert_eq!(id, *current, "the timeout of an answered request fired");
        *timer = Some(RrNode::request(ctx, id));
    }

    /// The client's progress (`current`) is durable; its pending timeout died with it. The
    /// server keeps nothing.
    fn on_crash(&mut self) {
        if let RrNode::Client { timer, .. } = self {
            *timer = None;
        }
    }

    /// The client resends the request it was waiting on, as its lost timeout would have.
    fn on_restart(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let RrNode::Client { roundtrips, current, timer } = self {
            if *current < *roundtrips {
                *timer = Some(RrNode::request(ctx, *current));
            }
        }
    }
}

/// What one run of `rr` did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RrStats {
    pub roundtrips: u64,
    /// Every send, lost ones included (about 2.16 per round trip).
    pub messages: u64,
    pub events: u64,
    pub trace_hash: u64,
}

/// Runs `roundtrips` round trips of `rr` through the engine.
pub fn run(roundtrips: u64, seed: u64) -> Result<RrStats, LimitExceeded> {
    let config = SimConfig {
        seed,
        network: NetworkConfig {
            latency: Latency::Constant(LATENCY),
            loss_probability: LOSS_PROBABILITY,
            duplicate_probability: 0.0,
        },
        faults: Vec::new(),
        duration: SimDuration::from_nanos(u64::MAX),
        max_events: u64::MAX,
        trace: false,
        scheduler: None,
    };
    let nodes = vec![
        ("client".to_string(), RrNode::Client { roundtrips, current: 0, timer: None }),
        ("server".to_string(), RrNode::Server),
    ];
    let mut sim = Simulation::new(config, nodes);
    let stats = sim.run(&mut |_, _, ()| {})?;
    let RrNode::Client { current, .. } = sim.nodes()[CLIENT.index()] else {
        unreachable!("node 0 is the client")
    };
    Ok(RrStats {
        roundtrips: current,
        messages: stats.net.sent,
        events: stats.events,
        trace_hash: stats.trace_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_round_trip_completes_with_about_2_16_messages_each() {
        let stats = run(20_000, 1).unwrap();
        assert_eq!(stats.roundtrips, 20_000);
        // Expected sends per round trip: (1 + 0.95) / 0.95^2 = 2.16.
        let per_trip = stats.messages as f64 / stats.roundtrips as f64;
        assert!((per_trip - 2.16).abs() < 0.03, "{per_trip} messages per round trip");
    }

    #[test]
    fn trace_encodings_are_pinned() {
        let words = |words: &[u64]| {
            let mut h = TraceHasher::new(0);
            words.iter().for_each(|&w| h.word(w));
            h.finish()
        };
        assert_eq!(TraceHasher::of(&RrMsg::Request(5)), words(&[0, 5]));
        assert_eq!(TraceHasher::of(&RrMsg::Response(5)), words(&[1, 5]));
        assert_eq!(TraceHasher::of(&Timeout(9)), words(&[9]));
    }

    #[test]
    fn rr_is_deterministic_per_seed() {
        assert_eq!(run(1_000, 5).unwrap(), run(1_000, 5).unwrap());
        assert_ne!(run(1_000, 5).unwrap().trace_hash, run(1_000, 6).unwrap().trace_hash);
    }
}
