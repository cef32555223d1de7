//! H.264 (RFC 6184), packetization-mode 1: single NAL units, STAP-A and FU-A.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sansrtc::rtp::payload::{
    H264Format, H264Packetizer, PacketizeError, Packetizer, PayloadFormat,
};

use crate::{
    check_loss_resumes_at_keyframe, check_random_loss, check_round_trip, depacketize_all,
    feed_arbitrary, packetize_all,
};

/// A NAL unit: header byte then `len` body bytes with no zero byte (so no start code
/// emulation); `first_slice` sets first_mb_in_slice = 0.
fn nal(rng: &mut ChaCha20Rng, kind: u8, len: usize, first_slice: bool) -> Vec<u8> {
    let nri = (rng.next_u32() as u8 & 0x03) << 5;
    let mut out = vec![nri | kind];
    for _ in 0..len.max(1) {
        out.push((rng.next_u32() % 255) as u8 + 1);
    }
    if first_slice {
        out[1] |= 0x80;
    } else if kind == 1 || kind == 5 {
        out[1] &= 0x7F;
        out[1] = out[1].max(1);
    }
    out
}

/// An access unit in Annex-B form with four-byte start codes.
fn access_unit(rng: &mut ChaCha20Rng, key: bool, sizes: &[usize]) -> Vec<u8> {
    let mut nals = Vec::new();
    if key {
        nals.push(nal(rng, 7, 12, false));
        nals.push(nal(rng, 8, 4, false));
    }
    let slice = if key { 5 } else { 1 };
    for (i, &size) in sizes.iter().enumerate() {
        nals.push(nal(rng, slice, size, i == 0));
    }
    nals.iter()
        .flat_map(|n| [&[0, 0, 0, 1][..], n].concat())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_h264_round_trip_shuffled(
        units in proptest::collection::vec(proptest::collection::vec(1usize..3000, 1..5), 1..5),
        budget in 16usize..1200,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = units
            .iter()
            .enumerate()
            .map(|(i, sizes)| access_unit(&mut rng, i % 3 == 0, sizes))
            .collect();
        let total: usize = frames.iter().map(|f| f.len() / (budget - 2) + 8).sum();
        prop_assume!(total < 400);
        check_round_trip(H264Packetizer::new(), H264Format::new(), &frames, &frames, budget, seed);
    }

    #[test]
    fn depacketize_h264_loss_random_never_corrupts(
        units in proptest::collection::vec(proptest::collection::vec(1usize..1500, 1..4), 1..12),
        loss in 0u64..15,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = units
            .iter()
            .enumerate()
            .map(|(i, sizes)| access_unit(&mut rng, i % 4 == 0, sizes))
            .collect();
        check_random_loss(H264Packetizer::new(), H264Format::new(), &frames, 500, loss, seed);
    }

    #[test]
    fn depacketize_h264_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(H264Format::new(), &packets);
    }
}

#[test]
fn packetize_h264_uses_stap_a_single_and_fu_a() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    // SPS + PPS aggregate; a 990-byte IDR goes alone; a 3000-byte one is fragmented.
    let key = access_unit(&mut rng, true, &[990, 3000]);
    let packets = packetize_all(
        &mut H264Packetizer::new(),
        std::slice::from_ref(&key),
        1000,
        |_| 3000,
    );
    let kinds: Vec<u8> = packets.iter().map(|p| p.payload[0] & 0x1F).collect();
    assert_eq!(kinds, [24, 5, 28, 28, 28, 28]);
    let markers: Vec<bool> = packets.iter().map(|p| p.meta.marker).collect();
    assert_eq!(markers, [false, false, false, false, false, true]);
    // FU headers: S on the first fragment, E on the last, type IDR.
    assert_eq!(packets[2].payload[1], 0x85);
    assert_eq!(packets[3].payload[1], 0x05);
    assert_eq!(packets[5].payload[1], 0x45);
    let outcome = depacketize_all(H264Format::new(), &packets, true);
    assert_eq!(outcome.frames.len(), 1);
    assert_eq!(outcome.frames[0].data, key);
    assert!(outcome.frames[0].is_keyframe);
}

#[test]
fn packetize_h264_three_byte_start_codes_come_back_as_four() {
    let au = [
        0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xCE, 0, 0, 0, 1, 0x65, 0x88, 0x84,
    ];
    let packets = packetize_all(&mut H264Packetizer::new(), &[au.to_vec()], 1200, |_| 3000);
    assert_eq!(packets.len(), 1, "one STAP-A");
    let outcome = depacketize_all(H264Format::new(), &packets, true);
    let want = [
        0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xCE, 0, 0, 0, 1, 0x65, 0x88, 0x84,
    ];
    assert_eq!(outcome.frames[0].data, want);
}

#[test]
fn packetize_h264_rejects_frames_without_start_code() {
    let mut packetizer = H264Packetizer::new();
    assert!(matches!(
        packetizer.packetize(&[0x65, 1, 2], 0, 0),
        Err(PacketizeError::MalformedFrame(_))
    ));
    assert!(matches!(
        packetizer.packetize(&[0, 0, 1], 0, 0),
        Err(PacketizeError::MalformedFrame(_))
    ));
}

#[test]
fn depacketize_h264_keyframe_detection() {
    let format = H264Format::new();
    assert!(format.inspect(&[0x65, 0x88], true).unwrap().is_keyframe);
    assert!(!format.inspect(&[0x41, 0x88], true).unwrap().is_keyframe);
    // STAP-A with SPS, PPS, IDR.
    let stap = [0x78, 0, 2, 0x67, 1, 0, 2, 0x68, 1, 0, 2, 0x65, 0x88];
    let kind = format.inspect(&stap, false).unwrap();
    assert!(kind.is_keyframe && kind.is_start);
    // Interleaved-mode types are not supported.
    assert!(format.inspect(&[0x79, 0, 0], false).is_err());
}

#[test]
fn depacketize_h264_loss_resumes_at_keyframe() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let keys = [true, false, false, true, false];
    let frames: Vec<Vec<u8>> = keys
        .iter()
        .map(|&k| access_unit(&mut rng, k, &[1500, 1200]))
        .collect();
    for drop in [0, 1, 3] {
        check_loss_resumes_at_keyframe(
            H264Packetizer::new(),
            H264Format::new(),
            &frames,
            &frames,
            1000,
            drop,
        );
    }
}
