//! `sdp_roundtrip_*`: parse -> write -> parse gives the same description, and writing a
//! parsed sample keeps every one of its lines.

use std::net::{IpAddr, SocketAddr};

use proptest::prelude::*;
use sansrtc::ice::Candidate;
use sansrtc::sdp::{
    Attribute, Bandwidth, CandidateLine, Connection, Direction, Extmap, Fingerprint, Fmtp, Group,
    MediaKind, MediaSection, Mid, Msid, Origin, OtherLine, Pt, Rid, RidDirection, RtcpFb, Rtpmap,
    SessionDescription, Setup, Simulcast, SimulcastRid, Ssrc, SsrcAttribute, SsrcGroup, Timing,
};

use crate::{samples, sorted_lines};

#[test]
fn sdp_roundtrip_samples_parse_write_parse() {
    for (name, text) in samples() {
        let sd = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let written = sd.to_string();
        let again = SessionDescription::parse(&written).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, sd, "{name}");
        assert_eq!(again.to_string(), written, "{name}: writing is stable");
    }
}

#[test]
fn sdp_roundtrip_samples_keep_every_line() {
    for (name, text) in samples() {
        let written = SessionDescription::parse(&text).unwrap().to_string();
        assert!(written.ends_with("\r\n"), "{name}");
        assert!(
            !written.replace("\r\n", "").contains('\n'),
            "{name}: only \\r\\n endings"
        );
        assert_eq!(sorted_lines(&written), sorted_lines(&text), "{name}");
        // Browsers write in RFC order, so here even the order is kept.
        assert_eq!(
            written,
            text.replace("\r\n", "\n").replace('\n', "\r\n"),
            "{name}"
        );
    }
}

#[test]
fn sdp_roundtrip_samples_with_lf_endings() {
    for (name, text) in samples() {
        let lf = text.replace("\r\n", "\n");
        let a = SessionDescription::parse(&lf).unwrap();
        let b = SessionDescription::parse(&text).unwrap();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn sdp_roundtrip_samples_attributes_typed() {
    // The attributes WebRTC needs come out typed, not as `Other`, in every browser sample.
    for (name, text) in samples() {
        let sd = SessionDescription::parse(&text).unwrap();
        for m in &sd.media {
            assert!(m.mid().is_some(), "{name}: mid typed");
            assert!(
                sd.ice_ufrag(m).is_some() && sd.ice_pwd(m).is_some(),
                "{name}: ice typed"
            );
            assert!(sd.fingerprint(m).is_some(), "{name}: fingerprint typed");
            assert!(sd.setup(m).is_some(), "{name}: setup typed");
            for a in &m.attributes {
                if let Attribute::Other { name: n, .. } = a {
                    let known = [
                        "rtpmap",
                        "fmtp",
                        "rtcp-fb",
                        "extmap",
                        "candidate",
                        "mid",
                        "ssrc",
                        "rid",
                        "simulcast",
                    ];
                    assert!(!known.contains(&n.as_str()), "{name}: {a} kept untyped");
                }
            }
        }
    }
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+/_.-]{1,12}"
}

fn pt() -> impl Strategy<Value = Pt> {
    (0u8..128).prop_map(|p| Pt::new(p).unwrap())
}

fn mid() -> impl Strategy<Value = Mid> {
    "[a-z0-9_-]{1,8}".prop_map(|s| Mid::new(&s).unwrap())
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn rid_id() -> impl Strategy<Value = String> {
    "[a-z0-9_-]{1,6}"
}

fn candidate() -> impl Strategy<Value = CandidateLine> {
    (any::<[u8; 4]>(), 1u16..).prop_map(|(ip, port)| {
        let addr = SocketAddr::new(IpAddr::from(ip), port);
        CandidateLine::new(&Candidate::host(addr))
    })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let simple = prop_oneof![
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpMuxOnly),
        Just(Attribute::RtcpRsize),
        Just(Attribute::IceLite),
        Just(Attribute::EndOfCandidates),
        Just(Attribute::ExtmapAllowMixed),
        direction().prop_map(Attribute::Direction),
        prop_oneof![
            Just(Setup::ActPass),
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::HoldConn)
        ]
        .prop_map(Attribute::Setup),
        mid().prop_map(Attribute::Mid),
        token().prop_map(Attribute::IceUfrag),
        token().prop_map(Attribute::IcePwd),
        prop::collection::vec(token(), 1..3).prop_map(Attribute::IceOptions),
        (1u16..=255).prop_map(Attribute::SctpPort),
        any::<u64>().prop_map(Attribute::MaxMessageSize),
    ];
    let structured = prop_oneof![
        prop::collection::vec(mid(), 0..4).prop_map(|m| Attribute::Group(Group::bundle(m))),
        candidate().prop_map(Attribute::Candidate),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(|bytes| Attribute::Fingerprint(
            Fingerprint {
                hash: "sha-256".into(),
                bytes
            }
        )),
        (token(), prop::option::of(token()))
            .prop_map(|(stream, track)| Attribute::Msid(Msid { stream, track })),
        (
            pt(),
            "[A-Za-z0-9-]{1,10}",
            1u32..,
            prop::option::of(1u16..9)
        )
            .prop_map(|(pt, encoding, clock_rate, channels)| {
                Attribute::Rtpmap(Rtpmap {
                    pt,
                    encoding,
                    clock_rate,
                    channels,
                })
            }),
        (pt(), "[a-z0-9=;-]{1,30}").prop_map(|(pt, params)| Attribute::Fmtp(Fmtp { pt, params })),
        (prop::option::of(pt()), "[a-z-]{1,8}( [a-z]{1,5})?")
            .prop_map(|(pt, value)| Attribute::RtcpFb(RtcpFb { pt, value })),
        (
            1u16..=255,
            prop::option::of(direction()),
            "[a-z:/.-]{1,30}",
            prop::option::of("[a-z0-9]{1,5}")
        )
            .prop_map(
                |(id, direction, uri, attributes)| Attribute::Extmap(Extmap {
                    id,
                    direction,
                    uri,
                    attributes
                })
            ),
        (
            any::<u32>(),
            "[a-z]{1,6}",
            prop::option::of("[a-z0-9 -]{0,12}")
        )
            .prop_map(|(s, attribute, value)| {
                Attribute::Ssrc(SsrcAttribute {
                    ssrc: Ssrc(s),
                    attribute,
                    value,
                })
            }),
        ("[A-Z]{1,6}", prop::collection::vec(any::<u32>(), 1..4)).prop_map(|(semantics, s)| {
            Attribute::SsrcGroup(SsrcGroup {
                semantics,
                ssrcs: s.into_iter().map(Ssrc).collect(),
            })
        }),
        (rid_id(), any::<bool>(), prop::option::of("pt=[0-9]{1,3}")).prop_map(
            |(id, send, restrictions)| {
                let direction = if send {
                    RidDirection::Send
                } else {
                    RidDirection::Recv
                };
                Attribute::Rid(Rid {
                    id,
                    direction,
                    restrictions,
                })
            }
        ),
        (
            prop::collection::vec(prop::collection::vec((rid_id(), any::<bool>()), 1..3), 0..3),
            prop::collection::vec(prop::collection::vec((rid_id(), any::<bool>()), 1..3), 1..3)
        )
            .prop_map(|(send, recv)| {
                let conv = |l: Vec<Vec<(String, bool)>>| {
                    l.into_iter()
                        .map(|s| {
                            s.into_iter()
                                .map(|(id, paused)| SimulcastRid { id, paused })
                                .collect()
                        })
                        .collect()
                };
                Attribute::Simulcast(Simulcast {
                    send: conv(send),
                    recv: conv(recv),
                })
            }),
        ("x-[a-z-]{1,10}", prop::option::of("[ -~]{0,20}"))
            .prop_map(|(name, value)| Attribute::Other { name, value }),
    ];
    prop_oneof![simple, structured]
}

