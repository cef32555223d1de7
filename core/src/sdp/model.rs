//! The session description: session-level lines, m-sections, and typed accessors over their
//! attributes.
//!
//! Attributes are kept in a list in the order they were read or built, so a description
//! writes back the way it came in; the accessors find the typed attributes in that list.

use crate::ice::Candidate;
use crate::sdp::attribute::{
    Attribute, CandidateLine, Extmap, Fmtp, Group, Rid, RtcpFb, Rtpmap, Simulcast, SsrcAttribute,
    SsrcGroup,
};
use crate::sdp::types::{Direction, Fingerprint, MediaKind, Mid, Pt, Setup};

/// A session description (RFC 8866 section 5): the `v=`, `o=`, `s=`, `t=` lines, optional
/// session-level `c=` and `b=` lines, session attributes, and the m-sections.
///
/// Parse with [`SessionDescription::parse`], write with `to_string()` ([`std::fmt::Display`],
/// `\r\n` line endings). `parse(write(x)) == x` for every description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line.
    pub origin: Origin,
    /// The `s=` line (`-` in WebRTC).
    pub session_name: String,
    /// Other session-level lines before `c=` (`i=`, `u=`, `e=`, `p=`, unknown letters).
    pub info_lines: Vec<OtherLine>,
    /// The session-level `c=` line.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// The first `t=` line.
    pub timing: Timing,
    /// Lines after `t=` that belong to timing (`r=`, `z=`, `k=`, further `t=`).
    pub time_lines: Vec<OtherLine>,
    /// Session-level attributes, in order.
    pub attributes: Vec<Attribute>,
    /// The m-sections, in order.
    pub media: Vec<MediaSection>,
}

/// The `o=` line (RFC 8866 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user name (`-` in WebRTC).
    pub username: String,
    /// The session id; the same in every description of a session (RFC 8829 5.2.1).
    pub session_id: u64,
    /// The version, increased by one for every changed description (RFC 8829 5.2.2).
    pub session_version: u64,
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address (`127.0.0.1` or `0.0.0.0` in browsers).
    pub address: String,
}

/// A `c=` line (RFC 8866 section 5.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The connection address, as written.
    pub address: String,
}

impl Connection {
    /// `c=IN IP4 0.0.0.0`, what WebRTC writes before it knows an address (RFC 8829 5.2.1).
    pub fn unspecified() -> Self {
        Self::new("IP4", "0.0.0.0")
    }

    /// `c=IN <addr_type> <address>`.
    pub fn new(addr_type: &str, address: &str) -> Self {
        Self {
            net_type: "IN".to_owned(),
            addr_type: addr_type.to_owned(),
            address: address.to_owned(),
        }
    }
}

/// A `b=<type>:<value>` line (RFC 8866 section 5.8), e.g. `AS` or `TIAS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The bandwidth type.
    pub kind: String,
    /// The value (kilobits per second for `AS`, bits per second for `TIAS`).
    pub value: u64,
}

/// The `t=` line (RFC 8866 section 5.9); `0 0` in WebRTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// The start time.
    pub start: u64,
    /// The stop time.
    pub stop: u64,
}

/// A line this model does not interpret, kept as written: its type letter and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherLine {
    /// The line type, e.g. `i` or `k`.
    pub kind: char,
    /// Everything after `=`.
    pub value: String,
}

/// One m-section (RFC 8866 section 5.14): the `m=` line and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSection {
    /// The media kind.
    pub kind: MediaKind,
    /// The port; 0 marks a rejected or stopped section (RFC 8829 5.3.1, 5.2.2).
    pub port: u16,
    /// The number of ports after `/`, if written.
    pub port_count: Option<u16>,
    /// The transport protocol, e.g. `UDP/TLS/RTP/SAVPF`.
    pub proto: String,
    /// The formats: payload types for RTP, `webrtc-datachannel` for data.
    pub formats: Vec<String>,
    /// Lines this model does not interpret (`i=`, `k=`, unknown letters), written after `b=`.
    pub other_lines: Vec<OtherLine>,
    /// The `c=` lines.
    pub connections: Vec<Connection>,
    /// The `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// The attributes, in order.
    pub attributes: Vec<Attribute>,
}

/// One RTP payload format of an m-section, gathered from its `rtpmap`, `fmtp` and `rtcp-fb`
/// attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec<'a> {
    /// The `rtpmap`.
    pub rtpmap: &'a Rtpmap,
    /// The `fmtp` parameters, if any.
    pub fmtp: Option<&'a Fmtp>,
    /// The `rtcp-fb` values for this payload type or `*`.
    pub feedback: Vec<&'a str>,
}

