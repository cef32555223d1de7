//! Newtypes and small enums of the SDP model: payload types, media ids, SSRCs, directions,
//! DTLS roles and certificate fingerprints.

use std::fmt;
use std::str::FromStr;

/// An RTP payload type (RFC 3550 section 5.1): seven bits, `0..=127`.
///
/// Defined here until the RTP module exports the shared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pt(u8);

impl Pt {
    /// The payload type `value`, or `None` above 127.
    pub const fn new(value: u8) -> Option<Self> {
        if value <= 127 {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The payload type as a number.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Pt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Pt {
    type Err = ();

    /// Parses decimal digits only (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        digits::<u8>(s).and_then(Self::new).ok_or(())
    }
}

/// A synchronisation source identifier (RFC 3550 section 3).
///
/// Defined here until the RTP module exports the shared one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ssrc(pub u32);

impl fmt::Display for Ssrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The longest media identification tag accepted (RFC 8843 section 9.1 limits the `mid`
/// carried in RTP header extensions to 16 bytes; longer values could not be signalled there).
pub const MAX_MID_LEN: usize = 16;

/// A media identification tag (RFC 5888 section 4, `a=mid`): names one m-section and stays
/// the same across renegotiations (RFC 8829 section 5.2.2).
///
/// Held inline (at most [`MAX_MID_LEN`] bytes), so it is `Copy` and a media event that names
/// its track costs no allocation.
#[derive(Clone, Copy)]
pub struct Mid {
    len: u8,
    bytes: [u8; MAX_MID_LEN],
}

impl Mid {
    /// The mid `s` if it is 1 to [`MAX_MID_LEN`] visible ASCII characters, else `None`.
    pub fn new(s: &str) -> Option<Self> {
        let ok = !s.is_empty() && s.len() <= MAX_MID_LEN && s.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| {
            let mut bytes = [0; MAX_MID_LEN];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Self {
                len: s.len() as u8,
                bytes,
            }
        })
    }

    /// The mid browsers assign to the `index`th m-section: its decimal number.
    pub fn from_index(index: usize) -> Self {
        // usize has at most 20 decimal digits; MAX_MID_LEN is 16, so very large indexes (which
        // no session reaches) keep their last 16 digits.
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = index;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let start = at.max(digits.len() - MAX_MID_LEN);
        let text = &digits[start..];
        let mut bytes = [0; MAX_MID_LEN];
        bytes[..text.len()].copy_from_slice(text);
        Self {
            len: text.len() as u8,
            bytes,
        }
    }

    /// The mid as text.
    pub fn as_str(&self) -> &str {
        // Only visible ASCII is ever stored, so this never takes the fallback.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl PartialEq for Mid {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Mid {}

impl std::hash::Hash for Mid {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Mid {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Mid {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for Mid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mid").field(&self.as_str()).finish()
    }
}

impl fmt::Display for Mid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The media direction attributes (RFC 8866 section 6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`: send and receive (the default when none is given).
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction from an attribute name.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// The direction from whether we send and whether we receive.
    pub const fn from_flags(send: bool, recv: bool) -> Self {
        match (send, recv) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// True if this side sends.
    pub const fn is_sending(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// True if this side receives.
    pub const fn is_receiving(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The same direction seen from the other side (sendonly becomes recvonly).
    pub const fn reverse(self) -> Self {
        Self::from_flags(self.is_receiving(), self.is_sending())
    }

    /// What both allow: sends only if both send, receives only if both receive.
    pub const fn intersect(self, other: Self) -> Self {
        Self::from_flags(
            self.is_sending() && other.is_sending(),
            self.is_receiving() && other.is_receiving(),
        )
    }
}

/// The DTLS role attribute `a=setup` (RFC 4145 section 4, RFC 8842 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `actpass`: the offerer lets the answerer choose (offers must use it, RFC 8842 5.2).
    ActPass,
    /// `active`: this side is the DTLS client.
    Active,
    /// `passive`: this side is the DTLS server.
    Passive,
    /// `holdconn`: no connection for now (not used by WebRTC).
    HoldConn,
}

impl Setup {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ActPass => "actpass",
            Self::Active => "active",
            Self::Passive => "passive",
            Self::HoldConn => "holdconn",
        }
    }

    /// The role from an attribute value.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "actpass" => Self::ActPass,
            "active" => Self::Active,
            "passive" => Self::Passive,
            "holdconn" => Self::HoldConn,
            _ => return None,
        })
    }
}

/// The longest fingerprint accepted, in bytes (SHA-512 is 64).
const MAX_FINGERPRINT_LEN: usize = 64;

/// A certificate fingerprint, `a=fingerprint` (RFC 8122 section 5): a hash function name and
/// the digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    /// The hash function's textual name as in the IANA registry, e.g. `sha-256`.
    pub hash: String,
    /// The digest bytes.
    pub bytes: Vec<u8>,
}

impl Fingerprint {
    /// A SHA-256 fingerprint of `digest`.
    pub fn sha256(digest: [u8; 32]) -> Self {
        Self {
            hash: "sha-256".to_owned(),
            bytes: digest.to_vec(),
        }
    }
}

impl fmt::Display for Fingerprint {
    /// `sha-256 AB:CD:...`, upper-case hex as browsers write it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hash)?;
        for (i, b) in self.bytes.iter().enumerate() {
            let sep = if i == 0 { ' ' } else { ':' };
            write!(f, "{sep}{b:02X}")?;
        }
        Ok(())
    }
}

impl FromStr for Fingerprint {
    type Err = ();

    /// Parses `hash-func SP XX:XX:...` (hex digits of either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hash, hex) = s.split_once(' ').ok_or(())?;
        if hash.is_empty() || hash.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(());
        }
        let mut bytes = Vec::new();
        for pair in hex.split(':') {
            let b = pair.as_bytes();
            if b.len() != 2 || bytes.len() >= MAX_FINGERPRINT_LEN {
                return Err(());
            }
            bytes.push(u8::from_str_radix(pair, 16).map_err(|_| ())?);
        }
        Ok(Self {
            hash: hash.to_owned(),
            bytes,
        })
    }
}

/// The kind of an m-section (RFC 8866 section 5.14, `<media>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// `audio`.
    Audio,
    /// `video`.
    Video,
    /// `application` (data channels).
    Application,
    /// Anything else (`text`, `message`, ...), kept as written.
    Other(String),
}

impl MediaKind {
    /// The `<media>` token.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Application => "application",
            Self::Other(s) => s,
        }
    }

    /// The kind from a `<media>` token.
    pub fn from_name(s: &str) -> Self {
        match s {
            "audio" => Self::Audio,
            "video" => Self::Video,
            "application" => Self::Application,
            _ => Self::Other(s.to_owned()),
        }
    }
}

/// The RTP protocol of WebRTC m-sections (RFC 8829 section 5.1.2).
pub const PROTO_RTP: &str = "UDP/TLS/RTP/SAVPF";

/// The data-channel protocol of WebRTC (RFC 8841 section 4.1).
pub const PROTO_SCTP: &str = "UDP/DTLS/SCTP";

/// The format of the data-channel m-section (RFC 8841 section 4.1).
pub const FORMAT_DATACHANNEL: &str = "webrtc-datachannel";

/// Parses a number written as decimal digits only: no sign, no spaces, no leading zeros
/// (so that writing it back gives the same text).
pub(crate) fn digits<T: FromStr>(s: &str) -> Option<T> {
    let b = s.as_bytes();
    let canonical = !b.is_empty()
        && b.iter().all(u8::is_ascii_digit)
        && (b.first() != Some(&b'0') || b.len() == 1);
    if canonical { s.parse().ok() } else { None }
}
