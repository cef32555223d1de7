//! RTP and RTCP wire tests: fixed examples, builder round trips, and proptests.

use proptest::prelude::*;

use super::*;
use crate::rtp::{Pt, RtpTimestamp, SeqNo, Ssrc};

fn rtcp_one(bytes: &[u8]) -> Rtcp<'_> {
    let mut it = Compound::new(bytes);
    let packet = it.next().unwrap().unwrap();
    assert!(it.next().is_none());
    packet.parse().unwrap()
}

#[test]
fn rtp_deconstruct() {
    // V=2 P=1 X=1 CC=1, M=1 PT=111, seq 0x1234, ts, ssrc, one CSRC, one-byte extension with
    // ids 1 (1 byte) and 3 (2 bytes) and padding, payload, 3 bytes of padding.
    let bytes = [
        0xB1, 0xEF, 0x12, 0x34, 0, 0, 0x03, 0xE8, 0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 9, 0xBE, 0xDE,
        0, 2, 0x10, 0xAA, 0x31, 0xBB, 0xCC, 0, 0, 0, 1, 2, 3, 0, 0, 3,
    ];
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.version(), 2);
    assert!(p.has_padding() && p.has_extension() && p.marker());
    assert_eq!(p.payload_type(), Pt(111));
    assert_eq!(p.sequence_number(), SeqNo(0x1234));
    assert_eq!(p.timestamp(), RtpTimestamp(1000));
    assert_eq!(p.ssrc(), Ssrc(0xDEAD_BEEF));
    assert_eq!(p.csrcs().collect::<Vec<_>>(), [Ssrc(9)]);
    assert_eq!(p.extension_profile(), Some(ONE_BYTE_PROFILE));
    let ext: Vec<_> = p.extensions().collect();
    assert_eq!(
        ext,
        [
            Extension {
                id: 1,
                value: &[0xAA]
            },
            Extension {
                id: 3,
                value: &[0xBB, 0xCC]
            }
        ]
    );
    assert_eq!(p.extension(3), Some(&[0xBB, 0xCC][..]));
    assert_eq!(p.header_len(), 28);
    assert_eq!(p.payload(), [1, 2, 3]);
    assert_eq!(p.padding_len(), 3);
}

#[test]
fn rtp_setters_rewrite_in_place() {
    let mut buf = [0u8; 64];
    let ext = [Extension {
        id: 5,
        value: &[1, 2, 3],
    }];
    let len = PacketBuilder {
        payload_type: Pt(96),
        ssrc: Ssrc(1),
        extensions: &ext,
        ..Default::default()
    }
    .emit(&mut buf, b"hello")
    .unwrap();
    let mut p = Packet::new_checked(&mut buf[..len]).unwrap();
    p.set_marker(true);
    p.set_payload_type(Pt(100));
    p.set_sequence_number(SeqNo(7));
    p.set_timestamp(RtpTimestamp(8));
    p.set_ssrc(Ssrc(9));
    p.extension_mut(5).unwrap().copy_from_slice(&[7, 7, 7]);
    assert!(p.extension_mut(6).is_none());
    p.payload_mut()[0] = b'j';
    let p = Packet::new_checked(&buf[..len]).unwrap();
    assert!(p.marker());
    assert_eq!(
        (
            p.payload_type(),
            p.sequence_number(),
            p.timestamp(),
            p.ssrc()
        ),
        (Pt(100), SeqNo(7), RtpTimestamp(8), Ssrc(9))
    );
    assert_eq!(p.extension(5), Some(&[7, 7, 7][..]));
    assert_eq!(p.payload(), b"jello");
}

#[test]
fn rtp_impossible_len() {
    assert_eq!(
        Packet::new_checked(&[0x80u8; 11][..]).unwrap_err(),
        WireError::Truncated
    );
    let mut bytes = [0u8; 12];
    bytes[0] = 0x40;
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap_err(),
        WireError::BadVersion
    );
    bytes[0] = 0x81;
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap_err(),
        WireError::Truncated
    );
    bytes[0] = 0xA0;
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap_err(),
        WireError::BadPadding
    );
}