impl Codec<'_> {
    /// The payload type.
    pub fn pt(&self) -> Pt {
        self.rtpmap.pt
    }

    /// The fmtp parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.fmtp.and_then(|f| f.param(name))
    }
}

impl SessionDescription {
    /// The session-level BUNDLE group (RFC 8843), if any.
    pub fn bundle_group(&self) -> Option<&Group> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Group(g) if g.is_bundle() => Some(g),
            _ => None,
        })
    }

    /// True if the session is `a=ice-lite`.
    pub fn is_ice_lite(&self) -> bool {
        self.attributes.contains(&Attribute::IceLite)
    }

    /// The m-section with `mid`, if any.
    pub fn media_by_mid(&self, mid: &Mid) -> Option<&MediaSection> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The ICE username fragment of `media`: its own, else the session-level one.
    pub fn ice_ufrag<'a>(&'a self, media: &'a MediaSection) -> Option<&'a str> {
        media.ice_ufrag().or_else(|| {
            find_str(&self.attributes, |a| match a {
                Attribute::IceUfrag(s) => Some(s),
                _ => None,
            })
        })
    }

    /// The ICE password of `media`: its own, else the session-level one.
    pub fn ice_pwd<'a>(&'a self, media: &'a MediaSection) -> Option<&'a str> {
        media.ice_pwd().or_else(|| {
            find_str(&self.attributes, |a| match a {
                Attribute::IcePwd(s) => Some(s),
                _ => None,
            })
        })
    }

    /// The certificate fingerprint of `media`: its own, else the session-level one.
    pub fn fingerprint<'a>(&'a self, media: &'a MediaSection) -> Option<&'a Fingerprint> {
        media.fingerprint().or_else(|| {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Fingerprint(f) => Some(f),
                _ => None,
            })
        })
    }

    /// The direction of `media`: its own attribute, else the session-level one, else
    /// `sendrecv` (RFC 8866 section 6.7).
    pub fn direction(&self, media: &MediaSection) -> Direction {
        let session = self.attributes.iter().find_map(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        });
        media
            .own_direction()
            .or(session)
            .unwrap_or(Direction::SendRecv)
    }

    /// The DTLS role of `media`: its own `a=setup`, else the session-level one.
    pub fn setup(&self, media: &MediaSection) -> Option<Setup> {
        media.setup().or_else(|| {
            self.attributes.iter().find_map(|a| match a {
                Attribute::Setup(s) => Some(*s),
                _ => None,
            })
        })
    }
}

fn find_str<'a>(
    attrs: &'a [Attribute],
    f: impl Fn(&'a Attribute) -> Option<&'a String>,
) -> Option<&'a str> {
    attrs.iter().find_map(f).map(String::as_str)
}

impl MediaSection {
    /// True if the port is 0: the section is rejected or stopped.
    pub fn is_rejected(&self) -> bool {
        self.port == 0
    }

    /// True if the section has the attribute `attr` (compared whole).
    pub fn has(&self, attr: &Attribute) -> bool {
        self.attributes.contains(attr)
    }

