//! `sdp_browser_*`: offers as Chromium, Chrome and Firefox write them parse and get a correct
//! answer.

use sansrtc::sdp::{
    AnswerError, Attribute, Direction, EXT_ABS_SEND_TIME, EXT_AUDIO_LEVEL, EXT_MID, EXT_RID,
    EXT_TWCC, EXT_VIDEO_ORIENTATION, LocalConfig, MediaKind, MediaSection, Mid, Rid, RidDirection,
    SessionDescription, Setup, create_answer,
};

use crate::{config, parsed};

/// Answers `offer` with `config`, and checks what every answer must have: it re-parses to
/// itself, one m-section per offered one with the same mid and kind, accepted sections carry
/// our ICE credentials, fingerprint, candidate and the DTLS role `setup`, and the BUNDLE group
/// lists exactly the accepted mids.
fn answer_checked(
    offer: &SessionDescription,
    config: &LocalConfig,
    setup: Setup,
) -> SessionDescription {
    let answer = create_answer(offer, config).expect("answer");
    let text = answer.to_string();
    assert_eq!(
        SessionDescription::parse(&text).as_ref(),
        Ok(&answer),
        "answer re-parses"
    );
    assert!(
        text.starts_with("v=0\r\no=- 42 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"),
        "{text}"
    );
    assert_eq!(answer.media.len(), offer.media.len());
    let mut accepted = Vec::new();
    for (o, a) in offer.media.iter().zip(&answer.media) {
        assert_eq!(a.mid(), o.mid());
        assert_eq!(a.kind, o.kind);
        if a.is_rejected() {
            continue;
        }
        accepted.push(*a.mid().unwrap());
        assert_eq!(a.ice_ufrag(), Some("sAns"));
        assert_eq!(a.ice_pwd(), Some("sansrtc-password-0123456789"));
        assert_eq!(a.setup(), Some(setup));
        assert_eq!(a.port, 40000);
        assert_eq!(a.candidates().count(), 1);
        let fp = a.fingerprint().unwrap();
        let written = format!("{fp}");
        assert!(written.starts_with("sha-256 00:07:0E:15:"), "{written}");
        assert_eq!(written.len(), "sha-256 ".len() + 32 * 3 - 1);
        assert!(text.contains(&format!("a=fingerprint:{written}\r\n")));
    }
    let group = answer.bundle_group().expect("BUNDLE in answer");
    assert_eq!(group.mids, accepted, "BUNDLE lists the accepted mids");
    answer
}

fn pts(m: &MediaSection) -> Vec<u8> {
    m.formats.iter().map(|f| f.parse().unwrap()).collect()
}

fn extmap_ids(m: &MediaSection) -> Vec<(u16, &str)> {
    m.extmaps().map(|e| (e.id, e.uri.as_str())).collect()
}

fn feedback(m: &MediaSection, pt: u8) -> Vec<&str> {
    m.rtcp_fbs(sansrtc::sdp::Pt::new(pt).unwrap())
        .map(|f| f.value.as_str())
        .collect()
}

fn fmtp(m: &MediaSection, pt: u8) -> Option<&str> {
    m.fmtp(sansrtc::sdp::Pt::new(pt).unwrap())
        .map(|f| f.params.as_str())
}

#[test]
fn sdp_browser_chromium_datachannel_offer() {
    let offer = parsed("chromium156-datachannel-offer.sdp");
    let m = &offer.media[0];
    assert_eq!(m.kind, MediaKind::Application);
    assert_eq!(m.sctp_port(), Some(5000));
    assert_eq!(m.max_message_size(), Some(262_144));
    // One UDP host candidate usable, the TCP one kept unparsed.
    assert_eq!(m.candidate_lines().count(), 2);
    assert_eq!(m.candidates().count(), 1);
    assert_eq!(offer.setup(m), Some(Setup::ActPass));

    let answer = answer_checked(&offer, &config(), Setup::Active);
    let a = &answer.media[0];
    assert_eq!(a.proto, "UDP/DTLS/SCTP");
    assert_eq!(a.formats, ["webrtc-datachannel"]);
    assert_eq!(a.sctp_port(), Some(5000));
    assert_eq!(a.max_message_size(), Some(262_144));
    let text = answer.to_string();
    assert!(text.contains(
        "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 192.0.2.10\r\n"
    ));
    assert!(text.contains("a=group:BUNDLE 0\r\n"));
    assert!(text.contains("a=candidate:"));
    assert!(text.contains("a=ice-options:trickle\r\n"));
    assert!(text.contains("a=extmap-allow-mixed\r\n"));
}

