//! Unit tests of the attribute parsers, the small types and codec matching. Whole
//! descriptions, browser samples and offer/answer are tested in `tests/tests/sdp/`.

use super::*;

fn pt(n: u8) -> Pt {
    Pt::new(n).unwrap()
}

#[test]
fn parse_flag_attributes() {
    assert_eq!(Attribute::parse("rtcp-mux"), Attribute::RtcpMux);
    assert_eq!(Attribute::parse("rtcp-mux-only"), Attribute::RtcpMuxOnly);
    assert_eq!(Attribute::parse("rtcp-rsize"), Attribute::RtcpRsize);
    assert_eq!(Attribute::parse("ice-lite"), Attribute::IceLite);
    assert_eq!(
        Attribute::parse("end-of-candidates"),
        Attribute::EndOfCandidates
    );
    assert_eq!(
        Attribute::parse("extmap-allow-mixed"),
        Attribute::ExtmapAllowMixed
    );
    assert_eq!(
        Attribute::parse("recvonly"),
        Attribute::Direction(Direction::RecvOnly)
    );
    // A flag with a value, or a valued attribute without one, is kept verbatim.
    assert_eq!(
        Attribute::parse("rtcp-mux:yes"),
        Attribute::Other {
            name: "rtcp-mux".into(),
            value: Some("yes".into())
        }
    );
    assert_eq!(
        Attribute::parse("mid"),
        Attribute::Other {
            name: "mid".into(),
            value: None
        }
    );
}

