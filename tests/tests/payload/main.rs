//! RTP payload formats: packetize -> reorder -> depacketize round trips for every codec, loss
//! and keyframe recovery, and arbitrary bytes into every depacketizer. One test binary, one
//! module per codec; the shared harness is below.

mod alloc;
mod av1;
mod depacketizer;
mod g711;
mod h264;
mod opus;
mod vp8;
mod vp9;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sansrtc::rtp::payload::{
    Depacketizer, DepacketizerConfig, DepacketizerEvent, DepacketizerStats, Gap, PacketMeta,
    Packetizer, PayloadFormat,
};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

/// Counts allocations for `alloc.rs`.
#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// The one wall-clock read of this binary: every other instant is an offset from it.
pub(crate) fn epoch() -> Instant {
    Instant::now()
}

/// One packet as the harness carries it.
#[derive(Debug, Clone)]
pub(crate) struct Packet {
    pub(crate) meta: PacketMeta,
    pub(crate) payload: Vec<u8>,
}

/// A frame as the depacketizer handed it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutFrame {
    pub(crate) data: Vec<u8>,
    pub(crate) timestamp: u32,
    pub(crate) is_keyframe: bool,
}

/// Everything a depacketizer produced.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) frames: Vec<OutFrame>,
    pub(crate) gaps: Vec<Gap>,
    /// Frames and gaps in order: `Ok(frame index)` or `Err(gap index)`.
    pub(crate) order: Vec<Result<usize, usize>>,
    pub(crate) stats: DepacketizerStats,
}

/// Sequence numbers start near the wrap so every test crosses 65535 -> 0.
pub(crate) const FIRST_SEQ: u16 = 0xFFF0;
/// Timestamps start near the wrap too.
pub(crate) const FIRST_TS: u32 = u32::MAX - 4000;

/// Packetizes `frames` in order with `budget`-byte payload buffers; the timestamp advances by
/// `ts_step(frame)` per frame.
pub(crate) fn packetize_all<P: Packetizer>(
    packetizer: &mut P,
    frames: &[Vec<u8>],
    budget: usize,
    ts_step: impl Fn(&[u8]) -> u32,
) -> Vec<Packet> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; budget];
    let (mut seq, mut ts) = (FIRST_SEQ, FIRST_TS);
    for frame in frames {
        let mut packets = packetizer.packetize(frame, ts, seq).expect("valid frame");
        let mut count = 0;
        while let Some(written) = packets.next_into(&mut buf).expect("payload fits") {
            assert!(written.len <= budget && written.len > 0);
            out.push(Packet {
                meta: written.meta,
                payload: buf[..written.len].to_vec(),
            });
            count += 1;
        }
        assert!(count > 0, "a frame gives at least one payload");
        seq = packets.next_seq();
        ts = ts.wrapping_add(ts_step(frame));
    }
    out
}

/// Reorders packets: every packet moves at most `reach` places back (a full shuffle when
/// `reach` >= the count).
pub(crate) fn shuffle(packets: &mut [Packet], seed: u64, reach: usize) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let n = packets.len();
    for i in 0..n {
        let span = reach.min(n - i).max(1);
        let j = i + (rng.next_u64() % span as u64) as usize;
        packets.swap(i, j);
    }
}

/// Feeds every packet (all at `now`), polling after each when `poll_each`, then polls again
/// after `max_wait` so any gap is given up.
pub(crate) fn depacketize_all<F: PayloadFormat>(
    format: F,
    packets: &[Packet],
    poll_each: bool,
) -> Outcome {
    let config = DepacketizerConfig::default();
    let mut depacketizer = Depacketizer::new(format, config);
    let mut outcome = Outcome::default();
    let now = epoch();
    for packet in packets {
        depacketizer.handle_packet(now, packet.meta, &packet.payload);
        if poll_each {
            drain(&mut depacketizer, &mut outcome);
        }
    }
    drain(&mut depacketizer, &mut outcome);
    depacketizer.handle_timeout(now + config.max_wait);
    drain(&mut depacketizer, &mut outcome);
    assert_eq!(depacketizer.poll_timeout(), None, "nothing left waiting");
    outcome.stats = depacketizer.stats();
    outcome
}

