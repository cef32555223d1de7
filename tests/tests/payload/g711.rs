//! G.711 PCMU/PCMA (RFC 3551): sample runs split into packets, and the codec itself.

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::rtp::payload::{G711Format, G711Law, G711Packetizer};

use crate::{FIRST_TS, depacketize_all, feed_arbitrary, packetize_all, random_bytes, shuffle};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn packetize_g711_round_trip_shuffled(
        sizes in proptest::collection::vec(1usize..=2000, 1..10),
        per_packet in 1usize..400,
        budget in 1usize..1200,
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let frames: Vec<Vec<u8>> = sizes.iter().map(|&n| random_bytes(&mut rng, n)).collect();
        let mut packetizer = G711Packetizer::new(per_packet);
        let packets = packetize_all(&mut packetizer, &frames, budget, |f| f.len() as u32);
        prop_assume!(packets.len() < 500);
        // Each payload is stamped with its first sample's time.
        let mut expected_ts = FIRST_TS;
        for p in &packets {
            prop_assert_eq!(p.meta.timestamp, expected_ts);
            prop_assert!(p.payload.len() <= per_packet.min(budget));
            expected_ts = expected_ts.wrapping_add(p.payload.len() as u32);
        }
        let mut shuffled = packets.clone();
        shuffle(&mut shuffled, seed, packets.len());
        let outcome = depacketize_all(G711Format::new(G711Law::Ulaw), &shuffled, false);
        prop_assert!(outcome.gaps.is_empty());
        let got: Vec<u8> = outcome.frames.iter().flat_map(|f| f.data.clone()).collect();
        let want: Vec<u8> = frames.concat();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn depacketize_g711_never_panics(
        packets in crate::arbitrary_packets(),
    ) {
        feed_arbitrary(G711Format::new(G711Law::Alaw), &packets);
    }

    #[test]
    fn packetize_g711_codec_round_trip_bounds(
        pcm in proptest::collection::vec(any::<i16>(), 0..400),
    ) {
        for law in [G711Law::Ulaw, G711Law::Alaw] {
            let mut coded = vec![0u8; pcm.len()];
            prop_assert_eq!(law.encode(&pcm, &mut coded), pcm.len());
            let mut decoded = vec![0i16; pcm.len()];
            prop_assert_eq!(law.decode(&coded, &mut decoded), pcm.len());
            for (&x, &y) in pcm.iter().zip(&decoded) {
                let (x, y) = (i32::from(x), i32::from(y));
                // Half a quantisation step (1/32 of the magnitude) plus the low segments'
                // step, and mu-law's clipping at 32635 -> 32124.
                prop_assert!((x - y).abs() <= x.abs() / 32 + 16 + 643 * i32::from(x.abs() > 32124));
            }
        }
    }
}

#[test]
fn packetize_g711_known_codes() {
    let mut coded = [0u8; 2];
    G711Law::Ulaw.encode(&[0, 0], &mut coded);
    assert_eq!(coded, [0xFF, 0xFF]);
    G711Law::Alaw.encode(&[0, -1], &mut coded);
    assert_eq!(coded, [0xD5, 0x55]);
    assert_eq!(G711Law::Ulaw.payload_type(), 0);
    assert_eq!(G711Law::Alaw.payload_type(), 8);
}

#[test]
fn depacketize_g711_loss_reports_gap_and_continues() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let frame = random_bytes(&mut rng, 800);
    let mut packets = packetize_all(
        &mut G711Packetizer::new(160),
        std::slice::from_ref(&frame),
        1200,
        |f| f.len() as u32,
    );
    assert_eq!(packets.len(), 5);
    packets.remove(1);
    let outcome = depacketize_all(G711Format::new(G711Law::Ulaw), &packets, true);
    assert_eq!(outcome.order, vec![Ok(0), Err(0), Ok(1), Ok(2), Ok(3)]);
    assert!(!outcome.gaps[0].keyframe_needed);
    assert_eq!(outcome.gaps[0].packets, 1);
    assert_eq!(outcome.frames[1].data, frame[320..480]);
    assert_eq!(outcome.frames[1].timestamp, FIRST_TS.wrapping_add(320));
}
