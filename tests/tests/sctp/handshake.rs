//! The four-way handshake, crossing INITs, lost chunks.

use std::time::Duration;

use sansrtc::sctp::wire::{Chunk, ChunkType, Packet};
use sansrtc::sctp::{AssociationState, CloseReason, Event, SctpConfig};

use super::*;

/// The first chunk type of a packet.
fn first_chunk(bytes: &[u8]) -> Option<ChunkType> {
    Packet::new_checked(bytes)
        .ok()?
        .chunks()
        .next()
        .map(|c| c.kind)
}

#[test]
fn sctp_handshake_four_way() {
    let mut p = pair(1);
    establish(&mut p);
    assert!(events(&mut p.a).contains(&Event::Connected));
    assert!(events(&mut p.b).contains(&Event::Connected));
    // INIT, COOKIE ECHO from a; INIT ACK, COOKIE ACK from b.
    assert_eq!(p.sent(), (2, 2));
    assert_eq!(p.elapsed(), Duration::from_millis(40));
}

#[test]
fn sctp_handshake_simultaneous_init() {
    let mut p = pair_with(SctpConfig::default(), 2, Duration::from_millis(10), true);
    establish(&mut p);
    assert_eq!(
        events(&mut p.a)
            .iter()
            .filter(|e| **e == Event::Connected)
            .count(),
        1
    );
    assert_eq!(
        events(&mut p.b)
            .iter()
            .filter(|e| **e == Event::Connected)
            .count(),
        1
    );
    // Data flows both ways afterwards.
    p.a.send(p.now(), S0, BINARY, b"from a", Default::default())
        .unwrap();
    p.b.send(p.now(), S0, BINARY, b"from b", Default::default())
        .unwrap();
    let got = receive(&mut p, 1, Duration::from_secs(5));
    assert_eq!(&got[0].data[..], b"from a");
    let mut at_a = Vec::new();
    p.run_until(Duration::from_secs(5), |p| {
        at_a.extend(std::iter::from_fn(|| p.a.poll_event()));
        at_a.iter().any(|e| matches!(e, Event::Message(_)))
    });
    assert!(
        at_a.iter()
            .any(|e| matches!(e, Event::Message(m) if &m.data[..] == b"from b"))
    );
}

#[test]
fn sctp_handshake_lost_cookie_echo_is_retransmitted() {
    let mut p = pair(3);
    let mut dropped = 0;
    p.drop_a_to_b(move |_, bytes| {
        if first_chunk(bytes) == Some(ChunkType::COOKIE_ECHO) && dropped == 0 {
            dropped += 1;
            return true;
        }
        false
    });
    establish(&mut p);
    // T1-cookie (RTO.Initial, 1 s) fired once.
    assert!(p.elapsed() >= Duration::from_secs(1), "{:?}", p.elapsed());
    assert_eq!(p.sent().0, 3);
}

#[test]
fn sctp_handshake_lost_init_and_cookie_ack() {
    let mut p = pair(4);
    p.drop_a_to_b(|i, _| i == 0);
    p.drop_b_to_a(|_, bytes| first_chunk(bytes) == Some(ChunkType::COOKIE_ACK));
    // b establishes on the cookie; a never hears COOKIE ACK and retransmits COOKIE ECHO,
    // which b must answer again (RFC 9260 5.2.4 case D) — but every COOKIE ACK is lost.
    p.run_until(Duration::from_secs(3), |p| p.b.is_established());
    assert!(p.b.is_established());
    assert_eq!(p.a.state(), AssociationState::CookieEchoed);
}

#[test]
fn sctp_handshake_no_state_before_cookie_and_forged_cookie_rejected() {
    let mut p = pair(5);
    // Deliver the INIT only: b answers but stays Listening.
    p.drop_b_to_a(|_, _| true);
    p.run_until(Duration::from_millis(50), |_| false);
    assert_eq!(p.b.state(), AssociationState::Listening);
    assert_eq!(p.b.poll_timeout(), None, "no timer, no state");
    // A forged COOKIE ECHO (right tag unknown, wrong MAC) is dropped.
    let forged = {
        let mut buf = vec![0; 200];
        let mut w = sansrtc::sctp::wire::PacketWriter::new(
            &mut buf,
            5000,
            5000,
            sansrtc::sctp::wire::VerificationTag(0),
        )
        .unwrap();
        w.push_cookie_echo(&[7; 68]).unwrap();
        let n = w.finish(false);
        buf.truncate(n);
        buf
    };
    let before = *p.b.stats();
    p.b.handle_packet(p.now(), &forged);
    assert_eq!(p.b.state(), AssociationState::Listening);
    assert_eq!(p.b.stats().bad_tag, before.bad_tag + 1);
}

#[test]
fn sctp_handshake_gives_up_after_max_init_retransmits() {
    let mut p = pair(6);
    p.drop_a_to_b(|_, _| true);
    p.run_until(Duration::from_secs(600), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(events(&mut p.a).contains(&Event::Closed(CloseReason::HandshakeTimeout)));
    // 1 + 8 INITs.
    assert_eq!(p.sent().0, 9);
}

#[test]
fn sctp_handshake_zero_checksum_negotiated() {
    let mut config = SctpConfig::default();
    config.zero_checksum = true;
    let mut p = pair_with(config, 7, Duration::from_millis(5), false);
    let zero_seen = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let z = zero_seen.clone();
    p.drop_a_to_b(move |_, bytes| {
        let packet = Packet::new_checked(bytes).unwrap();
        let data = packet
            .chunks()
            .any(|c| matches!(Chunk::parse(c), Ok(Chunk::Data(_))));
        if data {
            assert_eq!(
                packet.checksum(),
                0,
                "data after the handshake has a zero checksum"
            );
            z.set(z.get() + 1);
        } else if first_chunk(bytes) == Some(ChunkType::INIT) {
            assert_ne!(packet.checksum(), 0);
        }
        false
    });
    establish(&mut p);
    assert!(p.a.uses_zero_checksum() && p.b.uses_zero_checksum());
    p.a.send(p.now(), S0, BINARY, b"zero", Default::default())
        .unwrap();
    assert_eq!(receive(&mut p, 1, Duration::from_secs(2)).len(), 1);
    assert!(zero_seen.get() >= 1);

    // One side without it: full CRC both ways.
    let mut only_a = SctpConfig::default();
    only_a.zero_checksum = true;
    let t0 = epoch();
    let a = Association::new(only_a, t0, &mut rng(8));
    let b = Association::new(SctpConfig::default(), t0, &mut rng(9));
    let mut p = Pair::new(a, b, t0, Duration::from_millis(5));
    p.a.connect(t0);
    establish(&mut p);
    assert!(!p.a.uses_zero_checksum() && !p.b.uses_zero_checksum());
}
