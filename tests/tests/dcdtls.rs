//! Data channels over our DTLS, in process: both handshakes, then messages both ways over a
//! perfect in-memory link and through the simulator with loss.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use sansrtc::datachannel::{ChannelConfig, ChannelEvent};
use sansrtc::sctp::wire::StreamId;
use sansrtc_tests::dcdtls::{DtlsSctpHost, DtlsSctpPeer, sctp_config};
use sansrtc_tests::sctp::Pair;
use sansrtc_tests::sim::{LinkConfig, LinkDirection, Realm, Sim, seed_from_env};

/// One real instant per run; after that only `+ Duration`.
#[allow(
    clippy::disallowed_methods,
    reason = "tests need one real epoch instant"
)]
fn epoch() -> Instant {
    Instant::now()
}

/// Messages each way in the echo test.
const MESSAGES: u32 = 100;

/// Sizes around the SCTP and DTLS boundaries; other messages take pseudo-random sizes.
const EDGE_SIZES: [usize; 16] = [
    1, 2, 3, 100, 1000, 1159, 1160, 1161, 2048, 4096, 8191, 16384, 16385, 32768, 65535, 65536,
];

/// Message `seq`'s size: 1 B to 64 KiB.
fn size(seq: u32) -> usize {
    let seq = seq as usize;
    if seq.is_multiple_of(3) {
        EDGE_SIZES[(seq / 3) % EDGE_SIZES.len()]
    } else {
        1 + (seq * 7919) % 65_536
    }
}

/// Message `seq` from side `from`: every byte depends on both.
fn message(from: u8, seq: u32) -> Vec<u8> {
    (0..size(seq))
        .map(|k| {
            (k as u32)
                .wrapping_mul(31)
                .wrapping_add(seq * 7 + u32::from(from) * 101) as u8
        })
        .collect()
}

/// Drains `peer`'s channel events into `opened` and `received`.
fn drain(peer: &mut DtlsSctpPeer, opened: &mut Vec<StreamId>, received: &mut Vec<Bytes>) {
    while let Some(event) = peer.dc.poll_event() {
        match event {
            ChannelEvent::Open(id) => opened.push(id),
            ChannelEvent::Message { data, .. } => received.push(data),
            _ => {}
        }
    }
}

#[test]
fn datachannel_over_dtls_echo() {
    let now = epoch();
    let (a, b) = DtlsSctpPeer::pair(seed_from_env(4100), now, &sctp_config());
    let mut p = Pair::new(a, b, now, Duration::from_millis(5));
    assert!(
        p.run_until(Duration::from_secs(10), |p| p.a.is_established()
            && p.b.is_established()),
        "both layers up"
    );
    assert!(p.a.dc.association().uses_zero_checksum());
    assert!(p.b.dc.association().uses_zero_checksum());

    let id = p.a.dc.open(p.now(), ChannelConfig::new("echo")).unwrap();
    let (mut open_a, mut open_b) = (Vec::new(), Vec::new());
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    let (mut sent_a, mut sent_b) = (false, false);
    let done = p.run_until(Duration::from_secs(60), |p| {
        let now = p.now();
        drain(&mut p.a, &mut open_a, &mut got_a);
        drain(&mut p.b, &mut open_b, &mut got_b);
        if !sent_a && open_a.contains(&id) {
            for seq in 0..MESSAGES {
                p.a.dc.send(now, id, &message(0, seq), true).unwrap();
            }
            sent_a = true;
        }
        if !sent_b && open_b.contains(&id) {
            for seq in 0..MESSAGES {
                p.b.dc.send(now, id, &message(1, seq), true).unwrap();
            }
            sent_b = true;
        }
        got_a.len() == MESSAGES as usize && got_b.len() == MESSAGES as usize
    });
    assert!(
        done,
        "a got {} and b got {} messages",
        got_a.len(),
        got_b.len()
    );
    for seq in 0..MESSAGES {
        assert_eq!(
            got_b[seq as usize],
            message(0, seq),
            "a to b, message {seq}"
        );
        assert_eq!(
            got_a[seq as usize],
            message(1, seq),
            "b to a, message {seq}"
        );
    }
    for peer in [&p.a, &p.b] {
        assert_eq!(peer.write_errors, 0);
        assert_eq!(peer.dtls.stats().auth_failures, 0);
        assert!(peer.closed.is_none());
    }
}

#[test]
fn datachannel_over_dtls_loss() {
    const TARGET: usize = 1024 * 1024;
    let mut sim = Sim::new(seed_from_env(4200));
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let addr_a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let addr_b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let now = sim.now();
    let (pa, pb) = DtlsSctpPeer::pair(sim.seed(), now, &sctp_config());
    let mut host_a = DtlsSctpHost::new(pa, addr_a, addr_b);
    let id = host_a
        .peer
        .dc
        .open(now, ChannelConfig::new("bulk"))
        .unwrap();
    host_a.outgoing.push(sansrtc_tests::sctp::Outgoing {
        id,
        target: TARGET,
        sent: 0,
        next_seq: 0,
    });
    // 5% loss each way: a's link is lossy up and down, b's is ideal.
    let lossy = LinkDirection::default()
        .with_latency(Duration::from_millis(20))
        .with_loss(0.05);
    let a = sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::symmetric(lossy),
        host_a,
    );
    let b = sim.add_host(
        "b",
        &[ip("10.0.0.2")],
        Realm::Public,
        LinkConfig::ideal(),
        DtlsSctpHost::new(pb, addr_b, addr_a),
    );
    let done = |s: &Sim| {
        let ha = s.peer::<DtlsSctpHost>(a);
        let hb = s.peer::<DtlsSctpHost>(b);
        let sent = ha.outgoing[0].next_seq;
        ha.done_sending() && hb.checkers.get(&id.0).is_some_and(|c| c.has_all(sent))
    };
    let finished = sim.run_until_cond(Duration::from_secs(600), done);
    let ha = sim.peer::<DtlsSctpHost>(a);
    let hb = sim.peer::<DtlsSctpHost>(b);
    println!(
        "{:?} virtual; a dtls {:?}\na sctp {:?}\nb dtls {:?}",
        sim.elapsed(),
        ha.peer.dtls.stats(),
        ha.peer.dc.sctp_stats(),
        hb.peer.dtls.stats()
    );
    assert!(finished, "transfer did not finish: {}", sim.replay_hint());
    let c = &hb.checkers[&id.0];
    assert_eq!(
        (c.corrupted, c.duplicated, c.out_of_order, c.gaps),
        (0, 0, 0, 0),
        "{}",
        sim.replay_hint()
    );
    assert_eq!(c.delivered, u64::from(ha.outgoing[0].next_seq));
    assert!(c.bytes >= TARGET as u64, "{} bytes", c.bytes);
    assert!(
        ha.peer.dc.sctp_stats().retransmissions > 0 || ha.peer.dtls.stats().retransmissions > 0,
        "loss was exercised"
    );
}