#[test]
fn rtp_builder_two_byte_form() {
    let long = [0x55u8; 20];
    let ext = [
        Extension {
            id: 1,
            value: &long,
        },
        Extension {
            id: 200,
            value: &[],
        },
    ];
    let csrcs = [Ssrc(1), Ssrc(2)];
    let b = PacketBuilder {
        marker: true,
        payload_type: Pt(97),
        sequence_number: SeqNo(65535),
        timestamp: RtpTimestamp(u32::MAX),
        ssrc: Ssrc(3),
        csrcs: &csrcs,
        extensions: &ext,
        padding: 4,
    };
    let mut buf = [0u8; 128];
    let len = b.emit(&mut buf, b"xyz").unwrap();
    assert_eq!(len, b.buffer_len(3));
    let p = Packet::new_checked(&buf[..len]).unwrap();
    assert_eq!(p.extension_profile(), Some(TWO_BYTE_PROFILE));
    assert_eq!(p.extensions().collect::<Vec<_>>(), ext);
    assert_eq!(p.csrcs().collect::<Vec<_>>(), csrcs);
    assert_eq!(p.payload(), b"xyz");
    assert_eq!(p.padding_len(), 4);
    assert_eq!(
        b.emit(&mut buf[..len - 1], b"xyz"),
        Err(WireError::BufferTooSmall)
    );
}

#[test]
fn rtcp_sender_report_round_trip() {
    let reports = [
        ReportBlock {
            ssrc: Ssrc(2),
            fraction_lost: 25,
            cumulative_lost: -3,
            extended_highest_seq: 0x1_0005,
            jitter: 77,
            last_sr: 0x1234_5678,
            delay_since_last_sr: 65536,
        },
        ReportBlock {
            ssrc: Ssrc(3),
            cumulative_lost: 0x7F_FFFF,
            ..Default::default()
        },
    ];
    let info = SenderInfo {
        ntp_time: 0xE000_0000_8000_0000,
        rtp_time: RtpTimestamp(90_000),
        packet_count: 10,
        octet_count: 12_000,
    };
    let b = SenderReportBuilder {
        ssrc: Ssrc(1),
        info,
        reports: &reports,
    };
    let mut buf = [0u8; 128];
    let len = b.emit(&mut buf).unwrap();
    assert_eq!(len, 28 + 48);
    let Rtcp::SenderReport(sr) = rtcp_one(&buf[..len]) else {
        panic!("not an SR")
    };
    assert_eq!(sr.ssrc(), Ssrc(1));
    assert_eq!(sr.sender_info(), info);
    assert_eq!(sr.report_blocks().collect::<Vec<_>>(), reports);
}

#[test]
fn rtcp_compound_rr_sdes_bye_round_trip() {
    let mut buf = [0u8; 256];
    let reports = [ReportBlock {
        ssrc: Ssrc(9),
        fraction_lost: 1,
        ..Default::default()
    }];
    let mut at = ReceiverReportBuilder {
        ssrc: Ssrc(5),
        reports: &reports,
    }
    .emit(&mut buf)
    .unwrap();
    let items = [
        SdesItem {
            kind: SdesItem::CNAME,
            value: b"user@example",
        },
        SdesItem {
            kind: 6,
            value: b"sansrtc",
        },
    ];
    let chunks = [(Ssrc(5), &items[..]), (Ssrc(6), &items[..1])];
    at += SdesBuilder { chunks: &chunks }
        .emit(&mut buf[at..])
        .unwrap();
    at += ByeBuilder {
        ssrcs: &[Ssrc(5), Ssrc(6)],
        reason: b"done",
    }
    .emit(&mut buf[at..])
    .unwrap();
    // An unknown type (APP) in the middle is skipped by callers.
    buf[at..at + 12].copy_from_slice(&[0x80, 204, 0, 2, 0, 0, 0, 5, b'n', b'a', b'm', b'e']);
    at += 12;
    at += ByeBuilder {
        ssrcs: &[],
        reason: b"",
    }
    .emit(&mut buf[at..])
    .unwrap();

    let packets: Vec<_> = Compound::new(&buf[..at])
        .map(|p| p.unwrap().parse().unwrap())
        .collect();
    assert_eq!(packets.len(), 5);
    let Rtcp::ReceiverReport(rr) = packets[0] else {
        panic!()
    };
    assert_eq!(rr.ssrc(), Ssrc(5));
    assert_eq!(rr.report_blocks().collect::<Vec<_>>(), reports);
    let Rtcp::Sdes(sdes) = packets[1] else {
        panic!()
    };
    let parsed: Vec<_> = sdes
        .chunks()
        .map(|c| (c.ssrc, c.items().collect::<Vec<_>>()))
        .collect();
    assert_eq!(
        parsed,
        [(Ssrc(5), items.to_vec()), (Ssrc(6), items[..1].to_vec())]
    );
    let Rtcp::Bye(bye) = packets[2] else { panic!() };
    assert_eq!(bye.ssrcs().collect::<Vec<_>>(), [Ssrc(5), Ssrc(6)]);
    assert_eq!(bye.reason(), Some(&b"done"[..]));
    assert!(matches!(packets[3], Rtcp::Unknown(p) if p.packet_type() == RtcpType::APP));
    let Rtcp::Bye(bye) = packets[4] else { panic!() };
    assert_eq!(bye.ssrcs().count(), 0);
    assert_eq!(bye.reason(), None);
}

