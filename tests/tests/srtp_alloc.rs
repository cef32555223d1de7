//! SRTP and SRTCP protect and unprotect allocate nothing per packet, for every profile, and
//! neither does an SFU's forward path (unprotect, parse, read extensions, update reception
//! statistics and NACK state, rewrite SSRC, sequence number and an extension in place,
//! protect), counted by the global allocator after a warm-up.
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::time::{Duration, Instant};

use sansrtc::rtp::wire::{Extension, Packet, PacketBuilder};
use sansrtc::rtp::{
    ExtensionKind, ExtensionMap, NackGenerator, Pt, ReceiverStats, RtpTimestamp, SeqNo, Ssrc,
};
use sansrtc::srtp::{Context, MasterKey, Profile};
use sansrtc_tests::alloc::fewest_allocations;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

const PACKETS: u32 = 2_000;

#[test]
fn srtp_protect_unprotect_allocates_nothing_per_packet() {
    for profile in Profile::ALL {
        let key = MasterKey::new(
            profile,
            &vec![3; profile.key_len()],
            &vec![4; profile.salt_len()],
        )
        .unwrap();
        let mut tx = Context::new(&key);
        let mut rx = Context::new(&key);
        let mut rtp = vec![0u8; 1212 + 16];
        rtp[0] = 0x80;
        rtp[8..12].copy_from_slice(&0xDEAD_BEEFu32.to_be_bytes());
        let mut rtcp = vec![0u8; 28 + 20];
        rtcp[..4].copy_from_slice(&[0x80, 201, 0, 6]);
        rtcp[4..8].copy_from_slice(&0xDEAD_BEEFu32.to_be_bytes());

        let mut round = |i: u32| {
            // Spans several sequence-number wraps' worth of indices in steps.
            rtp[2..4].copy_from_slice(&((i * 37) as u16).to_be_bytes());
            let len = tx.protect_rtp(&mut rtp, 1212).unwrap();
            assert_eq!(rx.unprotect_rtp(&mut rtp[..len]), Ok(1212));
            let len = tx.protect_rtcp(&mut rtcp, 28).unwrap();
            assert_eq!(rx.unprotect_rtcp(&mut rtcp[..len]), Ok(28));
        };
        // Warm-up: the first packet of an SSRC takes its slot in the preallocated map.
        for i in 0..10 {
            round(i);
        }
        let change = fewest_allocations(GLOBAL, 3, |trial| {
            let start = 10 + trial * PACKETS;
            for i in start..start + PACKETS {
                round(i);
            }
        });
        println!(
            "{profile:?}: {PACKETS} SRTP + {PACKETS} SRTCP packets protected and unprotected: \
             {} allocations, {} reallocations",
            change.allocations, change.reallocations
        );
        assert_eq!(
            (change.allocations, change.reallocations),
            (0, 0),
            "{profile:?}"
        );
    }

    forward_path_allocates_nothing();
}

/// An SFU forwarding one stream: SRTP in, rewrite, SRTP out.
fn forward_path_allocates_nothing() {
    let profile = Profile::AeadAes128Gcm;
    let inbound = MasterKey::new(profile, &[1; 16], &[2; 12]).unwrap();
    let outbound = MasterKey::new(profile, &[3; 16], &[4; 12]).unwrap();
    let (mut sender, mut rx) = (Context::new(&inbound), Context::new(&inbound));
    let (mut tx, mut viewer) = (Context::new(&outbound), Context::new(&outbound));
    let mut map = ExtensionMap::new();
    map.insert(1, ExtensionKind::Mid).unwrap();
    map.insert(3, ExtensionKind::TransportSequenceNumber)
        .unwrap();
    let mut stats = ReceiverStats::new(Ssrc(5), 90_000);
    let mut nack = NackGenerator::new(256, 10);
    let start = Instant::now();
    let mut buf = vec![0u8; 1500];

    let mut forward = |i: u32| {
        let seq = SeqNo((i * 3) as u16);
        let tw = (i as u16).to_be_bytes();
        let ext = [
            Extension { id: 1, value: b"0" },
            Extension { id: 3, value: &tw },
        ];
        let len = PacketBuilder {
            payload_type: Pt(96),
            sequence_number: seq,
            timestamp: RtpTimestamp(i * 3000),
            ssrc: Ssrc(5),
            extensions: &ext,
            ..Default::default()
        }
        .emit(&mut buf, &[7; 1100])
        .unwrap();
        let len = sender.protect_rtp(&mut buf, len).unwrap();
        // The SFU's part starts here.
        let now = start + Duration::from_millis(u64::from(i) * 33);
        let len = rx.unprotect_rtp(&mut buf[..len]).unwrap();
        let mut packet = Packet::new_checked(&mut buf[..len]).unwrap();
        let values = map.read(&packet);
        assert_eq!(values.mid, Some(&b"0"[..]));
        stats.handle_packet(now, packet.sequence_number(), packet.timestamp());
        nack.handle_packet(packet.sequence_number());
        packet.set_ssrc(Ssrc(6));
        packet.set_sequence_number(SeqNo(i as u16));
        packet.extension_mut(3).unwrap().copy_from_slice(&[0, 1]);
        let len = tx.protect_rtp(&mut buf, len).unwrap();
        assert!(viewer.unprotect_rtp(&mut buf[..len]).is_ok());
    };
    for i in 0..10 {
        forward(i);
    }
    let change = fewest_allocations(GLOBAL, 3, |trial| {
        let start = 10 + trial * PACKETS;
        for i in start..start + PACKETS {
            forward(i);
        }
    });
    println!(
        "SFU forward path: {PACKETS} packets: {} allocations, {} reallocations",
        change.allocations, change.reallocations
    );
    assert_eq!((change.allocations, change.reallocations), (0, 0));
}
