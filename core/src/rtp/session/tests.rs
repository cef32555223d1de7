//! Unit tests of the RTP session: report contents, RTX, feedback, events and timers.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;
use crate::rtp::wire::{Compound, PacketBuilder, Pli, Rtcp};
use crate::rtp::{NtpTime, Pt, RtpTimestamp};
use crate::test_support::epoch;

const MEDIA: Ssrc = Ssrc(0x1111);
const RTX: Ssrc = Ssrc(0x2222);
const RECEIVER: Ssrc = Ssrc(0x3333);

fn wall() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

fn session(now: Instant, seed: u64) -> RtpSession {
    let mut config = SessionConfig::new("cname@test", wall(), now);
    config.receive_only_ssrc = RECEIVER;
    RtpSession::new(config, now, &mut ChaCha20Rng::seed_from_u64(seed))
}

/// A sender of MEDIA with RTX, and a receiver of it.
fn pair(now: Instant) -> (RtpSession, RtpSession) {
    let mut tx = session(now, 1);
    tx.add_send_stream(
        SendStreamConfig::new(MEDIA, 90_000).with_rtx(RtxConfig::new(RTX, Pt(96), Pt(97))),
    )
    .unwrap();
    let mut rx = session(now, 2);
    rx.add_recv_stream(
        RecvStreamConfig::new(MEDIA, 90_000).with_rtx(RtxConfig::new(RTX, Pt(96), Pt(97))),
    )
    .unwrap();
    (tx, rx)
}

fn media(seq: u16, buf: &mut [u8]) -> usize {
    PacketBuilder {
        payload_type: Pt(96),
        sequence_number: SeqNo(seq),
        timestamp: RtpTimestamp(u32::from(seq) * 1800),
        ssrc: MEDIA,
        ..Default::default()
    }
    .emit(buf, &[seq as u8; 100])
    .unwrap()
}

/// Sends `seq` from `tx` at `now` and, unless `lost`, hands it to `rx`.
fn send(tx: &mut RtpSession, rx: &mut RtpSession, now: Instant, seq: u16, lost: bool) -> Received {
    let mut buf = [0u8; 1500];
    let len = media(seq, &mut buf);
    assert!(tx.on_rtp_sent(now, &buf[..len]));
    if lost {
        return Received::Malformed;
    }
    rx.handle_rtp(now, &mut buf[..len])
}

/// Fires the timers at `now` and returns every RTCP packet `s` writes.
fn drain_rtcp(s: &mut RtpSession, now: Instant) -> Vec<Vec<u8>> {
    s.handle_timeout(now);
    let mut out = Vec::new();
    let mut buf = [0u8; 1200];
    while let Some(len) = s.poll_rtcp(now, &mut buf) {
        out.push(buf[..len].to_vec());
        assert!(out.len() < 100, "poll_rtcp never ends");
    }
    out
}

/// The first regular report time, past the randomised first half interval.
fn after_first_report(t0: Instant) -> Instant {
    t0 + Duration::from_millis(800)
}

