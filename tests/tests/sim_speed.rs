//! How fast the simulator runs, printed, never asserted (timing belongs in benches). Run with
//! `cargo test -p sansrtc-tests --test sim_speed -- --nocapture` to see the figures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sansrtc_tests::sim::testing::{Echo, Pinger};
use sansrtc_tests::sim::{HostId, LinkConfig, Realm, Sim, seed_from_env};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Runs a pinger against an echo for `virtual_time`; 25 ms per link direction makes 50 ms
/// one way. Prints virtual seconds per wall second and datagrams per wall second.
fn measure(label: &str, virtual_time: Duration, make: impl FnOnce(Instant) -> Pinger) {
    let mut sim = Sim::new(seed_from_env(1));
    let link = LinkConfig::with_latency(Duration::from_millis(25));
    let pinger: HostId = {
        let p = make(sim.epoch());
        sim.add_host("pinger", &[addr("10.0.0.1:1").ip()], Realm::Public, link, p)
    };
    sim.add_host(
        "echo",
        &[addr("10.0.0.2:7").ip()],
        Realm::Public,
        link,
        Echo::new(),
    );
    let wall = Instant::now();
    sim.run_for(virtual_time);
    let wall = wall.elapsed().as_secs_f64();
    let s = sim.stats();
    println!(
        "{label}: {:.0} s virtual in {wall:.3} s wall = {:.0} virtual s per wall s; \
         {} datagrams delivered, {:.0} datagrams per wall s",
        virtual_time.as_secs_f64(),
        virtual_time.as_secs_f64() / wall,
        s.delivered,
        s.delivered as f64 / wall
    );
    assert!(sim.peer::<Pinger>(pinger).stats().received > 0);
}

#[test]
fn sim_speed_ping_pong_50ms() {
    measure(
        "ping-pong, 50 ms one way",
        Duration::from_secs(3600),
        |epoch| {
            Pinger::new(
                addr("10.0.0.1:1"),
                addr("10.0.0.2:7"),
                epoch,
                Duration::from_secs(1),
            )
            .ping_pong()
        },
    );
}

#[test]
fn sim_speed_stream_1000_pps() {
    measure(
        "1000 pings/s, 50 ms one way",
        Duration::from_secs(60),
        |epoch| {
            Pinger::new(
                addr("10.0.0.1:1"),
                addr("10.0.0.2:7"),
                epoch,
                Duration::from_millis(1),
            )
            .with_size(1000)
        },
    );
}