/// Polls every event out of `depacketizer`.
pub(crate) fn drain<F: PayloadFormat>(depacketizer: &mut Depacketizer<F>, outcome: &mut Outcome) {
    while let Some(event) = depacketizer.poll_event() {
        match event {
            DepacketizerEvent::Frame(frame) => {
                outcome.order.push(Ok(outcome.frames.len()));
                outcome.frames.push(OutFrame {
                    data: frame.data.to_vec(),
                    timestamp: frame.timestamp,
                    is_keyframe: frame.is_keyframe,
                });
            }
            DepacketizerEvent::Gap(gap) => {
                outcome.order.push(Err(outcome.gaps.len()));
                outcome.gaps.push(gap);
            }
        }
    }
}

/// Random bytes from a seeded generator.
pub(crate) fn random_bytes(rng: &mut ChaCha20Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rng.fill_bytes(&mut out);
    out
}

/// Round trip: packetize `frames`, reorder them with `seed`, depacketize, and check that the
/// frames come back equal to `expected`, in order, none lost. Runs both a full shuffle (fed
/// before polling) and a local reorder polled after every packet.
pub(crate) fn check_round_trip<P: Packetizer, F: PayloadFormat + Clone>(
    mut packetizer: P,
    format: F,
    frames: &[Vec<u8>],
    expected: &[Vec<u8>],
    budget: usize,
    seed: u64,
) -> Vec<Packet> {
    let packets = packetize_all(&mut packetizer, frames, budget, |_| 3000);
    assert!(packets.len() < 500, "test too big for the reorder window");
    for (reach, poll_each) in [(packets.len(), false), (4, true)] {
        let mut shuffled = packets.clone();
        if poll_each {
            // The first packet sets the stream's origin; keep it first.
            shuffle(&mut shuffled[1..], seed, reach);
        } else {
            shuffle(&mut shuffled, seed, reach);
        }
        let outcome = depacketize_all(format.clone(), &shuffled, poll_each);
        assert!(
            outcome.gaps.is_empty(),
            "no gap expected: {:?}",
            outcome.gaps
        );
        let got: Vec<&Vec<u8>> = outcome.frames.iter().map(|f| &f.data).collect();
        let want: Vec<&Vec<u8>> = expected.iter().collect();
        assert_eq!(got.len(), want.len(), "frame count (reach {reach})");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                g == w,
                "frame {i} differs: got {} bytes, want {}",
                g.len(),
                w.len()
            );
        }
        for (i, frame) in outcome.frames.iter().enumerate() {
            assert_eq!(frame.timestamp, FIRST_TS.wrapping_add(3000 * i as u32));
        }
    }
    packets
}

/// Loss: frames `[K, D, D, K, D]` (multi-packet), one packet of frame 1 dropped. Expects frame
/// 0, a gap asking for a keyframe, then frames 3 and 4 (frame 2 is dropped while waiting).
pub(crate) fn check_loss_resumes_at_keyframe<P: Packetizer, F: PayloadFormat>(
    mut packetizer: P,
    format: F,
    frames: &[Vec<u8>],
    expected: &[Vec<u8>],
    budget: usize,
    drop_offset: usize,
) {
    assert_eq!(frames.len(), 5);
    let packets = packetize_all(&mut packetizer, frames, budget, |_| 3000);
    let frame1: Vec<usize> = (0..packets.len())
        .filter(|&i| packets[i].meta.timestamp == FIRST_TS.wrapping_add(3000))
        .collect();
    assert!(!frame1.is_empty());
    let dropped = frame1[drop_offset.min(frame1.len() - 1)];
    let kept: Vec<Packet> = packets
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != dropped)
        .map(|(_, p)| p.clone())
        .collect();

    let config = DepacketizerConfig::default();
    let mut depacketizer = Depacketizer::new(format, config);
    let mut outcome = Outcome::default();
    let now = epoch();
    for packet in &kept {
        depacketizer.handle_packet(now, packet.meta, &packet.payload);
        drain(&mut depacketizer, &mut outcome);
    }
    assert_eq!(
        outcome.frames.len(),
        1,
        "only frame 0 before the loss is given up"
    );
    assert_eq!(depacketizer.poll_timeout(), Some(now + config.max_wait));
    depacketizer.handle_timeout(now + config.max_wait - Duration::from_millis(1));
    drain(&mut depacketizer, &mut outcome);
    assert!(outcome.gaps.is_empty(), "not given up before max_wait");
    depacketizer.handle_timeout(now + config.max_wait);
    drain(&mut depacketizer, &mut outcome);

    assert_eq!(
        outcome.order,
        vec![Ok(0), Err(0), Ok(1), Ok(2)],
        "{:?}",
        outcome.gaps
    );
    let gap = outcome.gaps[0];
    assert!(gap.keyframe_needed);
    assert!(gap.packets >= 1);
    assert_eq!(outcome.frames[0].data, expected[0]);
    assert!(outcome.frames[0].is_keyframe);
    assert_eq!(outcome.frames[1].data, expected[3]);
    assert!(outcome.frames[1].is_keyframe, "resumes at the keyframe");
    assert_eq!(outcome.frames[2].data, expected[4]);
    assert!(!outcome.frames[2].is_keyframe);
    let stats = depacketizer.stats();
    assert_eq!(stats.packets_lost, 1);
    // Frame 2 is never handed out: dropped whole while waiting for the keyframe, or, when its
    // start cannot be told (AV1 without N), discarded packet by packet.
    assert!(stats.frames_dropped <= 1);
    assert_eq!(stats.frames_emitted, 3);
}

