//! Headless Chromium against the browser echo example (`driver-tokio/examples/echo`), each test
//! inside its own loopback-only network namespace: see `sansrtc_tests::browser` for how.
//!
//! Needs root (or unprivileged user namespaces), and Debian's chromium, chromium-driver,
//! iproute2 and util-linux; a missing one fails the test with the package to install.
//! `cargo test -p sansrtc-tests --test browser -- --nocapture` shows the page's log and timings.

use std::time::Duration;

use sansrtc_tests::browser::{isolated, open_page};

use crate::coturn::Coturn;

#[path = "../support/coturn.rs"]
mod coturn;

/// The harness itself: the namespace, chromedriver, headless Chromium with its fake camera and
/// microphone, ICE gathering on loopback, and the echo server's page and `/offer` errors. Passes
/// whether or not the echo server's peer connection answers offers yet.
#[test]
fn browser_chromium_harness() {
    let timeout = Duration::from_secs(60);
    isolated("browser_chromium_harness", timeout, || {
        let page = open_page("mode=harness", timeout);
        page.assert_pass();
        let devices = page.log.lines().find(|l| l.contains("] getUserMedia: "));
        assert!(
            devices.is_some_and(|l| l.contains("audio \"") && l.contains("video \"")),
            "no fake camera and microphone:\n{}",
            page.log
        );
        assert!(
            page.server_exit.is_some_and(|s| s.success()),
            "the echo server did not exit cleanly on SIGTERM: {:?}",
            page.server_exit
        );
        // Loopback is all there is in the namespace, and Chromium gathers it.
        assert!(
            page.log.contains(" 127.0.0.1:"),
            "no ICE candidate on 127.0.0.1:\n{}",
            page.log
        );
    });
}

/// 1000 messages from 1 byte to 64 KiB, half text and half binary, on a reliable ordered channel,
/// an unordered one and a max-retransmits-0 one at once, all echoed byte-exact.
#[test]
fn browser_chromium_datachannel() {
    let timeout = Duration::from_secs(180);
    isolated("browser_chromium_datachannel", timeout, || {
        open_page("dc=reliable,unordered,rexmit0&count=1000", timeout).assert_pass();
    });
}

/// Chromium's fake camera as VP8 and its fake microphone as Opus come back and are decoded.
#[test]
fn browser_chromium_media_vp8() {
    let timeout = Duration::from_secs(60);
    isolated("browser_chromium_media_vp8", timeout, || {
        open_page("dc=none&media=vp8", timeout).assert_pass();
    });
}

/// Chromium's fake camera as H.264 and its fake microphone as Opus come back and are decoded.
#[test]
fn browser_chromium_media_h264() {
    let timeout = Duration::from_secs(60);
    isolated("browser_chromium_media_h264", timeout, || {
        open_page("dc=none&media=h264", timeout).assert_pass();
    });
}

/// The page itself against Chromium's own WebRTC (`mode=local`: a second peer connection in the
/// page echoes instead of the server): data channels as in `browser_chromium_datachannel` and
/// VP8 media, so a failure of the tests above points at the server, not at the page. The
/// max-retransmits-0 channel may lose a few messages here (`maxloss=20`, reported in the log):
/// two Chromiums in one busy process on two cores are not what that channel's test is about.
#[test]
fn browser_chromium_page_selftest() {
    let timeout = Duration::from_secs(120);
    isolated("browser_chromium_page_selftest", timeout, || {
        open_page(
            "mode=local&dc=reliable,unordered,rexmit0&count=1000&maxloss=20&media=vp8",
            timeout,
        )
        .assert_pass();
    });
}

/// Any page query, for trying things by hand:
/// `SANSRTC_BROWSER_QUERY='dc=reliable&count=10&media=h264' cargo test -p sansrtc-tests
/// --test browser -- --ignored browser_chromium_custom_query --nocapture`.
#[test]
#[ignore = "by hand: set SANSRTC_BROWSER_QUERY"]
fn browser_chromium_custom_query() {
    let query = std::env::var("SANSRTC_BROWSER_QUERY").unwrap_or_else(|_| "mode=harness".into());
    let timeout = Duration::from_secs(180);
    isolated("browser_chromium_custom_query", timeout, || {
        open_page(&query, timeout).assert_pass();
    });
}

/// The server offers and Chromium answers (`offerer=server`): a data channel the page opens
/// echoes, and VP8 video and Opus audio on the tracks the server offered loop back.
#[test]
fn browser_chromium_server_offers() {
    let timeout = Duration::from_secs(90);
    isolated("browser_chromium_server_offers", timeout, || {
        open_page("offerer=server&dc=reliable&count=200&media=vp8", timeout).assert_pass();
    });
}

/// Chromium behind a TURN relay (`iceTransportPolicy: "relay"` through coturn, inside the
/// test's namespace) reaches the echo server, which sees the relay's address as the peer:
/// 200 messages on a reliable channel echo, and the page's selected path is `relay`.
#[test]
fn browser_chromium_datachannel_via_coturn() {
    let timeout = Duration::from_secs(90);
    isolated("browser_chromium_datachannel_via_coturn", timeout, || {
        let coturn = Coturn::start();
        let query = format!(
            "dc=reliable&count=200&turn=turn:{}&turnuser={}&turnpass={}&policy=relay",
            coturn.addr, coturn.username, coturn.password
        );
        let page = open_page(&query, timeout);
        page.assert_pass();
        assert!(
            page.title.contains("path=relay"),
            "the page used a relayed path: {:?}",
            page.title
        );
        let log = coturn.log();
        assert!(
            log.contains("ALLOCATE processed, success") && log.contains("CHANNEL_BIND processed"),
            "coturn allocated and bound a channel:\n{log}"
        );
    });
}
