//! Data channels through `Rtc`, with SDP, over a clean and a lossy network.

use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::datachannel::ChannelSendError;
use sansrtc::rtc::{ChannelId, Event, SendError};
use sansrtc_tests::rtc::RtcPair;
use sansrtc_tests::sim::{LinkConfig, LossModel, seed_from_env};

/// Message sizes from 1 byte to 64 KiB.
fn sizes(n: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| 1 + (i * 7919) % (64 * 1024))
}

fn message(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

/// `a` opens "echo", both negotiate with `a` offering (or `b` when `b_offers`), `b` echoes
/// `n` messages; every echo comes back in order and byte-exact.
fn echo(seed: u64, link: LinkConfig, n: usize, b_offers: bool) {
    let mut pair = RtcPair::new(seed, link);
    let now = pair.sim.now();
    let id = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("echo"))
        .expect("open");
    pair.b().echo_messages = true;
    if b_offers {
        let offer = pair.b().rtc.create_offer(now).expect("offer");
        let answer = pair.a().rtc.accept_offer(now, &offer).expect("answer");
        pair.b().rtc.accept_answer(now, &answer).expect("accept");
    } else {
        pair.negotiate();
    }
    assert!(
        pair.connect(Duration::from_secs(30)),
        "not connected: {}",
        pair.sim.replay_hint()
    );
    let a = pair.a;
    let opened = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<sansrtc_tests::rtc::RtcPeer>(a)
            .open_channel_labelled("echo")
            .is_some()
    });
    assert!(opened, "channel did not open: {}", pair.sim.replay_hint());
    assert_eq!(pair.a().open_channel_labelled("echo"), Some(id));
    // Keep at most 1 MiB queued; wait for the buffer to drain past that.
    for (i, len) in sizes(n).enumerate() {
        while pair.a().rtc.buffered_amount(id) > 1 << 20 {
            pair.sim.run_for(Duration::from_millis(10));
        }
        let now = pair.sim.now();
        pair.a()
            .rtc
            .send(now, id, &message(i, len), i % 2 == 0)
            .expect("send");
    }
    let done = pair.sim.run_until_cond(Duration::from_secs(120), |s| {
        s.peer::<sansrtc_tests::rtc::RtcPeer>(a).messages.len() >= n
    });
    let (got, refused) = (pair.a().messages.len(), pair.b().echo_errors);
    let b_got = pair.b().messages.len();
    assert!(
        done,
        "{got} of {n} echoed, b got {b_got}, {refused} echoes refused: {}",
        pair.sim.replay_hint()
    );
    for (i, ((ch, data), len)) in pair.a().messages.iter().zip(sizes(n)).enumerate() {
        assert_eq!(*ch, id);
        assert_eq!(data, &message(i, len), "message {i}");
    }
    assert_eq!(pair.b().echo_errors, 0);
    let stats = pair.a().rtc.channel_stats(id).expect("the channel");
    assert_eq!(
        (stats.messages_sent, stats.messages_received),
        (n as u64, n as u64)
    );
    let bytes: u64 = sizes(n).map(|l| l as u64).sum();
    assert_eq!((stats.bytes_sent, stats.bytes_received), (bytes, bytes));
}

#[test]
fn rtc_datachannel_echo_a_offers() {
    echo(
        seed_from_env(1),
        LinkConfig::with_latency(Duration::from_millis(25)),
        200,
        false,
    );
}

#[test]
fn rtc_datachannel_echo_b_offers() {
    echo(
        seed_from_env(2),
        LinkConfig::with_latency(Duration::from_millis(25)),
        200,
        true,
    );
}

#[test]
fn rtc_datachannel_echo_with_5_percent_loss() {
    let mut link = LinkConfig::with_latency(Duration::from_millis(25));
    link.up.loss = LossModel::Random(0.05);
    link.down.loss = LossModel::Random(0.05);
    for seed in 0..3 {
        echo(seed_from_env(10 + seed), link, 100, seed % 2 == 1);
    }
}

#[test]
fn rtc_datachannel_too_large_for_the_peer_is_refused() {
    let mut pair = RtcPair::new(
        seed_from_env(3),
        LinkConfig::with_latency(Duration::from_millis(10)),
    );
    let now = pair.sim.now();
    let id = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("big"))
        .expect("open");
    pair.negotiate();
    assert!(pair.connect(Duration::from_secs(10)));
    pair.sim.run_for(Duration::from_secs(1));
    let now = pair.sim.now();
    // Both sides announce 262144 bytes (RFC 8841 a=max-message-size).
    let err = pair
        .a()
        .rtc
        .send(now, id, &vec![0; 262_145], true)
        .unwrap_err();
    assert_eq!(
        err,
        SendError::Channel(ChannelSendError::TooLarge {
            size: 262_145,
            max: 262_144
        })
    );
    pair.a()
        .rtc
        .send(now, id, &vec![7; 262_144], true)
        .expect("the limit itself is fine");
    let b = pair.b;
    assert!(pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        !s.peer::<sansrtc_tests::rtc::RtcPeer>(b).messages.is_empty()
    }));
    assert_eq!(pair.b().messages[0].1.len(), 262_144);
}

#[test]
fn rtc_datachannel_close_seen_by_both() {
    let mut pair = RtcPair::new(
        seed_from_env(4),
        LinkConfig::with_latency(Duration::from_millis(10)),
    );
    let now = pair.sim.now();
    let id = pair
        .a()
        .rtc
        .open_channel(now, ChannelConfig::new("c"))
        .expect("open");
    pair.negotiate();
    assert!(pair.connect(Duration::from_secs(10)));
    pair.sim.run_for(Duration::from_secs(1));
    let remote: ChannelId = pair.b().open_channel_labelled("c").expect("b has it");
    let now = pair.sim.now();
    pair.a().rtc.close_channel(now, id);
    pair.sim.run_for(Duration::from_secs(2));
    assert!(pair.a().events.contains(&Event::ChannelClosed(id)));
    assert!(pair.b().events.contains(&Event::ChannelClosed(remote)));
    let now = pair.sim.now();
    assert_eq!(
        pair.a().rtc.send(now, id, b"x", false),
        Err(SendError::UnknownChannel)
    );
}
