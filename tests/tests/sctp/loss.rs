//! Four channels of 10 MiB each (reliable ordered, reliable unordered, max-retransmits 0,
//! lifetime 100 ms) through the simulator with loss, reordering and duplication.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use sansrtc::datachannel::{ChannelConfig, ChannelState, DataChannels, DtlsRole};
use sansrtc::sctp::{Reliability, SctpConfig};
use sansrtc_tests::sctp::ChannelPeer;
use sansrtc_tests::sim::{HostId, LinkConfig, LinkDirection, Realm, Sim, seed_from_env};

/// Bytes per channel.
const PER_CHANNEL: usize = 10 * 1024 * 1024;

pub(crate) struct Session {
    pub(crate) sim: Sim,
    pub(crate) a: HostId,
    pub(crate) b: HostId,
}

/// Two data channel peers on one link; a is the DTLS client.
pub(crate) fn session(seed: u64, link: LinkConfig, config: SctpConfig) -> Session {
    let mut sim = Sim::new(seed);
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let addr_a: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let addr_b: SocketAddr = "10.0.0.2:5000".parse().unwrap();
    let now = sim.now();
    let mut dc_a = DataChannels::new(
        config.clone(),
        DtlsRole::Client,
        now,
        &mut sim.peer_rng("a"),
    );
    let dc_b = DataChannels::new(config, DtlsRole::Server, now, &mut sim.peer_rng("b"));
    dc_a.connect(now);
    let a = sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        link,
        ChannelPeer::new(dc_a, addr_a, addr_b),
    );
    let b = sim.add_host(
        "b",
        &[ip("10.0.0.2")],
        Realm::Public,
        LinkConfig::ideal(),
        ChannelPeer::new(dc_b, addr_b, addr_a),
    );
    Session { sim, a, b }
}

fn lossy(loss: f64) -> LinkConfig {
    let dir = LinkDirection::default()
        .with_latency(Duration::from_millis(20))
        .with_jitter(Duration::from_millis(2))
        .with_loss(loss)
        .with_duplicate(0.01)
        .with_reorder(0.02, Duration::from_millis(15));
    LinkConfig::symmetric(dir)
}

fn run_four_channels(seed: u64, loss: f64, per_channel: usize) {
    let Session { mut sim, a, b } = session(seed, lossy(loss), SctpConfig::default());
    let kinds = [
        ("ordered", true, Reliability::Reliable),
        ("unordered", false, Reliability::Reliable),
        ("rexmit0", true, Reliability::MaxRetransmits(0)),
        (
            "lifetime100",
            true,
            Reliability::MaxLifetime(Duration::from_millis(100)),
        ),
    ];
    // Little queued per channel, so lifetime-limited messages mostly go out in time.
    sim.peer_mut::<ChannelPeer>(a).high_water = 8 * 1024;
    let mut ids = Vec::new();
    for (label, ordered, reliability) in kinds {
        let now = sim.now();
        let peer = sim.peer_mut::<ChannelPeer>(a);
        let mut config = ChannelConfig::new(label);
        config.ordered = ordered;
        config.reliability = reliability;
        let id = peer.dc.open(now, config).unwrap();
        peer.send_workload(id, per_channel);
        ids.push(id);
    }
    let done = |s: &Sim| {
        let pa = s.peer::<ChannelPeer>(a);
        pa.all_queued() && pa.idle()
    };
    let finished = sim.run_until_cond(Duration::from_secs(3600), done);
    let pa = sim.peer::<ChannelPeer>(a);
    let pb = sim.peer::<ChannelPeer>(b);
    let stats = *pa.dc.sctp_stats();
    println!(
        "loss {loss}: {:?} virtual, a: {stats:?}\nb: {:?}",
        sim.elapsed(),
        pb.dc.sctp_stats()
    );
    assert!(finished, "transfer did not finish: {}", sim.replay_hint());
    for (k, id) in ids.iter().enumerate() {
        let sent = pa.outgoing[k].next_seq;
        let (_, c) = pb.checkers.get(&id.0).cloned().unwrap_or_default();
        println!(
            "{}: sent {sent}, delivered {} (gaps {}), corrupted {}, duplicated {}, reordered {}",
            kinds[k].0, c.delivered, c.gaps, c.corrupted, c.duplicated, c.out_of_order
        );
        assert_eq!(
            c.corrupted,
            0,
            "{}: corrupted {}",
            kinds[k].0,
            sim.replay_hint()
        );
        assert_eq!(
            c.duplicated,
            0,
            "{}: duplicated {}",
            kinds[k].0,
            sim.replay_hint()
        );
        assert_eq!(
            c.out_of_order,
            0,
            "{}: reordered {}",
            kinds[k].0,
            sim.replay_hint()
        );
        if k < 2 {
            assert!(
                c.has_all(sent),
                "{}: lost messages {}",
                kinds[k].0,
                sim.replay_hint()
            );
            assert_eq!(c.bytes as usize, pa.outgoing[k].sent);
        } else {
            assert!(u64::from(sent) >= c.delivered);
        }
    }
    // Partial channels: what was not delivered was reported abandoned.
    let partial_sent: u64 = (2..4).map(|k| u64::from(pa.outgoing[k].next_seq)).sum();
    let partial_delivered: u64 = ids[2..]
        .iter()
        .map(|id| pb.checkers.get(&id.0).map_or(0, |(_, c)| c.delivered))
        .sum();
    // Every partial message was delivered or reported abandoned (a message abandoned after
    // it arrived counts twice, hence `>=`).
    let accounted = partial_delivered + stats.messages_abandoned;
    println!(
        "partial: {partial_delivered} delivered + {} abandoned of {partial_sent} sent",
        stats.messages_abandoned
    );
    assert!(
        accounted >= partial_sent,
        "{partial_delivered} delivered + {} abandoned < {partial_sent} sent",
        stats.messages_abandoned
    );
    assert!(stats.messages_abandoned > 0);
    let lifetime = pb.checkers.get(&ids[3].0).map_or(0, |(_, c)| c.delivered);
    assert!(lifetime > 0, "the lifetime channel delivers something");
    for id in &ids {
        assert_eq!(
            pa.dc.channel(*id).map(|c| c.state),
            Some(ChannelState::Open)
        );
    }
}

#[test]
fn sctp_loss_four_channels_5_percent() {
    run_four_channels(seed_from_env(600), 0.05, PER_CHANNEL);
}

#[test]
fn sctp_loss_four_channels_20_percent() {
    run_four_channels(seed_from_env(601), 0.20, PER_CHANNEL);
}
