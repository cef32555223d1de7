//! The simulator's links and event loop: latency, loss, duplication, reordering, MTU,
//! bandwidth, routing errors and the livelock guard.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use sansrtc::net::{Receive, Transmit};
use sansrtc_tests::sim::testing::{Echo, PingStats, Pinger, Probe};
use sansrtc_tests::sim::{
    DropCause, HostId, LinkConfig, LinkDirection, LossModel, Peer, Realm, Sim, seed_from_env,
};

const A: &str = "10.0.0.1:5000";
const B: &str = "10.0.0.2:6000";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A pinger at A (made from the sim's epoch) and an echo at B, on the public realm.
fn ping_pair(
    seed: u64,
    a: LinkConfig,
    b: LinkConfig,
    pinger: impl FnOnce(Instant) -> Pinger,
) -> (Sim, HostId) {
    let mut sim = Sim::new(seed);
    let p = pinger(sim.epoch());
    let pa = sim.add_host("pinger", &[ip("10.0.0.1")], Realm::Public, a, p);
    sim.add_host("echo", &[ip("10.0.0.2")], Realm::Public, b, Echo::new());
    (sim, pa)
}

/// Sends `count` pings `interval` apart and runs until all replies are in.
fn run_pings(
    seed: u64,
    a: LinkConfig,
    b: LinkConfig,
    interval: Duration,
    count: u64,
) -> (Sim, PingStats) {
    let make = |epoch| Pinger::new(addr(A), addr(B), epoch, interval).with_count(count);
    let (mut sim, pa) = ping_pair(seed, a, b, make);
    sim.run_for(interval * count as u32 + Duration::from_secs(5));
    let stats = *sim.peer::<Pinger>(pa).stats();
    (sim, stats)
}

#[test]
fn latency_is_exact() {
    let a = LinkConfig::new(
        LinkDirection::default().with_latency(ms(5)),
        LinkDirection::default().with_latency(ms(1)),
    );
    let b = LinkConfig::new(
        LinkDirection::default().with_latency(ms(2)),
        LinkDirection::default().with_latency(ms(10)),
    );
    let make = |epoch| {
        Pinger::new(addr(A), addr(B), epoch, ms(100))
            .with_count(10)
            .recording()
    };
    let (mut sim, pa) = ping_pair(seed_from_env(1), a, b, make);
    // A -> B is A's uplink plus B's downlink (15 ms); B -> A is 2 + 1 ms.
    sim.run_for(Duration::from_secs(2));
    let rtts = sim.peer::<Pinger>(pa).rtts();
    assert_eq!(rtts.len(), 10, "{}", sim.replay_hint());
    assert!(rtts.iter().all(|&(_, rtt)| rtt == ms(18)), "{rtts:?}");
}

#[test]
fn first_delivery_time_and_addresses() {
    let mut sim = Sim::new(seed_from_env(1));
    let link = LinkConfig::with_latency(ms(25));
    let a = sim.add_host("a", &[ip("10.0.0.1")], Realm::Public, link, Probe::new());
    let b = sim.add_host("b", &[ip("10.0.0.2")], Realm::Public, link, Probe::new());
    sim.peer_mut::<Probe>(a).send(addr(A), addr(B), b"hello");
    sim.run_for(Duration::from_secs(1));
    let got = sim.peer::<Probe>(b).received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].at - sim.epoch(), ms(50));
    assert_eq!((got[0].source, got[0].destination), (addr(A), addr(B)));
    assert_eq!(got[0].payload, b"hello");
    assert_eq!(
        sim.elapsed(),
        Duration::from_secs(1),
        "run_for moves the clock to the end"
    );
}

#[test]
fn loss_rate_roughly_as_configured() {
    let seed = seed_from_env(7);
    let lossy = LinkConfig::new(
        LinkDirection::default().with_loss(0.1),
        LinkDirection::default(),
    );
    let (sim, s) = run_pings(seed, lossy, LinkConfig::ideal(), ms(1), 10_000);
    assert_eq!(s.sent, 10_000);
    // Only A's uplink loses: 10 % of 10 000, within 4 standard deviations (30 each).
    assert!(
        (8_880..=9_120).contains(&s.received),
        "{s:?}; {}",
        sim.replay_hint()
    );
    assert_eq!(sim.stats().dropped.loss, 10_000 - s.received);
    assert_eq!(sim.stats().dropped.total(), sim.stats().dropped.loss);
}

#[test]
fn gilbert_elliott_loss() {
    let ge = LossModel::GilbertElliott {
        good_to_bad: 0.02,
        bad_to_good: 0.25,
        loss_good: 0.0,
        loss_bad: 1.0,
    };
    let link = LinkConfig::new(
        LinkDirection::default().with_loss_model(ge),
        LinkDirection::default(),
    );
    let (sim, _) = run_pings(seed_from_env(3), link, LinkConfig::ideal(), ms(1), 10_000);
    // Stationary loss 0.02 / 0.27 ~ 7.4 %.
    let lost = sim.stats().dropped.loss;
    assert!((450..1100).contains(&lost), "{lost}; {}", sim.replay_hint());
}

#[test]
fn duplication() {
    let dup = LinkConfig::new(
        LinkDirection::default(),
        LinkDirection::default().with_duplicate(0.2),
    );
    let (sim, s) = run_pings(seed_from_env(5), LinkConfig::ideal(), dup, ms(1), 5_000);
    let dups = sim.stats().duplicated;
    // B's downlink duplicates pings; Echo answers each copy.
    assert!(
        (850..=1150).contains(&dups),
        "{dups}; {}",
        sim.replay_hint()
    );
    assert_eq!(s.received, 5_000 + dups);
    assert_eq!(sim.stats().delivered, 2 * (5_000 + dups));
}