    /// The `a=mid`, if any.
    pub fn mid(&self) -> Option<&Mid> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Mid(m) => Some(m),
            _ => None,
        })
    }

    /// The section's own direction attribute, if any; see
    /// [`SessionDescription::direction`] for the effective one.
    pub fn own_direction(&self) -> Option<Direction> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// The section's own `a=setup`, if any.
    pub fn setup(&self) -> Option<Setup> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Setup(s) => Some(*s),
            _ => None,
        })
    }

    /// The section's own `a=ice-ufrag`, if any.
    pub fn ice_ufrag(&self) -> Option<&str> {
        find_str(&self.attributes, |a| match a {
            Attribute::IceUfrag(s) => Some(s),
            _ => None,
        })
    }

    /// The section's own `a=ice-pwd`, if any.
    pub fn ice_pwd(&self) -> Option<&str> {
        find_str(&self.attributes, |a| match a {
            Attribute::IcePwd(s) => Some(s),
            _ => None,
        })
    }

    /// The section's own `a=fingerprint`, if any (the first one).
    pub fn fingerprint(&self) -> Option<&Fingerprint> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fingerprint(f) => Some(f),
            _ => None,
        })
    }

    /// The `a=candidate` lines.
    pub fn candidate_lines(&self) -> impl Iterator<Item = &CandidateLine> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(c),
            _ => None,
        })
    }

    /// The candidates the ICE agent can use (UDP, IP addresses).
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.candidate_lines().filter_map(CandidateLine::candidate)
    }

    /// The `a=rtpmap` attributes.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rtpmap(r) => Some(r),
            _ => None,
        })
    }

    /// The `a=fmtp` of `pt`, if any.
    pub fn fmtp(&self, pt: Pt) -> Option<&Fmtp> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Fmtp(f) if f.pt == pt => Some(f),
            _ => None,
        })
    }

    /// The `a=rtcp-fb` attributes for `pt`, including `*` ones.
    pub fn rtcp_fbs(&self, pt: Pt) -> impl Iterator<Item = &RtcpFb> {
        self.attributes.iter().filter_map(move |a| match a {
            Attribute::RtcpFb(fb) if fb.pt.is_none_or(|p| p == pt) => Some(fb),
            _ => None,
        })
    }

    /// The payload formats that have an `rtpmap`, in the order of the `m=` line, each once.
    ///
    /// Linear in the number of attributes and formats (payload types index fixed tables), so
    /// a hostile description cannot make it quadratic.
    pub fn codecs(&self) -> Vec<Codec<'_>> {
        // A `Pt` is below 128 by construction, so indexing these tables cannot panic.
        let mut rtpmaps: [Option<&Rtpmap>; 128] = [None; 128];
        let mut fmtps: [Option<&Fmtp>; 128] = [None; 128];
        let mut feedback: Vec<(Option<Pt>, &str)> = Vec::new();
        for a in &self.attributes {
            match a {
                Attribute::Rtpmap(r) => {
                    let slot = &mut rtpmaps[usize::from(r.pt.get())];
                    slot.get_or_insert(r);
                }
                Attribute::Fmtp(f) => {
                    let slot = &mut fmtps[usize::from(f.pt.get())];
                    slot.get_or_insert(f);
                }
                Attribute::RtcpFb(fb) => feedback.push((fb.pt, fb.value.as_str())),
                _ => {}
            }
        }
        let mut seen = [false; 128];
        let mut out = Vec::new();
        for pt in self.formats.iter().filter_map(|f| f.parse::<Pt>().ok()) {
            let i = usize::from(pt.get());
            let Some(rtpmap) = rtpmaps[i] else { continue };
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push(Codec {
                rtpmap,
                fmtp: fmtps[i],
                feedback: feedback
                    .iter()
                    .filter(|(p, _)| p.is_none_or(|p| p == pt))
                    .map(|(_, v)| *v)
                    .collect(),
            });
        }
        out
    }

    /// The `a=extmap` attributes.
    pub fn extmaps(&self) -> impl Iterator<Item = &Extmap> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Extmap(e) => Some(e),
            _ => None,
        })
    }

    /// The `a=rid` attributes.
    pub fn rids(&self) -> impl Iterator<Item = &Rid> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Rid(r) => Some(r),
            _ => None,
        })
    }

    /// The `a=simulcast`, if any.
    pub fn simulcast(&self) -> Option<&Simulcast> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::Simulcast(s) => Some(s),
            _ => None,
        })
    }

    /// The `a=ssrc` attributes.
    pub fn ssrcs(&self) -> impl Iterator<Item = &SsrcAttribute> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::Ssrc(s) => Some(s),
            _ => None,
        })
    }

    /// The `a=ssrc-group` attributes.
    pub fn ssrc_groups(&self) -> impl Iterator<Item = &SsrcGroup> {
        self.attributes.iter().filter_map(|a| match a {
            Attribute::SsrcGroup(g) => Some(g),
            _ => None,
        })
    }

    /// The `a=sctp-port`, if any.
    pub fn sctp_port(&self) -> Option<u16> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::SctpPort(p) => Some(*p),
            _ => None,
        })
    }

    /// The `a=max-message-size`, if any.
    pub fn max_message_size(&self) -> Option<u64> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::MaxMessageSize(n) => Some(*n),
            _ => None,
        })
    }

    /// The INIT chunk of `a=sctp-init` (SNAP), if any.
    pub fn sctp_init(&self) -> Option<&[u8]> {
        self.attributes.iter().find_map(|a| match a {
            Attribute::SctpInit(i) => Some(i.chunk.as_slice()),
            _ => None,
        })
    }
}
