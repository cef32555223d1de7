//! SCTP association and data channel scenarios: handshakes, transfers, loss in the
//! simulator, congestion control, data channels, property tests and the throughput figure.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::sctp::wire::{Ppid, StreamId};
use sansrtc::sctp::{Association, Event, SctpConfig};
use sansrtc_tests::sctp::Pair;

mod cc;
mod datachannel;
mod dc_close;
mod handshake;
mod loss;
mod priority;
mod props;
mod throughput;
mod transfer;

/// One clock read per test: the virtual epoch.
fn epoch() -> Instant {
    Instant::now()
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// Two associations over a `latency` link; `a` connects (and `b` too when `both`).
fn pair_with(config: SctpConfig, seed: u64, latency: Duration, both: bool) -> Pair<Association> {
    let t0 = epoch();
    let mut a = Association::new(config.clone(), t0, &mut rng(seed));
    let mut b = Association::new(config, t0, &mut rng(seed + 1000));
    a.connect(t0);
    if both {
        b.connect(t0);
    }
    Pair::new(a, b, t0, latency)
}

fn pair(seed: u64) -> Pair<Association> {
    pair_with(
        SctpConfig::default(),
        seed,
        Duration::from_millis(10),
        false,
    )
}

/// Drains and returns an association's events.
fn events(a: &mut Association) -> Vec<Event> {
    std::iter::from_fn(|| a.poll_event()).collect()
}

/// Runs the pair until both sides are established.
fn establish(p: &mut Pair<Association>) {
    let ok = p.run_until(Duration::from_secs(30), |p| {
        p.a.is_established() && p.b.is_established()
    });
    assert!(ok, "handshake did not complete");
}

/// Runs until `b` has received `n` messages, collecting them.
fn receive(p: &mut Pair<Association>, n: usize, limit: Duration) -> Vec<sansrtc::sctp::Message> {
    let mut got = Vec::new();
    p.run_until(limit, |p| {
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                got.push(m);
            }
        }
        got.len() >= n
    });
    got
}

const BINARY: Ppid = Ppid::BINARY;
const S0: StreamId = StreamId(0);
