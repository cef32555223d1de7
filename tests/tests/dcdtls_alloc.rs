//! Data channels over our DTLS allocate nothing per message once warm: 16 KiB reliable
//! ordered messages one way between two in-memory peers (SCTP arenas, DTLS queues and the
//! channel event queue all reuse their storage). Issue 9's goal is at most one allocation
//! per 16 KiB message; this asserts far fewer.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::{Duration, Instant};

use sansrtc::datachannel::{ChannelConfig, ChannelEvent};
use sansrtc::sctp::wire::StreamId;
use sansrtc_tests::alloc::fewest_allocations;
use sansrtc_tests::dcdtls::{DtlsSctpPeer, sctp_config};
use sansrtc_tests::sctp::Pair;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Message size.
const MESSAGE: usize = 16 * 1024;
/// Messages per measured trial (8 MiB).
const COUNT: u32 = 512;

/// Sends `count` messages from a to b, keeping at most 1 MiB buffered, and checks them.
fn transfer(p: &mut Pair<DtlsSctpPeer>, id: StreamId, template: &mut [u8], count: u32) -> u32 {
    let (mut sent, mut received) = (0u32, 0u32);
    let done = p.run_until(Duration::from_secs(600), |p| {
        let now = p.now();
        while sent < count && p.a.dc.buffered_amount(id) < 1024 * 1024 {
            template[..4].copy_from_slice(&sent.to_be_bytes());
            if p.a.dc.send(now, id, template, true).is_err() {
                break;
            }
            sent += 1;
        }
        while let Some(event) = p.b.dc.poll_event() {
            if let ChannelEvent::Message { data, .. } = event {
                assert_eq!(data.len(), MESSAGE);
                assert_eq!(data[..4], received.to_be_bytes(), "in order");
                received += 1;
            }
        }
        while p.a.dc.poll_event().is_some() {}
        received == count
    });
    assert!(done, "sent {sent}, received {received} of {count}");
    received
}

#[test]
fn dcdtls_alloc_16k_messages_steady_state() {
    let now = Instant::now();
    let (a, b) = DtlsSctpPeer::pair(9, now, &sctp_config());
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
    // Warm-up: windows open, arena pools and queues reach their working size.
    transfer(&mut p, id, &mut template, 2 * COUNT);
    let change = fewest_allocations(GLOBAL, 3, |_| {
        assert_eq!(transfer(&mut p, id, &mut template, COUNT), COUNT);
    });
    let per_message = (change.allocations + change.reallocations) as f64 / f64::from(COUNT);
    println!(
        "{COUNT} messages of 16 KiB over DTLS: {} allocations, {} reallocations, {} bytes \
         ({per_message:.4} allocations per message, fewest of 3 trials)",
        change.allocations, change.reallocations, change.bytes_allocated
    );
    assert!(
        per_message <= 0.01,
        "{per_message} allocations per 16 KiB message"
    );
}
