//! VP9 (RFC 9628), flexible and non-flexible mode.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::payload::{
    PayloadFormat, PictureId, Vp9Descriptor, Vp9Format, Vp9Mode, Vp9Packetizer,
};

use crate::{
    check_loss_resumes_at_keyframe, check_random_loss, check_round_trip, feed_arbitrary,
    random_bytes,
};

/// A VP9 frame whose uncompressed header says profile 0 and key or inter frame.
fn vp9_frame(rng: &mut ChaCha20Rng, len: usize, key: bool) -> Vec<u8> {
    let mut frame = random_bytes(rng, len.max(2));
    // frame_marker 0b10, profile 0, show_existing_frame 0, frame_type.
    frame[0] = 0x80 | u8::from(!key) << 2 | (frame[0] & 0x03);
    frame
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_vp9_round_trip_shuffled(
        sizes in proptest::collection::vec(2usize..4000, 1..6),
        budget in 12usize..1200,
        flexible in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let keys: Vec<bool> = (0..sizes.len()).map(|i| i == 0 || i == 3).collect();
        let frames: Vec<Vec<u8>> = sizes
            .iter()
            .zip(&keys)
            .map(|(&n, &k)| vp9_frame(&mut rng, n, k))
            .collect();
        let total: usize = sizes.iter().map(|n| n / (budget - 7) + 1).sum();
        prop_assume!(total < 400);
        let mode = if flexible { Vp9Mode::Flexible } else { Vp9Mode::NonFlexible };
        let packets =
            check_round_trip(
                Vp9Packetizer::new(mode, 100),
                Vp9Format::new(),
                &frames,
                &frames,
                budget,
                seed,
            );
        let mut frame_index = 0;
        for (i, p) in packets.iter().enumerate() {
            let (d, _) = Vp9Descriptor::parse(&p.payload).unwrap();
            let first = i == 0 || packets[i - 1].meta.marker;
            prop_assert_eq!(d.start_of_frame, first);
            prop_assert_eq!(d.end_of_frame, p.meta.marker);
            prop_assert_eq!(d.flexible, flexible);
            prop_assert_eq!(d.inter_predicted, !keys[frame_index]);
            prop_assert_eq!(d.scalability_structure, first && keys[frame_index]);
            prop_assert_eq!(d.picture_id, Some(PictureId::Long(100 + frame_index as u16)));
            if !flexible {
                prop_assert_eq!(d.tl0_pic_idx, Some(frame_index as u8));
            }
            if p.meta.marker {
                frame_index += 1;
            }
        }
    }

    #[test]
    fn depacketize_vp9_loss_random_never_corrupts(
        sizes in proptest::collection::vec(2usize..3000, 1..12),
        loss in 0u64..15,
        flexible in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> =
            sizes.iter().enumerate().map(|(i, &n)| vp9_frame(&mut rng, n, i % 4 == 0)).collect();
        let mode = if flexible { Vp9Mode::Flexible } else { Vp9Mode::NonFlexible };
        check_random_loss(Vp9Packetizer::new(mode, 0), Vp9Format::new(), &frames, 500, loss, seed);
    }

    #[test]
    fn depacketize_vp9_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(Vp9Format::new(), &packets);
    }
}

#[test]
fn depacketize_vp9_keyframe_from_p_bit() {
    let format = Vp9Format::new();
    // B=1, P=0: keyframe start; B=1, P=1: inter picture; B=0: neither.
    let key = format.inspect(&[0x08, 0xAA], false).unwrap();
    assert!(key.is_start && key.is_keyframe);
    let inter = format.inspect(&[0x48, 0xAA], false).unwrap();
    assert!(inter.is_start && !inter.is_keyframe);
    assert!(!format.inspect(&[0x00, 0xAA], true).unwrap().is_start);
    // Spatial layer 1 does not start a picture.
    let upper = format.inspect(&[0x28, 0x02, 0x00, 0xAA], false).unwrap();
    assert!(!upper.is_start);
}

#[test]
fn depacketize_vp9_loss_resumes_at_keyframe() {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let keys = [true, false, false, true, false];
    let frames: Vec<Vec<u8>> = keys.iter().map(|&k| vp9_frame(&mut rng, 3000, k)).collect();
    for mode in [Vp9Mode::Flexible, Vp9Mode::NonFlexible] {
        for drop in [0, 1, 3] {
            check_loss_resumes_at_keyframe(
                Vp9Packetizer::new(mode, 0),
                Vp9Format::new(),
                &frames,
                &frames,
                1000,
                drop,
            );
        }
    }
}