#[test]
fn rtcp_feedback_round_trip() {
    let mut buf = [0u8; 128];
    let lost = [
        SeqNo(65530),
        SeqNo(65531),
        SeqNo(65535),
        SeqNo(4),
        SeqNo(30),
    ];
    let nack = NackBuilder {
        sender_ssrc: Ssrc(1),
        media_ssrc: Ssrc(2),
        lost: &lost,
    };
    let len = nack.emit(&mut buf).unwrap();
    // 65530 covers up to 65546 = 10; 30 starts another pair.
    assert_eq!(len, 12 + 8);
    let Rtcp::Nack(n) = rtcp_one(&buf[..len]) else {
        panic!()
    };
    assert_eq!((n.sender_ssrc(), n.media_ssrc()), (Ssrc(1), Ssrc(2)));
    assert_eq!(n.lost().collect::<Vec<_>>(), lost);

    let pli = Pli {
        sender_ssrc: Ssrc(3),
        media_ssrc: Ssrc(4),
    };
    let len = pli.emit(&mut buf).unwrap();
    assert_eq!(rtcp_one(&buf[..len]), Rtcp::Pli(pli));

    let entries = [
        FirEntry {
            ssrc: Ssrc(8),
            seq_nr: 3,
        },
        FirEntry {
            ssrc: Ssrc(9),
            seq_nr: 255,
        },
    ];
    let len = FirBuilder {
        sender_ssrc: Ssrc(7),
        entries: &entries,
    }
    .emit(&mut buf)
    .unwrap();
    let Rtcp::Fir(fir) = rtcp_one(&buf[..len]) else {
        panic!()
    };
    assert_eq!(fir.sender_ssrc(), Ssrc(7));
    assert_eq!(fir.entries().collect::<Vec<_>>(), entries);

    for bitrate in [0u64, 1, 262_143, 262_144, 2_500_000, 1 << 40] {
        let len = RembBuilder {
            sender_ssrc: Ssrc(1),
            bitrate,
            ssrcs: &[Ssrc(10), Ssrc(11)],
        }
        .emit(&mut buf)
        .unwrap();
        let Rtcp::Remb(remb) = rtcp_one(&buf[..len]) else {
            panic!()
        };
        // 18 significant bits survive.
        let expected = bitrate >> (64 - bitrate.leading_zeros()).saturating_sub(18)
            << (64 - bitrate.leading_zeros()).saturating_sub(18);
        assert_eq!(remb.bitrate(), expected, "{bitrate}");
        assert_eq!(remb.ssrcs().collect::<Vec<_>>(), [Ssrc(10), Ssrc(11)]);
    }
}

#[test]
fn rtcp_twcc_round_trip_every_chunk_kind() {
    use TwccStatus::{NotReceived as N, ReceivedLarge as L, ReceivedSmall as S};
    let mut statuses = vec![S(1); 20]; // run-length of small
    statuses.extend([N, S(2), N, N, S(3), S(4), N, S(5), N, N, N, S(6), S(7), N]); // 1-bit
    statuses.extend([L(-1), N, S(9), L(1000), N, N]); // 2-bit
    statuses.extend(vec![N; 9000]); // run longer than 13 bits
    statuses.push(L(i16::MIN));
    let b = TwccBuilder {
        sender_ssrc: Ssrc(1),
        media_ssrc: Ssrc(2),
        base_sequence_number: SeqNo(65000),
        reference_time: 0x12_3456,
        feedback_count: 9,
        statuses: &statuses,
    };
    let mut buf = vec![0u8; b.buffer_len()];
    let len = b.emit(&mut buf).unwrap();
    assert_eq!(len % 4, 0);
    let Rtcp::Twcc(t) = rtcp_one(&buf[..len]) else {
        panic!()
    };
    assert_eq!(t.base_sequence_number(), SeqNo(65000));
    assert_eq!(t.reference_time(), 0x12_3456);
    assert_eq!(t.feedback_count(), 9);
    assert_eq!(usize::from(t.status_count()), statuses.len());
    let parsed: Vec<_> = t.statuses().collect();
    assert_eq!(parsed.len(), statuses.len());
    for (i, ((seq, status), expected)) in parsed.iter().zip(&statuses).enumerate() {
        assert_eq!(*seq, SeqNo(65000u16.wrapping_add(i as u16)));
        assert_eq!(status, expected, "status {i}");
    }
}

