//! NACK and RTX (RFC 4585 section 6.2.1, RFC 4588) recover every lost packet at 5% loss.

use std::time::Duration;

use super::MediaScenario;

const FIRST_SEQ: u16 = 65_000;

fn recovers_all(seed: u64) {
    let mut s = MediaScenario::new(seed, 1000, FIRST_SEQ, 0.05, Duration::from_millis(5));
    // 1000 packets take 20 s; leave time for the last retransmissions.
    s.sim.run_for(Duration::from_secs(23));
    let lost = s.lost(FIRST_SEQ);
    let r = s.receiver();
    println!(
        "seed {seed}: {} sent, {} lost originals, {} recovered by RTX, {} NACKed, {} RTX sent, \
         {} given up",
        s.sender().sent(),
        lost.len(),
        r.recovered.len(),
        s.sender().nacked(),
        s.sender().rtx_sent(),
        r.stats().nack_given_up
    );
    assert_eq!(s.sender().sent(), 1000);
    assert!(
        lost.len() > 20,
        "the link lost packets: {}",
        s.sim.replay_hint()
    );
    let unrecovered: Vec<_> = lost.iter().filter(|q| !r.recovered.contains(q)).collect();
    assert!(
        unrecovered.is_empty(),
        "not recovered: {unrecovered:?}; {}",
        s.sim.replay_hint()
    );
    assert_eq!(r.stats().nack_missing, 0);
    assert_eq!(r.stats().nack_evicted, 0);
}

#[test]
fn nack_rtx_recovers_every_lost_packet_at_5_percent_loss() {
    for seed in [1, 2, 3] {
        recovers_all(seed);
    }
}

#[test]
fn nack_nothing_lost_nothing_nacked() {
    let mut s = MediaScenario::new(7, 200, 1, 0.0, Duration::ZERO);
    s.sim.run_for(Duration::from_secs(5));
    assert_eq!(s.receiver().received.len(), 200);
    assert_eq!(s.sender().nacked(), 0);
    assert_eq!(s.sender().rtx_sent(), 0);
}
