//! Media tracks through `Rtc`: frames written on one side arrive whole on the other.

use std::time::Duration;

use sansrtc::Event;
use sansrtc::rtp::RtpTimestamp;
use sansrtc::rtp::payload::Codec;
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc_tests::rtc::{RtcPair, RtcPeer};
use sansrtc_tests::sim::{LinkConfig, LossModel, seed_from_env};

fn vp8_frame(i: usize, len: usize) -> Vec<u8> {
    let mut frame: Vec<u8> = (0..len).map(|j| (i + j * 7) as u8).collect();
    // RFC 7741: the P bit (bit 0 of the first byte) is 0 on keyframes; every 10th here.
    frame[0] = if i.is_multiple_of(10) {
        frame[0] & 0xFE
    } else {
        frame[0] | 0x01
    };
    frame
}

#[test]
fn rtc_media_frames_flow_both_ways() {
    let mut pair = RtcPair::new(
        seed_from_env(20),
        LinkConfig::with_latency(Duration::from_millis(20)),
    );
    let audio = pair
        .a()
        .rtc
        .add_track(MediaKind::Audio, Direction::SendRecv);
    let video = pair
        .a()
        .rtc
        .add_track(MediaKind::Video, Direction::SendRecv);
    pair.b().echo_frames = true;
    pair.negotiate();
    assert!(
        pair.connect(Duration::from_secs(10)),
        "{}",
        pair.sim.replay_hint()
    );
    let tracks: Vec<_> = pair
        .b()
        .rtc
        .tracks()
        .map(|t| (t.mid, t.kind.clone()))
        .collect();
    assert_eq!(
        tracks,
        vec![(audio, MediaKind::Audio), (video, MediaKind::Video)]
    );
    let frames = 50;
    for i in 0..frames {
        let now = pair.sim.now();
        let opus: Vec<u8> = (0..120).map(|j| (i + j) as u8).collect();
        let ts = RtpTimestamp(i as u32 * 960);
        pair.a()
            .rtc
            .write_frame(now, &audio, None, ts, &opus)
            .expect("audio frame");
        let ts = RtpTimestamp(i as u32 * 3000);
        let len = 500 + (i * 997) % 12_000;
        pair.a()
            .rtc
            .write_frame(now, &video, None, ts, &vp8_frame(i, len))
            .expect("video frame");
        pair.sim.run_for(Duration::from_millis(33));
    }
    pair.sim.run_for(Duration::from_secs(1));
    let b_frames = &pair.b().frames;
    let b_audio = b_frames.iter().filter(|f| f.mid == audio).count();
    let b_video: Vec<_> = b_frames.iter().filter(|f| f.mid == video).collect();
    assert_eq!(b_audio, frames);
    assert_eq!(b_video.len(), frames);
    for (i, f) in b_video.iter().enumerate() {
        assert_eq!(f.codec, Codec::Vp8);
        assert_eq!(
            f.data.as_ref(),
            vp8_frame(i, 500 + (i * 997) % 12_000).as_slice()
        );
        assert_eq!(f.keyframe, i.is_multiple_of(10));
    }
    // b sent every frame back on the same tracks.
    let a: &RtcPeer = pair.sim.peer(pair.a);
    assert_eq!(a.frames.iter().filter(|f| f.mid == audio).count(), frames);
    assert_eq!(a.frames.iter().filter(|f| f.mid == video).count(), frames);
}

/// With 5% loss each way, NACK and RTX (RFC 4588) recover the video: every frame arrives
/// whole, and the reports carry a round-trip time.
#[test]
fn rtc_media_nack_recovers_loss_and_reports_flow() {
    let mut link = LinkConfig::with_latency(Duration::from_millis(20));
    let mut pair = RtcPair::new(seed_from_env(21), link);
    let video = pair
        .a()
        .rtc
        .add_track(MediaKind::Video, Direction::SendOnly);
    pair.negotiate();
    assert!(
        pair.connect(Duration::from_secs(10)),
        "{}",
        pair.sim.replay_hint()
    );
    link.up.loss = LossModel::Random(0.05);
    link.down.loss = LossModel::Random(0.05);
    pair.sim.set_link(pair.a, link);
    pair.sim.set_link(pair.b, link);
    let frames = 150;
    let mut keyframes = 0;
    for i in 0..frames {
        let now = pair.sim.now();
        let ts = RtpTimestamp(i as u32 * 3000);
        let len = 2_000 + (i * 577) % 6_000;
        // A keyframe at the start and whenever the receiver asks (as an encoder would).
        let asked = pair
            .a()
            .events
            .drain(..)
            .any(|e| matches!(e, Event::KeyframeRequest(_)));
        let mut frame = vp8_frame(i, len);
        if i == 0 || asked {
            frame[0] &= 0xFE;
            keyframes += 1;
        } else {
            frame[0] |= 0x01;
        }
        pair.a()
            .rtc
            .write_frame(now, &video, None, ts, &frame)
            .expect("frame");
        pair.sim.run_for(Duration::from_millis(33));
    }
    pair.sim.run_for(Duration::from_secs(2));
    let got = pair.b().frames.len();
    for f in &pair.b().frames {
        let i = (f.rtp_time.0 / 3000) as usize;
        assert_eq!(f.data.len(), 2_000 + (i * 577) % 6_000, "frame {i} intact");
    }
    let stats = pair.a().rtc.stats();
    let track = &stats.tracks[0].1;
    assert!(track.retransmitted_packets_sent > 0, "{track:?}");
    assert!(track.round_trip_time.is_some(), "{track:?}");
    let b_stats = pair.b().rtc.stats();
    let b_track = &b_stats.tracks[0].1;
    assert!(
        b_track.nacks_sent > 0 && b_track.packets_repaired > 0,
        "{b_track:?}"
    );
    // Almost every loss is repaired in time; a frame whose repair was lost too is skipped
    // until the keyframe the receiver asks for.
    assert!(
        got * 100 >= frames * 95,
        "{got} of {frames} frames, {keyframes} keyframes, {b_track:?}: {}",
        pair.sim.replay_hint()
    );
    println!("{got} of {frames} frames with 5% loss each way, {keyframes} keyframes; {b_track:?}");
}
