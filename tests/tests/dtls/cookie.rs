//! The stateless cookie exchange (RFC 6347 section 4.2.1): no server state before the
//! cookie returns.

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::dtls::Connection;

use super::common::{drain, epoch, events, pair_configs, pump};

/// Offset of the cookie in a ClientHello datagram: record header (13), handshake header
/// (12), client_version (2), random (32), empty session_id (1), cookie length (1).
const COOKIE_AT: usize = 13 + 12 + 2 + 32 + 1 + 1;

fn client_hello(seed: u64, now: Instant) -> Vec<u8> {
    let (cc, _) = pair_configs();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut c = Connection::client(cc, now, &mut rng);
    drain(&mut c, now).remove(0)
}

#[test]
fn dtls_cookie_flood_keeps_no_state() {
    let now = epoch();
    let (_, sc) = pair_configs();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut server = Connection::server(sc, now, &mut rng);
    let baseline = server.buffered_bytes();
    let hellos: Vec<Vec<u8>> = (0..200).map(|i| client_hello(i, now)).collect();
    for mut hello in hellos {
        assert!(server.handle_record(now, &mut hello));
        // Each hello gets a HelloVerifyRequest and nothing is kept.
        assert_eq!(drain(&mut server, now).len(), 1);
        assert!(!server.has_handshake_state());
        assert_eq!(server.buffered_bytes(), baseline);
    }
    assert_eq!(server.stats().hello_verify_requests, 200);
    assert!(events(&mut server).is_empty());
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn dtls_cookie_wrong_cookie_is_counted_and_answered_statelessly() {
    let now = epoch();
    let (cc, sc) = pair_configs();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    for mut d in drain(&mut client, now) {
        server.handle_record(now, &mut d);
    }
    for mut d in drain(&mut server, now) {
        client.handle_record(now, &mut d);
    }
    let second = drain(&mut client, now);
    assert_eq!(second.len(), 1);
    let mut forged = second[0].clone();
    assert_eq!(forged[COOKIE_AT - 1], 32, "cookie length");
    forged[COOKIE_AT] ^= 1;
    server.handle_record(now, &mut forged);
    assert_eq!(server.stats().bad_cookies, 1);
    assert!(!server.has_handshake_state());
    assert_eq!(
        drain(&mut server, now).len(),
        1,
        "a fresh HelloVerifyRequest"
    );
    // The genuine hello still works, and the handshake completes.
    let mut genuine = second[0].clone();
    server.handle_record(now, &mut genuine);
    assert!(server.has_handshake_state());
    pump(now, &mut client, &mut server);
    assert!(client.is_connected() && server.is_connected());
}

#[test]
fn dtls_cookie_from_another_hello_is_refused() {
    let now = epoch();
    let (cc, sc) = pair_configs();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    for mut d in drain(&mut client, now) {
        server.handle_record(now, &mut d);
    }
    let hvr = drain(&mut server, now);
    for mut d in hvr {
        client.handle_record(now, &mut d);
    }
    let with_cookie = drain(&mut client, now).remove(0);
    // Splice that cookie into another client's hello (different random).
    let mut other = client_hello(99, now);
    let cookie = &with_cookie[COOKIE_AT..COOKIE_AT + 32];
    let mut spliced = other[..COOKIE_AT - 1].to_vec();
    spliced.push(32);
    spliced.extend_from_slice(cookie);
    spliced.extend_from_slice(&other[COOKIE_AT..]);
    // Fix the record and handshake lengths (+32).
    let bump = |b: &mut [u8], at: usize, width: usize| {
        let mut v = 0u32;
        for i in 0..width {
            v = (v << 8) | u32::from(b[at + i]);
        }
        v += 32;
        for i in (0..width).rev() {
            b[at + i] = (v & 0xff) as u8;
            v >>= 8;
        }
    };
    bump(&mut spliced, 11, 2);
    bump(&mut spliced, 14, 3);
    bump(&mut spliced, 22, 3);
    other.clear();
    server.handle_record(now, &mut spliced);
    assert_eq!(server.stats().bad_cookies, 1);
    assert!(!server.has_handshake_state());
}
