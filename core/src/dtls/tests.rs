//! In-memory handshakes between two of our own connections.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;

use crate::test_support::epoch;

pub(super) fn pair_configs() -> (DtlsConfig, DtlsConfig) {
    let a = Arc::new(Certificate::generate().unwrap());
    let b = Arc::new(Certificate::generate().unwrap());
    let fa = a.fingerprint(HashAlgorithm::Sha256);
    let fb = b.fingerprint(HashAlgorithm::Sha256);
    (DtlsConfig::new(a, fb), DtlsConfig::new(b, fa))
}

/// Moves every datagram between the two until both are quiet; returns bytes moved.
fn pump(now: Instant, a: &mut Connection, b: &mut Connection) -> usize {
    let mut buf = vec![0u8; 20000];
    let mut moved = 0;
    loop {
        let mut any = false;
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            moved += n;
            any = true;
            b.handle_record(now, &mut buf[..n]);
        }
        while let Some(n) = b.poll_transmit(now, &mut buf) {
            moved += n;
            any = true;
            a.handle_record(now, &mut buf[..n]);
        }
        if !any {
            return moved;
        }
    }
}

fn events(c: &mut Connection) -> Vec<DtlsEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

#[test]
fn handshake_between_ourselves_every_suite() {
    for suite in [
        CipherSuite::EcdheEcdsaAes128GcmSha256,
        CipherSuite::EcdheEcdsaAes256GcmSha384,
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
    ] {
        for group in NamedGroup::ALL {
            let now = epoch();
            let mut rng = ChaCha20Rng::seed_from_u64(1);
            let (mut cc, mut sc) = pair_configs();
            cc.cipher_suites = vec![suite];
            sc.groups = vec![group];
            let mut client = Connection::client(cc, now, &mut rng);
            let mut server = Connection::server(sc, now, &mut rng);
            pump(now, &mut client, &mut server);
            assert!(client.is_connected(), "{suite:?} {group:?}");
            assert!(server.is_connected());
            assert_eq!(server.stats().hello_verify_requests, 1);
            let ce = events(&mut client);
            assert_eq!(
                ce[0],
                DtlsEvent::FalseStart {
                    cipher_suite: suite
                }
            );
            assert!(
                matches!(ce[1], DtlsEvent::Connected { cipher_suite, srtp_profile: Some(SrtpProfile::AeadAes128Gcm) } if cipher_suite == suite)
            );
            let (ck, sk) = (client.srtp_keys().unwrap(), server.srtp_keys().unwrap());
            assert_eq!(ck.material(), sk.material());
            assert_eq!(ck.local_key(), sk.remote_key());
            assert_eq!(ck.local_salt(), sk.remote_salt());

            client.write(now, b"ping").unwrap();
            server.write(now, b"pong").unwrap();
            pump(now, &mut client, &mut server);
            assert_eq!(
                events(&mut server),
                vec![
                    DtlsEvent::Connected {
                        cipher_suite: suite,
                        srtp_profile: Some(SrtpProfile::AeadAes128Gcm)
                    },
                    DtlsEvent::ApplicationData(bytes::Bytes::from_static(b"ping"))
                ]
            );
            assert_eq!(
                events(&mut client),
                vec![DtlsEvent::ApplicationData(bytes::Bytes::from_static(
                    b"pong"
                ))]
            );
            client.close(now);
            pump(now, &mut client, &mut server);
            assert_eq!(
                events(&mut server),
                vec![DtlsEvent::Closed {
                    reason: CloseReason::PeerClosed
                }]
            );
            assert!(client.is_closed() && server.is_closed());
        }
    }
}

