//! Renegotiation, ICE restart, close, and what setup costs.

use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::rtc::{Event, PeerState};
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc_tests::rtc::{RtcPair, RtcPeer};
use sansrtc_tests::sim::{LinkConfig, seed_from_env};

fn connected_pair(seed: u64) -> RtcPair {
    let mut pair = RtcPair::new(seed, LinkConfig::with_latency(Duration::from_millis(25)));
    let now = pair.sim.now();
    pair.a()
        .rtc
        .open_channel(now, ChannelConfig::new("data"))
        .expect("open");
    pair.negotiate();
    assert!(
        pair.connect(Duration::from_secs(10)),
        "{}",
        pair.sim.replay_hint()
    );
    pair.sim.run_for(Duration::from_secs(1));
    pair
}

#[test]
fn rtc_renegotiate_adds_a_track_and_a_channel() {
    let mut pair = connected_pair(seed_from_env(30));
    pair.b().echo_frames = true;
    let video = pair
        .a()
        .rtc
        .add_track(MediaKind::Video, Direction::SendRecv);
    let now = pair.sim.now();
    let second = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("second"))
        .expect("open");
    pair.negotiate();
    pair.sim.run_for(Duration::from_secs(1));
    assert!(pair.b().rtc.tracks().any(|t| t.mid == video));
    assert_eq!(pair.a().open_channel_labelled("second"), Some(second));
    let now = pair.sim.now();
    let mut frame = vec![0u8; 3000];
    frame[1] = 9;
    pair.a()
        .rtc
        .write_frame(now, &video, None, sansrtc::rtp::RtpTimestamp(0), &frame)
        .expect("frame");
    pair.sim.run_for(Duration::from_secs(1));
    assert_eq!(pair.b().frames.len(), 1);
    assert_eq!(pair.a().frames.len(), 1, "echoed back");
    // Now b offers, adding audio.
    let audio = pair
        .b()
        .rtc
        .add_track(MediaKind::Audio, Direction::SendOnly);
    let now = pair.sim.now();
    let offer = pair.b().rtc.create_offer(now).expect("offer");
    let answer = pair.a().rtc.accept_offer(now, &offer).expect("answer");
    pair.b().rtc.accept_answer(now, &answer).expect("accept");
    assert!(
        pair.a()
            .rtc
            .tracks()
            .any(|t| t.mid == audio && t.direction == Direction::RecvOnly)
    );
    assert_eq!(pair.a().rtc.state(), PeerState::Connected);
}

#[test]
fn rtc_ice_restart_keeps_data_flowing() {
    let mut pair = connected_pair(seed_from_env(31));
    pair.b().echo_messages = true;
    let id = pair.a().open_channel_labelled("data").expect("open");
    let now = pair.sim.now();
    let old = pair.a().rtc.local_ufrag().to_owned();
    pair.a().rtc.restart_ice(now);
    assert_ne!(pair.a().rtc.local_ufrag(), old);
    pair.negotiate();
    for i in 0..20u8 {
        let now = pair.sim.now();
        pair.a().rtc.send(now, id, &[i; 100], true).expect("send");
        pair.sim.run_for(Duration::from_millis(100));
    }
    pair.sim.run_for(Duration::from_secs(2));
    assert_eq!(pair.a().messages.len(), 20, "{}", pair.sim.replay_hint());
    let restarts = pair
        .a()
        .events
        .iter()
        .filter(|e| matches!(e, Event::SelectedPairChanged { .. }))
        .count();
    assert!(restarts >= 2, "a new pair was selected after the restart");
    assert_eq!(pair.a().rtc.state(), PeerState::Connected);
}

#[test]
fn rtc_close_is_seen_by_the_peer() {
    let mut pair = connected_pair(seed_from_env(32));
    let now = pair.sim.now();
    pair.a().rtc.close(now);
    pair.sim.run_for(Duration::from_secs(2));
    assert_eq!(pair.a().rtc.state(), PeerState::Closed);
    assert!(pair.a().rtc.poll_timeout().is_none());
    assert_eq!(pair.b().rtc.state(), PeerState::Closed);
    assert!(
        pair.b()
            .events
            .iter()
            .any(|e| matches!(e, Event::Closed(_)))
    );
    let now = pair.sim.now();
    assert!(
        pair.a()
            .rtc
            .open_channel(now, ChannelConfig::new("late"))
            .is_err()
    );
}

