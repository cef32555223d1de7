//! The reordering window itself: waiting, duplicates, late packets, bounded memory.

use std::time::Duration;

use sansrtc::rtp::payload::{
    Depacketizer, DepacketizerConfig, DepacketizerEvent, OpusFormat, PacketMeta, Vp8Format,
};

use crate::{Outcome, drain, epoch};

fn meta(seq: u16) -> PacketMeta {
    PacketMeta {
        seq,
        timestamp: u32::from(seq) * 960,
        marker: false,
    }
}

#[test]
fn depacketize_reorder_waits_for_a_late_packet() {
    let mut d = Depacketizer::new(OpusFormat::new(), DepacketizerConfig::default());
    let mut out = Outcome::default();
    let now = epoch();
    d.handle_packet(now, meta(10), &[10]);
    d.handle_packet(now, meta(12), &[12]);
    drain(&mut d, &mut out);
    assert_eq!(out.frames.len(), 1);
    let deadline = d.poll_timeout().expect("waiting for 11");
    assert!(deadline > now);
    d.handle_packet(now + Duration::from_millis(50), meta(11), &[11]);
    drain(&mut d, &mut out);
    let got: Vec<u8> = out.frames.iter().map(|f| f.data[0]).collect();
    assert_eq!(got, [10, 11, 12]);
    assert!(out.gaps.is_empty());
    assert_eq!(d.poll_timeout(), None);
}

#[test]
fn depacketize_duplicates_and_late_packets_are_counted() {
    let mut d = Depacketizer::new(OpusFormat::new(), DepacketizerConfig::default());
    let mut out = Outcome::default();
    let now = epoch();
    d.handle_packet(now, meta(1), &[1]);
    d.handle_packet(now, meta(3), &[3]);
    d.handle_packet(now, meta(3), &[3]);
    drain(&mut d, &mut out);
    d.handle_timeout(now + Duration::from_secs(1));
    drain(&mut d, &mut out);
    d.handle_packet(now, meta(2), &[2]);
    d.handle_packet(now, meta(1), &[1]);
    drain(&mut d, &mut out);
    let stats = d.stats();
    assert_eq!(stats.packets_duplicate, 1);
    assert_eq!(stats.packets_late, 2);
    assert_eq!(stats.packets_lost, 1);
    assert_eq!(out.order, vec![Ok(0), Err(0), Ok(1)]);
}

#[test]
fn depacketize_window_bounds_memory() {
    let mut config = DepacketizerConfig::default();
    config.max_packets = 16;
    let mut d = Depacketizer::new(OpusFormat::new(), config);
    let mut out = Outcome::default();
    let now = epoch();
    d.handle_packet(now, meta(0), &[0]);
    // 1 never arrives; 2..=40 do. Only 16 are held: the hole is forced out.
    for seq in 2..=40 {
        d.handle_packet(now, meta(seq), &[seq as u8]);
        drain(&mut d, &mut out);
    }
    assert_eq!(out.gaps.len(), 1);
    assert_eq!(out.gaps[0].first_seq, 1);
    assert_eq!(out.frames.len(), 40);
    // A jump far ahead: everything in between is one gap.
    d.handle_packet(now, meta(30_000), &[1]);
    drain(&mut d, &mut out);
    assert_eq!(out.gaps.len(), 2);
    assert_eq!(out.gaps[1].packets, 30_000 - 41 - 15);
    assert_eq!(out.frames.len(), 40);
    d.handle_timeout(now + config.max_wait);
    drain(&mut d, &mut out);
    assert_eq!(out.frames.len(), 41);
}