/// Packets for [`feed_arbitrary`]: sequence step, marker, timestamp choice, payload bytes.
pub(crate) fn arbitrary_packets() -> impl Strategy<Value = Vec<(u8, bool, u8, Vec<u8>)>> {
    proptest::collection::vec(
        (
            any::<u8>(),
            any::<bool>(),
            any::<u8>(),
            proptest::collection::vec(any::<u8>(), 0..40),
        ),
        0..48,
    )
}

/// Arbitrary packets into a depacketizer: nothing may panic, memory stays bounded.
pub(crate) fn feed_arbitrary<F: PayloadFormat>(
    format: F,
    packets: &[(u8, bool, u8, Vec<u8>)],
) -> DepacketizerStats {
    let mut config = DepacketizerConfig::default();
    config.max_packets = 16;
    config.max_frame_size = 4096;
    let mut depacketizer = Depacketizer::new(format, config);
    let mut outcome = Outcome::default();
    let mut now = epoch();
    let mut seq: u16 = 0;
    for (step, marker, ts, payload) in packets {
        seq = seq.wrapping_add(u16::from(*step % 8)).wrapping_sub(2);
        let meta = PacketMeta {
            seq,
            timestamp: u32::from(*ts % 4) * 3000,
            marker: *marker,
        };
        depacketizer.handle_packet(now, meta, payload);
        drain(&mut depacketizer, &mut outcome);
        now += Duration::from_millis(u64::from(*step) * 2);
        depacketizer.handle_timeout(now);
        drain(&mut depacketizer, &mut outcome);
    }
    // Long after the last packet everything is delivered or given up: nothing held.
    depacketizer.handle_timeout(now + config.max_wait);
    drain(&mut depacketizer, &mut outcome);
    assert_eq!(depacketizer.poll_timeout(), None);
    for frame in &outcome.frames {
        assert!(frame.data.len() <= config.max_frame_size);
    }
    depacketizer.stats()
}

/// Random loss: drops packets with probability `loss_percent`, reorders locally, and checks
/// that every frame handed out is an input frame, bit for bit, in order; that the first frame
/// after every gap is a keyframe; and that with no loss every frame comes out.
pub(crate) fn check_random_loss<P: Packetizer, F: PayloadFormat>(
    mut packetizer: P,
    format: F,
    frames: &[Vec<u8>],
    budget: usize,
    loss_percent: u64,
    seed: u64,
) {
    let packets = packetize_all(&mut packetizer, frames, budget, |_| 3000);
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut kept: Vec<Packet> = packets
        .iter()
        .filter(|_| rng.next_u64() % 100 >= loss_percent)
        .cloned()
        .collect();
    let lost = packets.len() - kept.len();
    if kept.len() > 1 {
        shuffle(&mut kept[1..], seed, 3);
    }
    let outcome = depacketize_all(format, &kept, true);
    let mut last_index = None;
    let mut after_gap = false;
    let mut frames_out = outcome.frames.iter();
    for event in &outcome.order {
        match event {
            Err(_) => after_gap = true,
            Ok(_) => {
                let frame = frames_out.next().expect("one frame per event");
                let index = (frame.timestamp.wrapping_sub(FIRST_TS) / 3000) as usize;
                assert!(index < frames.len());
                assert!(frame.data == frames[index], "frame {index} corrupted");
                assert!(last_index.is_none_or(|l| l < index), "out of order");
                if after_gap {
                    assert!(
                        frame.is_keyframe,
                        "frame {index} after a gap is not a keyframe"
                    );
                }
                after_gap = false;
                last_index = Some(index);
            }
        }
    }
    if lost == 0 {
        assert_eq!(outcome.frames.len(), frames.len());
    }
}