#[test]
fn sdp_browser_chromium_audio_video_datachannel_offer() {
    let offer = parsed("chromium156-audio-video-dc-offer.sdp");
    assert_eq!(
        offer.bundle_group().unwrap().mids,
        ["0", "1", "2"].map(|m| Mid::new(m).unwrap())
    );

    let answer = answer_checked(&offer, &config(), Setup::Active);
    let [video, audio, data] = &answer.media[..] else {
        panic!("three sections")
    };
    assert_eq!(video.kind, MediaKind::Video);
    assert_eq!(
        pts(video),
        [96, 97],
        "VP8 and its RTX at the offer's payload types"
    );
    assert_eq!(fmtp(video, 97), Some("apt=96"));
    assert_eq!(
        feedback(video, 96),
        ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]
    );
    assert_eq!(
        extmap_ids(video),
        [
            (2, EXT_ABS_SEND_TIME),
            (3, EXT_VIDEO_ORIENTATION),
            (4, EXT_TWCC),
            (9, EXT_MID),
            (10, EXT_RID),
            (11, sansrtc::sdp::EXT_REPAIRED_RID)
        ],
        "offered ids for the URIs we support; toffset, playout-delay and friends left out"
    );
    assert_eq!(video.own_direction(), Some(Direction::SendRecv));
    assert!(video.has(&Attribute::RtcpMux) && video.has(&Attribute::RtcpRsize));

    assert_eq!(pts(audio), [111]);
    assert_eq!(audio.codecs()[0].rtpmap.to_string(), "111 opus/48000/2");
    assert_eq!(fmtp(audio, 111), Some("minptime=10;useinbandfec=1"));
    assert_eq!(feedback(audio, 111), ["transport-cc"]);
    assert_eq!(
        extmap_ids(audio),
        [
            (14, EXT_AUDIO_LEVEL),
            (2, EXT_ABS_SEND_TIME),
            (4, EXT_TWCC),
            (9, EXT_MID)
        ]
    );

    assert_eq!(data.sctp_port(), Some(5000));
    let text = answer.to_string();
    assert!(
        text.contains("m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n"),
        "{text}"
    );
    assert!(text.contains("a=group:BUNDLE 0 1 2\r\n"));
    assert!(
        !text.contains("rtcp-xr"),
        "unknown offered attributes are not echoed"
    );
}

#[test]
fn sdp_browser_firefox_datachannel_offer() {
    let offer = parsed("firefox99-datachannel-offer.sdp");
    let m = &offer.media[0];
    // Session-level fingerprint and direction, media-level credentials.
    assert!(m.fingerprint().is_none());
    assert_eq!(offer.fingerprint(m).unwrap().bytes.len(), 32);
    assert_eq!(offer.ice_ufrag(m), Some("5d2fc6c4"));
    // mDNS host and TCP candidates kept but not usable; srflx and relay usable.
    assert_eq!(m.candidate_lines().count(), 6);
    assert_eq!(m.candidates().count(), 4);
    assert!(m.has(&Attribute::EndOfCandidates));
    assert_eq!(m.max_message_size(), Some(1_073_741_823));

    let answer = answer_checked(&offer, &config(), Setup::Active);
    assert_eq!(
        answer.media[0].max_message_size(),
        Some(262_144),
        "ours, not theirs"
    );
    assert!(
        !answer.attributes.contains(&Attribute::ExtmapAllowMixed),
        "not offered"
    );
}

