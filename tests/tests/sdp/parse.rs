//! `sdp_parse_never_panics*`: arbitrary input never panics the parser, and whatever it
//! accepts writes back to the same description. Plus the errors name the right line.

use proptest::prelude::*;
use sansrtc::sdp::{Attribute, SdpError, SessionDescription};

use crate::sample;

const SAMPLE: &str = "chromium156-audio-video-dc-offer.sdp";

/// Lines that look like SDP: known and unknown types, known attribute names with junk values.
fn sdp_like_line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "rtpmap",
        "fmtp",
        "rtcp-fb",
        "extmap",
        "candidate",
        "fingerprint",
        "setup",
        "mid",
        "msid",
        "ssrc",
        "ssrc-group",
        "rid",
        "simulcast",
        "group",
        "sctp-port",
        "max-message-size",
        "ice-ufrag",
        "ice-options",
        "sendonly",
        "rtcp-mux",
        "msid-semantic",
    ]);
    prop_oneof![
        (names, prop::option::of("[ -~]{0,40}")).prop_map(|(n, v)| match v {
            Some(v) => format!("a={n}:{v}"),
            None => format!("a={n}"),
        }),
        ("[a-z]", "[ -~]{0,40}").prop_map(|(k, v)| format!("{k}={v}")),
        "[ -~]{0,40}",
        "m=[a-z]{0,6} [0-9/]{0,7} [A-Z/]{0,12}( [0-9a-z]{1,4}){0,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sdp_parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = SessionDescription::parse_bytes(&bytes);
    }

    #[test]
    fn sdp_parse_never_panics_on_strings(text in "\\PC{0,300}") {
        if let Ok(sd) = SessionDescription::parse(&text) {
            let again = SessionDescription::parse(&sd.to_string());
            prop_assert_eq!(again.as_ref(), Ok(&sd));
        }
    }

    #[test]
    fn sdp_parse_never_panics_on_lines_mixed_into_a_sample(
        extra in prop::collection::vec((any::<prop::sample::Index>(), sdp_like_line()), 1..8),
    ) {
        let text = sample(SAMPLE);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for (at, line) in extra {
            let i = at.index(lines.len() + 1);
            lines.insert(i, line);
        }
        let mixed = lines.join("\r\n");
        match SessionDescription::parse(&mixed) {
            Ok(sd) => {
                let again = SessionDescription::parse(&sd.to_string());
                prop_assert_eq!(again.as_ref(), Ok(&sd));
            }
            Err(e) => prop_assert!(e.line <= lines.len()),
        }
    }

    #[test]
    fn sdp_parse_never_panics_on_attribute_values(text in "[ -~]{0,80}") {
        let a = Attribute::parse(&text);
        prop_assert_eq!(a.to_string(), text);
    }
}

#[test]
fn sdp_parse_errors_name_the_line() {
    let ok = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
    assert!(SessionDescription::parse(ok).is_ok());
    let cases: [(&str, usize, &str); 8] = [
        ("", 0, "expected v= first"),
        ("v=1\r\n", 1, "unsupported version"),
        ("v=0\no=- x 2 IN IP4 a\n", 2, "malformed o= line"),
        ("v=0\no=- 1 2 IN IP4 a\nt=0 0\n", 3, "expected s= after o="),
        ("v=0\no=- 1 2 IN IP4 a\ns=-\n", 0, "missing t= line"),
        (
            "v=0\no=- 1 2 IN IP4 a\ns=-\nt=0 0\nm=audio nine RTP/AVP 0\n",
            5,
            "malformed m= line",
        ),
        (
            "v=0\no=- 1 2 IN IP4 a\ns=-\nt=0 0\nbogus\n",
            5,
            "expected <type>=<value>",
        ),
        (
            "v=0\no=- 1 2 IN IP4 a\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\nc=IN IP4\n",
            6,
            "malformed c= line",
        ),
    ];
    for (text, line, kind) in cases {
        assert_eq!(
            SessionDescription::parse(text),
            Err(SdpError { line, kind }),
            "{text:?}"
        );
    }
}

#[test]
fn sdp_parse_keeps_malformed_attributes_verbatim() {
    let text = sample(SAMPLE)
        .replace("a=mid:1", "a=mid:")
        .replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus");
    let sd = SessionDescription::parse(&text).unwrap();
    let audio = &sd.media[1];
    assert!(audio.mid().is_none());
    assert!(audio.attributes.contains(&Attribute::Other {
        name: "mid".into(),
        value: Some(String::new())
    }));
    assert!(audio.attributes.contains(&Attribute::Other {
        name: "rtpmap".into(),
        value: Some("111 opus".into())
    }));
    assert_eq!(
        crate::sorted_lines(&sd.to_string()),
        crate::sorted_lines(&text)
    );
}
