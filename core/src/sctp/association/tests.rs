//! Unit tests of the association internals; whole-session tests live in
//! `tests/tests/sctp/`.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use ring::hmac;

use super::cookie::{COOKIE_LEN, Cookie, CookieError};
use super::outbound::Rto;
use super::*;
use crate::sctp::wire::ChunkType;

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

/// Delivers every packet `from` has now to `to`; returns each packet's chunk types.
fn deliver(from: &mut Association, to: &mut Association, now: Instant) -> Vec<Vec<ChunkType>> {
    let mut buf = [0; 1500];
    let mut packets = Vec::new();
    while let Some(n) = from.poll_transmit(now, &mut buf) {
        let packet = Packet::new_checked(&buf[..n]).expect("a packet");
        packets.push(packet.chunks().map(|c| c.kind).collect());
        to.handle_packet(now, &buf[..n]);
    }
    packets
}

fn messages(a: &mut Association) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| a.poll_event())
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.data.to_vec()),
            _ => None,
        })
        .collect()
}

/// RFC 9260 section 5.1, step C: DATA queued before the handshake rides behind COOKIE ECHO,
/// which comes first in the packet, and the peer delivers it with the association's setup.
#[test]
fn data_is_bundled_behind_cookie_echo() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let now = epoch();
    let mut a = Association::new(SctpConfig::default(), now, &mut rng);
    let mut b = Association::new(SctpConfig::default(), now, &mut rng);
    a.connect(now);
    let s = StreamId(0);
    a.send(now, s, Ppid::BINARY, b"early", SendOptions::default())
        .unwrap();
    assert_eq!(deliver(&mut a, &mut b, now), vec![vec![ChunkType::INIT]]);
    assert_eq!(
        deliver(&mut b, &mut a, now),
        vec![vec![ChunkType::INIT_ACK]]
    );
    assert_eq!(a.state(), AssociationState::CookieEchoed);
    // Queued in COOKIE-ECHOED too.
    a.send(now, s, Ppid::BINARY, b"later", SendOptions::default())
        .unwrap();
    assert_eq!(
        deliver(&mut a, &mut b, now),
        vec![vec![
            ChunkType::COOKIE_ECHO,
            ChunkType::DATA,
            ChunkType::DATA
        ]]
    );
    assert_eq!(b.state(), AssociationState::Established);
    assert_eq!(messages(&mut b), vec![b"early".to_vec(), b"later".to_vec()]);
    // Nothing else leaves A before COOKIE ACK.
    a.send(now, s, Ppid::BINARY, b"held", SendOptions::default())
        .unwrap();
    let mut buf = [0; 1500];
    assert_eq!(a.poll_transmit(now, &mut buf), None);
    let back = deliver(&mut b, &mut a, now);
    assert_eq!(back[0][0], ChunkType::COOKIE_ACK);
    assert_eq!(a.state(), AssociationState::Established);
    deliver(&mut a, &mut b, now);
    assert_eq!(messages(&mut b), vec![b"held".to_vec()]);
}

/// A lost COOKIE ECHO goes again on T1-cookie, and the DATA that rode with it is
/// retransmitted on T3-rtx: the message arrives once.
#[test]
fn data_behind_a_lost_cookie_echo_is_retransmitted() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let t0 = epoch();
    let mut a = Association::new(SctpConfig::default(), t0, &mut rng);
    let mut b = Association::new(SctpConfig::default(), t0, &mut rng);
    a.connect(t0);
    a.send(
        t0,
        StreamId(0),
        Ppid::BINARY,
        b"once",
        SendOptions::default(),
    )
    .unwrap();
    deliver(&mut a, &mut b, t0);
    deliver(&mut b, &mut a, t0);
    let mut buf = [0; 1500];
    assert!(a.poll_transmit(t0, &mut buf).is_some(), "lost");
    for _ in 0..20 {
        let now = a.poll_timeout().expect("a timer");
        a.handle_timeout(now);
        deliver(&mut a, &mut b, now);
        deliver(&mut b, &mut a, now);
        if a.is_established() && !messages(&mut b).is_empty() {
            return;
        }
    }
    panic!("not recovered");
}

/// SNAP: each side builds its association from its own INIT and the peer's, and both are
/// ESTABLISHED at once; the first packet on the wire already carries DATA, tagged with the
/// peer's initiate tag, and the peer's TSNs start at its announced initial TSN.
#[test]
fn snap_starts_established_from_both_inits() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let now = epoch();
    let config = SctpConfig {
        zero_checksum: true,
        ..SctpConfig::default()
    };
    let (la, lb) = (LocalInit::draw(&mut rng), LocalInit::draw(&mut rng));
    let ia = PeerInit::parse(&la.chunk(&config)).unwrap();
    let ib = PeerInit::parse(&lb.chunk(&config)).unwrap();
    let mut a = Association::with_local_init(config.clone(), now, &mut rng, la);
    let mut b = Association::with_local_init(config, now, &mut rng, lb);
    a.connect_snap(now, &ib);
    b.connect_snap(now, &ia);
    for x in [&mut a, &mut b] {
        assert_eq!(x.state(), AssociationState::Established);
        assert_eq!(x.poll_event(), Some(Event::Connected));
        assert!(x.uses_zero_checksum());
        assert!(x.peer_supports_partial_reliability());
    }
    a.send(
        now,
        StreamId(1),
        Ppid::STRING,
        b"hi",
        SendOptions::default(),
    )
    .unwrap();
    let mut buf = [0; 1500];
    let n = a.poll_transmit(now, &mut buf).unwrap();
    let packet = Packet::new_checked(&buf[..n]).unwrap();
    assert_eq!(packet.verification_tag(), lb.tag());
    let kinds: Vec<ChunkType> = packet.chunks().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![ChunkType::DATA]);
    b.handle_packet(now, &buf[..n]);
    assert_eq!(messages(&mut b), vec![b"hi".to_vec()]);
    // A second call, or a handshake call afterwards, changes nothing.
    b.connect_snap(now, &ia);
    b.connect(now);
    assert_eq!(b.state(), AssociationState::Established);
}

/// SNAP against a peer that ran the handshake anyway (it did not take our INIT): its INIT is
/// answered, its COOKIE ECHO carries our tag, so it is acknowledged and both end up up.
#[test]
fn snap_side_answers_a_peer_that_runs_the_handshake() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let now = epoch();
    let config = SctpConfig::default();
    let (la, lb) = (LocalInit::draw(&mut rng), LocalInit::draw(&mut rng));
    let ib = PeerInit::parse(&lb.chunk(&config)).unwrap();
    let mut a = Association::with_local_init(config.clone(), now, &mut rng, la);
    let mut b = Association::with_local_init(config, now, &mut rng, lb);
    a.connect_snap(now, &ib);
    b.connect(now);
    for _ in 0..4 {
        deliver(&mut b, &mut a, now);
        deliver(&mut a, &mut b, now);
    }
    assert!(a.is_established() && b.is_established());
    b.send(now, StreamId(0), Ppid::BINARY, b"x", SendOptions::default())
        .unwrap();
    deliver(&mut b, &mut a, now);
    assert_eq!(messages(&mut a), vec![b"x".to_vec()]);
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
    // Max.Burst packets' worth of data, the last chunk allowed to start on the credit left
    // (as cwnd lets one start below it): one packet more at most, not the whole message.
    let burst = outbound::MAX_BURST;
    assert!((burst..=burst + 1).contains(&packets), "{packets} packets");
    assert!(a.out.flight > 0 && a.out.flight <= (burst + 1) * a.config.mtu);
}
