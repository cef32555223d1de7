//! A data channel echoes 100 messages each way (6 B to 16 KiB), over a clean link and with
//! 5% loss each way.

use std::time::Duration;

use sansrtc_tests::interop::{InteropPeer, RtcPeer, Scenario, Str0mPeer};
use sansrtc_tests::sim::{LinkConfig, LinkDirection, seed_from_env};

/// Originals each side sends (each is echoed back).
const MESSAGES: u32 = 100;

/// Each access link: 10 ms each way, so 20 ms between the hosts; `loss` on the uplinks only,
/// so each datagram is lost with probability `loss`.
fn link(loss: f64) -> LinkConfig {
    let clean = LinkDirection::default().with_latency(Duration::from_millis(10));
    LinkConfig::new(clean.with_loss(loss), clean)
}

/// Both sides queue 100 originals before the channel opens; each echoes what it receives.
fn echo<O: InteropPeer, A: InteropPeer>(seed: u64, loss: f64) {
    let mut sc = Scenario::new::<O, A>(seed_from_env(seed), link(loss), false);
    sc.queue_messages::<O, A>(MESSAGES);
    let done = sc.run_until_echoed::<O, A>(MESSAGES, Duration::from_secs(120));
    let (o, a) = (sc.offerer::<O>().state(), sc.answerer::<A>().state());
    assert!(
        done,
        "{} -> {}: echo did not finish in 120 s of virtual time; offerer {:?}, answerer {:?}",
        sc.offerer::<O>().stack(),
        sc.answerer::<A>().stack(),
        o.counters,
        a.counters
    );
    if let Err(e) = sc.check_echo::<O, A>(MESSAGES) {
        panic!("{e}");
    }
    assert_eq!(o.errors, [], "offerer errors");
    assert_eq!(a.errors, [], "answerer errors");
    assert_eq!(o.counters.messages_sent, 2 * u64::from(MESSAGES));
    assert_eq!(a.counters.messages_sent, 2 * u64::from(MESSAGES));
    let stats = sc.sim.stats();
    if loss > 0.0 {
        assert!(
            stats.dropped.total() > 0,
            "the link dropped nothing: {stats:?}"
        );
    }
    println!(
        "{} -> {}, loss {loss}: done at {:?}, {} datagrams sent, {} dropped",
        sc.offerer::<O>().stack(),
        sc.answerer::<A>().stack(),
        sc.sim.elapsed(),
        stats.sent,
        stats.dropped.total()
    );
}

#[test]
fn interop_str0m_rtc_datachannel_echo() {
    echo::<Str0mPeer, RtcPeer>(7100, 0.0);
}

#[test]
fn interop_rtc_str0m_datachannel_echo() {
    echo::<RtcPeer, Str0mPeer>(7101, 0.0);
}

#[test]
fn interop_str0m_rtc_datachannel_echo_loss() {
    echo::<Str0mPeer, RtcPeer>(7102, 0.05);
}

#[test]
fn interop_rtc_str0m_datachannel_echo_loss() {
    echo::<RtcPeer, Str0mPeer>(7103, 0.05);
}

#[test]
fn interop_str0m_str0m_datachannel_echo() {
    echo::<Str0mPeer, Str0mPeer>(7104, 0.0);
}

#[test]
fn interop_rtc_rtc_datachannel_echo() {
    echo::<RtcPeer, RtcPeer>(7105, 0.0);
}
