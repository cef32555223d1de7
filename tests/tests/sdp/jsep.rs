//! `sdp_jsep_*`: offers we create, answered by us and checked as a browser would, and
//! renegotiation and ICE restart at the description level.

use proptest::prelude::*;
use sansrtc::sdp::{
    Attribute, Direction, LocalConfig, MediaKind, MediaRequest, Mid, OfferError, SendTrack,
    SessionDescription, Setup, Ssrc, create_answer, create_offer, create_reoffer,
};

use crate::config;

fn mid(s: &str) -> Mid {
    Mid::new(s).unwrap()
}

fn track() -> SendTrack {
    SendTrack {
        stream_id: "stream".into(),
        track_id: "video-1".into(),
        ssrc: Ssrc(1111),
        rtx_ssrc: Some(Ssrc(2222)),
    }
}

/// Our offerer config: audio sendrecv, video sending a track, a data channel.
fn offerer() -> LocalConfig {
    let mut c = config();
    c.media = vec![
        MediaRequest::audio(mid("0"), Direction::SendRecv),
        MediaRequest::video(mid("1"), Direction::SendOnly).with_track(track()),
        MediaRequest::data(mid("2")),
    ];
    c
}

/// The other side: a different identity, answering whatever is offered.
fn answerer() -> LocalConfig {
    let mut c = config();
    c.session_id = 7;
    c.ice_ufrag = "peer".into();
    c
}

fn mids(sd: &SessionDescription) -> Vec<&str> {
    sd.media.iter().map(|m| m.mid().unwrap().as_str()).collect()
}

fn bundle(sd: &SessionDescription) -> Vec<&str> {
    sd.bundle_group()
        .map_or_else(Vec::new, |g| g.mids.iter().map(Mid::as_str).collect())
}

#[test]
fn sdp_jsep_initial_offer() {
    let offer = create_offer(&offerer()).unwrap();
    let text = offer.to_string();
    assert_eq!(SessionDescription::parse(&text).as_ref(), Ok(&offer));
    assert_eq!(mids(&offer), ["0", "1", "2"]);
    assert_eq!(bundle(&offer), ["0", "1", "2"]);
    assert!(
        offer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::ActPass))
    );
    assert!(offer.media.iter().all(|m| m.ice_ufrag() == Some("sAns")));
    let [audio, video, data] = &offer.media[..] else {
        panic!()
    };
    assert_eq!(audio.formats, ["111", "0", "8"]);
    assert_eq!(
        video.formats,
        ["96", "97", "98", "99", "102", "103", "45", "46"]
    );
    assert_eq!(data.formats, ["webrtc-datachannel"]);
    for line in [
        "a=group:BUNDLE 0 1 2\r\n",
        "a=extmap-allow-mixed\r\n",
        "m=audio 40000 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 192.0.2.10\r\na=rtcp:9 IN IP4 0.0.0.0\r\na=candidate:",
        "a=ice-ufrag:sAns\r\na=ice-pwd:sansrtc-password-0123456789\r\na=ice-options:trickle\r\na=fingerprint:sha-256 00:07:",
        "a=setup:actpass\r\na=mid:0\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
        "a=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\na=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:0 PCMU/8000\r\n",
        "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n",
        "a=sendonly\r\na=msid:stream video-1\r\na=rtcp-mux\r\n",
        "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n",
        "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n",
        "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n",
        "a=rtpmap:45 AV1/90000\r\n",
        "a=ssrc-group:FID 1111 2222\r\na=ssrc:1111 cname:sansrtc\r\na=ssrc:1111 msid:stream video-1\r\n",
        "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel\r\n",
        "a=sctp-port:5000\r\na=max-message-size:262144\r\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}

#[test]
fn sdp_jsep_offer_answered_by_us() {
    let offer = create_offer(&offerer()).unwrap();
    let answer = create_answer(&offer, &answerer()).unwrap();
    assert_eq!(mids(&answer), ["0", "1", "2"]);
    assert_eq!(bundle(&answer), ["0", "1", "2"]);
    assert!(
        answer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::Active) && m.ice_ufrag() == Some("peer"))
    );
    let [audio, video, _] = &answer.media[..] else {
        panic!()
    };
    assert_eq!(audio.formats, ["111", "0", "8"]);
    assert_eq!(audio.own_direction(), Some(Direction::SendRecv));
    assert_eq!(
        video.formats,
        ["96", "97", "98", "99", "102", "103", "45", "46"]
    );
    assert_eq!(
        video.own_direction(),
        Some(Direction::RecvOnly),
        "offer sendonly"
    );
    let ids: Vec<u16> = video.extmaps().map(|e| e.id).collect();
    assert_eq!(ids, [2, 3, 4, 5, 10, 11]);
    assert!(
        video.ssrcs().next().is_none(),
        "the answerer sends nothing on video"
    );
}