#[test]
fn rtcp_twcc_known_bytes() {
    // Base 1, 3 statuses in one 2-bit status vector: small (1 unit), lost, large (-4
    // units); 25 bytes padded to 28 with the P bit. Hand-assembled from draft section 3.1.
    let padded = [
        0xAF,
        205,
        0,
        6, // V=2 P=1 FMT=15, RTPFB, 7 words
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        2, // sender and media SSRC
        0,
        1,
        0,
        3, // base sequence number 1, status count 3
        0,
        0,
        1,
        0, // reference time 1, feedback count 0
        0b1101_0010,
        0, // 2-bit status vector: 01 00 10 then unused
        1,
        0xFF,
        0xFC, // deltas: 1, -4
        0,
        0,
        3, // padding
    ];
    let Rtcp::Twcc(t) = rtcp_one(&padded) else {
        panic!()
    };
    assert_eq!(t.reference_time(), 1);
    assert_eq!(
        t.statuses().collect::<Vec<_>>(),
        [
            (SeqNo(1), TwccStatus::ReceivedSmall(1)),
            (SeqNo(2), TwccStatus::NotReceived),
            (SeqNo(3), TwccStatus::ReceivedLarge(-4)),
        ]
    );
}

#[test]
fn twcc_status_from_micros() {
    assert_eq!(TwccStatus::received(0), Some(TwccStatus::ReceivedSmall(0)));
    assert_eq!(
        TwccStatus::received(63_750),
        Some(TwccStatus::ReceivedSmall(255))
    );
    assert_eq!(
        TwccStatus::received(64_000),
        Some(TwccStatus::ReceivedLarge(256))
    );
    assert_eq!(
        TwccStatus::received(-250),
        Some(TwccStatus::ReceivedLarge(-1))
    );
    assert_eq!(TwccStatus::received(i64::from(i16::MAX) * 250 + 250), None);
    assert_eq!(TwccStatus::ReceivedLarge(-2).delta_micros(), Some(-500));
}

#[test]
fn rtcp_bad_framing_ends_iteration() {
    let mut buf = [0u8; 64];
    let len = Pli::default().emit(&mut buf).unwrap();
    buf[len] = 0x80;
    buf[len + 3] = 10; // claims 44 bytes
    let got: Vec<_> = Compound::new(&buf[..len + 8]).collect();
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert_eq!(got[1], Err(WireError::Truncated));
}