#[test]
fn rtcp_session_sender_report_contents() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    for seq in 0..10 {
        let _ = send(
            &mut tx,
            &mut rx,
            t0 + Duration::from_millis(20 * u64::from(seq)),
            seq,
            false,
        );
    }
    let now = after_first_report(t0);
    let packets = drain_rtcp(&mut tx, now);
    assert_eq!(packets.len(), 1);
    let mut kinds = Vec::new();
    for p in Compound::new(&packets[0]) {
        match p.unwrap().parse().unwrap() {
            Rtcp::SenderReport(sr) => {
                assert_eq!(sr.ssrc(), MEDIA);
                let info = sr.sender_info();
                assert_eq!(info.packet_count, 10);
                assert_eq!(info.octet_count, 1000);
                assert_eq!(info.ntp_time, NtpTime::at(wall(), t0, now).0);
                // The last packet (timestamp 9 * 1800) went at 180 ms; 620 ms later at 90 kHz.
                assert_eq!(info.rtp_time, RtpTimestamp(9 * 1800 + 620 * 90));
                assert_eq!(sr.report_blocks().count(), 0);
                kinds.push("sr");
            }
            Rtcp::Sdes(sdes) => {
                let chunk = sdes.chunks().next().unwrap();
                assert_eq!(chunk.ssrc, MEDIA);
                let item = chunk.items().next().unwrap();
                assert_eq!((item.kind, item.value), (1, &b"cname@test"[..]));
                kinds.push("sdes");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(kinds, ["sr", "sdes"]);
    assert_eq!(tx.send_stats(MEDIA).unwrap().sender_reports_sent, 1);
    assert!(
        drain_rtcp(&mut tx, now).is_empty(),
        "nothing more until the next interval"
    );
}

#[test]
fn rtcp_session_receiver_report_contents_and_rtt() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    for seq in 0..20 {
        let at = t0 + Duration::from_millis(20 * u64::from(seq));
        let received = send(&mut tx, &mut rx, at, seq, seq == 7 || seq == 8);
        if seq != 7 && seq != 8 {
            assert!(
                matches!(
                    received,
                    Received::Media {
                        repaired: false,
                        ..
                    }
                ),
                "{received:?}"
            );
        }
    }
    // SR from the sender at 800 ms, received 40 ms later.
    let sr_at = after_first_report(t0);
    let sr = drain_rtcp(&mut tx, sr_at);
    rx.handle_rtcp(sr_at + Duration::from_millis(40), &sr[0]);
    assert_eq!(rx.recv_stats(MEDIA).unwrap().sender_reports_received, 1);

    // The receiver's report (its own timer, first fire before 750 ms + 1.5 s).
    let mut now = sr_at + Duration::from_millis(40);
    let rr = loop {
        now += Duration::from_millis(10);
        let packets = drain_rtcp(&mut rx, now);
        if let Some(p) = packets.into_iter().find(|p| {
            Compound::new(p).any(|q| matches!(q.unwrap().parse(), Ok(Rtcp::ReceiverReport(_))))
        }) {
            break p;
        }
        assert!(now < t0 + Duration::from_secs(3));
    };
    let Ok(Rtcp::ReceiverReport(report)) = Compound::new(&rr).next().unwrap().unwrap().parse()
    else {
        panic!("an RR comes first");
    };
    assert_eq!(report.ssrc(), RECEIVER);
    let block = report.report_blocks().next().unwrap();
    assert_eq!(block.ssrc, MEDIA);
    assert_eq!(block.extended_highest_seq, 19);
    assert_eq!(block.cumulative_lost, 2);
    assert_eq!(block.fraction_lost, (2 * 256 / 20) as u8);
    assert_eq!(block.last_sr, NtpTime::at(wall(), t0, sr_at).middle());
    let stats = rx.recv_stats(MEDIA).unwrap();
    assert_eq!((stats.packets_received, stats.packets_lost), (18, 2));

    // The RR reaches the sender 40 ms later: the round trip is 80 ms.
    tx.handle_rtcp(now + Duration::from_millis(40), &rr);
    let rtt = tx.round_trip_time().unwrap();
    assert!(
        rtt.abs_diff(Duration::from_millis(80)) < Duration::from_micros(100),
        "{rtt:?}"
    );
    let s = tx.send_stats(MEDIA).unwrap();
    assert_eq!((s.remote_packets_lost, s.reports_received), (2, 1));
    assert_eq!(s.round_trip_time, Some(rtt));
}

#[test]
fn nack_session_rtx_unwrapped_in_place() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    for seq in 0..10 {
        let _ = send(
            &mut tx,
            &mut rx,
            t0 + Duration::from_millis(2 * u64::from(seq)),
            seq,
            seq == 5,
        );
    }
    // The NACK goes one nack_interval after the gap was seen.
    let gap_seen = t0 + Duration::from_millis(12);
    assert_eq!(
        rx.poll_timeout(),
        Some(gap_seen + Duration::from_millis(20))
    );
    let now = gap_seen + Duration::from_millis(20);
    let fb = drain_rtcp(&mut rx, now);
    assert_eq!(fb.len(), 1);
    let kinds: Vec<_> = Compound::new(&fb[0])
        .map(|p| p.unwrap().packet_type().0)
        .collect();
    assert_eq!(kinds, [201, 202, 205], "RR, SDES, NACK");
    let Ok(Rtcp::Nack(nack)) = Compound::new(&fb[0]).nth(2).unwrap().unwrap().parse() else {
        panic!("a NACK");
    };
    assert_eq!(nack.media_ssrc(), MEDIA);
    assert_eq!(nack.lost().collect::<Vec<_>>(), [SeqNo(5)]);
    assert!(
        drain_rtcp(&mut rx, now).is_empty(),
        "not asked again before resend_after"
    );

    tx.handle_rtcp(now, &fb[0]);
    assert_eq!(tx.pending_retransmits(), 1);
    let mut buf = [0u8; 1500];
    let len = tx.poll_retransmit(now, &mut buf).unwrap();
    assert_eq!(tx.poll_retransmit(now, &mut buf[len..]), None);
    let rtx = Packet::new_checked(&buf[..len]).unwrap();
    assert_eq!((rtx.ssrc(), rtx.payload_type()), (RTX, Pt(97)));
    let mut again = buf;

    let received = rx.handle_rtp(now, &mut buf[..len]);
    let Received::Media {
        ssrc,
        seq,
        len,
        repaired,
    } = received
    else {
        panic!("{received:?}");
    };
    assert_eq!((ssrc, seq, repaired), (MEDIA, SeqNo(5), true));
    let mut original = [0u8; 1500];
    let original_len = media(5, &mut original);
    assert_eq!(
        &buf[..len],
        &original[..original_len],
        "unwrapped to the original"
    );
    assert_eq!(
        rx.handle_rtp(now, &mut again[..len + 2]),
        Received::Duplicate {
            ssrc: MEDIA,
            seq: SeqNo(5)
        }
    );
    let stats = rx.recv_stats(MEDIA).unwrap();
    assert_eq!((stats.packets_repaired, stats.packets_duplicated), (1, 1));
    assert_eq!(
        (stats.nack_count, stats.nacked_packets, stats.nack_missing),
        (1, 1, 0)
    );
    let s = tx.send_stats(MEDIA).unwrap();
    assert_eq!(
        (
            s.nack_count,
            s.retransmitted_packets_sent,
            s.retransmitted_bytes_sent
        ),
        (1, 1, 100)
    );
}

