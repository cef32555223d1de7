//! A data channel echoes 100 messages each way (6 B to 16 KiB), over a clean link and with
//! 5% loss each way. Loss starts once the channel is open: `rtc` 0.21.1 does not always
//! finish its DTLS handshake under loss (see `handshake_loss_sweep`), and these tests are
//! about the channel.

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

/// The channel opens over a clean link, then the link turns lossy (`loss`) and both sides
/// queue 100 originals; each echoes what it receives.
fn echo<O: InteropPeer, A: InteropPeer>(seed: u64, loss: f64) {
    let mut sc = Scenario::new::<O, A>(seed_from_env(seed), link(0.0), false);
    assert!(
        sc.run_until_open::<O, A>(Duration::from_secs(10)),
        "channel not open within 10 s"
    );
    sc.sim.set_link(sc.offerer, link(loss));
    sc.sim.set_link(sc.answerer, link(loss));
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

/// How often the DTLS handshake (and so the whole setup) fails with 5% loss from the start,
/// over 40 seeds per pair; prints the failing seeds and the errors the stacks reported. A
/// sweep, so ignored by default: `cargo test -p sansrtc-tests --test interop -- --ignored
/// --nocapture handshake_loss_sweep`. With 0.21.1, rtc fails a few seeds in 40 as the DTLS
/// client (no retransmission of its flight after loss; str0m gives up with a handshake
/// timeout) and against itself (`invalid state machine transition` from `handle_timeout`);
/// str0m against str0m fails none.
#[test]
#[ignore = "sweep over 160 setups; run by hand"]
fn interop_handshake_loss_sweep() {
    fn sweep<O: InteropPeer, A: InteropPeer>() -> usize {
        let mut failed = Vec::new();
        for seed in 0..40 {
            let mut sc = Scenario::new::<O, A>(seed, link(0.05), false);
            if !sc.run_until_open::<O, A>(Duration::from_secs(60)) {
                let (o, a) = (sc.offerer::<O>().state(), sc.answerer::<A>().state());
                failed.push((seed, o.errors.clone(), a.errors.clone()));
            }
        }
        let names = (sc_name::<O>(), sc_name::<A>());
        println!(
            "{} -> {}: {} of 40 failed: {failed:?}",
            names.0,
            names.1,
            failed.len()
        );
        failed.len()
    }
    fn sc_name<P: InteropPeer>() -> &'static str {
        std::any::type_name::<P>()
            .rsplit("::")
            .next()
            .unwrap_or("?")
    }
    sweep::<Str0mPeer, RtcPeer>();
    sweep::<RtcPeer, Str0mPeer>();
    sweep::<RtcPeer, RtcPeer>();
    assert_eq!(sweep::<Str0mPeer, Str0mPeer>(), 0, "str0m against itself");
}