fn media_section() -> impl Strategy<Value = MediaSection> {
    (
        prop_oneof![
            Just(MediaKind::Audio),
            Just(MediaKind::Video),
            Just(MediaKind::Application),
            Just(MediaKind::Other("text".into()))
        ],
        any::<u16>(),
        prop::option::of(1u16..4),
        "[A-Z/]{3,20}",
        prop::collection::vec("[0-9a-z-]{1,5}", 0..5),
        prop::collection::vec(attribute(), 0..12),
        prop::option::of(Just(Connection::unspecified())),
        prop::collection::vec(
            ("AS|TIAS", any::<u64>()).prop_map(|(kind, value)| Bandwidth { kind, value }),
            0..2,
        ),
        prop::collection::vec(
            "[ -~]{0,10}".prop_map(|value| OtherLine { kind: 'i', value }),
            0..2,
        ),
    )
        .prop_map(
            |(kind, port, port_count, proto, formats, attributes, c, bandwidths, other_lines)| {
                MediaSection {
                    kind,
                    port,
                    port_count,
                    proto,
                    formats,
                    other_lines,
                    connections: c.into_iter().collect(),
                    bandwidths,
                    attributes,
                }
            },
        )
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        any::<u64>(),
        any::<u64>(),
        "[!-~]{1,8}",
        "[ -~]{0,10}",
        prop::collection::vec(attribute(), 0..8),
        prop::collection::vec(media_section(), 0..4),
        prop::option::of(Just(Connection::new("IP6", "::1"))),
        (any::<u64>(), any::<u64>()),
    )
        .prop_map(
            |(
                session_id,
                session_version,
                username,
                session_name,
                attributes,
                media,
                connection,
                (start, stop),
            )| {
                SessionDescription {
                    origin: Origin {
                        username,
                        session_id,
                        session_version,
                        net_type: "IN".into(),
                        addr_type: "IP4".into(),
                        address: "127.0.0.1".into(),
                    },
                    session_name,
                    info_lines: Vec::new(),
                    connection,
                    bandwidths: Vec::new(),
                    timing: Timing { start, stop },
                    time_lines: Vec::new(),
                    attributes,
                    media,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn sdp_roundtrip_generated_descriptions(sd in description()) {
        let text = sd.to_string();
        let back = SessionDescription::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(back, sd);
    }

    #[test]
    fn sdp_roundtrip_generated_attributes(a in attribute()) {
        prop_assert_eq!(Attribute::parse(&a.to_string()), a);
    }
}
