//! The `a=` attributes WebRTC uses, typed, with [`Attribute::Other`] for everything else.
//!
//! An attribute is kept typed only if writing the typed value gives back exactly the text it
//! was parsed from; otherwise (an unknown name, a malformed or unusually spelled value) it is
//! kept verbatim as [`Attribute::Other`]. So a description always writes back every attribute
//! line it was parsed from, and a malformed attribute never fails the whole description.

use std::fmt;

use crate::Transport;
use crate::ice::Candidate;
use crate::sdp::types::{Direction, Fingerprint, Mid, Setup, digits};

mod rtp;
mod sctp_init;
mod simulcast;

pub use rtp::{Extmap, Fmtp, MAX_EXTMAP_ID, RtcpFb, Rtpmap, SsrcAttribute, SsrcGroup, fmtp_param};
pub use sctp_init::{MAX_SCTP_INIT_LEN, SctpInit};
pub use simulcast::{Rid, RidDirection, Simulcast, SimulcastRid};

/// One `a=` line of a session or media section.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute {
    /// `a=group:<semantics> <mid>*` (RFC 5888 section 5), e.g. `BUNDLE` (RFC 8843).
    Group(Group),
    /// `a=rtcp-mux` (RFC 5761 section 5.1.1).
    RtcpMux,
    /// `a=rtcp-mux-only` (RFC 8858).
    RtcpMuxOnly,
    /// `a=rtcp-rsize` (RFC 5506 section 5).
    RtcpRsize,
    /// `a=bundle-only` (RFC 8843 section 6): a port-0 section that is bundled, not rejected.
    BundleOnly,
    /// `a=ice-ufrag` (RFC 8839 section 5.4).
    IceUfrag(String),
    /// `a=ice-pwd` (RFC 8839 section 5.4).
    IcePwd(String),
    /// `a=ice-options`, space-separated tags such as `trickle` (RFC 8839 section 5.6).
    IceOptions(Vec<String>),
    /// `a=ice-lite` (RFC 8839 section 5.3).
    IceLite,
    /// `a=candidate` (RFC 8839 section 5.1).
    Candidate(CandidateLine),
    /// `a=end-of-candidates` (RFC 8840 section 8.2).
    EndOfCandidates,
    /// `a=fingerprint` (RFC 8122 section 5).
    Fingerprint(Fingerprint),
    /// `a=setup` (RFC 4145 section 4).
    Setup(Setup),
    /// `a=mid` (RFC 5888 section 4).
    Mid(Mid),
    /// `a=msid` (RFC 8830 section 2).
    Msid(Msid),
    /// `a=msid-semantic` (a draft of RFC 8830, still written by browsers).
    MsidSemantic(MsidSemantic),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive`.
    Direction(Direction),
    /// `a=rtpmap` (RFC 8866 section 6.6).
    Rtpmap(Rtpmap),
    /// `a=fmtp` (RFC 8866 section 6.15).
    Fmtp(Fmtp),
    /// `a=rtcp-fb` (RFC 4585 section 4.2).
    RtcpFb(RtcpFb),
    /// `a=extmap` (RFC 8285 section 8).
    Extmap(Extmap),
    /// `a=extmap-allow-mixed` (RFC 8285 section 6).
    ExtmapAllowMixed,
    /// `a=ssrc` (RFC 5576 section 4.1).
    Ssrc(SsrcAttribute),
    /// `a=ssrc-group` (RFC 5576 section 4.2), e.g. `FID` or `SIM`.
    SsrcGroup(SsrcGroup),
    /// `a=rid` (RFC 8851 section 4).
    Rid(Rid),
    /// `a=simulcast` (RFC 8853 section 5.1).
    Simulcast(Simulcast),
    /// `a=sctp-port` (RFC 8841 section 5.1).
    SctpPort(u16),
    /// `a=max-message-size` (RFC 8841 section 6.1).
    MaxMessageSize(u64),
    /// `a=sctp-init` (SNAP, draft-hancke-tsvwg-snap): the writer's SCTP INIT chunk.
    SctpInit(SctpInit),
    /// Any other attribute, or a known one whose value did not parse; kept as written.
    Other {
        /// The name, before the first `:`.
        name: String,
        /// The value after the first `:`, if there was a `:`.
        value: Option<String>,
    },
}

impl Attribute {
    /// Parses the text of an `a=` line (without `a=`). Never fails: what is not understood is
    /// kept as [`Attribute::Other`].
    pub fn parse(text: &str) -> Self {
        let (name, value) = match text.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        match typed(name, value) {
            // Keep the typed form only if it writes back exactly what was read.
            Some(attr) if writes_exactly(&attr, text) => attr,
            _ => Self::Other {
                name: name.to_owned(),
                value: value.map(str::to_owned),
            },
        }
    }

    /// The attribute name (before the `:`).
    pub fn name(&self) -> &str {
        match self {
            Self::Group(_) => "group",
            Self::RtcpMux => "rtcp-mux",
            Self::RtcpMuxOnly => "rtcp-mux-only",
            Self::RtcpRsize => "rtcp-rsize",
            Self::BundleOnly => "bundle-only",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::IceOptions(_) => "ice-options",
            Self::IceLite => "ice-lite",
            Self::Candidate(_) => "candidate",
            Self::EndOfCandidates => "end-of-candidates",
            Self::Fingerprint(_) => "fingerprint",
            Self::Setup(_) => "setup",
            Self::Mid(_) => "mid",
            Self::Msid(_) => "msid",
            Self::MsidSemantic(_) => "msid-semantic",
            Self::Direction(d) => d.as_str(),
            Self::Rtpmap(_) => "rtpmap",
            Self::Fmtp(_) => "fmtp",
            Self::RtcpFb(_) => "rtcp-fb",
            Self::Extmap(_) => "extmap",
            Self::ExtmapAllowMixed => "extmap-allow-mixed",
            Self::Ssrc(_) => "ssrc",
            Self::SsrcGroup(_) => "ssrc-group",
            Self::Rid(_) => "rid",
            Self::Simulcast(_) => "simulcast",
            Self::SctpPort(_) => "sctp-port",
            Self::MaxMessageSize(_) => "max-message-size",
            Self::SctpInit(_) => "sctp-init",
            Self::Other { name, .. } => name,
        }
    }
}

impl fmt::Display for Attribute {
    /// Writes the attribute without the `a=` prefix and line ending.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Self::RtcpMux
            | Self::RtcpMuxOnly
            | Self::RtcpRsize
            | Self::BundleOnly
            | Self::IceLite
            | Self::EndOfCandidates
            | Self::Direction(_)
            | Self::ExtmapAllowMixed => Ok(()),
            Self::Group(g) => write!(f, ":{g}"),
            Self::IceUfrag(s) | Self::IcePwd(s) => write!(f, ":{s}"),
            Self::IceOptions(tags) => write!(f, ":{}", tags.join(" ")),
            Self::Candidate(c) => write!(f, ":{}", c.value),
            Self::Fingerprint(fp) => write!(f, ":{fp}"),
            Self::Setup(s) => write!(f, ":{}", s.as_str()),
            Self::Mid(m) => write!(f, ":{m}"),
            Self::Msid(m) => write!(f, ":{m}"),
            Self::MsidSemantic(m) => write!(f, ":{m}"),
            Self::Rtpmap(r) => write!(f, ":{r}"),
            Self::Fmtp(p) => write!(f, ":{} {}", p.pt, p.params),
            Self::RtcpFb(fb) => write!(f, ":{fb}"),
            Self::Extmap(e) => write!(f, ":{e}"),
            Self::Ssrc(s) => write!(f, ":{s}"),
            Self::SsrcGroup(g) => write!(f, ":{g}"),
            Self::Rid(r) => write!(f, ":{r}"),
            Self::Simulcast(s) => write!(f, ":{s}"),
            Self::SctpPort(p) => write!(f, ":{p}"),
            Self::MaxMessageSize(n) => write!(f, ":{n}"),
            Self::SctpInit(i) => write!(f, ":{i}"),
            Self::Other { value, .. } => match value {
                Some(v) => write!(f, ":{v}"),
                None => Ok(()),
            },
        }
    }
}

/// Whether `value` formats as exactly `text`, compared as it is written (no allocation).
fn writes_exactly(value: &impl fmt::Display, text: &str) -> bool {
    /// What is left of `text` to match; a mismatch stops the formatting.
    struct Rest<'a>(&'a str);
    impl fmt::Write for Rest<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(s).ok_or(fmt::Error)?;
            Ok(())
        }
    }
    let mut rest = Rest(text);
    fmt::write(&mut rest, format_args!("{value}")).is_ok() && rest.0.is_empty()
}

/// The typed attribute for `name` and `value`, or `None` if unknown or malformed.
fn typed(name: &str, value: Option<&str>) -> Option<Attribute> {
    use Attribute as A;
    let Some(v) = value else {
        return Some(match name {
            "rtcp-mux" => A::RtcpMux,
            "rtcp-mux-only" => A::RtcpMuxOnly,
            "rtcp-rsize" => A::RtcpRsize,
            "bundle-only" => A::BundleOnly,
            "ice-lite" => A::IceLite,
            "end-of-candidates" => A::EndOfCandidates,
            "extmap-allow-mixed" => A::ExtmapAllowMixed,
            _ => A::Direction(Direction::from_name(name)?),
        });
    };
    Some(match name {
        "group" => A::Group(Group::parse(v)?),
        "ice-ufrag" => A::IceUfrag(token(v)?.to_owned()),
        "ice-pwd" => A::IcePwd(token(v)?.to_owned()),
        "ice-options" => A::IceOptions(words(v)?),
        "candidate" => A::Candidate(CandidateLine::parse(v)?),
        "fingerprint" => A::Fingerprint(v.parse().ok()?),
        "setup" => A::Setup(Setup::from_name(v)?),
        "mid" => A::Mid(Mid::new(v)?),
        "msid" => A::Msid(Msid::parse(v)?),
        "msid-semantic" => A::MsidSemantic(MsidSemantic::parse(v)?),
        "rtpmap" => A::Rtpmap(Rtpmap::parse(v)?),
        "fmtp" => A::Fmtp(Fmtp::parse(v)?),
        "rtcp-fb" => A::RtcpFb(RtcpFb::parse(v)?),
        "extmap" => A::Extmap(Extmap::parse(v)?),
        "ssrc" => A::Ssrc(SsrcAttribute::parse(v)?),
        "ssrc-group" => A::SsrcGroup(SsrcGroup::parse(v)?),
        "rid" => A::Rid(Rid::parse(v)?),
        "simulcast" => A::Simulcast(Simulcast::parse(v)?),
        "sctp-port" => A::SctpPort(digits(v)?),
        "max-message-size" => A::MaxMessageSize(digits(v)?),
        "sctp-init" => A::SctpInit(SctpInit::parse(v)?),
        _ => return None,
    })
}

/// `s` if it is one non-empty word of visible characters.
fn token(s: &str) -> Option<&str> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())).then_some(s)
}

/// Space-separated tokens, at least one.
fn words(s: &str) -> Option<Vec<String>> {
    let w: Vec<String> = s
        .split(' ')
        .map(|t| token(t).map(str::to_owned))
        .collect::<Option<_>>()?;
    (!w.is_empty()).then_some(w)
}

/// `a=group`: semantics and the mids it groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `BUNDLE`, `LS`, ...
    pub semantics: String,
    /// The grouped m-sections; for BUNDLE the first is the offerer's tagged section.
    pub mids: Vec<Mid>,
}

impl Group {
    /// A BUNDLE group (RFC 8843 section 7.1).
    pub fn bundle(mids: Vec<Mid>) -> Self {
        Self {
            semantics: "BUNDLE".to_owned(),
            mids,
        }
    }

    /// True for `BUNDLE`.
    pub fn is_bundle(&self) -> bool {
        self.semantics == "BUNDLE"
    }

    fn parse(v: &str) -> Option<Self> {
        let mut it = v.split(' ');
        let semantics = token(it.next()?)?.to_owned();
        let mids = it.map(Mid::new).collect::<Option<_>>()?;
        Some(Self { semantics, mids })
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        self.mids.iter().try_for_each(|m| write!(f, " {m}"))
    }
}

/// An `a=candidate` line: its text as written and, when the ICE agent can use it, the
/// parsed [`Candidate`]. TCP candidates and host names (mDNS) are kept unparsed rather than
/// failing the description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateLine {
    value: String,
    candidate: Option<Candidate>,
}

impl CandidateLine {
    /// The line for one of our candidates.
    pub fn new(candidate: &Candidate) -> Self {
        let text = candidate.to_string();
        let value = text.strip_prefix("candidate:").unwrap_or(&text).to_owned();
        Self {
            value,
            candidate: Some(candidate.clone()),
        }
    }

    /// The text after `candidate:`, as written.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The candidate, if the ICE agent supports it (UDP, IP address).
    pub fn candidate(&self) -> Option<&Candidate> {
        self.candidate.as_ref()
    }

    fn parse(v: &str) -> Option<Self> {
        // At least foundation, component, transport, priority, address, port, "typ", type.
        if v.split(' ').filter(|w| !w.is_empty()).count() < 8 {
            return None;
        }
        let candidate = v
            .parse::<Candidate>()
            .ok()
            .filter(|c| c.transport() == Transport::Udp);
        Some(Self {
            value: v.to_owned(),
            candidate,
        })
    }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 section 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msid {
    /// The MediaStream id (`-` for none).
    pub stream: String,
    /// The track id ("appdata"), if given.
    pub track: Option<String>,
}

impl Msid {
    fn parse(v: &str) -> Option<Self> {
        let mut it = v.split(' ');
        let stream = token(it.next()?)?.to_owned();
        let track = match it.next() {
            Some(t) => Some(token(t)?.to_owned()),
            None => None,
        };
        it.next().is_none().then_some(Self { stream, track })
    }
}

impl fmt::Display for Msid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.stream)?;
        match &self.track {
            Some(t) => write!(f, " {t}"),
            None => Ok(()),
        }
    }
}

/// `a=msid-semantic:<semantic> <id>*`, written `WMS *` by Firefox. Chrome writes a space
/// after the colon; that form is kept as [`Attribute::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsidSemantic {
    /// `WMS`.
    pub semantic: String,
    /// Stream ids or `*`.
    pub ids: Vec<String>,
}

impl MsidSemantic {
    fn parse(v: &str) -> Option<Self> {
        let mut it = v.split(' ');
        let semantic = token(it.next()?)?.to_owned();
        let ids = it
            .map(|t| token(t).map(str::to_owned))
            .collect::<Option<_>>()?;
        Some(Self { semantic, ids })
    }
}

impl fmt::Display for MsidSemantic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantic)?;
        self.ids.iter().try_for_each(|i| write!(f, " {i}"))
    }
}