#[test]
fn sdp_jsep_simulcast_offer_answered_by_us() {
    let mut cfg = config();
    cfg.media =
        vec![MediaRequest::video(mid("v"), Direction::SendOnly).with_send_rids(&["f", "h", "q"])];
    let offer = create_offer(&cfg).unwrap();
    let text = offer.to_string();
    assert!(
        text.contains("a=rid:f send\r\na=rid:h send\r\na=rid:q send\r\na=simulcast:send f;h;q\r\n"),
        "{text}"
    );
    let answer = create_answer(&offer, &answerer()).unwrap();
    let sim = answer.media[0].simulcast().unwrap();
    let recv: Vec<&str> = sim.recv.iter().map(|s| s[0].id.as_str()).collect();
    assert_eq!(recv, ["f", "h", "q"]);
    assert!(sim.send.is_empty());
}

#[test]
fn sdp_jsep_renegotiate_adds_a_section() {
    let mut cfg = offerer();
    cfg.media.truncate(1);
    cfg.media.push(MediaRequest::data(mid("1")));
    let first = create_offer(&cfg).unwrap();
    assert_eq!(mids(&first), ["0", "1"]);

    cfg.media
        .push(MediaRequest::video(mid("2"), Direction::RecvOnly));
    let second = create_reoffer(&first, &cfg).unwrap();
    assert_eq!(mids(&second), ["0", "1", "2"]);
    assert_eq!(bundle(&second), ["0", "1", "2"]);
    assert_eq!(second.origin.session_id, first.origin.session_id);
    assert_eq!(
        second.origin.session_version,
        first.origin.session_version + 1
    );
    assert_eq!(
        second.media[..2],
        first.media[..2],
        "existing sections unchanged"
    );
    assert_eq!(second.media[2].kind, MediaKind::Video);

    let answer = create_answer(&second, &answerer()).unwrap();
    assert_eq!(mids(&answer), ["0", "1", "2"]);
    assert_eq!(answer.media[2].own_direction(), Some(Direction::SendOnly));
}

#[test]
fn sdp_jsep_renegotiate_stops_a_section() {
    let mut cfg = offerer();
    let first = create_offer(&cfg).unwrap();
    cfg.media[0].stopped = true;
    let second = create_reoffer(&first, &cfg).unwrap();
    assert_eq!(mids(&second), ["0", "1", "2"], "mids stable");
    assert!(second.media[0].is_rejected());
    assert_eq!(second.media[0].formats, first.media[0].formats);
    assert_eq!(bundle(&second), ["1", "2"]);
    let text = second.to_string();
    assert!(text.contains("m=audio 0 UDP/TLS/RTP/SAVPF 111 0 8\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=inactive\r\nm=video"), "{text}");

    let answer = create_answer(&second, &answerer()).unwrap();
    assert!(answer.media[0].is_rejected());
    assert_eq!(bundle(&answer), ["1", "2"]);

    // Dropping the request entirely and re-adding it later keeps the section stopped: the
    // slot is not reused.
    cfg.media.remove(0);
    let third = create_reoffer(&second, &cfg).unwrap();
    assert!(third.media[0].is_rejected());
    cfg.media
        .push(MediaRequest::audio(mid("0"), Direction::SendRecv));
    let fourth = create_reoffer(&third, &cfg).unwrap();
    assert!(fourth.media[0].is_rejected());
    assert_eq!(
        fourth.origin.session_version,
        first.origin.session_version + 3
    );
}

#[test]
fn sdp_jsep_renegotiate_from_our_answer() {
    // We answered a browser; our next offer keeps the browser's mids and order.
    let browser = crate::parsed("chromium156-audio-video-dc-offer.sdp");
    let ours = create_answer(&browser, &config()).unwrap();
    let mut cfg = config();
    cfg.media = vec![
        MediaRequest::video(mid("0"), Direction::SendRecv),
        MediaRequest::audio(mid("1"), Direction::SendRecv),
        MediaRequest::data(mid("2")),
        MediaRequest::audio(mid("3"), Direction::SendOnly),
    ];
    let offer = create_reoffer(&ours, &cfg).unwrap();
    assert_eq!(mids(&offer), ["0", "1", "2", "3"]);
    assert!(
        offer
            .media
            .iter()
            .all(|m| m.setup() == Some(Setup::ActPass))
    );
    cfg.media[0] = MediaRequest::audio(mid("0"), Direction::SendRecv);
    assert_eq!(
        create_reoffer(&ours, &cfg),
        Err(OfferError::KindChanged("0".into()))
    );
}

#[test]
fn sdp_jsep_ice_restart_offer() {
    let mut cfg = offerer();
    let first = create_offer(&cfg).unwrap();
    cfg.ice_ufrag = "rst2".into();
    cfg.ice_pwd = "a-brand-new-ice-password-24".into();
    let restart = create_reoffer(&first, &cfg).unwrap();
    assert_eq!(mids(&restart), mids(&first));
    for (old, new) in first.media.iter().zip(&restart.media) {
        assert_eq!(new.ice_ufrag(), Some("rst2"));
        assert_eq!(new.ice_pwd(), Some("a-brand-new-ice-password-24"));
        assert_eq!(new.fingerprint(), old.fingerprint());
        assert_eq!(new.formats, old.formats);
        let strip = |m: &sansrtc::sdp::MediaSection| {
            m.attributes
                .iter()
                .filter(|a| !matches!(a, Attribute::IceUfrag(_) | Attribute::IcePwd(_)))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(new), strip(old), "only the credentials change");
    }
    assert_eq!(
        restart.origin.session_version,
        first.origin.session_version + 1
    );
    let answer = create_answer(&restart, &answerer()).unwrap();
    assert_eq!(bundle(&answer), ["0", "1", "2"]);
}