#[test]
fn depacketize_video_waits_for_a_first_keyframe() {
    let mut d = Depacketizer::new(Vp8Format::new(), DepacketizerConfig::default());
    let now = epoch();
    // A delta frame (P = 1) first: dropped. Then a keyframe (P = 0).
    let delta = PacketMeta {
        seq: 5,
        timestamp: 0,
        marker: true,
    };
    d.handle_packet(now, delta, &[0x10, 0x01, 0xAA]);
    assert!(d.poll_event().is_none());
    let key = PacketMeta {
        seq: 6,
        timestamp: 3000,
        marker: true,
    };
    d.handle_packet(now, key, &[0x10, 0x00, 0xBB]);
    match d.poll_event() {
        Some(DepacketizerEvent::Frame(frame)) => {
            assert!(frame.is_keyframe);
            assert_eq!(frame.data, [0x00, 0xBB]);
        }
        other => panic!("expected the keyframe, got {other:?}"),
    }
    assert_eq!(d.stats().frames_dropped, 1);
}

/// VP8 payload: S on the first packet, keyframe header byte, marker on the last.
fn vp8_packet(seq: u16, first: bool, last: bool) -> (PacketMeta, Vec<u8>) {
    let meta = PacketMeta {
        seq,
        timestamp: 90_000,
        marker: last,
    };
    let descriptor = if first { 0x10 } else { 0x00 };
    (meta, vec![descriptor, seq as u8 & 0xFE])
}

#[test]
fn depacketize_slow_frame_without_hole_is_not_given_up() {
    let mut d = Depacketizer::new(Vp8Format::new(), DepacketizerConfig::default());
    let mut out = Outcome::default();
    let mut now = epoch();
    // A keyframe paced over two seconds, ten times max_wait: no hole, so no gap.
    for seq in 0..20u16 {
        let (meta, payload) = vp8_packet(seq, seq == 0, seq == 19);
        d.handle_packet(now, meta, &payload);
        drain(&mut d, &mut out);
        assert_eq!(
            d.poll_timeout(),
            None,
            "nothing to give up while the frame streams in"
        );
        now += Duration::from_millis(100);
        d.handle_timeout(now);
        drain(&mut d, &mut out);
    }
    assert!(out.gaps.is_empty());
    assert_eq!(out.frames.len(), 1);
    assert_eq!(out.frames[0].data.len(), 20);
}

#[test]
fn depacketize_first_packets_reordered_still_deliver() {
    let mut d = Depacketizer::new(Vp8Format::new(), DepacketizerConfig::default());
    let mut out = Outcome::default();
    let now = epoch();
    // The middle of the first frame arrives first: the depacketizer waits for its start.
    let order = [1u16, 0, 2];
    for seq in order {
        let (meta, payload) = vp8_packet(seq, seq == 0, seq == 2);
        d.handle_packet(now, meta, &payload);
        drain(&mut d, &mut out);
    }
    assert!(out.gaps.is_empty());
    assert_eq!(out.frames.len(), 1);
    assert_eq!(out.frames[0].data, [0, 0, 2]);
}

#[test]
fn packetize_any_codec_round_trip() {
    use sansrtc::rtp::payload::Codec;

    let video = [0x80u8; 3000];
    let h264: Vec<u8> = [
        &[
            0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xCE, 0, 0, 0, 1, 0x65, 0x88,
        ][..],
        &[0x11; 3000],
    ]
    .concat();
    let av1: Vec<u8> = [
        &[0x12, 0x00, 0x0A, 0x01, 0x00, 0x32, 0xB8, 0x17][..],
        &[7; 3000],
    ]
    .concat();
    let cases: [(&str, &[u8]); 7] = [
        ("opus", &[1, 2, 3]),
        ("PCMU", &[1, 2, 3]),
        ("PCMA", &[1, 2, 3]),
        ("VP8", &video),
        ("VP9", &video),
        ("H264", &h264),
        ("AV1", &av1),
    ];
    for (name, frame) in cases {
        let codec = Codec::from_encoding_name(name).unwrap();
        let frames = [frame.to_vec()];
        crate::check_round_trip(
            codec.packetizer(0),
            codec.format(),
            &frames,
            &frames,
            1200,
            1,
        );
    }
}
