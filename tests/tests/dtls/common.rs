//! Helpers shared by the DTLS scenarios.

use std::sync::Arc;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::dtls::{Certificate, Connection, DtlsConfig, DtlsEvent, HashAlgorithm};

/// One real instant per run; after that only `+ Duration`.
#[allow(
    clippy::disallowed_methods,
    reason = "tests need one real epoch instant"
)]
pub(crate) fn epoch() -> Instant {
    Instant::now()
}

/// Configurations for a client and a server that expect each other's certificates.
pub(crate) fn pair_configs() -> (DtlsConfig, DtlsConfig) {
    let a = Arc::new(Certificate::generate().unwrap());
    let b = Arc::new(Certificate::generate().unwrap());
    let fa = a.fingerprint(HashAlgorithm::Sha256);
    let fb = b.fingerprint(HashAlgorithm::Sha256);
    (DtlsConfig::new(a, fb), DtlsConfig::new(b, fa))
}

/// A client and a server connection, seeded.
pub(crate) fn pair(seed: u64, now: Instant) -> (Connection, Connection) {
    let (cc, sc) = pair_configs();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (
        Connection::client(cc, now, &mut rng),
        Connection::server(sc, now, &mut rng),
    )
}

/// Every pending datagram of `c`.
pub(crate) fn drain(c: &mut Connection, now: Instant) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 20000];
    std::iter::from_fn(|| c.poll_transmit(now, &mut buf).map(|n| buf[..n].to_vec())).collect()
}

/// Every pending event of `c`.
pub(crate) fn events(c: &mut Connection) -> Vec<DtlsEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// Moves datagrams both ways until quiet, at one instant.
pub(crate) fn pump(now: Instant, a: &mut Connection, b: &mut Connection) {
    loop {
        let ab = drain(a, now);
        let ba = drain(b, now);
        if ab.is_empty() && ba.is_empty() {
            return;
        }
        for mut d in ab {
            b.handle_record(now, &mut d);
        }
        for mut d in ba {
            a.handle_record(now, &mut d);
        }
    }
}