#[test]
fn sdp_jsep_offer_errors() {
    let mut cfg = offerer();
    cfg.media.push(MediaRequest::data(mid("1")));
    assert_eq!(
        create_offer(&cfg),
        Err(OfferError::DuplicateMid("1".into()))
    );
    let mut cfg = offerer();
    cfg.audio_codecs.clear();
    assert_eq!(create_offer(&cfg), Err(OfferError::NoCodecs("0".into())));
}

#[test]
fn sdp_jsep_ice_lite_and_gathering_complete() {
    let mut cfg = offerer();
    cfg.ice_lite = true;
    cfg.end_of_candidates = true;
    let offer = create_offer(&cfg).unwrap();
    assert!(offer.is_ice_lite());
    assert!(
        offer
            .media
            .iter()
            .all(|m| m.has(&Attribute::EndOfCandidates))
    );
    let text = offer.to_string();
    assert!(text.contains("t=0 0\r\na=ice-lite\r\na=group:BUNDLE"));
}

#[test]
fn sdp_jsep_rtcp_mux_only_offer() {
    let mut cfg = offerer();
    cfg.rtcp_mux_only = true;
    let text = create_offer(&cfg).unwrap().to_string();
    assert!(text.contains("a=rtcp-mux\r\na=rtcp-mux-only\r\na=rtcp-rsize\r\n"));
}

fn request() -> impl Strategy<Value = (u8, Direction, bool, bool)> {
    let dir = prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ];
    (0u8..3, dir, any::<bool>(), any::<bool>())
}

fn requests(spec: &[(u8, Direction, bool, bool)]) -> Vec<MediaRequest> {
    spec.iter()
        .enumerate()
        .map(|(i, &(kind, dir, stopped, with_track))| {
            let mid = Mid::from_index(i);
            let mut r = match kind {
                0 => MediaRequest::audio(mid, dir),
                1 => MediaRequest::video(mid, dir),
                _ => MediaRequest::data(mid),
            };
            if with_track {
                r = r.with_track(track());
            }
            r.stopped = stopped;
            r
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any offer we make re-parses to itself and our own answer to it is consistent: same
    /// mids, the BUNDLE group lists the live sections, answered directions are the reverse
    /// of the offered ones, payload types are a subset of the offered ones.
    #[test]
    fn sdp_jsep_generated_offers_round_trip_and_answer(
        spec in prop::collection::vec(request(), 1..6),
        more in prop::collection::vec(request(), 0..3),
        stop_first in any::<bool>(),
    ) {
        let mut cfg = config();
        cfg.media = requests(&spec);
        let offer = create_offer(&cfg).unwrap();
        prop_assert_eq!(reparse(&offer), Ok(offer.clone()));
        check_answer(&offer)?;

        // Renegotiate: maybe stop the first, add more.
        if stop_first {
            cfg.media[0].stopped = true;
        }
        let all: Vec<_> = spec.iter().chain(&more).copied().collect();
        let added = requests(&all).split_off(spec.len());
        cfg.media.extend(added);
        let reoffer = create_reoffer(&offer, &cfg).unwrap();
        prop_assert_eq!(reoffer.media.len(), all.len());
        for (a, b) in offer.media.iter().zip(&reoffer.media) {
            prop_assert_eq!(a.mid(), b.mid());
            prop_assert!(!a.is_rejected() || b.is_rejected(), "rejected stays rejected");
        }
        prop_assert_eq!(reparse(&reoffer), Ok(reoffer.clone()));
        check_answer(&reoffer)?;
    }
}

fn check_answer(offer: &SessionDescription) -> Result<(), TestCaseError> {
    let answer =
        create_answer(offer, &answerer()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(reparse(&answer), Ok(answer.clone()));
    prop_assert_eq!(mids(&answer), mids(offer));
    let live: Vec<&str> = offer
        .media
        .iter()
        .filter(|m| !m.is_rejected())
        .map(|m| m.mid().unwrap().as_str())
        .collect();
    prop_assert_eq!(bundle(&answer), live);
    for (o, a) in offer.media.iter().zip(&answer.media) {
        prop_assert_eq!(o.is_rejected(), a.is_rejected());
        if a.is_rejected() || a.kind == MediaKind::Application {
            continue;
        }
        prop_assert_eq!(a.own_direction(), Some(offer.direction(o).reverse()));
        prop_assert!(a.formats.iter().all(|f| o.formats.contains(f)));
        prop_assert!(!a.formats.is_empty());
    }
    Ok(())
}

fn reparse(sd: &SessionDescription) -> Result<SessionDescription, sansrtc::sdp::SdpError> {
    SessionDescription::parse(&sd.to_string())
}