#[test]
fn nack_session_plain_retransmission_without_rtx() {
    let t0 = epoch();
    let mut tx = session(t0, 1);
    tx.add_send_stream(SendStreamConfig::new(MEDIA, 90_000))
        .unwrap();
    let mut config = SessionConfig::new("rx", wall(), t0);
    config.reduced_size = true;
    let mut rx = RtpSession::new(config, t0, &mut ChaCha20Rng::seed_from_u64(3));
    rx.add_recv_stream(RecvStreamConfig::new(MEDIA, 90_000))
        .unwrap();
    for seq in 0..4 {
        let _ = send(&mut tx, &mut rx, t0, seq, seq == 2);
    }
    let fb = drain_rtcp(&mut rx, t0 + Duration::from_millis(20));
    let kinds: Vec<_> = Compound::new(&fb[0])
        .map(|p| p.unwrap().packet_type().0)
        .collect();
    assert_eq!(kinds, [205], "reduced-size: the NACK alone");
    tx.handle_rtcp(t0, &fb[0]);
    let mut buf = [0u8; 1500];
    let len = tx.poll_retransmit(t0, &mut buf).unwrap();
    let mut original = [0u8; 1500];
    let original_len = media(2, &mut original);
    assert_eq!(&buf[..len], &original[..original_len]);
}

#[test]
fn rtcp_session_pli_and_fir_become_events() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    rx.request_keyframe(t0, MEDIA, KeyframeRequestKind::Pli)
        .unwrap();
    rx.request_keyframe(t0, MEDIA, KeyframeRequestKind::Pli)
        .unwrap();
    assert_eq!(
        rx.request_keyframe(t0, Ssrc(9), KeyframeRequestKind::Pli),
        Err(StreamError::UnknownSsrc(Ssrc(9)))
    );
    let fb = drain_rtcp(&mut rx, t0);
    assert_eq!(fb.len(), 1, "merged into one PLI");
    tx.handle_rtcp(t0, &fb[0]);
    assert_eq!(
        tx.poll_event(),
        Some(RtpEvent::KeyframeRequest {
            ssrc: MEDIA,
            kind: KeyframeRequestKind::Pli
        })
    );
    assert_eq!(tx.poll_event(), None);
    assert_eq!(rx.recv_stats(MEDIA).unwrap().pli_count, 1);
    assert_eq!(tx.send_stats(MEDIA).unwrap().pli_count, 1);

    rx.request_keyframe(t0, MEDIA, KeyframeRequestKind::Fir)
        .unwrap();
    let fir = drain_rtcp(&mut rx, t0);
    tx.handle_rtcp(t0, &fir[0]);
    tx.handle_rtcp(t0, &fir[0]);
    assert_eq!(
        tx.poll_event(),
        Some(RtpEvent::KeyframeRequest {
            ssrc: MEDIA,
            kind: KeyframeRequestKind::Fir
        })
    );
    assert_eq!(tx.poll_event(), None, "a repeated FIR is the same request");
    assert_eq!(tx.send_stats(MEDIA).unwrap().fir_count, 1);

    // A PLI about a stream we do not send is counted, not an event.
    let mut buf = [0u8; 12];
    Pli {
        sender_ssrc: RECEIVER,
        media_ssrc: Ssrc(9),
    }
    .emit(&mut buf)
    .unwrap();
    tx.handle_rtcp(t0, &buf);
    assert_eq!(tx.poll_event(), None);
    assert_eq!(tx.stats().rtcp_unknown_ssrc, 1);
}

