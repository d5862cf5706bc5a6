//! The `rr` benchmark: the engine running the reference echo workload, against a minimal
//! hand-written `BinaryHeap` loop doing the same work, measured in the same process so the
//! ratio means something on a noisy machine.
//!
//! `cargo bench -p faultline-models --bench rr [-- ROUNDTRIPS]`

#![allow(clippy::disallowed_methods)] // a benchmark measures wall time; nothing here is a run

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use faultline_engine::{NodeId, Prng, Stream};
use faultline_models::rr;

mod common;
use common::best_of_alternating;

const REPEATS: usize = 5;

/// The baseline: the same workload with nothing but a heap, a loss draw per message from
/// the same ChaCha8 generator, and lazy timeouts. No trace hash, no nodes, no network model.
fn baseline(roundtrips: u64, seed: u64) -> (u64, u64) {
    #[derive(PartialEq, Eq, PartialOrd, Ord)]
    enum Ev {
        Request(u64),
        Response(u64),
        Timeout(u64),
    }
    let latency_ns = rr::LATENCY.as_nanos();
    let timeout_ns = rr::TIMEOUT.as_nanos();
    let mut to_server = Prng::new(seed, Stream::Link { from: NodeId(0), to: NodeId(1) });
    let mut to_client = Prng::new(seed, Stream::Link { from: NodeId(1), to: NodeId(0) });
    let mut heap = BinaryHeap::with_capacity(1024);
    let (mut seq, mut messages, mut current) = (0u64, 0u64, 0u64);
    let mut push = |heap: &mut BinaryHeap<_>, at: u64, ev: Ev| {
        seq += 1;
        heap.push(Reverse((at, seq, ev)));
    };
    let mut send =
        |heap: &mut BinaryHeap<_>, now: u64, rng: &mut Prng, ev: Ev, messages: &mut u64| {
            *messages += 1;
            if !rng.chance(rr::LOSS_PROBABILITY) {
                push(heap, now + latency_ns, ev);
            }
        };
    send(&mut heap, 0, &mut to_server, Ev::Request(0), &mut messages);
    heap.push(Reverse((timeout_ns, u64::MAX, Ev::Timeout(0))));
    while let Some(Reverse((now, _, ev))) = heap.pop() {
        match ev {
            Ev::Request(id) => {
                send(&mut heap, now, &mut to_client, Ev::Response(id), &mut messages)
            }
            Ev::Response(id) | Ev::Timeout(id) if id != current => {}
            Ev::Response(_) => {
                current += 1;
                if current == roundtrips {
                    break;
                }
                send(&mut heap, now, &mut to_server, Ev::Request(current), &mut messages);
                heap.push(Reverse((now + timeout_ns, u64::MAX - current, Ev::Timeout(current))));
            }
            Ev::Timeout(id) => {
                send(&mut heap, now, &mut to_server, Ev::Request(id), &mut messages);
                heap.push(Reverse((now + timeout_ns, u64::MAX - id, Ev::Timeout(id))));
            }
        }
    }
    (current, messages)
}

fn report(label: &str, roundtrips: u64, messages: u64, wall_s: f64) -> f64 {
    let msgs_per_s = messages as f64 / wall_s;
    println!(
        "{label} roundtrips={roundtrips} messages={messages} wall_s={wall_s:.3} msgs_per_s={msgs_per_s:.0}"
    );
    msgs_per_s
}

fn main() {
    // `cargo bench` passes `--bench`; the first numeric argument is the round-trip count.
    let roundtrips = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000_000);
    // Alternate so both see the same machine conditions; report the best of each.
    let ((engine, engine_s), ((base_trips, base_msgs), base_s)) = best_of_alternating(
        REPEATS,
        || rr::run(roundtrips, 1).expect("rr has no event limit"),
        || baseline(roundtrips, 1),
    );
    let engine_rate = report("faultline", engine.roundtrips, engine.messages, engine_s);
    let base_rate = report("baseline ", base_trips, base_msgs, base_s);
    println!("ratio engine/baseline msgs_per_s={:.2}", engine_rate / base_rate);
}
