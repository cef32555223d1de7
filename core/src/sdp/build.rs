//! Builders shared by offers and answers: the session header, the transport attributes of a
//! bundled m-section, rejected sections, codecs and sending tracks, in the order browsers
//! write them.

use crate::sdp::attribute::{
    Attribute, CandidateLine, Fmtp, Msid, RtcpFb, Rtpmap, SsrcAttribute, SsrcGroup,
};
use crate::sdp::config::{LocalConfig, SendTrack};
use crate::sdp::model::{Connection, MediaSection, Origin, SessionDescription, Timing};
use crate::sdp::types::{MediaKind, Mid, Pt, Setup};

/// The port written when no candidate is known yet (RFC 8829 section 5.2.1: the discard port).
const DISCARD_PORT: u16 = 9;

/// A session with `v=`, `o=`, `s=-`, `t=0 0` and no attributes or sections.
pub(crate) fn session(session_id: u64, session_version: u64) -> SessionDescription {
    SessionDescription {
        origin: Origin {
            username: "-".to_owned(),
            session_id,
            session_version,
            net_type: "IN".to_owned(),
            addr_type: "IP4".to_owned(),
            address: "127.0.0.1".to_owned(),
        },
        session_name: "-".to_owned(),
        info_lines: Vec::new(),
        connection: None,
        bandwidths: Vec::new(),
        timing: Timing::default(),
        time_lines: Vec::new(),
        attributes: Vec::new(),
        media: Vec::new(),
    }
}

/// An m-section with its `m=` and `c=` lines and, in browser order, `a=rtcp` (RTP), the
/// candidates, `a=end-of-candidates`, ICE credentials and options, fingerprint, `a=setup` and
/// `a=mid`. The port and address are those of the first candidate, else `9` and `0.0.0.0`.
pub(crate) fn bundled_section(
    config: &LocalConfig,
    kind: MediaKind,
    proto: &str,
    formats: Vec<String>,
    setup: Setup,
    mid: &Mid,
) -> MediaSection {
    let first = config.candidates.first().map(|c| c.addr());
    let connection = match first {
        Some(a) if a.is_ipv6() => Connection::new("IP6", &a.ip().to_string()),
        Some(a) => Connection::new("IP4", &a.ip().to_string()),
        None => Connection::unspecified(),
    };
    let is_rtp = matches!(kind, MediaKind::Audio | MediaKind::Video);
    let mut m = MediaSection {
        kind,
        port: first.map_or(DISCARD_PORT, |a| a.port()),
        port_count: None,
        proto: proto.to_owned(),
        formats,
        other_lines: Vec::new(),
        connections: vec![connection],
        bandwidths: Vec::new(),
        attributes: Vec::new(),
    };
    let a = &mut m.attributes;
    if is_rtp {
        // RFC 8829 5.2.1: the RTCP attribute with the discard port, as browsers write it.
        a.push(Attribute::Other {
            name: "rtcp".to_owned(),
            value: Some("9 IN IP4 0.0.0.0".to_owned()),
        });
    }
    a.extend(
        config
            .candidates
            .iter()
            .map(|c| Attribute::Candidate(CandidateLine::new(c))),
    );
    if config.end_of_candidates {
        a.push(Attribute::EndOfCandidates);
    }
    a.push(Attribute::IceUfrag(config.ice_ufrag.clone()));
    a.push(Attribute::IcePwd(config.ice_pwd.clone()));
    if config.trickle {
        a.push(Attribute::IceOptions(vec!["trickle".to_owned()]));
    }
    a.push(Attribute::Fingerprint(config.fingerprint.clone()));
    a.push(Attribute::Setup(setup));
    a.push(Attribute::Mid(*mid));
    m
}

/// A rejected or stopped m-section (RFC 8829 5.2.2, 5.3.1): port 0, the same kind, protocol
/// and formats, `c=IN IP4 0.0.0.0`, the mid if known, and `a=inactive` for RTP.
pub(crate) fn rejected_section(
    kind: MediaKind,
    proto: &str,
    formats: Vec<String>,
    mid: Option<&Mid>,
) -> MediaSection {
    let is_rtp = matches!(kind, MediaKind::Audio | MediaKind::Video);
    let mut m = MediaSection {
        kind,
        port: 0,
        port_count: None,
        proto: proto.to_owned(),
        formats,
        other_lines: Vec::new(),
        connections: vec![Connection::unspecified()],
        bandwidths: Vec::new(),
        attributes: Vec::new(),
    };
    if let Some(mid) = mid {
        m.attributes.push(Attribute::Mid(*mid));
    }
    if is_rtp {
        m.attributes
            .push(Attribute::Direction(crate::sdp::Direction::Inactive));
    }
    m
}

/// One payload format to write: `a=rtpmap`, its `a=rtcp-fb` lines, then `a=fmtp`.
pub(crate) struct CodecLines {
    pub(crate) rtpmap: Rtpmap,
    pub(crate) feedback: Vec<String>,
    pub(crate) fmtp: Option<String>,
}

impl CodecLines {
    /// An RTX format (RFC 4588 section 8.6) for `apt`.
    pub(crate) fn rtx(pt: Pt, clock_rate: u32, apt: Pt) -> Self {
        Self {
            rtpmap: Rtpmap {
                pt,
                encoding: "rtx".to_owned(),
                clock_rate,
                channels: None,
            },
            feedback: Vec::new(),
            fmtp: Some(format!("apt={apt}")),
        }
    }

    pub(crate) fn push_to(self, attrs: &mut Vec<Attribute>) {
        let pt = self.rtpmap.pt;
        attrs.push(Attribute::Rtpmap(self.rtpmap));
        attrs.extend(self.feedback.into_iter().map(|value| {
            Attribute::RtcpFb(RtcpFb {
                pt: Some(pt),
                value,
            })
        }));
        if let Some(params) = self.fmtp {
            attrs.push(Attribute::Fmtp(Fmtp { pt, params }));
        }
    }
}

/// `a=msid` for a track we send.
pub(crate) fn msid(track: &SendTrack) -> Attribute {
    Attribute::Msid(Msid {
        stream: track.stream_id.clone(),
        track: Some(track.track_id.clone()),
    })
}

/// `a=ssrc-group:FID` (if there is an RTX source) and the `cname` and `msid` source
/// attributes of each source, as browsers write them at the end of the section.
pub(crate) fn ssrc_lines(track: &SendTrack, cname: &str, attrs: &mut Vec<Attribute>) {
    let mut ssrcs = vec![track.ssrc];
    if let Some(rtx) = track.rtx_ssrc {
        ssrcs.push(rtx);
        attrs.push(Attribute::SsrcGroup(SsrcGroup {
            semantics: "FID".to_owned(),
            ssrcs: ssrcs.clone(),
        }));
    }
    for ssrc in ssrcs {
        attrs.push(Attribute::Ssrc(SsrcAttribute {
            ssrc,
            attribute: "cname".to_owned(),
            value: Some(cname.to_owned()),
        }));
        attrs.push(Attribute::Ssrc(SsrcAttribute {
            ssrc,
            attribute: "msid".to_owned(),
            value: Some(format!("{} {}", track.stream_id, track.track_id)),
        }));
    }
}
