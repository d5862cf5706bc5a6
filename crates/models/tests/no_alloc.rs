//! The engine's hot loop allocates nothing per message or timer: ten times the round trips
//! of `rr` cost no more allocations than one time, once queues and slabs are warm.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations_for(roundtrips: u64) -> usize {
    let region = Region::new(GLOBAL);
    let stats = faultline_models::rr::run(roundtrips, 1).unwrap();
    assert_eq!(stats.roundtrips, roundtrips);
    region.change().allocations
}

#[test]
fn rr_allocates_the_same_for_ten_times_the_messages() {
    let small = allocations_for(10_000);
    let large = allocations_for(100_000);
    // Setup allocates (nodes, streams, buffers); messages and timers must not.
    assert!(large <= small + 4, "{small} allocations for 10k round trips, {large} for 100k");
}