/// Setup to the first data-channel message, our peer to our peer: the number of one-way
/// flights (virtual time over the one-way latency) and the virtual time at 25 ms one way.
#[test]
fn rtc_setup_flights_to_first_message() {
    // A datagram crosses the sender's uplink and the receiver's downlink: 12.5 ms each.
    let one_way = Duration::from_millis(25);
    let mut pair = RtcPair::new(seed_from_env(33), LinkConfig::with_latency(one_way / 2));
    let now = pair.sim.now();
    let id = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("first"))
        .expect("open");
    pair.b().echo_messages = true;
    pair.negotiate();
    let start = pair.sim.now();
    let (a, b) = (pair.a, pair.b);
    let sent = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<RtcPeer>(a)
            .open_channel_labelled("first")
            .is_some()
    });
    assert!(sent);
    let now = pair.sim.now();
    pair.a().rtc.send(now, id, b"first", false).expect("send");
    assert!(pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        !s.peer::<RtcPeer>(b).messages.is_empty()
    }));
    let elapsed = pair.sim.now() - start;
    let flights = elapsed.as_secs_f64() / one_way.as_secs_f64();
    println!("setup to first message: {elapsed:?} at 25 ms one way = {flights:.1} one-way flights");
    assert!(flights < 20.0, "setup took {flights} flights");
}

/// A real Chromium offer (audio, video and data) gets an answer that accepts all three,
/// sends back on audio and video, and starts nothing until the browser's checks arrive.
#[test]
fn rtc_answers_a_chromium_offer() {
    let offer = include_str!("../../samples/sdp/chromium156-audio-video-dc-offer.sdp");
    let mut pair = RtcPair::new(
        seed_from_env(34),
        LinkConfig::with_latency(Duration::from_millis(5)),
    );
    let now = pair.sim.now();
    let answer = pair.b().rtc.accept_offer(now, offer).expect("answer");
    assert!(answer.contains("a=setup:active"));
    assert!(
        answer.contains("m=audio 5000 UDP/TLS/RTP/SAVPF 111\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("m=video 5000 UDP/TLS/RTP/SAVPF 96 97\r\n"),
        "{answer}"
    );
    assert!(answer.contains("a=sctp-port:5000"));
    assert!(
        answer.contains("a=candidate:"),
        "our host candidate: {answer}"
    );
    assert!(
        answer.contains("a=ssrc:"),
        "we send back on audio and video: {answer}"
    );
    let kinds: Vec<_> = pair
        .b()
        .rtc
        .tracks()
        .map(|t| (t.kind.clone(), t.direction))
        .collect();
    let both = Direction::SendRecv;
    assert_eq!(
        kinds,
        vec![(MediaKind::Video, both), (MediaKind::Audio, both)]
    );
}

#[test]
fn rtc_renegotiate_stops_a_track() {
    let mut pair = RtcPair::new(
        seed_from_env(35),
        LinkConfig::with_latency(Duration::from_millis(10)),
    );
    let audio = pair
        .a()
        .rtc
        .add_track(MediaKind::Audio, Direction::SendRecv);
    let video = pair
        .a()
        .rtc
        .add_track(MediaKind::Video, Direction::SendRecv);
    pair.negotiate();
    assert!(pair.connect(Duration::from_secs(10)));
    pair.a().rtc.stop_track(&video).expect("a track");
    let now = pair.sim.now();
    let frame = [0u8; 100];
    let ts = sansrtc::rtp::RtpTimestamp(0);
    assert!(
        pair.a()
            .rtc
            .write_frame(now, &video, None, ts, &frame)
            .is_err()
    );
    let offer = pair.a().rtc.create_offer(now).expect("offer");
    assert!(offer.contains("m=video 0 "), "{offer}");
    let answer = pair.b().rtc.accept_offer(now, &offer).expect("answer");
    pair.a().rtc.accept_answer(now, &answer).expect("accept");
    let b_video = pair
        .b()
        .rtc
        .tracks()
        .find(|t| t.mid == video)
        .map(|t| t.direction);
    assert_eq!(b_video, Some(Direction::Inactive));
    // The other track keeps flowing.
    pair.a()
        .rtc
        .write_frame(now, &audio, None, ts, &frame)
        .expect("audio still goes");
    pair.sim.run_for(Duration::from_secs(1));
    assert_eq!(pair.b().frames.len(), 1);
    assert_eq!(pair.a().rtc.state(), PeerState::Connected);
}