#[test]
fn jitter_keeps_order_and_reordering_breaks_it() {
    let jitter = LinkConfig::symmetric(
        LinkDirection::default()
            .with_latency(ms(10))
            .with_jitter(ms(30)),
    );
    let (sim, s) = run_pings(seed_from_env(2), jitter, jitter, ms(2), 2_000);
    assert_eq!(
        (s.received, s.out_of_order),
        (2_000, 0),
        "{}",
        sim.replay_hint()
    );
    assert!(
        s.rtt_max.unwrap() > ms(60) && s.rtt_min.unwrap() >= ms(40),
        "{s:?}"
    );

    let reorder = LinkConfig::symmetric(LinkDirection::default().with_reorder(0.1, ms(20)));
    let (sim, s) = run_pings(seed_from_env(2), reorder, LinkConfig::ideal(), ms(2), 2_000);
    assert_eq!(s.received, 2_000);
    assert!(s.out_of_order > 100, "{s:?}; {}", sim.replay_hint());
}

#[test]
fn mtu_drops_larger_datagrams() {
    let mut sim = Sim::new(seed_from_env(1));
    let small = LinkConfig::new(
        LinkDirection::default(),
        LinkDirection::default().with_mtu(1200),
    );
    let a = sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::ideal(),
        Probe::new(),
    );
    let b = sim.add_host("b", &[ip("10.0.0.2")], Realm::Public, small, Probe::new());
    let probe = sim.peer_mut::<Probe>(a);
    probe.send(addr(A), addr(B), &[0; 1200]);
    probe.send(addr(A), addr(B), &[0; 1201]); // over B's downlink MTU
    probe.send(addr(A), addr(B), &[0; 1473]); // over A's uplink MTU (default 1472)
    sim.record_trace(true);
    sim.run_for(ms(10));
    assert_eq!(sim.peer::<Probe>(b).received().len(), 1);
    assert_eq!(sim.stats().dropped.mtu, 2);
    assert!(
        sim.trace_dump().contains("dropped: mtu"),
        "{}",
        sim.trace_dump()
    );
}

#[test]
fn bandwidth_queueing_delay_and_tail_drop() {
    // 1 Mbit/s: each 1250-byte datagram takes 10 ms to serialise; the queue holds three.
    let slow = LinkConfig::new(
        LinkDirection::default().with_rate(1_000_000, 3 * 1250),
        LinkDirection::default(),
    );
    let mut sim = Sim::new(seed_from_env(1));
    let a = sim.add_host("a", &[ip("10.0.0.1")], Realm::Public, slow, Probe::new());
    let b = sim.add_host(
        "b",
        &[ip("10.0.0.2")],
        Realm::Public,
        LinkConfig::ideal(),
        Probe::new(),
    );
    for _ in 0..5 {
        sim.peer_mut::<Probe>(a).send(addr(A), addr(B), &[7; 1250]);
    }
    sim.run_for(Duration::from_secs(1));
    let times: Vec<Duration> = sim
        .peer::<Probe>(b)
        .received()
        .iter()
        .map(|r| r.at - sim.epoch())
        .collect();
    assert_eq!(times, [ms(10), ms(20), ms(30)]);
    assert_eq!(sim.stats().dropped.queue, 2);
}

#[test]
fn bad_source_and_no_route() {
    let mut sim = Sim::new(seed_from_env(1));
    let a = sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::ideal(),
        Probe::new(),
    );
    let probe = sim.peer_mut::<Probe>(a);
    probe.send(addr("10.0.0.99:1"), addr(B), b"spoofed");
    probe.send(addr(A), addr("10.0.0.77:1"), b"nobody home");
    sim.record_trace(true);
    sim.run_for(ms(1));
    let d = sim.stats().dropped;
    assert_eq!((d.bad_source, d.no_route, d.total()), (1, 1, 2));
    let verdicts: Vec<_> = sim.trace().iter().map(|e| e.verdict).collect();
    use sansrtc_tests::sim::Verdict::*;
    assert_eq!(
        verdicts,
        [
            Sent,
            Dropped(DropCause::BadSource),
            Sent,
            Dropped(DropCause::NoRoute)
        ]
    );
}

#[test]
fn run_until_cond_stops_at_limit() {
    let mut sim = Sim::new(seed_from_env(1));
    sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::ideal(),
        Echo::new(),
    );
    assert!(!sim.run_until_cond(Duration::from_secs(3), |_| false));
    assert_eq!(sim.elapsed(), Duration::from_secs(3));
    assert!(sim.run_until_cond(Duration::from_secs(3), |s| s.elapsed() >= Duration::ZERO));
    assert_eq!(sim.elapsed(), Duration::from_secs(3));
    assert!(!sim.step(), "nothing scheduled");
}

/// A peer whose deadline never moves: the simulator must not spin forever.
struct Stuck(Instant);

impl Peer for Stuck {
    fn handle_datagram(&mut self, _: Instant, _: Receive<'_>) {}
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, _: &mut [u8]) -> Option<Transmit> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.0)
    }
}

#[test]
#[should_panic(expected = "livelock")]
fn livelock_is_reported() {
    let mut sim = Sim::new(seed_from_env(1));
    let stuck = Stuck(sim.epoch());
    sim.add_host(
        "stuck",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::ideal(),
        stuck,
    );
    sim.run_for(Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "does not hold a")]
fn wrong_peer_type_panics_clearly() {
    let mut sim = Sim::new(1);
    let a = sim.add_host(
        "a",
        &[ip("10.0.0.1")],
        Realm::Public,
        LinkConfig::ideal(),
        Echo::new(),
    );
    let _ = sim.peer::<Probe>(a);
}