#[test]
fn dtls_fingerprint_mismatch_fails_both_sides() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let (cc, mut sc) = pair_configs();
    let other = Certificate::generate().unwrap();
    sc.remote_fingerprint = other.fingerprint(HashAlgorithm::Sha256);
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    pump(now, &mut client, &mut server);
    assert!(!server.is_connected() && !client.is_connected());
    assert_eq!(
        events(&mut server),
        vec![DtlsEvent::Closed {
            reason: CloseReason::Error(DtlsError::FingerprintMismatch)
        }]
    );
    // The server's certificate was right, so the client went into False Start before the
    // server refused its certificate.
    assert_eq!(
        events(&mut client),
        vec![
            DtlsEvent::FalseStart {
                cipher_suite: CipherSuite::EcdheEcdsaAes128GcmSha256
            },
            DtlsEvent::Closed {
                reason: CloseReason::PeerAlert(wire::AlertDescription::BAD_CERTIFICATE)
            }
        ]
    );
    assert_eq!(server.srtp_keys(), Err(ExportError::NotConnected));
}

#[test]
fn retransmits_with_doubling_timer() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (cc, _) = pair_configs();
    let mut client = Connection::client(cc, now, &mut rng);
    let mut buf = [0u8; 1500];
    assert!(client.poll_transmit(now, &mut buf).is_some());
    assert!(client.poll_transmit(now, &mut buf).is_none());
    let mut t = now;
    let mut gaps = Vec::new();
    while let Some(deadline) = client.poll_timeout() {
        gaps.push(deadline - t);
        t = deadline;
        client.handle_timeout(t);
        while client.poll_transmit(t, &mut buf).is_some() {}
    }
    let secs: Vec<u64> = gaps.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 16, 32, 60, 60, 60]);
    assert!(client.is_closed());
    assert_eq!(
        events(&mut client),
        vec![DtlsEvent::Closed {
            reason: CloseReason::Error(DtlsError::Timeout)
        }]
    );
}

/// An initial timeout set from a known round-trip time before the first flight goes out
/// starts the doubling there (RFC 6347 section 4.2.4.1); set once the timer runs, it waits
/// for the next flight.
#[test]
fn initial_rto_from_a_known_rtt() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (cc, _) = pair_configs();
    let mut client = Connection::client(cc, now, &mut rng);
    client.set_initial_rto(Duration::from_millis(100));
    let mut buf = [0u8; 1500];
    while client.poll_transmit(now, &mut buf).is_some() {}
    assert_eq!(
        client.poll_timeout(),
        Some(now + Duration::from_millis(100))
    );
    let t = now + Duration::from_millis(100);
    client.handle_timeout(t);
    while client.poll_transmit(t, &mut buf).is_some() {}
    assert_eq!(client.poll_timeout(), Some(t + Duration::from_millis(200)));
    // Too late for this flight: its timer is running.
    client.set_initial_rto(Duration::from_millis(10));
    assert_eq!(client.poll_timeout(), Some(t + Duration::from_millis(200)));
}

/// Starting lower does not give up sooner: the handshake is abandoned no earlier than with
/// the default 1 s (which gives up 243 s after the first send).
#[test]
fn lower_initial_rto_keeps_the_handshake_budget() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (cc, _) = pair_configs();
    let mut client = Connection::client(cc, now, &mut rng);
    client.set_initial_rto(Duration::from_millis(100));
    let mut buf = [0u8; 1500];
    let mut t = now;
    while client.poll_transmit(t, &mut buf).is_some() {}
    while let Some(deadline) = client.poll_timeout() {
        t = deadline;
        client.handle_timeout(t);
        while client.poll_transmit(t, &mut buf).is_some() {}
    }
    assert!(client.is_closed());
    assert!(
        t - now >= Duration::from_secs(243),
        "gave up after {:?}",
        t - now
    );
}

/// RFC 6347 section 4.2.4: a repeated peer flight is answered by retransmitting ours, once
/// per repetition, even after the handshake completed on our side.
#[test]
fn repeated_peer_flight_is_answered_with_our_flight() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (cc, sc) = pair_configs();
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    let mut buf = vec![0u8; 2000];
    let mut drain = |c: &mut Connection| -> Vec<Vec<u8>> {
        std::iter::from_fn(|| c.poll_transmit(now, &mut buf).map(|n| buf[..n].to_vec())).collect()
    };
    // CH, HVR, CH with cookie, server flight.
    for _ in 0..2 {
        for mut d in drain(&mut client) {
            server.handle_record(now, &mut d);
        }
        for mut d in drain(&mut server) {
            client.handle_record(now, &mut d);
        }
    }
    let flight5 = drain(&mut client);
    for d in &flight5 {
        server.handle_record(now, &mut d.clone());
    }
    assert!(server.is_connected());
    let flight6 = drain(&mut server);
    assert!(!flight6.is_empty());
    // Flight 6 is lost; the client's flight 5 comes again (here: replayed by hand).
    for d in &flight5 {
        server.handle_record(now, &mut d.clone());
    }
    let again = drain(&mut server);
    assert_eq!(again.len(), flight6.len());
    assert_eq!(server.stats().retransmissions, 1);
    for mut d in again {
        client.handle_record(now, &mut d);
    }
    assert!(client.is_connected());
    assert_eq!(client.stats().auth_failures, 0);
}

