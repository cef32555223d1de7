//! AV1 (AOMedia RTP payload format): aggregation, OBU fragmentation, N bit.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sansrtc::rtp::payload::{Av1Format, Av1Packetizer, PayloadFormat};

use crate::{
    check_loss_resumes_at_keyframe, check_random_loss, check_round_trip, depacketize_all,
    feed_arbitrary, packetize_all, random_bytes,
};

fn leb128(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7F) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One OBU with a size field; an extension header on request.
fn obu(rng: &mut ChaCha20Rng, kind: u8, len: usize, extension: bool, out: &mut Vec<u8>) {
    out.push(kind << 3 | u8::from(extension) << 2 | 0x02);
    if extension {
        out.push(rng.next_u32() as u8 & 0xF8);
    }
    leb128(len, out);
    out.extend(random_bytes(rng, len));
}

/// A temporal unit: a temporal delimiter, a sequence header on keyframes, then frame OBUs.
fn temporal_unit(rng: &mut ChaCha20Rng, key: bool, sizes: &[usize]) -> Vec<u8> {
    let mut out = vec![0x12, 0x00];
    if key {
        obu(rng, 1, 11, false, &mut out);
    }
    for &size in sizes {
        let extension = rng.next_u32().is_multiple_of(3);
        obu(rng, 6, size, extension, &mut out);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_av1_round_trip_shuffled(
        units in proptest::collection::vec(proptest::collection::vec(0usize..3000, 1..5), 1..5),
        budget in 3usize..1200,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = units
            .iter()
            .enumerate()
            .map(|(i, sizes)| temporal_unit(&mut rng, i % 3 == 0, sizes))
            .collect();
        let per_packet = budget.saturating_sub(4).max(1);
        let total: usize = frames.iter().map(|f| f.len() / per_packet + 6).sum();
        prop_assume!(total < 400);
        let packets =
            check_round_trip(
                Av1Packetizer::new(),
                Av1Format::new(),
                &frames,
                &frames,
                budget,
                seed,
            );
        // N only on the first packet of temporal units with a sequence header.
        let mut first = true;
        let mut unit = 0;
        for p in &packets {
            let n = p.payload[0] & 0x08 != 0;
            prop_assert_eq!(n, first && unit % 3 == 0);
            first = p.meta.marker;
            if p.meta.marker {
                unit += 1;
            }
        }
    }

    #[test]
    fn depacketize_av1_loss_random_never_corrupts(
        units in proptest::collection::vec(proptest::collection::vec(0usize..1500, 1..4), 1..12),
        loss in 0u64..15,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = units
            .iter()
            .enumerate()
            .map(|(i, sizes)| temporal_unit(&mut rng, i % 4 == 0, sizes))
            .collect();
        check_random_loss(Av1Packetizer::new(), Av1Format::new(), &frames, 500, loss, seed);
    }

    #[test]
    fn depacketize_av1_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(Av1Format::new(), &packets);
    }
}

#[test]
fn packetize_av1_fragments_and_aggregates() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let unit = temporal_unit(&mut rng, true, &[10, 2500]);
    let packets = packetize_all(
        &mut Av1Packetizer::new(),
        std::slice::from_ref(&unit),
        1000,
        |_| 3000,
    );
    assert_eq!(packets.len(), 3);
    let headers: Vec<u8> = packets.iter().map(|p| p.payload[0]).collect();
    // First: N, Y, three elements (sequence header, small frame, fragment).
    assert_eq!(headers[0], 0x40 | 0x30 | 0x08);
    // Then Z and Y with one element, then Z with one element.
    assert_eq!(headers[1], 0x80 | 0x40 | 0x10);
    assert_eq!(headers[2], 0x80 | 0x10);
    assert!(packets[2].meta.marker);
    let outcome = depacketize_all(Av1Format::new(), &packets, true);
    assert_eq!(outcome.frames[0].data, unit);
    assert!(outcome.frames[0].is_keyframe);
}

#[test]
fn depacketize_av1_keyframe_detection() {
    let format = Av1Format::new();
    // N=1, W=1, a frame OBU element.
    assert!(
        format
            .inspect(&[0x18, 0x30, 0x01], true)
            .unwrap()
            .is_keyframe
    );
    // W=1, a sequence header element without N.
    assert!(
        format
            .inspect(&[0x10, 0x08, 0x01], true)
            .unwrap()
            .is_keyframe
    );
    // W=1, a frame OBU.
    assert!(
        !format
            .inspect(&[0x10, 0x30, 0x01], true)
            .unwrap()
            .is_keyframe
    );
    // Z with N is forbidden.
    assert!(format.inspect(&[0x98, 0x30], true).is_err());
}

#[test]
fn depacketize_av1_loss_resumes_at_keyframe() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let keys = [true, false, false, true, false];
    let frames: Vec<Vec<u8>> = keys
        .iter()
        .map(|&k| temporal_unit(&mut rng, k, &[1500, 1200]))
        .collect();
    for drop in [0, 1, 3] {
        check_loss_resumes_at_keyframe(
            Av1Packetizer::new(),
            Av1Format::new(),
            &frames,
            &frames,
            1000,
            drop,
        );
    }
}

#[test]
fn packetize_av1_rejects_malformed_temporal_units() {
    use sansrtc::rtp::payload::{PacketizeError, Packetizer};

    let mut packetizer = Av1Packetizer::new();
    // Only a temporal delimiter: nothing to send.
    assert!(matches!(
        packetizer.packetize(&[0x12, 0x00], 0, 0),
        Err(PacketizeError::MalformedFrame(_))
    ));
    // An OBU size past the end of the frame.
    assert!(matches!(
        packetizer.packetize(&[0x32, 0x05, 1, 2], 0, 0),
        Err(PacketizeError::MalformedFrame(_))
    ));
    // The forbidden bit.
    assert!(matches!(
        packetizer.packetize(&[0xB2, 0x00], 0, 0),
        Err(PacketizeError::MalformedFrame(_))
    ));
    // A last OBU without a size field runs to the end of the frame.
    let frame = [0x12, 0x00, 0x0A, 0x01, 0x00, 0x30, 7, 7, 7];
    let packets = packetize_all(&mut packetizer, &[frame.to_vec()], 1200, |_| 3000);
    let outcome = depacketize_all(Av1Format::new(), &packets, true);
    assert_eq!(
        outcome.frames[0].data,
        [0x12, 0x00, 0x0A, 0x01, 0x00, 0x32, 3, 7, 7, 7]
    );
}