#[test]
fn rtcp_session_bye_and_bad_input() {
    let t0 = epoch();
    let (_, mut rx) = pair(t0);
    let mut bye = [0u8; 8];
    crate::rtp::wire::ByeBuilder {
        ssrcs: &[MEDIA],
        reason: b"",
    }
    .emit(&mut bye)
    .unwrap();
    rx.handle_rtcp(t0, &bye);
    assert_eq!(rx.poll_event(), Some(RtpEvent::RemoteBye { ssrc: MEDIA }));
    assert!(rx.recv_stats(MEDIA).unwrap().bye_received);

    rx.handle_rtcp(t0, &[0x80, 200, 0, 40, 1, 2]);
    rx.handle_rtcp(t0, &[0x80, 204, 0, 0]);
    assert_eq!((rx.stats().rtcp_malformed, rx.stats().rtcp_skipped), (1, 1));
    assert_eq!(rx.handle_rtp(t0, &mut [0x80, 96, 0]), Received::Malformed);
    let mut buf = [0u8; 1500];
    let len = media(1, &mut buf);
    buf[8..12].copy_from_slice(&7u32.to_be_bytes());
    assert_eq!(
        rx.handle_rtp(t0, &mut buf[..len]),
        Received::UnknownSsrc(Ssrc(7))
    );
    // An RTX packet with a payload type not paired with a media one.
    let len = media(1, &mut buf);
    buf[8..12].copy_from_slice(&RTX.0.to_be_bytes());
    assert_eq!(rx.handle_rtp(t0, &mut buf[..len]), Received::Malformed);
}

#[test]
fn rtcp_session_stream_commands() {
    let t0 = epoch();
    let mut s = session(t0, 1);
    let rtx = RtxConfig::new(RTX, Pt(96), Pt(97));
    s.add_send_stream(SendStreamConfig::new(MEDIA, 90_000).with_rtx(rtx))
        .unwrap();
    assert_eq!(
        s.add_send_stream(SendStreamConfig::new(RTX, 90_000)),
        Err(StreamError::DuplicateSsrc(RTX))
    );
    assert_eq!(
        s.add_send_stream(SendStreamConfig::new(Ssrc(5), 0)),
        Err(StreamError::ZeroClockRate)
    );
    assert_eq!(
        s.add_recv_stream(RecvStreamConfig::new(RTX, 90_000).with_rtx(RtxConfig::new(
            RTX,
            Pt(1),
            Pt(2)
        ))),
        Err(StreamError::DuplicateSsrc(RTX))
    );
    s.remove_send_stream(t0, MEDIA).unwrap();
    assert_eq!(
        s.remove_send_stream(t0, MEDIA),
        Err(StreamError::UnknownSsrc(MEDIA))
    );
    for i in 0..16 {
        s.add_recv_stream(RecvStreamConfig::new(Ssrc(100 + i), 48_000))
            .unwrap();
    }
    assert_eq!(
        s.add_recv_stream(RecvStreamConfig::new(Ssrc(99), 48_000)),
        Err(StreamError::TooManyStreams)
    );
}

