//! Opus (RFC 7587): one packet per frame.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::payload::{OpusFormat, OpusPacketizer, PacketizeError, Packetizer};

use crate::{
    FIRST_TS, check_round_trip, depacketize_all, feed_arbitrary, packetize_all, random_bytes,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_opus_round_trip_shuffled(
        sizes in proptest::collection::vec(1usize..=1000, 1..40),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = sizes.iter().map(|&n| random_bytes(&mut rng, n)).collect();
        let packets =
            check_round_trip(
                OpusPacketizer::new(),
                OpusFormat::new(),
                &frames,
                &frames,
                1000,
                seed,
            );
        prop_assert_eq!(packets.len(), frames.len());
        prop_assert!(packets.iter().all(|p| !p.meta.marker));
    }

    #[test]
    fn depacketize_opus_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(OpusFormat::new(), &packets);
    }
}

#[test]
fn packetize_opus_frame_larger_than_budget_is_an_error() {
    let mut packetizer = OpusPacketizer::new();
    let frame = [1u8; 100];
    let mut buf = [0u8; 99];
    let mut packets = packetizer.packetize(&frame, 0, 0).unwrap();
    assert_eq!(
        packets.next_into(&mut buf),
        Err(PacketizeError::FrameTooLarge)
    );
    assert!(matches!(
        packetizer.packetize(&[], 0, 0),
        Err(PacketizeError::EmptyFrame)
    ));
}

#[test]
fn depacketize_opus_loss_reports_gap_and_continues() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let frames: Vec<Vec<u8>> = (0..5).map(|i| random_bytes(&mut rng, 20 + i)).collect();
    let mut packets = packetize_all(&mut OpusPacketizer::new(), &frames, 1200, |_| 960);
    packets.remove(2);
    let outcome = depacketize_all(OpusFormat::new(), &packets, true);
    assert_eq!(outcome.order, vec![Ok(0), Ok(1), Err(0), Ok(2), Ok(3)]);
    let gap = outcome.gaps[0];
    assert_eq!(gap.first_seq, crate::FIRST_SEQ.wrapping_add(2));
    assert_eq!(gap.packets, 1);
    assert!(!gap.keyframe_needed, "audio frames decode on their own");
    let got: Vec<&[u8]> = outcome.frames.iter().map(|f| &f.data[..]).collect();
    assert_eq!(got, [&frames[0][..], &frames[1], &frames[3], &frames[4]]);
    assert_eq!(outcome.frames[2].timestamp, FIRST_TS.wrapping_add(3 * 960));
    assert!(outcome.frames.iter().all(|f| f.is_keyframe));
}
