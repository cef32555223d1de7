//! VP8 (RFC 7741).

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::payload::{PayloadFormat, PictureId, Vp8Descriptor, Vp8Format, Vp8Packetizer};

use crate::{
    check_loss_resumes_at_keyframe, check_random_loss, check_round_trip, feed_arbitrary,
    random_bytes,
};

/// A VP8 frame: the payload header's P bit (bit 0 of the first byte) is 0 on keyframes.
fn vp8_frame(rng: &mut ChaCha20Rng, len: usize, key: bool) -> Vec<u8> {
    let mut frame = random_bytes(rng, len);
    frame[0] = if key {
        frame[0] & 0xFE
    } else {
        frame[0] | 0x01
    };
    frame
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_vp8_round_trip_shuffled(
        sizes in proptest::collection::vec(1usize..4000, 1..6),
        budget in 8usize..1200,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| vp8_frame(&mut rng, n, i == 0))
            .collect();
        let total: usize = sizes.iter().map(|n| n / (budget - 4) + 1).sum();
        prop_assume!(total < 400);
        let packets =
            check_round_trip(
                Vp8Packetizer::new(0x7FFE),
                Vp8Format::new(),
                &frames,
                &frames,
                budget,
                seed,
            );
        // Picture ids count frames across the 15-bit wrap; S is set on first payloads only.
        let mut frame_index = 0;
        for (i, p) in packets.iter().enumerate() {
            let (d, _) = Vp8Descriptor::parse(&p.payload).unwrap();
            let want = (0x7FFEu16 + frame_index) & 0x7FFF;
            prop_assert_eq!(d.picture_id, Some(PictureId::Long(want)));
            let first = i == 0 || packets[i - 1].meta.marker;
            prop_assert_eq!(d.start_of_partition, first);
            if p.meta.marker {
                frame_index += 1;
            }
        }
    }

    #[test]
    fn depacketize_vp8_loss_random_never_corrupts(
        sizes in proptest::collection::vec(1usize..3000, 1..12),
        loss in 0u64..15,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> =
            sizes.iter().enumerate().map(|(i, &n)| vp8_frame(&mut rng, n, i % 4 == 0)).collect();
        check_random_loss(Vp8Packetizer::default(), Vp8Format::new(), &frames, 500, loss, seed);
    }

    #[test]
    fn depacketize_vp8_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(Vp8Format::new(), &packets);
    }
}

#[test]
fn depacketize_vp8_keyframe_detection() {
    let format = Vp8Format::new();
    // S=1, PID=0, no extension; P bit 0.
    assert!(
        format
            .inspect(&[0x10, 0x00, 0x01], true)
            .unwrap()
            .is_keyframe
    );
    assert!(
        !format
            .inspect(&[0x10, 0x01, 0x01], true)
            .unwrap()
            .is_keyframe
    );
    // Not the start of partition 0: never a keyframe marker.
    assert!(!format.inspect(&[0x00, 0x00], true).unwrap().is_keyframe);
    assert!(!format.inspect(&[0x11, 0x00], true).unwrap().is_keyframe);
    // A descriptor with no payload after it.
    assert!(format.inspect(&[0x90, 0x80, 0x05], true).is_err());
}

#[test]
fn depacketize_vp8_loss_resumes_at_keyframe() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let keys = [true, false, false, true, false];
    let frames: Vec<Vec<u8>> = keys.iter().map(|&k| vp8_frame(&mut rng, 3000, k)).collect();
    for drop in [0, 1, 2] {
        check_loss_resumes_at_keyframe(
            Vp8Packetizer::default(),
            Vp8Format::new(),
            &frames,
            &frames,
            1000,
            drop,
        );
    }
}

#[test]
fn packetize_vp8_without_picture_id_round_trips() {
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let frames: Vec<Vec<u8>> = (0..4)
        .map(|i| vp8_frame(&mut rng, 700 * i + 1, i == 0))
        .collect();
    let packets = check_round_trip(
        Vp8Packetizer::without_picture_id(),
        Vp8Format::new(),
        &frames,
        &frames,
        300,
        21,
    );
    // The one-byte descriptor: X = 0.
    assert!(packets.iter().all(|p| p.payload[0] & 0x80 == 0));
}