/// Small MTU: every datagram fits, and the handshake still completes.
#[test]
fn fragments_to_a_small_mtu() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let (mut cc, mut sc) = pair_configs();
    cc.mtu = 200;
    sc.mtu = 200;
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    let mut buf = vec![0u8; 2000];
    for _ in 0..10 {
        while let Some(n) = client.poll_transmit(now, &mut buf) {
            assert!(n <= 200);
            server.handle_record(now, &mut buf[..n]);
        }
        while let Some(n) = server.poll_transmit(now, &mut buf) {
            assert!(n <= 200);
            client.handle_record(now, &mut buf[..n]);
        }
    }
    assert!(client.is_connected() && server.is_connected());
    assert!(server.stats().datagrams_sent >= 5, "{:?}", server.stats());
}

/// A ClientHello split over several records (as Chromium's is, with post-quantum key shares)
/// is reassembled by the server, with and without the cookie exchange, and in any order.
#[test]
fn server_reassembles_a_fragmented_client_hello() {
    for (cookie, reverse) in [(true, false), (false, false), (false, true)] {
        let now = epoch();
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let (mut cc, mut sc) = pair_configs();
        cc.mtu = 120;
        sc.cookie_exchange = cookie;
        let mut client = Connection::client(cc, now, &mut rng);
        let mut server = Connection::server(sc, now, &mut rng);
        let mut buf = vec![0u8; 2000];
        let mut hello = Vec::new();
        while let Some(n) = client.poll_transmit(now, &mut buf) {
            hello.push(buf[..n].to_vec());
        }
        assert!(hello.len() > 1, "the hello is fragmented");
        if reverse {
            hello.reverse();
        }
        for mut d in hello {
            server.handle_record(now, &mut d);
        }
        pump(now, &mut client, &mut server);
        assert!(
            client.is_connected() && server.is_connected(),
            "cookie {cookie}"
        );
        assert_eq!(server.stats().hello_verify_requests, u64::from(cookie));
    }
}

/// Drivers move connections between threads.
#[test]
fn connection_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Connection>();
    check::<DtlsConfig>();
    check::<SrtpKeys>();
}

#[test]
fn receive_chunk_survives_release_and_regrows() {
    let now = epoch();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (cc, sc) = pair_configs();
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    pump(now, &mut client, &mut server);
    assert!(client.is_connected() && server.is_connected());
    events(&mut server);
    let record = |k: u8| vec![k; 1000];
    // Held bytes force fresh (growing) chunks; releasing while they are held keeps them.
    let mut held = Vec::new();
    for round in 0..3u8 {
        for k in 0..20u8 {
            client.write(now, &record(round * 20 + k)).unwrap();
            pump(now, &mut client, &mut server);
        }
        held.extend(events(&mut server));
        server.release_idle_buffers();
        client.release_idle_buffers();
    }
    assert_eq!(held.len(), 60);
    for (k, e) in held.iter().enumerate() {
        let DtlsEvent::ApplicationData(data) = e else {
            panic!("{e:?}")
        };
        assert_eq!(&data[..], &record(k as u8)[..]);
    }
    drop(held);
    server.release_idle_buffers();
    client.write(now, b"again").unwrap();
    pump(now, &mut client, &mut server);
    assert_eq!(
        events(&mut server),
        vec![DtlsEvent::ApplicationData(bytes::Bytes::from_static(
            b"again"
        ))]
    );
}