#[test]
fn rtcp_timer_reports_about_once_per_interval_and_never_in_the_past() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    let mut now = t0;
    let mut reports = 0;
    let mut seq = 0u16;
    // 60 s with packets every 20 ms, a jump of 10 s and a step back in the middle.
    while now < t0 + Duration::from_secs(70) {
        if now > t0 + Duration::from_secs(30) && now < t0 + Duration::from_secs(31) {
            now += Duration::from_secs(10);
            tx.handle_timeout(now - Duration::from_secs(5));
        }
        let _ = send(&mut tx, &mut rx, now, seq, seq % 50 == 3);
        seq = seq.wrapping_add(1);
        tx.handle_timeout(now);
        let mut buf = [0u8; 1200];
        while tx.poll_rtcp(now, &mut buf).is_some() {
            reports += 1;
        }
        rx.handle_timeout(now);
        while rx.poll_rtcp(now, &mut buf).is_some() {}
        for s in [&tx, &rx] {
            assert!(s.poll_timeout().unwrap() >= now);
        }
        now += Duration::from_millis(20);
    }
    // 60 s of reports at a mean of one per second.
    assert!((45..=75).contains(&reports), "{reports}");
    assert_eq!(tx.send_stats(MEDIA).unwrap().sender_reports_sent, reports);
}

#[test]
fn rtcp_session_every_sender_reports_with_its_cname() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    let audio = Ssrc(0x4444);
    tx.add_send_stream(SendStreamConfig::new(audio, 48_000))
        .unwrap();
    let _ = send(&mut tx, &mut rx, t0, 1, false);
    let mut buf = [0u8; 100];
    let len = PacketBuilder {
        payload_type: Pt(111),
        ssrc: audio,
        ..Default::default()
    }
    .emit(&mut buf, &[1; 20])
    .unwrap();
    assert!(tx.on_rtp_sent(t0, &buf[..len]));
    let packets = drain_rtcp(&mut tx, after_first_report(t0));
    let mut srs = Vec::new();
    let mut cnames = Vec::new();
    for p in Compound::new(&packets[0]) {
        match p.unwrap().parse().unwrap() {
            Rtcp::SenderReport(sr) => srs.push(sr.ssrc()),
            Rtcp::Sdes(sdes) => cnames.extend(sdes.chunks().map(|c| c.ssrc)),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(srs, [MEDIA, audio]);
    assert_eq!(cnames, [MEDIA, audio]);
}

#[test]
fn rtcp_session_more_than_31_report_blocks() {
    let t0 = epoch();
    let mut config = SessionConfig::new("many", wall(), t0);
    config.max_recv_streams = 40;
    let mut rx = RtpSession::new(config, t0, &mut ChaCha20Rng::seed_from_u64(5));
    let mut buf = [0u8; 100];
    for i in 0..40 {
        rx.add_recv_stream(RecvStreamConfig::new(Ssrc(100 + i), 48_000))
            .unwrap();
        let len = PacketBuilder {
            payload_type: Pt(111),
            ssrc: Ssrc(100 + i),
            ..Default::default()
        }
        .emit(&mut buf, &[1; 20])
        .unwrap();
        let _ = rx.handle_rtp(t0, &mut buf[..len]);
    }
    let packets = drain_rtcp(&mut rx, after_first_report(t0));
    assert_eq!(packets.len(), 1, "1200 bytes hold 40 blocks");
    let mut blocks = Vec::new();
    for p in Compound::new(&packets[0]) {
        if let Ok(Rtcp::ReceiverReport(rr)) = p.unwrap().parse() {
            blocks.extend(rr.report_blocks().map(|b| b.ssrc.0));
        }
    }
    assert_eq!(blocks, (100..140).collect::<Vec<_>>());

    // A buffer too small for all: the rest waits for the next regular report, and the
    // drain loop ends.
    let later = after_first_report(t0) + Duration::from_secs(2);
    rx.handle_timeout(later);
    let mut small = [0u8; 400];
    let len = rx.poll_rtcp(later, &mut small).unwrap();
    assert_eq!(rx.poll_rtcp(later, &mut small), None);
    let blocks: usize = Compound::new(&small[..len])
        .filter_map(|p| match p.unwrap().parse() {
            Ok(Rtcp::ReceiverReport(rr)) => Some(rr.report_blocks().count()),
            _ => None,
        })
        .sum();
    assert_eq!(blocks, (400 - 8 - 20) / 24);
}

#[test]
fn rtcp_session_bye_for_removed_stream() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    tx.remove_send_stream(t0, MEDIA).unwrap();
    let packets = drain_rtcp(&mut tx, t0);
    assert_eq!(packets.len(), 1);
    let kinds: Vec<_> = Compound::new(&packets[0])
        .map(|p| p.unwrap().packet_type().0)
        .collect();
    assert_eq!(kinds, [201, 202, 203], "RR, SDES, BYE");
    let Ok(Rtcp::Bye(bye)) = Compound::new(&packets[0]).nth(2).unwrap().unwrap().parse() else {
        panic!("a BYE");
    };
    assert_eq!(bye.ssrcs().collect::<Vec<_>>(), [MEDIA, RTX]);
    rx.handle_rtcp(t0, &packets[0]);
    assert_eq!(rx.poll_event(), Some(RtpEvent::RemoteBye { ssrc: MEDIA }));
    assert_eq!(rx.stats().rtcp_unknown_ssrc, 0);
}