fn arb_extension() -> impl Strategy<Value = (u8, Vec<u8>)> {
    (1u8..=255, proptest::collection::vec(any::<u8>(), 0..20))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rtp_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        if let Ok(p) = Packet::new_checked(&bytes[..]) {
            let _ = (p.payload(), p.csrcs().count(), p.extensions().count());
            let _ = (p.marker(), p.payload_type(), p.sequence_number(), p.ssrc());
            let _ = p.extension(1);
        }
    }

    #[test]
    fn rtp_parse_never_panics_with_valid_start(
        mut bytes in proptest::collection::vec(any::<u8>(), 12..120),
        first in 0u8..=0x3F,
    ) {
        bytes[0] = 0x80 | first;
        if let Ok(mut p) = Packet::new_checked(&mut bytes[..]) {
            let _ = p.extensions().count();
            let _ = p.extension_mut(1);
            let _ = p.payload_mut().len();
        }
    }

    #[test]
    fn rtp_builder_round_trip(
        marker in any::<bool>(),
        pt in 0u8..128,
        seq in any::<u16>(),
        ts in any::<u32>(),
        ssrc in any::<u32>(),
        csrcs in proptest::collection::vec(any::<u32>(), 0..=15),
        exts in proptest::collection::vec(arb_extension(), 0..6),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        padding in 0u8..8,
    ) {
        let csrcs: Vec<Ssrc> = csrcs.into_iter().map(Ssrc).collect();
        let ext: Vec<Extension<'_>> = exts.iter().map(|(id, v)| Extension { id: *id, value: v }).collect();
        let b = PacketBuilder {
            marker,
            payload_type: Pt(pt),
            sequence_number: SeqNo(seq),
            timestamp: RtpTimestamp(ts),
            ssrc: Ssrc(ssrc),
            csrcs: &csrcs,
            extensions: &ext,
            padding,
        };
        let mut buf = vec![0u8; b.buffer_len(payload.len())];
        let len = b.emit(&mut buf, &payload).unwrap();
        let p = Packet::new_checked(&buf[..len]).unwrap();
        prop_assert_eq!(p.marker(), marker);
        prop_assert_eq!(p.payload_type(), Pt(pt));
        prop_assert_eq!(p.sequence_number(), SeqNo(seq));
        prop_assert_eq!(p.timestamp(), RtpTimestamp(ts));
        prop_assert_eq!(p.ssrc(), Ssrc(ssrc));
        prop_assert_eq!(p.csrcs().collect::<Vec<_>>(), csrcs);
        prop_assert_eq!(p.extensions().collect::<Vec<_>>(), ext);
        prop_assert_eq!(p.payload(), &payload[..]);
        prop_assert_eq!(p.padding_len(), usize::from(padding));
    }

    #[test]
    fn rtcp_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
        for packet in Compound::new(&bytes).flatten() {
            walk(packet);
        }
    }

    #[test]
    fn rtcp_parse_never_panics_typed(
        mut bytes in proptest::collection::vec(any::<u8>(), 4..160),
        pt in 200u8..=207,
        count in 0u8..32,
    ) {
        // A valid header for a known type, so the typed parsers see the arbitrary body.
        let words = (bytes.len() / 4 - 1) as u16;
        bytes.truncate(4 * (usize::from(words) + 1));
        bytes[0] = 0x80 | count;
        bytes[1] = pt;
        bytes[2..4].copy_from_slice(&words.to_be_bytes());
        let packet = RtcpPacket::new_checked(&bytes).unwrap();
        walk(packet);
    }

    #[test]
    fn rtcp_twcc_builder_round_trip(
        statuses in proptest::collection::vec(
            prop_oneof![
                Just(TwccStatus::NotReceived),
                any::<u8>().prop_map(TwccStatus::ReceivedSmall),
                any::<i16>().prop_map(TwccStatus::ReceivedLarge),
            ],
            0..200,
        ),
        base in any::<u16>(),
    ) {
        let b = TwccBuilder { base_sequence_number: SeqNo(base), statuses: &statuses, ..Default::default() };
        let mut buf = vec![0u8; b.buffer_len()];
        let len = b.emit(&mut buf).unwrap();
        let Rtcp::Twcc(t) = rtcp_one(&buf[..len]) else { panic!() };
        let parsed: Vec<_> = t.statuses().map(|(_, s)| s).collect();
        prop_assert_eq!(parsed, statuses);
    }

    #[test]
    fn rtcp_nack_builder_round_trip(start in any::<u16>(), gaps in proptest::collection::vec(1u16..40, 0..30)) {
        let mut lost = vec![SeqNo(start)];
        for g in gaps {
            let last = *lost.last().unwrap();
            lost.push(SeqNo(last.0.wrapping_add(g)));
        }
        let b = NackBuilder { sender_ssrc: Ssrc(1), media_ssrc: Ssrc(2), lost: &lost };
        let mut buf = vec![0u8; b.buffer_len()];
        let len = b.emit(&mut buf).unwrap();
        let Rtcp::Nack(n) = rtcp_one(&buf[..len]) else { panic!() };
        prop_assert_eq!(n.lost().collect::<Vec<_>>(), lost);
    }
}

/// Touches every accessor of a parsed packet.
fn walk(packet: RtcpPacket<'_>) {
    let _ = (packet.count(), packet.packet_type(), packet.body().len());
    match packet.parse() {
        Ok(Rtcp::SenderReport(sr)) => {
            let _ = (sr.ssrc(), sr.sender_info(), sr.report_blocks().count());
        }
        Ok(Rtcp::ReceiverReport(rr)) => {
            let _ = (rr.ssrc(), rr.report_blocks().count());
        }
        Ok(Rtcp::Sdes(s)) => {
            for c in s.chunks() {
                let _ = c.items().count();
            }
        }
        Ok(Rtcp::Bye(b)) => {
            let _ = (b.ssrcs().count(), b.reason());
        }
        Ok(Rtcp::Nack(n)) => {
            let _ = (n.sender_ssrc(), n.media_ssrc(), n.lost().count());
        }
        Ok(Rtcp::Fir(f)) => {
            let _ = (f.sender_ssrc(), f.entries().count());
        }
        Ok(Rtcp::Remb(r)) => {
            let _ = (r.sender_ssrc(), r.bitrate(), r.ssrcs().count());
        }
        Ok(Rtcp::Twcc(t)) => {
            let _ = (t.reference_time(), t.feedback_count(), t.media_ssrc());
            assert_eq!(t.statuses().count(), usize::from(t.status_count()));
        }
        Ok(Rtcp::Pli(_) | Rtcp::Unknown(_)) | Err(_) => {}
    }
}