#[test]
fn sdp_browser_firefox_audio_video_recvonly_offer() {
    let offer = parsed("firefox99-audio-video-recvonly-offer.sdp");
    let answer = answer_checked(&offer, &config(), Setup::Active);
    let [audio, video] = &answer.media[..] else {
        panic!("two sections")
    };

    assert_eq!(
        audio.own_direction(),
        Some(Direction::SendOnly),
        "recvonly offer, sendonly answer"
    );
    assert_eq!(
        pts(audio),
        [109, 0, 8],
        "Opus, PCMU, PCMA; not G722 or telephone-event"
    );
    assert_eq!(audio.codecs()[0].rtpmap.to_string(), "109 opus/48000/2");
    assert_eq!(
        extmap_ids(audio),
        [(1, EXT_AUDIO_LEVEL), (3, EXT_MID)],
        "csrc-audio-level not supported"
    );
    assert!(!audio.has(&Attribute::RtcpRsize), "not offered on audio");

    assert_eq!(video.own_direction(), Some(Direction::SendOnly));
    assert_eq!(
        pts(video),
        [120, 124, 121, 125, 126, 127],
        "VP8, VP9, H.264 pm=1 and their RTX"
    );
    assert_eq!(fmtp(video, 124), Some("apt=120"));
    assert_eq!(fmtp(video, 127), Some("apt=126"));
    assert_eq!(
        fmtp(video, 126),
        Some("profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1"),
        "H.264 parameters echoed from the offer"
    );
    assert_eq!(
        feedback(video, 120),
        ["nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"]
    );
    assert_eq!(
        extmap_ids(video),
        [(3, EXT_MID), (4, EXT_ABS_SEND_TIME), (7, EXT_TWCC)]
    );
}

#[test]
fn sdp_browser_chrome_simulcast_offer() {
    let offer = parsed("chrome-simulcast-audio-video-offer.sdp");
    let v = &offer.media[1];
    let sim = v.simulcast().unwrap();
    assert_eq!(sim.send.len(), 3);
    assert!(sim.recv.is_empty());
    assert_eq!(v.rids().count(), 3);
    assert_eq!(offer.ice_ufrag(v), Some("bIQJ"));

    let answer = answer_checked(&offer, &config(), Setup::Active);
    let [audio, video] = &answer.media[..] else {
        panic!("two sections")
    };
    assert_eq!(audio.own_direction(), Some(Direction::RecvOnly));
    assert_eq!(pts(audio), [111, 0, 8]);
    assert_eq!(video.own_direction(), Some(Direction::RecvOnly));
    assert_eq!(
        pts(video),
        [96, 97, 98, 99, 35, 36, 100, 101],
        "VP8, VP9, AV1, H.264 with RTX; no red/ulpfec"
    );
    assert_eq!(fmtp(video, 36), Some("apt=35"));
    assert_eq!(fmtp(video, 124), None, "RTX of red not answered");
    let rids: Vec<&Rid> = video.rids().collect();
    assert_eq!(
        rids.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["q", "h", "f"]
    );
    assert!(rids.iter().all(|r| r.direction == RidDirection::Recv));
    let text = answer.to_string();
    assert!(
        text.contains("a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"),
        "{text}"
    );
    assert!(extmap_ids(video).contains(&(10, EXT_RID)));
    assert!(extmap_ids(video).contains(&(13, EXT_VIDEO_ORIENTATION)));
}