#[test]
fn parse_valued_attributes() {
    let cases: Vec<(&str, Attribute)> = vec![
        (
            "group:BUNDLE 0 1",
            Attribute::Group(Group::bundle(vec![
                Mid::new("0").unwrap(),
                Mid::new("1").unwrap(),
            ])),
        ),
        ("ice-ufrag:4Gnw", Attribute::IceUfrag("4Gnw".into())),
        (
            "ice-options:trickle renomination",
            Attribute::IceOptions(vec!["trickle".into(), "renomination".into()]),
        ),
        ("setup:actpass", Attribute::Setup(Setup::ActPass)),
        ("mid:audio", Attribute::Mid(Mid::new("audio").unwrap())),
        (
            "msid:- track",
            Attribute::Msid(Msid {
                stream: "-".into(),
                track: Some("track".into()),
            }),
        ),
        (
            "msid-semantic:WMS *",
            Attribute::MsidSemantic(MsidSemantic {
                semantic: "WMS".into(),
                ids: vec!["*".into()],
            }),
        ),
        (
            "rtpmap:111 opus/48000/2",
            Attribute::Rtpmap(Rtpmap {
                pt: pt(111),
                encoding: "opus".into(),
                clock_rate: 48_000,
                channels: Some(2),
            }),
        ),
        (
            "fmtp:97 apt=96",
            Attribute::Fmtp(Fmtp {
                pt: pt(97),
                params: "apt=96".into(),
            }),
        ),
        (
            "rtcp-fb:96 nack pli",
            Attribute::RtcpFb(RtcpFb {
                pt: Some(pt(96)),
                value: "nack pli".into(),
            }),
        ),
        (
            "rtcp-fb:* ccm fir",
            Attribute::RtcpFb(RtcpFb {
                pt: None,
                value: "ccm fir".into(),
            }),
        ),
        (
            "extmap:2/recvonly urn:x",
            Attribute::Extmap(Extmap {
                id: 2,
                direction: Some(Direction::RecvOnly),
                uri: "urn:x".into(),
                attributes: None,
            }),
        ),
        (
            "ssrc:1 cname:abc",
            Attribute::Ssrc(SsrcAttribute {
                ssrc: Ssrc(1),
                attribute: "cname".into(),
                value: Some("abc".into()),
            }),
        ),
        (
            "ssrc-group:FID 1 2",
            Attribute::SsrcGroup(SsrcGroup {
                semantics: "FID".into(),
                ssrcs: vec![Ssrc(1), Ssrc(2)],
            }),
        ),
        (
            "rid:h send pt=96;max-width=1280",
            Attribute::Rid(Rid {
                id: "h".into(),
                direction: RidDirection::Send,
                restrictions: Some("pt=96;max-width=1280".into()),
            }),
        ),
        ("sctp-port:5000", Attribute::SctpPort(5000)),
        (
            "max-message-size:262144",
            Attribute::MaxMessageSize(262_144),
        ),
        (
            "sctp-init:AQAAFA==",
            Attribute::SctpInit(SctpInit {
                chunk: vec![1, 0, 0, 20],
            }),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(Attribute::parse(text), want, "{text}");
        assert_eq!(want.to_string(), text);
    }
}

#[test]
fn parse_simulcast() {
    let Attribute::Simulcast(s) = Attribute::parse("simulcast:send 1,~2;3 recv 4") else {
        panic!()
    };
    assert_eq!(s.send.len(), 2);
    assert_eq!(
        s.send[0],
        [
            SimulcastRid {
                id: "1".into(),
                paused: false
            },
            SimulcastRid {
                id: "2".into(),
                paused: true
            }
        ]
    );
    assert_eq!(
        s.recv,
        [vec![SimulcastRid {
            id: "4".into(),
            paused: false
        }]]
    );
    // `recv` first is valid but would not write back the same: kept verbatim.
    assert!(matches!(
        Attribute::parse("simulcast:recv 4 send 1"),
        Attribute::Other { .. }
    ));
    assert!(matches!(
        Attribute::parse("simulcast:send"),
        Attribute::Other { .. }
    ));
    assert!(matches!(
        Attribute::parse("simulcast:send a send b"),
        Attribute::Other { .. }
    ));
}

#[test]
fn non_canonical_values_are_kept_verbatim() {
    for text in [
        "sctp-port:05000",
        "rtpmap:+5 PCMU/8000",
        "rtpmap:128 PCMU/8000",
        "extmap:0 urn:x",
        "extmap:256 urn:x",
        "fingerprint:sha-256 ab:cd",
        "msid-semantic: WMS",
        "setup:ACTPASS",
        "mid:01234567890123456",
        "candidate:1 1 udp",
    ] {
        let a = Attribute::parse(text);
        assert!(matches!(a, Attribute::Other { .. }), "{text}: {a:?}");
        assert_eq!(a.to_string(), text);
    }
}

#[test]
fn candidates_tcp_and_mdns_kept_unparsed() {
    let udp = "1 1 udp 2122260223 192.0.2.1 5000 typ host generation 0";
    let Attribute::Candidate(c) = Attribute::parse(&format!("candidate:{udp}")) else {
        panic!()
    };
    assert_eq!(c.value(), udp);
    assert_eq!(
        c.candidate().unwrap().addr(),
        "192.0.2.1:5000".parse().unwrap()
    );
    for other in [
        "2 1 tcp 1518280447 192.0.2.1 9 typ host tcptype active",
        "3 1 udp 2122260223 abc.local 5000 typ host",
    ] {
        let Attribute::Candidate(c) = Attribute::parse(&format!("candidate:{other}")) else {
            panic!()
        };
        assert!(c.candidate().is_none(), "{other}");
        assert_eq!(c.value(), other);
    }
}

#[test]
fn fingerprint_parse_and_format() {
    let fp: Fingerprint = "sha-256 1B:2A:FF".parse().unwrap();
    assert_eq!(fp.bytes, [0x1b, 0x2a, 0xff]);
    assert_eq!(fp.to_string(), "sha-256 1B:2A:FF");
    assert_eq!("sha-256 1B:2A:F".parse::<Fingerprint>(), Err(()));
    assert_eq!("sha-256 1B::2A".parse::<Fingerprint>(), Err(()));
    assert_eq!("sha-256".parse::<Fingerprint>(), Err(()));
    assert_eq!(
        format!("sha-256 {}", ["AA"; 65].join(":")).parse::<Fingerprint>(),
        Err(())
    );
}

#[test]
fn direction_algebra() {
    use Direction::*;
    assert_eq!(SendOnly.reverse(), RecvOnly);
    assert_eq!(SendRecv.reverse(), SendRecv);
    assert_eq!(Inactive.reverse(), Inactive);
    assert_eq!(SendRecv.intersect(RecvOnly), RecvOnly);
    assert_eq!(SendOnly.intersect(RecvOnly), Inactive);
}

#[test]
fn newtypes_validate() {
    assert_eq!(Pt::new(128), None);
    assert_eq!("7".parse::<Pt>(), Ok(pt(7)));
    assert_eq!("07".parse::<Pt>(), Err(()));
    assert_eq!(Mid::new(""), None);
    assert_eq!(Mid::new("a b"), None);
    assert_eq!(Mid::from_index(3).as_str(), "3");
    assert_eq!(Mid::from_index(0).as_str(), "0");
    assert_eq!(Mid::from_index(1234).as_str(), "1234");
    assert_eq!(Mid::from_index(usize::MAX).as_str().len(), MAX_MID_LEN);
    assert_eq!(
        Mid::new("0123456789abcdef").map(|m| m.as_str().len()),
        Some(16)
    );
    assert_eq!(Mid::new("0123456789abcdefg"), None);
    // Equality, order and hashing follow the text, whatever the inline padding.
    assert_eq!(Mid::new("10"), Some(Mid::from_index(10)));
    assert!(Mid::new("10") < Mid::new("9"));
    assert_eq!(format!("{:?}", Mid::from_index(7)), "Mid(\"7\")");
}

#[test]
fn fmtp_params() {
    let p = "level-asymmetry-allowed=1; packetization-mode=1;profile-level-id=42e01f";
    assert_eq!(fmtp_param(p, "packetization-mode"), Some("1"));
    assert_eq!(fmtp_param(p, "PROFILE-LEVEL-ID"), Some("42e01f"));
    assert_eq!(fmtp_param(p, "missing"), None);
    assert_eq!(fmtp_param("0-15", "apt"), None);
}

fn offered<'a>(rtpmap: &'a Rtpmap, fmtp: Option<&'a Fmtp>) -> Codec<'a> {
    Codec {
        rtpmap,
        fmtp,
        feedback: Vec::new(),
    }
}

#[test]
fn codec_matching() {
    let video = default_video_codecs();
    let h264 = video.iter().find(|c| c.name == "H264").unwrap();
    let rtpmap = Rtpmap {
        pt: pt(100),
        encoding: "h264".into(),
        clock_rate: 90_000,
        channels: None,
    };
    let with = |params: &str| Fmtp {
        pt: pt(100),
        params: params.into(),
    };
    let cases = [
        ("packetization-mode=1;profile-level-id=42e01f", true),
        ("packetization-mode=1;profile-level-id=42e034", true), // another level
        ("packetization-mode=1;profile-level-id=42c01f", true), // constrained baseline too
        ("packetization-mode=1;profile-level-id=42001f", false), // baseline
        ("packetization-mode=1;profile-level-id=640c1f", false), // high
        ("profile-level-id=42e01f", false),                     // packetization-mode 0
        ("packetization-mode=1;profile-level-id=42e0", false),
    ];
    for (params, want) in cases {
        let f = with(params);
        assert_eq!(
            codec_matches(h264, &offered(&rtpmap, Some(&f))),
            want,
            "{params}"
        );
    }

    let vp9 = video.iter().find(|c| c.name == "VP9").unwrap();
    let r = Rtpmap {
        pt: pt(98),
        encoding: "VP9".into(),
        clock_rate: 90_000,
        channels: None,
    };
    assert!(
        codec_matches(vp9, &offered(&r, None)),
        "profile-id defaults to 0"
    );
    let f = Fmtp {
        pt: pt(98),
        params: "profile-id=2".into(),
    };
    assert!(!codec_matches(vp9, &offered(&r, Some(&f))));

    let audio = default_audio_codecs();
    let opus = &audio[0];
    let mono = Rtpmap {
        pt: pt(111),
        encoding: "opus".into(),
        clock_rate: 48_000,
        channels: None,
    };
    assert!(
        !codec_matches(opus, &offered(&mono, None)),
        "Opus is always /2"
    );
    let pcmu = Rtpmap {
        pt: pt(0),
        encoding: "PCMU".into(),
        clock_rate: 8_000,
        channels: Some(1),
    };
    assert!(
        codec_matches(&audio[1], &offered(&pcmu, None)),
        "/1 is the default channel count"
    );
    let wrong_rate = Rtpmap {
        clock_rate: 16_000,
        ..pcmu
    };
    assert!(!codec_matches(&audio[1], &offered(&wrong_rate, None)));
}
