//! An SCTP transfer allocates nothing once warm: 16 KiB and 1 KiB messages over a perfect
//! in-memory link, counted by the global allocator. The send and receive arenas are pools
//! of buffers (growing from 16 KiB to 256 KiB) that are taken back once every slice of them
//! is dropped, so after the
//! warm-up (windows open, the pools and queues reach their working size) a transfer
//! allocates nothing at all. Once idle for a heartbeat interval the buffers are freed.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::sctp::wire::{Ppid, StreamId};
use sansrtc::sctp::{Association, Event, SctpConfig, SendOptions};
use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::sctp::Pair;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Messages per measured trial.
const COUNT: usize = 1000;

/// Sends `count` messages of `size` bytes from a to b, dropping each on arrival.
fn transfer(p: &mut Pair<Association>, msg: &[u8], count: usize) -> usize {
    let (mut sent, mut received) = (0, 0);
    while received < count {
        while sent < count
            && p.a
                .send(
                    p.now(),
                    StreamId(0),
                    Ppid::BINARY,
                    msg,
                    SendOptions::default(),
                )
                .is_ok()
        {
            sent += 1;
        }
        assert!(p.step(), "stalled");
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                assert_eq!(m.data.len(), msg.len());
                received += 1;
            }
        }
        while p.a.poll_event().is_some() {}
    }
    received
}

#[test]
fn sctp_alloc_steady_state_zero_per_message() {
    let t0 = Instant::now();
    let mut a = Association::new(
        SctpConfig::default(),
        t0,
        &mut ChaCha20Rng::seed_from_u64(1),
    );
    let b = Association::new(
        SctpConfig::default(),
        t0,
        &mut ChaCha20Rng::seed_from_u64(2),
    );
    a.connect(t0);
    let mut p = Pair::new(a, b, t0, Duration::from_millis(1));
    assert!(p.run_until(Duration::from_secs(5), |p| p.a.is_established()
        && p.b.is_established()));
    while p.a.poll_event().is_some() {}
    while p.b.poll_event().is_some() {}

    for size in [16 * 1024, 1024] {
        let msg = vec![7u8; size];
        // Warm-up: windows open, queues and arena pools reach their working size.
        transfer(&mut p, &msg, 2000);
        let (sa, sb) = p.sent();
        let change = fewest_allocations(GLOBAL, 3, |_| {
            assert_eq!(transfer(&mut p, &msg, COUNT), COUNT);
        });
        let (ea, eb) = p.sent();
        let packets = ((ea - sa) + (eb - sb)) / 3;
        println!(
            "{COUNT} messages of {size} bytes, {packets} packets: {} allocations, {} \
             reallocations (fewest of 3 trials)",
            change.allocations, change.reallocations,
        );
        assert_eq!(
            (change.allocations, change.reallocations),
            (0, 0),
            "{size}-byte messages"
        );
    }

    // Idle: within a heartbeat interval the arena buffers the bursts left behind are freed.
    let heap = || {
        let s = GLOBAL.stats();
        s.bytes_allocated.saturating_sub(s.bytes_deallocated)
    };
    let busy = heap();
    p.run_until(Duration::from_secs(35), |_| false);
    let idle = heap();
    println!("heap after the transfers {busy} B, after 35 s idle {idle} B");
    assert!(
        busy.saturating_sub(idle) >= 1024 * 1024,
        "idle arenas freed: {busy} -> {idle}"
    );
}