#[test]
fn sdp_browser_rejects_unsupported_sections() {
    // Video refused by config; an extra `m=text` section; an audio section with only G722.
    let mut offer = parsed("chromium156-audio-video-dc-offer.sdp");
    let mut text_section = offer.media[2].clone();
    text_section.kind = MediaKind::Other("text".into());
    text_section
        .attributes
        .retain(|a| !matches!(a, Attribute::Mid(_)));
    text_section
        .attributes
        .push(Attribute::Mid(Mid::new("3").unwrap()));
    offer.media.push(text_section);
    let mut g722 = parsed("firefox99-audio-video-recvonly-offer.sdp").media[0].clone();
    g722.formats = vec!["9".into()];
    g722.attributes
        .retain(|a| !matches!(a, Attribute::Mid(_) | Attribute::Rtpmap(_)));
    g722.attributes.push(Attribute::Mid(Mid::new("4").unwrap()));
    g722.attributes
        .push(Attribute::parse("rtpmap:9 G722/8000/1"));
    offer.media.push(g722);
    let Some(Attribute::Group(g)) = offer
        .attributes
        .iter_mut()
        .find(|a| matches!(a, Attribute::Group(_)))
    else {
        panic!("group")
    };
    g.mids.extend(["3", "4"].map(|m| Mid::new(m).unwrap()));

    let mut cfg = config();
    cfg.accept_video = false;
    let answer = answer_checked(&offer, &cfg, Setup::Active);
    let rejected: Vec<bool> = answer.media.iter().map(MediaSection::is_rejected).collect();
    assert_eq!(rejected, [true, false, false, true, true]);
    let text = answer.to_string();
    assert!(
        text.contains(
            "m=video 0 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=inactive\r\n"
        ),
        "{text}"
    );
    assert!(text.contains("m=text 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
    assert!(text.contains("m=audio 0 UDP/TLS/RTP/SAVPF 9\r\n"));
    assert!(text.contains("a=group:BUNDLE 1 2\r\n"));
}

#[test]
fn sdp_browser_answer_roles_for_active_and_passive_offers() {
    let text = crate::sample("chromium156-datachannel-offer.sdp");
    let active =
        SessionDescription::parse(&text.replace("a=setup:actpass", "a=setup:active")).unwrap();
    answer_checked(&active, &config(), Setup::Passive);
    let passive =
        SessionDescription::parse(&text.replace("a=setup:actpass", "a=setup:passive")).unwrap();
    answer_checked(&passive, &config(), Setup::Active);
    let mut cfg = config();
    cfg.answer_setup = Setup::Passive;
    answer_checked(
        &parsed("chromium156-datachannel-offer.sdp"),
        &cfg,
        Setup::Passive,
    );
    let hold =
        SessionDescription::parse(&text.replace("a=setup:actpass", "a=setup:holdconn")).unwrap();
    assert_eq!(
        create_answer(&hold, &config()),
        Err(AnswerError::BadSetup(0))
    );
}

#[test]
fn sdp_browser_unanswerable_offers() {
    let text = crate::sample("chromium156-audio-video-dc-offer.sdp");
    let no_mid = SessionDescription::parse(&text.replace("a=mid:1\r\n", "")).unwrap();
    assert_eq!(
        create_answer(&no_mid, &config()),
        Err(AnswerError::MissingMid(1))
    );
    let dup = SessionDescription::parse(&text.replace("a=mid:1\r\n", "a=mid:0\r\n")).unwrap();
    assert_eq!(
        create_answer(&dup, &config()),
        Err(AnswerError::DuplicateMid("0".into()))
    );
    let no_fp: String = text
        .lines()
        .filter(|l| !l.starts_with("a=fingerprint"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let no_fp = SessionDescription::parse(&no_fp).unwrap();
    assert_eq!(
        create_answer(&no_fp, &config()),
        Err(AnswerError::MissingFingerprint(0))
    );
    let no_ice: String = text
        .lines()
        .filter(|l| !l.starts_with("a=ice-pwd"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let no_ice = SessionDescription::parse(&no_ice).unwrap();
    assert_eq!(
        create_answer(&no_ice, &config()),
        Err(AnswerError::MissingIceCredentials(0))
    );
    let unbundled =
        SessionDescription::parse(&text.replace("a=group:BUNDLE 0 1 2\r\n", "")).unwrap();
    assert_eq!(
        create_answer(&unbundled, &config()),
        Err(AnswerError::NotBundled)
    );
}

#[test]
fn sdp_browser_bundle_only_and_unbundled_single_section() {
    // A max-bundle offer: the second section has port 0 and `a=bundle-only`; it is answered.
    let text = crate::sample("chromium156-audio-video-dc-offer.sdp");
    let text = text
        .replacen("m=audio 52953", "m=audio 0", 1)
        .replace("a=mid:1\r\n", "a=mid:1\r\na=bundle-only\r\n");
    let offer = SessionDescription::parse(&text).unwrap();
    assert!(offer.media[1].is_rejected() && offer.media[1].has(&Attribute::BundleOnly));
    let answer = answer_checked(&offer, &config(), Setup::Active);
    assert!(answer.media.iter().all(|m| !m.is_rejected()));

    // One section and no BUNDLE group: answered, and no group is added.
    let text =
        crate::sample("chromium156-datachannel-offer.sdp").replace("a=group:BUNDLE 0\r\n", "");
    let offer = SessionDescription::parse(&text).unwrap();
    let answer = create_answer(&offer, &config()).unwrap();
    assert!(answer.bundle_group().is_none());
    assert!(!answer.media[0].is_rejected());
    assert_eq!(answer.media[0].setup(), Some(Setup::Active));
}

#[test]
fn sdp_browser_rtp_without_rtcp_mux_rejected() {
    let text = crate::sample("chromium156-audio-video-dc-offer.sdp");
    // Remove rtcp-mux from the video section only (the first occurrence).
    let offer = SessionDescription::parse(&text.replacen("a=rtcp-mux\r\n", "", 1)).unwrap();
    let answer = answer_checked(&offer, &config(), Setup::Active);
    assert!(answer.media[0].is_rejected());
    assert!(!answer.media[1].is_rejected());
}

#[test]
fn sdp_browser_firefox_answer_to_our_offer() {
    // What Firefox answers to a data-channel offer like ours: the values the peer connection
    // reads from a remote answer come out typed.
    let mut cfg = config();
    cfg.media = vec![sansrtc::sdp::MediaRequest::data(Mid::new("0").unwrap())];
    let ours = sansrtc::sdp::create_offer(&cfg).unwrap();
    let answer = parsed("firefox99-datachannel-answer.sdp");
    assert_eq!(
        answer.bundle_group().unwrap().mids,
        ours.bundle_group().unwrap().mids
    );
    let m = &answer.media[0];
    assert_eq!(m.mid(), ours.media[0].mid());
    assert_eq!(
        answer.setup(m),
        Some(Setup::Active),
        "Firefox is the DTLS client, we the server"
    );
    assert_eq!(answer.ice_ufrag(m), Some("e726db63"));
    assert_eq!(answer.ice_pwd(m), Some("df9d548aafb0d487f3fda43fb2db95d9"));
    assert_eq!(answer.fingerprint(m).unwrap().hash, "sha-256");
    assert_eq!(answer.direction(m), Direction::SendRecv);
    assert_eq!(m.candidate_lines().count(), 2);
    assert_eq!(m.candidates().count(), 0, "mDNS and TCP only");
    assert!(m.has(&Attribute::EndOfCandidates));
    assert_eq!(m.sctp_port(), Some(5000));
    assert_eq!(m.max_message_size(), Some(1_073_741_823));
}

#[test]
fn sdp_browser_hostile_offer_answered() {
    // Repeated formats and feedback lines and thousands of bundled sections: answered without
    // quadratic blow-up (no timing assertion; a quadratic answerer would take minutes here).
    let base = crate::sample("chromium156-audio-video-dc-offer.sdp");
    let video_m = "m=video 50868 UDP/TLS/RTP/SAVPF 96 97";
    let many_formats = format!("{video_m}{}", " 96".repeat(50_000));
    let many_fb = "a=rtcp-fb:96 nack\r\n".repeat(50_000);
    let text =
        base.replacen(video_m, &many_formats, 1)
            .replacen("a=rtcp-fb:96 nack\r\n", &many_fb, 1);
    let app_start = text.find("m=application").unwrap();
    let app = text[app_start..].to_owned();
    let sections: String = (3..3000)
        .map(|i| app.replace("a=mid:2", &format!("a=mid:{i}")))
        .collect();
    let group: String = (0..3000).map(|i| format!(" {i}")).collect();
    let text = format!("{text}{sections}")
        .replace("a=group:BUNDLE 0 1 2", &format!("a=group:BUNDLE{group}"));
    let offer = SessionDescription::parse(&text).unwrap();
    assert_eq!(offer.media.len(), 3000);
    let answer = create_answer(&offer, &config()).unwrap();
    assert_eq!(pts(&answer.media[0]), [96, 97], "each payload type once");
    assert_eq!(
        feedback(&answer.media[0], 96),
        ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"],
        "each feedback once"
    );
    assert_eq!(answer.bundle_group().unwrap().mids.len(), 3000);
}
