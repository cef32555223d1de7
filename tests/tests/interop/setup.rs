//! Setup figures for the benchmark: flights and virtual time to the first data-channel message.
//!
//! Each access link delays 12.5 ms each way, so a datagram takes 25 ms from host to host.
//! Both sides queue one message before the offer; the figures run from the offer (SDP
//! travels out of band in zero time) to the first message delivered on either side. They
//! are printed for the benchmark and the closing notes, not asserted: the tests assert only
//! that setup completes and that the flight count is consistent with the virtual time.

use std::time::Duration;

use sansrtc_tests::interop::{
    InteropPeer, RtcPeer, SansrtcPeer, Scenario, SetupFigures, Str0mPeer, message,
};
use sansrtc_tests::sim::{LinkConfig, seed_from_env};

/// One way, host to host.
const ONE_WAY: Duration = Duration::from_millis(25);

fn setup<O: InteropPeer, A: InteropPeer>(seed: u64) -> SetupFigures {
    let link = LinkConfig::with_latency(ONE_WAY / 2);
    measure::<O, A>(Scenario::new::<O, A>(seed_from_env(seed), link, false), "")
}

/// Runs `sc` to the first message and prints its figures, `note` after the stack names.
fn measure<O: InteropPeer, A: InteropPeer>(mut sc: Scenario, note: &str) -> SetupFigures {
    let now = sc.sim.now();
    let (o, a) = (sc.offerer, sc.answerer);
    sc.sim
        .peer_mut::<O>(o)
        .send_message(now, &message(1, 0, 100));
    sc.sim
        .peer_mut::<A>(a)
        .send_message(now, &message(2, 0, 100));
    let arrived = sc.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<O>(o).state().first_message.is_some()
            || s.peer::<A>(a).state().first_message.is_some()
    });
    assert!(arrived, "no message within 10 s");
    // Let the other side's message and connection state catch up.
    let both = sc.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<O>(o).is_connected() && s.peer::<A>(a).is_connected()
    });
    assert!(both, "both connected");
    let f = sc.setup_figures::<O, A>().expect("figures");
    let names = (sc.offerer::<O>().stack(), sc.answerer::<A>().stack());
    println!(
        "setup {} -> {}{}: first data-channel message after {} one-way flights, {:?} of virtual \
         time ({:.1} one-way latencies); both connected after {:?}",
        names.0,
        names.1,
        note,
        f.flights,
        f.first_message,
        f.first_message.as_secs_f64() / ONE_WAY.as_secs_f64(),
        f.connected
    );
    // Each flight takes 25 ms, so the time is at least flights x 25 ms; the surplus is time
    // spent waiting on timers. Five is the least: ICE's check and response, then ClientHello,
    // the server's flight, and the client's Finished carrying the data (our DTLS client in
    // False Start, RFC 7918, with SNAP).
    assert!(
        f.flights >= 5,
        "{f:?}: too few flights for ICE, DTLS and SCTP"
    );
    assert!(f.first_message >= ONE_WAY * f.flights, "{f:?}");
    f
}

#[test]
fn interop_str0m_str0m_setup_figures() {
    setup::<Str0mPeer, Str0mPeer>(7300);
}

/// str0m with SNAP (SCTP parameters in the SDP, no SCTP INIT round trip) on both sides.
#[test]
fn interop_str0m_str0m_setup_figures_snap() {
    let link = LinkConfig::with_latency(ONE_WAY / 2);
    let snap = |now, c: &_| {
        Str0mPeer::with_rtc_config(now, c, Str0mPeer::rtc_config().set_snap_enabled(true))
    };
    let sc = Scenario::with_builders(seed_from_env(7304), link, false, snap, snap);
    let f = measure::<Str0mPeer, Str0mPeer>(sc, " (SNAP)");
    assert!(
        f.flights < setup::<Str0mPeer, Str0mPeer>(7300).flights,
        "SNAP saves flights"
    );
}

#[test]
fn interop_rtc_rtc_setup_figures() {
    setup::<RtcPeer, RtcPeer>(7301);
}

#[test]
fn interop_str0m_rtc_setup_figures() {
    setup::<Str0mPeer, RtcPeer>(7302);
}

#[test]
fn interop_rtc_str0m_setup_figures() {
    setup::<RtcPeer, Str0mPeer>(7303);
}

#[test]
fn interop_sansrtc_sansrtc_setup_figures() {
    setup::<SansrtcPeer, SansrtcPeer>(7330);
}

#[test]
fn interop_str0m_sansrtc_setup_figures() {
    setup::<SansrtcPeer, Str0mPeer>(7331);
    setup::<Str0mPeer, SansrtcPeer>(7332);
}

#[test]
fn interop_rtc_sansrtc_setup_figures() {
    setup::<SansrtcPeer, RtcPeer>(7333);
    setup::<RtcPeer, SansrtcPeer>(7334);
}

/// str0m offering with SNAP: we answer its `a=sctp-init` with ours and both skip the SCTP
/// handshake.
#[test]
fn interop_str0m_snap_sansrtc_setup_figures() {
    let link = LinkConfig::with_latency(ONE_WAY / 2);
    let snap = |now, c: &_| {
        Str0mPeer::with_rtc_config(now, c, Str0mPeer::rtc_config().set_snap_enabled(true))
    };
    let sc = Scenario::with_builders(seed_from_env(7335), link, false, snap, SansrtcPeer::build);
    let f = measure::<Str0mPeer, SansrtcPeer>(sc, " (SNAP)");
    assert!(f.flights <= 8, "{f:?}");
}
