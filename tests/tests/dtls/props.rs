//! Properties over arbitrary datagram sequences between a live client and server: replays,
//! truncation, reordering, corruption, garbage and time jumps.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::dtls::{Certificate, Connection, DtlsConfig, HashAlgorithm};

use super::common::{drain, epoch, pair_configs};

#[derive(Debug, Clone)]
enum Op {
    /// Deliver the i-th datagram seen in this direction (replays included).
    Deliver { to_server: bool, i: usize },
    /// Deliver it cut short.
    Truncate {
        to_server: bool,
        i: usize,
        keep: usize,
    },
    /// Deliver it with one byte flipped.
    Flip {
        to_server: bool,
        i: usize,
        at: usize,
    },
    /// Deliver arbitrary bytes that look like DTLS (first byte 20..=63).
    Garbage { to_server: bool, bytes: Vec<u8> },
    /// Move time forward and fire timers.
    Advance(Duration),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0usize..64).prop_map(|(to_server, i)| Op::Deliver { to_server, i }),
        1 => (any::<bool>(), 0usize..64, 0usize..200)
            .prop_map(|(to_server, i, keep)| Op::Truncate { to_server, i, keep }),
        1 => (any::<bool>(), 0usize..64, 0usize..1200)
            .prop_map(|(to_server, i, at)| Op::Flip { to_server, i, at }),
        1 => (any::<bool>(), proptest::collection::vec(any::<u8>(), 1..80)).prop_map(
            |(to_server, mut bytes)| {
                bytes[0] = 20 + bytes[0] % 44;
                Op::Garbage { to_server, bytes }
            }
        ),
        2 => (0u64..3000).prop_map(|ms| Op::Advance(Duration::from_millis(ms))),
    ]
}

/// Bound on what one connection may hold, from the default configuration: reassembly
/// (64 KiB), a transcript and flight of a few KiB.
const MEMORY_BOUND: usize = 64 * 1024 + 32 * 1024;

struct World {
    now: Instant,
    client: Connection,
    server: Connection,
    to_server: Vec<Vec<u8>>,
    to_client: Vec<Vec<u8>>,
}

impl World {
    fn new(seed: u64, configs: (DtlsConfig, DtlsConfig)) -> Self {
        let now = epoch();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        Self {
            now,
            client: Connection::client(configs.0, now, &mut rng),
            server: Connection::server(configs.1, now, &mut rng),
            to_server: Vec::new(),
            to_client: Vec::new(),
        }
    }

    fn collect(&mut self) {
        self.to_server.extend(drain(&mut self.client, self.now));
        self.to_client.extend(drain(&mut self.server, self.now));
    }

    fn apply(&mut self, op: &Op) {
        self.collect();
        let target = match op {
            Op::Deliver { to_server, .. }
            | Op::Truncate { to_server, .. }
            | Op::Flip { to_server, .. }
            | Op::Garbage { to_server, .. } => *to_server,
            Op::Advance(_) => false,
        };
        let pool = if target {
            &self.to_server
        } else {
            &self.to_client
        };
        let pick = |i: usize| pool.get(i % pool.len().max(1)).cloned();
        let datagram = match op {
            Op::Deliver { i, .. } => pick(*i),
            Op::Truncate { i, keep, .. } => pick(*i).map(|mut d| {
                d.truncate(*keep);
                d
            }),
            Op::Flip { i, at, .. } => pick(*i).map(|mut d| {
                let n = d.len();
                if n > 0 {
                    d[at % n] ^= 0x41;
                }
                d
            }),
            Op::Garbage { bytes, .. } => Some(bytes.clone()),
            Op::Advance(d) => {
                self.now += *d;
                self.client.handle_timeout(self.now);
                self.server.handle_timeout(self.now);
                None
            }
        };
        if let Some(mut d) = datagram {
            let conn = if target {
                &mut self.server
            } else {
                &mut self.client
            };
            conn.handle_record(self.now, &mut d);
        }
        self.collect();
    }

    fn check_invariants(&self) -> Result<(), TestCaseError> {
        for c in [&self.client, &self.server] {
            prop_assert!(c.buffered_bytes() <= MEMORY_BOUND, "{}", c.buffered_bytes());
            if let Some(t) = c.poll_timeout() {
                prop_assert!(t >= self.now);
            }
            prop_assert!(!(c.is_connected() && c.is_closed()));
        }
        Ok(())
    }

    /// Clean delivery with timers until both settle.
    fn settle(&mut self) {
        for _ in 0..50 {
            let to_s = drain(&mut self.client, self.now);
            let to_c = drain(&mut self.server, self.now);
            let idle = to_s.is_empty() && to_c.is_empty();
            for mut d in to_s {
                self.server.handle_record(self.now, &mut d);
            }
            for mut d in to_c {
                self.client.handle_record(self.now, &mut d);
            }
            if idle {
                let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min();
                let Some(t) = next else { return };
                self.now = self.now.max(t);
                self.client.handle_timeout(self.now);
                self.server.handle_timeout(self.now);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Correct fingerprints: whatever happens, no panic, memory stays bounded, deadlines
    /// are never in the past, and once the network behaves the handshake completes unless
    /// one side gave up and closed.
    #[test]
    fn dtls_state_props_arbitrary_datagrams(seed in 0u64..4, ops in proptest::collection::vec(op(), 0..40)) {
        let mut w = World::new(seed, pair_configs());
        for op in &ops {
            w.apply(op);
            w.check_invariants()?;
        }
        w.settle();
        w.check_invariants()?;
        let done = w.client.is_connected() && w.server.is_connected();
        let gave_up = w.client.is_closed() || w.server.is_closed();
        prop_assert!(done || gave_up, "stuck: client {:?} server {:?}", w.client.stats(), w.server.stats());
    }

    /// The server expects a different client certificate: it never connects, whatever
    /// arrives, and so the client never does either.
    #[test]
    fn dtls_state_props_never_established_with_wrong_fingerprint(seed in 0u64..4, ops in proptest::collection::vec(op(), 0..40)) {
        let (cc, mut sc) = pair_configs();
        sc.remote_fingerprint = Certificate::generate().unwrap().fingerprint(HashAlgorithm::Sha256);
        let mut w = World::new(seed, (cc, sc));
        for op in &ops {
            w.apply(op);
            w.check_invariants()?;
            prop_assert!(!w.server.is_connected() && !w.client.is_connected());
        }
        w.settle();
        prop_assert!(!w.server.is_connected() && !w.client.is_connected());
        prop_assert!(w.server.srtp_keys().is_err());
    }
}
