//! Setup to the first data-channel message, our peer to our peer, counted in one-way flights
//! (see `sansrtc_tests::flights`). ICE takes 2; the DTLS 1.2 client sends ClientHello in
//! flight 3 and its Finished in 5, and has the server's Finished after 6. SNAP (`a=sctp-init`,
//! or the INIT in the direct parameters) lets each association start established as soon as
//! its DTLS is up, so:
//!
//! - when the channel's opener is the DTLS server (it offered; the answerer is `active`, as in
//!   the interop setup figures), its DATA_CHANNEL_OPEN and first message ride with its
//!   Finished: 6 flights;
//! - when the opener is the DTLS client (it answered, or it controls in the direct API), they
//!   ride with its own Finished by TLS False Start (RFC 7918): 5. Without False Start they
//!   would wait for the server's Finished: 7.
//!
//! Without SNAP the four-way SCTP handshake adds 2 more, the data riding behind COOKIE ECHO
//! (RFC 9260 section 5.1) when the opener sends it, or with COOKIE ACK otherwise.

use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc_tests::rtc::{RtcPair, RtcPeer};
use sansrtc_tests::sim::{LinkConfig, LossModel, seed_from_env};

/// How the two peers find each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signalling {
    /// `a` offers, `b` answers.
    AOffers,
    /// `b` offers, `a` answers.
    BOffers,
    /// The direct API, `a` controlling.
    Direct,
}

/// `a` opens a channel before signalling; each side sends a message on the first channel it
/// sees open. Returns the flight of the first message delivered on either side.
fn first_message_flight(seed: u64, how: Signalling, snap: bool) -> u32 {
    first_message_flight_with(seed, how, [snap, snap])
}

/// As [`first_message_flight`], with SNAP on or off on `a` and `b` apart.
fn first_message_flight_with(seed: u64, how: Signalling, snap: [bool; 2]) -> u32 {
    first_message_flight_full(seed, how, snap, true)
}

/// As [`first_message_flight_with`], with DTLS False Start on or off on both.
fn first_message_flight_full(
    seed: u64,
    how: Signalling,
    snap: [bool; 2],
    false_start: bool,
) -> u32 {
    let one_way = Duration::from_millis(25);
    let mut pair = RtcPair::new_with(seed, LinkConfig::with_latency(one_way / 2), |host, c| {
        c.sctp_snap = snap[usize::from(host == "b")];
        c.dtls_false_start = false_start;
    });
    pair.count_flights();
    let now = pair.sim.now();
    pair.a()
        .rtc
        .open_channel(now, ChannelConfig::new("first"))
        .expect("open");
    pair.a().greeting = Some(b"from a".to_vec());
    pair.b().greeting = Some(b"from b".to_vec());
    match how {
        Signalling::AOffers => pair.negotiate(),
        Signalling::BOffers => {
            let offer = pair.b().rtc.create_offer(now).expect("offer");
            let answer = pair.a().rtc.accept_offer(now, &offer).expect("answer");
            pair.b().rtc.accept_answer(now, &answer).expect("accept");
        }
        Signalling::Direct => {
            let pa = pair.a().rtc.direct_parameters();
            let pb = pair.b().rtc.direct_parameters();
            pair.a()
                .rtc
                .direct_connect(now, pb, true)
                .expect("direct a");
            pair.b()
                .rtc
                .direct_connect(now, pa, false)
                .expect("direct b");
        }
    }
    let (a, b) = (pair.a, pair.b);
    let arrived = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<RtcPeer>(a).first_message_flight.is_some()
            || s.peer::<RtcPeer>(b).first_message_flight.is_some()
    });
    assert!(arrived, "no message: {}", pair.sim.replay_hint());
    let fa = pair.a().first_message_flight.unwrap_or(u32::MAX);
    let fb = pair.b().first_message_flight.unwrap_or(u32::MAX);
    let flights = fa.min(fb);
    // Both messages arrive, the later one at most a flight behind.
    let both = pair.sim.run_until_cond(Duration::from_secs(10), |s| {
        s.peer::<RtcPeer>(a).first_message_flight.is_some()
            && s.peer::<RtcPeer>(b).first_message_flight.is_some()
    });
    assert!(both, "one side got no message: {}", pair.sim.replay_hint());
    println!("{how:?} snap={snap:?}: first message after {flights} one-way flights");
    flights
}

#[test]
fn rtc_setup_first_message_within_6_flights_a_offers() {
    let f = first_message_flight(seed_from_env(60), Signalling::AOffers, true);
    assert!(f <= 6, "{f} flights");
}

/// The opener is the DTLS client: its data leaves with its Finished (False Start).
#[test]
fn rtc_setup_first_message_within_5_flights_b_offers() {
    let f = first_message_flight(seed_from_env(61), Signalling::BOffers, true);
    assert!(f <= 5, "{f} flights");
}

/// The direct API: the controlling side is the DTLS client and opens the channel.
#[test]
fn rtc_setup_first_message_within_5_flights_direct() {
    let f = first_message_flight(seed_from_env(62), Signalling::Direct, true);
    assert!(f <= 5, "{f} flights");
}

/// With False Start off, the DTLS client's data waits for the server's Finished: 7 (and the
/// DTLS server's is unchanged at 6).
#[test]
fn rtc_setup_without_false_start_waits_for_the_server_finished() {
    for (seed, how, most) in [
        (71, Signalling::AOffers, 6),
        (72, Signalling::BOffers, 7),
        (73, Signalling::Direct, 7),
    ] {
        let f = first_message_flight_full(seed_from_env(seed), how, [true, true], false);
        assert_eq!(f, most, "{how:?}: {f} flights");
    }
}

