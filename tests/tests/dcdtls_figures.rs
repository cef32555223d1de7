//! Figures for data channels over our DTLS: 16 KiB reliable ordered messages one way over a
//! perfect in-memory link, with wall-clock MiB/s, allocations per message and peak heap.
//! Prints only; never asserts timing.
//!
//! `cargo test --release -p sansrtc-tests --test dcdtls_figures -- --ignored --nocapture`
//! (`DCDTLS_MIB` sets the volume, 64 by default). This binary holds one test only, so no
//! other test allocates while it measures.

use std::time::{Duration, Instant};

use sansrtc::datachannel::{ChannelConfig, ChannelEvent};
use sansrtc_tests::dcdtls::{DtlsSctpPeer, sctp_config};
use sansrtc_tests::sctp::Pair;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Message size.
const MESSAGE: usize = 16 * 1024;

/// The wall clock, for the printed rate only.
#[allow(
    clippy::disallowed_methods,
    reason = "figures print wall-clock throughput"
)]
fn wall() -> Instant {
    Instant::now()
}

/// Bytes currently allocated.
fn heap() -> usize {
    let s = GLOBAL.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated)
}

#[test]
#[ignore = "figures: run with --ignored --nocapture, preferably --release"]
fn datachannel_over_dtls_throughput() {
    let mib: usize = std::env::var("DCDTLS_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let count = (mib * 1024 * 1024 / MESSAGE) as u32;
    let now = wall();
    let (a, b) = DtlsSctpPeer::pair(7, now, &sctp_config());
    let mut p = Pair::new(a, b, now, Duration::from_millis(1));
    let id = p.a.dc.open(now, ChannelConfig::new("bulk")).unwrap();
    let opened = p.run_until(Duration::from_secs(10), |p| {
        let mut open = false;
        while let Some(e) = p.a.dc.poll_event() {
            open |= e == ChannelEvent::Open(id);
        }
        while p.b.dc.poll_event().is_some() {}
        open
    });
    assert!(opened, "channel opened");

    let mut template = vec![0u8; MESSAGE];
    for (k, b) in template.iter_mut().enumerate() {
        *b = (k * 7) as u8;
    }
    let (mut sent, mut received) = (0u32, 0u32);
    let base = heap();
    let mut peak = base;
    let start = wall();
    let virtual_start = p.now();
    let region = Region::new(GLOBAL);
    let done = p.run_until(Duration::from_secs(3600), |p| {
        let now = p.now();
        while sent < count && p.a.dc.buffered_amount(id) < 1024 * 1024 {
            template[..4].copy_from_slice(&sent.to_be_bytes());
            if p.a.dc.send(now, id, &template, true).is_err() {
                break;
            }
            sent += 1;
        }
        while let Some(event) = p.b.dc.poll_event() {
            if let ChannelEvent::Message { data, .. } = event {
                assert_eq!(data.len(), MESSAGE);
                assert_eq!(data[..4], received.to_be_bytes(), "in order");
                assert_eq!(data[4..], template[4..], "intact");
                received += 1;
            }
        }
        peak = peak.max(heap());
        received == count
    });
    let change = region.change();
    let elapsed = start.elapsed();
    assert!(done, "sent {sent}, received {received} of {count}");
    let bytes = f64::from(count) * MESSAGE as f64;
    println!(
        "data channel over DTLS ({:?}), {count} x 16 KiB = {mib} MiB one way: {:.1} MiB/s wall \
         ({elapsed:?}; {:?} virtual)",
        p.a.connected,
        bytes / (1024.0 * 1024.0) / elapsed.as_secs_f64(),
        p.now() - virtual_start,
    );
    println!(
        "allocations {} ({:.4} per message), reallocations {}, bytes allocated {} ({:.0} per \
         message)",
        change.allocations,
        change.allocations as f64 / f64::from(count),
        change.reallocations,
        change.bytes_allocated,
        change.bytes_allocated as f64 / f64::from(count),
    );
    println!(
        "heap: {base} B before the transfer, peak {peak} B (+{} B), sampled once per step",
        peak - base
    );
    println!(
        "a dtls {:?}\na sctp {:?}",
        p.a.dtls.stats(),
        p.a.dc.sctp_stats()
    );
}
