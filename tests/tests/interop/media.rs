//! An audio (Opus) and a video (VP8) track flow both ways and arrive as whole frames,
//! depacketized by the receiving stack. As in the data-channel tests, loss starts once the
//! peers are connected.

use std::time::Duration;

use sansrtc_tests::interop::{InteropPeer, RtcPeer, Scenario, Str0mPeer, check_frames};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

/// Audio frames each side sends (20 ms apart: 4 s); video frames follow at 30 fps.
const AUDIO_FRAMES: u32 = 200;

/// Each access link: 10 ms each way; `loss` on the uplinks only, so each datagram is lost
/// with probability `loss`.
fn link(loss: f64) -> LinkConfig {
    let clean = LinkDirection::default().with_latency(Duration::from_millis(10));
    LinkConfig::new(clean.with_loss(loss), clean)
}

/// Both sides send both tracks; returns (audio, video) frames received by offerer and
/// answerer, less what the receiving stack holds back by design (`held_back`), after
/// checking every received frame is intact and sent once.
fn frames<O: InteropPeer, A: InteropPeer>(seed: u64, loss: f64) -> [(u32, u32); 2] {
    let mut sc = Scenario::new::<O, A>(seed_from_env(seed), link(0.0), true);
    assert!(
        sc.run_until_open::<O, A>(Duration::from_secs(10)),
        "not connected within 10 s"
    );
    sc.sim.set_link(sc.offerer, link(loss));
    sc.sim.set_link(sc.answerer, link(loss));
    let ready = sc.exchange_frames::<O, A>(
        AUDIO_FRAMES,
        Duration::from_secs(10),
        Duration::from_secs(2),
    );
    let names = (sc.offerer::<O>().stack(), sc.answerer::<A>().stack());
    let (o, a) = (sc.offerer::<O>().state(), sc.answerer::<A>().state());
    assert!(ready, "{names:?}: tracks not ready; {o:?} {a:?}");
    assert_eq!(o.errors, [], "offerer errors");
    assert_eq!(a.errors, [], "answerer errors");
    let got_o = check_frames(&o.frames).unwrap_or_else(|e| panic!("at the offerer: {e}"));
    let got_a = check_frames(&a.frames).unwrap_or_else(|e| panic!("at the answerer: {e}"));
    println!(
        "{} -> {}, loss {loss}: offerer sent {} frames, got {got_o:?} (audio, video); answerer \
         sent {}, got {got_a:?}",
        names.0, names.1, o.counters.frames_sent, a.counters.frames_sent
    );
    [
        (got_o.0 + held_back(names.0), got_o.1 + held_back(names.0)),
        (got_a.0 + held_back(names.1), got_a.1 + held_back(names.1)),
    ]
}

/// Frames per track a receiving stack keeps by design after the last one sent: `rtc`'s
/// `SampleBuilder` emits a frame only when the next one begins.
fn held_back(stack: &str) -> u32 {
    u32::from(stack == "rtc")
}

/// Video frames sent in the time of `AUDIO_FRAMES` audio frames.
fn video_frames() -> u32 {
    (AUDIO_FRAMES * 20).div_ceil(33)
}

/// On a clean link every frame arrives.
fn all_frames<O: InteropPeer, A: InteropPeer>(seed: u64) {
    for (side, got) in ["offerer", "answerer"]
        .iter()
        .zip(frames::<O, A>(seed, 0.0))
    {
        assert_eq!(got, (AUDIO_FRAMES, video_frames()), "frames at the {side}");
    }
}

/// With 5% loss each way most frames arrive (NACK may repair some; a lost audio packet is a
/// lost frame), and every one that does is intact.
fn most_frames<O: InteropPeer, A: InteropPeer>(seed: u64) {
    for (side, (audio, video)) in ["offerer", "answerer"]
        .iter()
        .zip(frames::<O, A>(seed, 0.05))
    {
        assert!(
            audio >= AUDIO_FRAMES * 8 / 10,
            "audio at the {side}: {audio}"
        );
        assert!(video >= video_frames() / 2, "video at the {side}: {video}");
    }
}

#[test]
fn interop_str0m_rtc_media_frames() {
    all_frames::<Str0mPeer, RtcPeer>(7200);
}

#[test]
fn interop_rtc_str0m_media_frames() {
    all_frames::<RtcPeer, Str0mPeer>(7201);
}

#[test]
fn interop_str0m_rtc_media_frames_loss() {
    most_frames::<Str0mPeer, RtcPeer>(7202);
}

#[test]
fn interop_rtc_str0m_media_frames_loss() {
    most_frames::<RtcPeer, Str0mPeer>(7203);
}

#[test]
fn interop_str0m_str0m_media_frames() {
    all_frames::<Str0mPeer, Str0mPeer>(7204);
}

#[test]
fn interop_rtc_rtc_media_frames() {
    all_frames::<RtcPeer, RtcPeer>(7205);
}
