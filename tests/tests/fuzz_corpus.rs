//! Replays the fuzz corpus (`fuzz/corpus/<target>/*`) through the same entry points the
//! cargo-fuzz targets call, on stable: a crash found by a fuzzer and saved there stays fixed.
//! `fuzz_corpus_seed_from_simulator` (ignored; run by hand) writes real datagrams from a
//! simulated ICE session into the corpus as seeds.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use sansrtc_tests::ice::{IceScenario, NatKind, ScenarioConfig};

fn corpus(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn replay(target: &str, run: fn(Instant, &[u8])) -> usize {
    let dir = corpus(target);
    let mut count = 0;
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        run(Instant::now(), &bytes);
        count += 1;
    }
    count
}

#[test]
fn fuzz_corpus_stun_message_replays() {
    let n = replay("stun_message", sansrtc::fuzz::stun_message);
    assert!(n >= 5, "the stun_message corpus has seeds ({n})");
}

#[test]
fn fuzz_corpus_ice_agent_replays() {
    let n = replay("ice_agent", sansrtc::fuzz::ice_agent);
    assert!(n >= 5, "the ice_agent corpus has seeds ({n})");
}

#[test]
fn fuzz_corpus_turn_relay_replays() {
    let n = replay("turn_relay", sansrtc::fuzz::turn_relay);
    assert!(n >= 5, "the turn_relay corpus has seeds ({n})");
}

/// Writes datagrams of a real ICE session (gathering, checks, nomination, consent) into the
/// corpus: each as a `stun_message` seed, and as `ice_agent` scripts that deliver them.
#[test]
#[ignore = "writes into fuzz/corpus; run by hand"]
fn fuzz_corpus_seed_from_simulator() {
    let config = ScenarioConfig::new(1).nats(NatKind::PortRestricted, NatKind::None);
    let mut s = IceScenario::new(config);
    let (a, b) = (s.a, s.b);
    s.peer_mut(a).capture();
    s.peer_mut(b).capture();
    assert!(s.run_until_connected(Duration::from_secs(5)));
    s.run_for(Duration::from_secs(12));
    let mut datagrams: Vec<Vec<u8>> = s.peer(a).captured().to_vec();
    datagrams.extend_from_slice(s.peer(b).captured());
    datagrams.sort();
    datagrams.dedup();
    for (i, d) in datagrams.iter().take(24).enumerate() {
        std::fs::write(corpus("stun_message").join(format!("sim-{i:02}")), d).unwrap();
        // ice_agent script: controlled role, then op 0 (datagram) from host 7.
        let mut script = vec![1u8, 0, 7, d.len().div_ceil(8) as u8];
        script.extend_from_slice(d);
        script.resize(4 + d.len().div_ceil(8) * 8, 0);
        script.extend_from_slice(&[4, 0x13, 0x88]); // then 5 s pass
        std::fs::write(corpus("ice_agent").join(format!("sim-{i:02}")), script).unwrap();
    }
}

proptest::proptest! {
    /// The `turn_relay` entry point on stable, with arbitrary scripts (cargo-fuzz needs
    /// nightly): its own assertions hold (everything leaves from the host, no deadline in the
    /// past) and nothing panics.
    #[test]
    fn fuzz_turn_relay_arbitrary_scripts(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        sansrtc::fuzz::turn_relay(Instant::now(), &data);
    }
}
