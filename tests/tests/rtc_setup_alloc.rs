//! Setup allocates little (issue 9: under 300 allocations for both peers, offer/answer to
//! the first data-channel message): two `Rtc`s in memory, one opens a channel, both
//! negotiate, connect, and one message crosses. Peer construction (certificates, configs) is
//! left out, as in the benchmark's `setup` case.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use sansrtc::datachannel::ChannelConfig;
use sansrtc::rtc::Event;
use sansrtc_tests::rtc_memory::MemoryPair;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Allocations (and reallocations) of one setup.
fn setup() -> usize {
    let mut p = MemoryPair::new(|_| {});
    let region = Region::new(GLOBAL);
    let id =
        p.a.open_channel(p.now, ChannelConfig::new("chat"))
            .expect("channel");
    p.negotiate();
    let (mut opened, mut arrived) = (false, false);
    for _ in 0..10_000 {
        p.step(|at_b, e| match e {
            Event::ChannelOpen { id: open, .. } if !at_b && open == id => opened = true,
            Event::ChannelMessage { data, .. } if at_b => {
                assert_eq!(&data[..], b"first");
                arrived = true;
            }
            _ => {}
        });
        if opened {
            p.a.send(p.now, id, b"first", true).expect("send");
            opened = false;
        }
        if arrived {
            let change = region.change();
            return change.allocations + change.reallocations;
        }
    }
    panic!("no message within 10 s");
}

#[test]
fn rtc_setup_alloc_offer_to_first_message() {
    // The first setup in a process also fills lazily made statics; count the second.
    setup();
    let count = setup();
    println!("setup, both peers, offer/answer to the first message: {count} allocations");
    assert!(count < 300, "{count} allocations");
}
