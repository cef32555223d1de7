//! How fast a two-peer ICE session runs in the simulator, printed, never asserted (timing
//! belongs in benchmarks). `cargo test -p sansrtc-tests --test ice speed -- --nocapture`.

use std::time::{Duration, Instant};

use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig, is_connected};
use sansrtc_tests::sim::{LinkConfig, seed_from_env};

#[test]
fn ice_speed_two_peers_50ms_one_way() {
    // 25 ms on each access link: 50 ms one way between the agents.
    let config = ScenarioConfig::new(seed_from_env(9100))
        .nats(NatKind::PortRestricted, NatKind::EndpointIndependent)
        .links(LinkConfig::with_latency(Duration::from_millis(25)));
    let mut s = IceScenario::new(config);
    let wall = Instant::now();
    let virtual_time = Duration::from_secs(3600);
    s.run_for(virtual_time);
    let wall = wall.elapsed().as_secs_f64();
    assert!(is_connected(s.state(s.a)), "{}", s.replay_hint());
    println!(
        "ICE session, 50 ms one way: {:.0} s virtual in {wall:.3} s wall = {:.0} virtual s per \
         wall s ({} datagrams)",
        virtual_time.as_secs_f64(),
        virtual_time.as_secs_f64() / wall,
        s.sim.stats().sent
    );
}