#[test]
fn rtcp_session_transport_wide_feedback() {
    let t0 = epoch();
    let mut config = SessionConfig::new("rx", wall(), t0);
    config.twcc_extension_id = Some(5);
    config.reduced_size = true;
    let mut rx = RtpSession::new(config, t0, &mut ChaCha20Rng::seed_from_u64(4));
    rx.add_recv_stream(RecvStreamConfig::new(MEDIA, 90_000).with_nack(false))
        .unwrap();
    let mut buf = [0u8; 1500];
    for (i, tw) in [(0u16, 100u16), (1, 101), (2, 103), (3, 102)] {
        let value = tw.to_be_bytes();
        let ext = [crate::rtp::wire::Extension {
            id: 5,
            value: &value,
        }];
        let len = PacketBuilder {
            payload_type: Pt(96),
            sequence_number: SeqNo(i),
            ssrc: MEDIA,
            extensions: &ext,
            ..Default::default()
        }
        .emit(&mut buf, &[0; 50])
        .unwrap();
        let at = t0 + Duration::from_millis(5 * u64::from(i));
        let _ = rx.handle_rtp(at, &mut buf[..len]);
        assert_eq!(rx.poll_rtcp(at, &mut buf), None, "not before the interval");
    }
    assert_eq!(rx.poll_timeout(), Some(t0 + Duration::from_millis(100)));
    let packets = drain_rtcp(&mut rx, t0 + Duration::from_millis(100));
    assert_eq!(packets.len(), 1);
    let Ok(Rtcp::Twcc(fb)) = Compound::new(&packets[0]).next().unwrap().unwrap().parse() else {
        panic!("a transport-wide feedback alone");
    };
    assert_eq!(fb.base_sequence_number(), SeqNo(100));
    assert_eq!(fb.status_count(), 4);
    assert_eq!(fb.media_ssrc(), MEDIA);
    assert!(fb.statuses().all(|(_, s)| s.delta_micros().is_some()));
    assert_eq!(rx.stats().twcc_sent, 1);
    assert!(drain_rtcp(&mut rx, t0 + Duration::from_millis(300)).is_empty());
}

#[test]
fn nack_session_not_resent_within_a_round_trip() {
    let t0 = epoch();
    let (mut tx, mut rx) = pair(t0);
    for seq in 0..5 {
        let _ = send(&mut tx, &mut rx, t0, seq, false);
    }
    // A report about MEDIA with the LSR of an SR sent at t0 and no delay, 50 ms later.
    let block = crate::rtp::wire::ReportBlock {
        ssrc: MEDIA,
        last_sr: NtpTime::at(wall(), t0, t0).middle(),
        ..Default::default()
    };
    let mut buf = [0u8; 1500];
    let len = crate::rtp::wire::ReceiverReportBuilder {
        ssrc: RECEIVER,
        reports: &[block],
    }
    .emit(&mut buf)
    .unwrap();
    tx.handle_rtcp(t0 + Duration::from_millis(50), &buf[..len]);
    let rtt = tx.round_trip_time().unwrap();
    assert!(rtt.abs_diff(Duration::from_millis(50)) < Duration::from_millis(1));

    let mut nack = [0u8; 16];
    let len = crate::rtp::wire::NackBuilder {
        sender_ssrc: RECEIVER,
        media_ssrc: MEDIA,
        lost: &[SeqNo(2)],
    }
    .emit(&mut nack)
    .unwrap();
    let mut resent = |at: u64| {
        let now = t0 + Duration::from_millis(at);
        tx.handle_rtcp(now, &nack[..len]);
        let mut n = 0;
        while tx.poll_retransmit(now, &mut buf).is_some() {
            n += 1;
        }
        n
    };
    assert_eq!(resent(50), 1);
    assert_eq!(resent(60), 0, "the NACK crossed the retransmission");
    assert_eq!(resent(101), 1, "a round trip later: lost again");
    let s = tx.send_stats(MEDIA).unwrap();
    assert_eq!((s.nacks_ignored, s.retransmitted_packets_sent), (1, 2));
}