/// Without SNAP the four-way handshake runs: DATA behind COOKIE ECHO when the opener echoes
/// the cookie. The DTLS server's INIT leaves with its Finished (flight 6), so its data comes
/// in 8; the DTLS client's INIT leaves with its own Finished (False Start, flight 5), so its
/// data comes in 7 (9 without False Start).
#[test]
fn rtc_setup_without_snap_takes_the_handshake() {
    for (seed, how, most) in [
        (63, Signalling::AOffers, 8),
        (64, Signalling::BOffers, 7),
        (65, Signalling::Direct, 7),
    ] {
        let f = first_message_flight(seed_from_env(seed), how, false);
        assert!(f <= most, "{how:?}: {f} flights");
    }
}

/// SNAP only when both sides carry an INIT: with it off on one side, the offer or the answer
/// has no `a=sctp-init` (or one side's direct parameters no INIT), both run the handshake, and
/// the message still arrives: in 8 when the opener is the DTLS server, in 7 when it is the
/// client (its INIT leaves with its Finished, by False Start).
#[test]
fn rtc_setup_falls_back_to_the_handshake_when_one_side_has_no_snap() {
    for (seed, how, snap) in [
        (66, Signalling::AOffers, [true, false]),
        (67, Signalling::AOffers, [false, true]),
        (68, Signalling::Direct, [true, false]),
        (69, Signalling::Direct, [false, true]),
    ] {
        let f = first_message_flight_with(seed_from_env(seed), how, snap);
        let expected = if how == Signalling::Direct { 7 } else { 8 };
        assert_eq!(f, expected, "{how:?} {snap:?}: {f} flights");
    }
}

/// The attribute is in our offers, and in our answers only to offers that carry one.
#[test]
fn rtc_sctp_init_in_offer_and_answer() {
    let pair = |snap: [bool; 2]| {
        RtcPair::new_with(
            seed_from_env(70),
            LinkConfig::with_latency(Duration::from_millis(10)),
            move |host, c| {
                c.sctp_snap = snap[usize::from(host == "b")];
            },
        )
    };
    for (snap, in_offer, in_answer) in [
        ([true, true], true, true),
        ([true, false], true, false),
        ([false, true], false, false),
    ] {
        let mut p = pair(snap);
        let now = p.sim.now();
        p.a()
            .rtc
            .open_channel(now, ChannelConfig::new("x"))
            .expect("open");
        let offer = p.a().rtc.create_offer(now).expect("offer");
        let answer = p.b().rtc.accept_offer(now, &offer).expect("answer");
        assert_eq!(
            offer.contains("\r\na=sctp-init:"),
            in_offer,
            "{snap:?}\n{offer}"
        );
        assert_eq!(
            answer.contains("\r\na=sctp-init:"),
            in_answer,
            "{snap:?}\n{answer}"
        );
        // An association that runs the handshake never announces its INIT again.
        let direct = p.b().rtc.direct_parameters();
        assert_eq!(direct.sctp_init.is_some(), in_answer);
    }
}

/// Setup under loss, SNAP on and off: the message arrives whatever is lost (the DATA behind a
/// lost COOKIE ECHO, the first DATA of an association started by SNAP). Heavier loss (20 % per
/// link) fails a few seeds in 100, with or without SNAP: an association that gives up
/// retransmitting (Association.Max.Retrans, Max.Init.Retransmits) before the peer's DTLS has
/// the last handshake flight, or ICE failing outright.
fn setup_under_loss(seeds: std::ops::Range<u64>) {
    for seed in seeds {
        for snap in [true, false] {
            let mut link = LinkConfig::with_latency(Duration::from_millis(10));
            // 10 % on each access link: about 19 % host to host.
            link.up.loss = LossModel::Random(0.1);
            link.down.loss = LossModel::Random(0.1);
            let mut pair = RtcPair::new_with(seed_from_env(seed), link, |_, c| {
                c.sctp_snap = snap;
            });
            let now = pair.sim.now();
            pair.a()
                .rtc
                .open_channel(now, ChannelConfig::new("lossy"))
                .expect("open");
            pair.a().greeting = Some(b"from a".to_vec());
            pair.b().greeting = Some(b"from b".to_vec());
            pair.negotiate();
            let (a, b) = (pair.a, pair.b);
            let both = pair.sim.run_until_cond(Duration::from_secs(60), |s| {
                !s.peer::<RtcPeer>(a).messages.is_empty()
                    && !s.peer::<RtcPeer>(b).messages.is_empty()
            });
            // On failure: peer and ICE states, messages, SCTP packets received, close reasons.
            let state = |p: &RtcPeer| {
                let closed: Vec<String> = p
                    .events
                    .iter()
                    .filter_map(|e| match e {
                        sansrtc::rtc::Event::Closed(r) => Some(format!("{r:?}")),
                        _ => None,
                    })
                    .collect();
                let sctp = p.rtc.stats().sctp.map(|x| x.packets_received);
                let (peer, ice) = (p.rtc.state(), p.rtc.ice_state());
                (peer, ice, p.messages.len(), sctp, closed)
            };
            let (sa, sb) = (state(pair.a()), state(pair.b()));
            assert!(
                both,
                "snap={snap}: a {sa:?} b {sb:?}: {}",
                pair.sim.replay_hint()
            );
            assert_eq!(pair.b().messages[0].1, b"from a");
            assert_eq!(pair.a().messages[0].1, b"from b");
        }
    }
}

#[test]
fn rtc_setup_under_loss() {
    setup_under_loss(80..84);
}

/// A wider sweep: `cargo test -p sansrtc-tests --test rtc setup_under_loss_sweep -- --ignored`.
#[test]
#[ignore = "sweep"]
fn rtc_setup_under_loss_sweep() {
    setup_under_loss(100..200);
}
