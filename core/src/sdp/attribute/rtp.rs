//! The RTP attributes of an m-section: payload formats (`rtpmap`, `fmtp`, `rtcp-fb`), header
//! extensions (`extmap`) and sources (`ssrc`, `ssrc-group`).

use std::fmt;

use super::token;
use crate::sdp::types::{Direction, Pt, Ssrc, digits};

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap {
    /// The payload type.
    pub pt: Pt,
    /// The encoding name as written (`opus`, `VP8`, `rtx`, ...).
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The channel count (audio), if given.
    pub channels: Option<u16>,
}

impl Rtpmap {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let (pt, rest) = v.split_once(' ')?;
        let mut it = rest.split('/');
        let encoding = token(it.next()?)?.to_owned();
        let clock_rate = digits(it.next()?)?;
        let channels = match it.next() {
            Some(c) => Some(digits(c)?),
            None => None,
        };
        if it.next().is_some() {
            return None;
        }
        Some(Self {
            pt: pt.parse().ok()?,
            encoding,
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for Rtpmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.pt, self.encoding, self.clock_rate)?;
        match self.channels {
            Some(c) => write!(f, "/{c}"),
            None => Ok(()),
        }
    }
}

/// `a=fmtp:<pt> <parameters>`; the parameters are kept as written and read with
/// [`Fmtp::param`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// The payload type.
    pub pt: Pt,
    /// The format parameters, e.g. `minptime=10;useinbandfec=1`.
    pub params: String,
}

impl Fmtp {
    /// The value of parameter `name` (`key=value` pairs separated by `;`), if present.
    pub fn param(&self, name: &str) -> Option<&str> {
        fmtp_param(&self.params, name)
    }

    pub(super) fn parse(v: &str) -> Option<Self> {
        let (pt, params) = v.split_once(' ')?;
        Some(Self {
            pt: pt.parse().ok()?,
            params: params.to_owned(),
        })
    }
}

/// The value of `name` in a `key=value;key=value` fmtp parameter list.
pub fn fmtp_param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
    })
}

/// `a=rtcp-fb:<pt or *> <type> [<parameters>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb {
    /// The payload type, or `None` for `*` (all formats).
    pub pt: Option<Pt>,
    /// The feedback type and parameters, e.g. `nack pli`.
    pub value: String,
}

impl RtcpFb {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let (pt, value) = v.split_once(' ')?;
        let pt = if pt == "*" {
            None
        } else {
            Some(pt.parse().ok()?)
        };
        token(value.split(' ').next()?)?;
        Some(Self {
            pt,
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for RtcpFb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pt {
            Some(pt) => write!(f, "{pt} {}", self.value),
            None => write!(f, "* {}", self.value),
        }
    }
}

/// The largest header extension id (RFC 8285 section 5: two-byte headers allow 1-255).
pub const MAX_EXTMAP_ID: u16 = 255;

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 section 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extmap {
    /// The local identifier, 1 to [`MAX_EXTMAP_ID`].
    pub id: u16,
    /// The direction, if given.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: String,
    /// Extension attributes after the URI, as written.
    pub attributes: Option<String>,
}

impl Extmap {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let mut it = v.splitn(3, ' ');
        let first = it.next()?;
        let (id, direction) = match first.split_once('/') {
            Some((id, d)) => (id, Some(Direction::from_name(d)?)),
            None => (first, None),
        };
        let id: u16 = digits(id)?;
        if !(1..=MAX_EXTMAP_ID).contains(&id) {
            return None;
        }
        let uri = token(it.next()?)?.to_owned();
        let attributes = it.next().map(str::to_owned);
        Some(Self {
            id,
            direction,
            uri,
            attributes,
        })
    }
}

impl fmt::Display for Extmap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(d) = self.direction {
            write!(f, "/{}", d.as_str())?;
        }
        write!(f, " {}", self.uri)?;
        match &self.attributes {
            Some(a) => write!(f, " {a}"),
            None => Ok(()),
        }
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 section 4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcAttribute {
    /// The source.
    pub ssrc: Ssrc,
    /// The source attribute name, e.g. `cname` or `msid`.
    pub attribute: String,
    /// Its value, if any.
    pub value: Option<String>,
}

impl SsrcAttribute {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let (ssrc, rest) = v.split_once(' ')?;
        let (attribute, value) = match rest.split_once(':') {
            Some((a, v)) => (a, Some(v.to_owned())),
            None => (rest, None),
        };
        Some(Self {
            ssrc: Ssrc(digits(ssrc)?),
            attribute: token(attribute)?.to_owned(),
            value,
        })
    }
}

impl fmt::Display for SsrcAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.ssrc, self.attribute)?;
        match &self.value {
            Some(v) => write!(f, ":{v}"),
            None => Ok(()),
        }
    }
}

/// `a=ssrc-group:<semantics> <ssrc>*` (RFC 5576 section 4.2): `FID` pairs a source with its
/// retransmission source (RFC 4588), `SIM` lists simulcast layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup {
    /// `FID`, `SIM`, `FEC-FR`, ...
    pub semantics: String,
    /// The sources.
    pub ssrcs: Vec<Ssrc>,
}

impl SsrcGroup {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let mut it = v.split(' ');
        let semantics = token(it.next()?)?.to_owned();
        let ssrcs: Vec<Ssrc> = it.map(|s| digits(s).map(Ssrc)).collect::<Option<_>>()?;
        (!ssrcs.is_empty()).then_some(Self { semantics, ssrcs })
    }
}

impl fmt::Display for SsrcGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        self.ssrcs.iter().try_for_each(|s| write!(f, " {s}"))
    }
}
