//! Unit tests of the association internals; whole-session tests live in
//! `tests/tests/sctp/`.

use std::time::Duration;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use ring::hmac;

use super::cookie::{COOKIE_LEN, Cookie, CookieError};
use super::outbound::Rto;
use super::*;

use crate::test_support::epoch;

fn cookie() -> Cookie {
    Cookie {
        created_ms: 1000,
        local_tag: VerificationTag(1),
        peer_tag: VerificationTag(2),
        local_initial_tsn: Tsn(3),
        peer_initial_tsn: Tsn(4),
        peer_a_rwnd: 5,
        peer_outbound_streams: 6,
        peer_inbound_streams: 7,
        peer_forward_tsn: true,
        peer_reconfig: false,
        peer_zero_checksum: true,
    }
}

#[test]
fn cookie_round_trip_and_tamper() {
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"secret");
    let t0 = epoch();
    let now = t0 + Duration::from_secs(2);
    let life = Duration::from_secs(60);
    let bytes = cookie().encode(&key);
    assert_eq!(Cookie::decode(&bytes, &key, t0, now, life), Ok(cookie()));
    for i in 0..COOKIE_LEN {
        let mut bad = bytes;
        bad[i] ^= 1;
        assert_eq!(
            Cookie::decode(&bad, &key, t0, now, life),
            Err(CookieError::Invalid)
        );
    }
    let other = hmac::Key::new(hmac::HMAC_SHA256, b"other");
    assert_eq!(
        Cookie::decode(&bytes, &other, t0, now, life),
        Err(CookieError::Invalid)
    );
    let late = t0 + Duration::from_secs(62);
    assert_eq!(
        Cookie::decode(&bytes, &key, t0, late, life),
        Err(CookieError::Stale)
    );
}

#[test]
fn rto_follows_rfc6298() {
    let config = SctpConfig::default();
    let mut rto = Rto::new_for_test(&config);
    assert_eq!(rto.rto, Duration::from_secs(1));
    rto.sample(Duration::from_millis(100));
    // SRTT 100, RTTVAR 50: RTO = 300 ms.
    assert_eq!(rto.rto, Duration::from_millis(300));
    rto.sample(Duration::from_millis(100));
    // RTTVAR = 3/4 * 50 + 0 = 37.5; RTO = 100 + 150 = 250 ms.
    assert_eq!(rto.rto, Duration::from_micros(250_000));
    rto.backoff();
    assert_eq!(rto.rto, Duration::from_millis(500));
    for _ in 0..20 {
        rto.backoff();
    }
    assert_eq!(rto.rto, config.rto_max);
}

#[test]
fn new_association_draws_nonzero_tag() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = Association::new(SctpConfig::default(), epoch(), &mut rng);
    assert_ne!(a.local_tag.0, 0);
    assert_eq!(a.state(), AssociationState::Listening);
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn garbage_is_counted_not_fatal() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let now = epoch();
    let mut a = Association::new(SctpConfig::default(), now, &mut rng);
    a.handle_packet(now, &[1, 2, 3]);
    a.handle_packet(now, &[0; 16]);
    assert_eq!(a.stats().malformed + a.stats().bad_checksum, 2);
    let mut buf = [0; 1500];
    assert_eq!(a.poll_transmit(now, &mut buf), None);
}

#[test]
fn refused_stream_reset_is_reported_and_the_stream_usable() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let now = epoch();
    let mut a = Association::new(SctpConfig::default(), now, &mut rng);
    // Pretend the handshake is done with a peer that announced RE-CONFIG.
    a.state = AssociationState::Established;
    a.peer.reconfig = true;
    a.peer.outbound_streams = 16;
    a.out.max_streams = 16;
    let s = StreamId(3);
    a.reset_streams(now, &[s]).unwrap();
    assert_eq!(
        a.send(now, s, Ppid::BINARY, b"x", SendOptions::default()),
        Err(SendError::StreamResetting(3))
    );
    let (seq, _) = a.reconfig_outstanding().expect("request outstanding");
    a.on_reconfig_response(now, seq, crate::sctp::wire::ReconfigResult::DENIED);
    let events: Vec<Event> = std::iter::from_fn(|| a.poll_event()).collect();
    assert_eq!(events, vec![Event::OutgoingStreamResetRefused(s)]);
    assert!(a.reconfig_outstanding().is_none());
    a.send(now, s, Ppid::BINARY, b"x", SendOptions::default())
        .unwrap();
}

#[test]
fn max_burst_limits_new_data_sent_at_one_go() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let now = epoch();
    let mut a = Association::new(SctpConfig::default(), now, &mut rng);
    a.state = AssociationState::Established;
    a.peer.outbound_streams = 16;
    a.out.max_streams = 16;
    // A window grown large earlier, and a receiver with room: without Max.Burst the whole
    // message would go out at once.
    a.out.cwnd = 1 << 20;
    a.out.peer_rwnd = 1 << 20;
    let message = vec![7u8; 64 * 1024];
    a.send(
        now,
        StreamId(1),
        Ppid::BINARY,
        &message,
        SendOptions::default(),
    )
    .unwrap();
    let mut buf = [0; 1500];
    let packets = std::iter::from_fn(|| a.poll_transmit(now, &mut buf)).count();
    assert_eq!(packets, super::outbound::MAX_BURST);
    assert!(a.out.flight > 0 && a.out.flight <= super::outbound::MAX_BURST * a.config.mtu);
}
