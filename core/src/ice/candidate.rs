//! Candidates: kinds, priorities (RFC 8445 section 5.1.2), foundations (section 5.1.1.3) and
//! the SDP `candidate` attribute (RFC 8839 section 5.1).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::Transport;
use crate::ice::CandidateError;

/// The only component ICE is run for: RTP and RTCP are multiplexed (RFC 8843, RFC 5761).
pub(crate) const COMPONENT_RTP: u16 = 1;

/// The longest foundation, in characters (RFC 8839 section 5.1: `1*32ice-char`).
const MAX_FOUNDATION_LEN: usize = 32;

/// The kind of a candidate (RFC 8445 section 5.1.1), which decides its type preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CandidateKind {
    /// An address of a local interface (`typ host`).
    Host,
    /// The address a STUN server saw, outside a NAT (`typ srflx`).
    ServerReflexive,
    /// An address learned from a connectivity check (`typ prflx`).
    PeerReflexive,
    /// An address on a TURN relay (`typ relay`).
    Relayed,
}

impl CandidateKind {
    /// The type preference of RFC 8445 section 5.1.2.2: host 126, peer-reflexive 110,
    /// server-reflexive 100, relayed 0.
    pub const fn type_preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::PeerReflexive => 110,
            Self::ServerReflexive => 100,
            Self::Relayed => 0,
        }
    }

    /// The `cand-type` token of RFC 8839 section 5.1.
    pub const fn sdp_name(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }

    fn tag(self) -> u8 {
        match self {
            Self::Host => 1,
            Self::ServerReflexive => 2,
            Self::PeerReflexive => 3,
            Self::Relayed => 4,
        }
    }
}

/// A candidate foundation: 1 to 32 `ice-char`s, stored inline so candidates do not allocate.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Foundation {
    len: u8,
    bytes: [u8; MAX_FOUNDATION_LEN],
}

impl Foundation {
    /// Parses a foundation, which must be 1 to 32 `ice-char`s (ALPHA / DIGIT / "+" / "/").
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let raw = s.as_bytes();
        if raw.is_empty() || raw.len() > MAX_FOUNDATION_LEN || !raw.iter().all(|&b| is_ice_char(b))
        {
            return None;
        }
        let mut bytes = [0; MAX_FOUNDATION_LEN];
        bytes[..raw.len()].copy_from_slice(raw);
        Some(Self {
            len: raw.len() as u8,
            bytes,
        })
    }

    /// A foundation made of the decimal digits of `value`.
    fn from_number(mut value: u32) -> Self {
        let mut digits = [0u8; 10];
        let mut n = 0;
        loop {
            digits[n] = b'0' + (value % 10) as u8;
            n += 1;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        let mut bytes = [0; MAX_FOUNDATION_LEN];
        for (i, d) in digits[..n].iter().rev().enumerate() {
            bytes[i] = *d;
        }
        Self {
            len: n as u8,
            bytes,
        }
    }

    /// The foundation of RFC 8445 section 5.1.1.3: equal for candidates of the same kind,
    /// base IP, STUN server IP and transport. Computed as a 32-bit FNV-1a hash of those.
    pub(crate) fn compute(kind: CandidateKind, base: IpAddr, server: Option<IpAddr>) -> Self {
        let mut h = Fnv::new();
        h.write(&[kind.tag(), 0]);
        write_ip(&mut h, base);
        if let Some(server) = server {
            write_ip(&mut h, server);
        }
        Self::from_number(h.finish())
    }

    /// A foundation for a remote peer-reflexive candidate (RFC 8445 section 7.3.1.3: any value
    /// unlike the other remote candidates'): a hash of the whole address.
    pub(crate) fn remote_peer_reflexive(addr: SocketAddr) -> Self {
        let mut h = Fnv::new();
        h.write(&[CandidateKind::PeerReflexive.tag(), 1]);
        write_ip(&mut h, addr.ip());
        h.write(&addr.port().to_be_bytes());
        Self::from_number(h.finish())
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ice-chars (ASCII) are ever stored, so this cannot fail; fall back to "" rather
        // than panic.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Debug for Foundation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

fn write_ip(h: &mut Fnv, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => h.write(&v4.octets()),
        IpAddr::V6(v6) => h.write(&v6.octets()),
    }
}

/// 32-bit FNV-1a: small, stable across versions and platforms (unlike `DefaultHasher`).
struct Fnv(u32);

impl Fnv {
    fn new() -> Self {
        Self(0x811c_9dc5)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u32::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    fn finish(&self) -> u32 {
        self.0
    }
}

fn is_ice_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

/// The local preference of RFC 8445 section 5.1.2.1 for the `index`-th local address of its
/// family: IPv6 addresses rank above IPv4 ones (high byte 0xFF against 0xFE), and within a
/// family earlier addresses rank higher (low byte 255 - index).
pub(crate) fn local_preference(addr: &SocketAddr, index: usize) -> u16 {
    let family: u16 = if addr.is_ipv6() { 0xFF } else { 0xFE };
    let index = u16::try_from(index.min(255)).unwrap_or(255);
    (family << 8) | (255 - index)
}

/// Whether an address can be a candidate: not unspecified, not multicast, not port 0.
pub(crate) fn is_usable(addr: &SocketAddr) -> bool {
    addr.port() != 0 && !addr.ip().is_unspecified() && !addr.ip().is_multicast()
}

/// An ICE candidate: a transport address plus what RFC 8445 section 5.1 says about it.
///
/// Local candidates come from the agent (as [`IceEvent::LocalCandidate`](super::IceEvent));
/// remote ones from signalling, usually parsed from the SDP `candidate` attribute:
///
/// ```
/// use sansrtc::ice::{Candidate, CandidateKind};
///
/// let c: Candidate = "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host".parse()?;
/// assert_eq!(c.kind(), CandidateKind::Host);
/// assert_eq!(c.to_string(), "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host");
/// # Ok::<(), sansrtc::ice::CandidateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    foundation: Foundation,
    component: u16,
    transport: Transport,
    priority: u32,
    addr: SocketAddr,
    kind: CandidateKind,
    related: Option<SocketAddr>,
    base: SocketAddr,
}

impl Candidate {
    /// The priority formula of RFC 8445 section 5.1.2.1:
    /// `2^24 * type preference + 2^8 * local preference + (256 - component)`.
    pub fn compute_priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
        let component = u32::from(component.clamp(1, 256));
        (kind.type_preference() << 24) + (u32::from(local_preference) << 8) + (256 - component)
    }

    /// A host candidate for a local address, with the local preference of the first address
    /// of its family.
    pub fn host(addr: SocketAddr) -> Self {
        Self::host_with_index(addr, 0)
    }

    pub(crate) fn host_with_index(addr: SocketAddr, index: usize) -> Self {
        let kind = CandidateKind::Host;
        Self {
            foundation: Foundation::compute(kind, addr.ip(), None),
            component: COMPONENT_RTP,
            transport: Transport::Udp,
            priority: Self::compute_priority(kind, local_preference(&addr, index), COMPONENT_RTP),
            addr,
            kind,
            related: None,
            base: addr,
        }
    }

    /// A server-reflexive candidate: `addr` as seen by the STUN server `server` for requests
    /// sent from the host candidate `base`.
    pub(crate) fn server_reflexive(addr: SocketAddr, base: &Self, server: SocketAddr) -> Self {
        let kind = CandidateKind::ServerReflexive;
        Self::from_server(kind, addr, base.addr, base.addr, base, server)
    }

    /// A relayed candidate: `relayed` on the TURN server `server`, allocated from the host
    /// candidate `base`; `mapped` (our address as the server saw it) is signalled as the
    /// related address, or the host address when the server did not say. Its base is itself
    /// (RFC 8445 section 5.1.1.2).
    pub(crate) fn relayed(
        relayed: SocketAddr,
        mapped: Option<SocketAddr>,
        base: &Self,
        server: SocketAddr,
    ) -> Self {
        let related = mapped.unwrap_or(base.addr);
        Self::from_server(
            CandidateKind::Relayed,
            relayed,
            related,
            relayed,
            base,
            server,
        )
    }

    /// A candidate a server gave us for `host`: the host's local preference, and a foundation
    /// from the host's and the server's addresses (RFC 8445 section 5.1.1.3).
    fn from_server(
        kind: CandidateKind,
        addr: SocketAddr,
        related: SocketAddr,
        base: SocketAddr,
        host: &Self,
        server: SocketAddr,
    ) -> Self {
        Self {
            foundation: Foundation::compute(kind, host.addr.ip(), Some(server.ip())),
            component: COMPONENT_RTP,
            transport: Transport::Udp,
            priority: Self::compute_priority(kind, host.local_preference(), COMPONENT_RTP),
            addr,
            kind,
            related: Some(related),
            base,
        }
    }

    /// The local preference in this candidate's priority (RFC 8445 section 5.1.2.1).
    fn local_preference(&self) -> u16 {
        u16::try_from((self.priority >> 8) & 0xFFFF).unwrap_or(0)
    }

    /// A local peer-reflexive candidate learned from XOR-MAPPED-ADDRESS (RFC 8445 section
    /// 7.2.5.3.1), with the PRIORITY sent in the check.
    pub(crate) fn local_peer_reflexive(addr: SocketAddr, base: SocketAddr, priority: u32) -> Self {
        let kind = CandidateKind::PeerReflexive;
        Self {
            foundation: Foundation::compute(kind, base.ip(), None),
            component: COMPONENT_RTP,
            transport: Transport::Udp,
            priority,
            addr,
            kind,
            related: Some(base),
            base,
        }
    }

    /// A remote peer-reflexive candidate learned from a check's source address (RFC 8445
    /// section 7.3.1.3), with the PRIORITY from that check.
    pub(crate) fn remote_peer_reflexive(addr: SocketAddr, priority: u32) -> Self {
        Self {
            foundation: Foundation::remote_peer_reflexive(addr),
            component: COMPONENT_RTP,
            transport: Transport::Udp,
            priority,
            addr,
            kind: CandidateKind::PeerReflexive,
            related: None,
            base: addr,
        }
    }

    /// The priority of a peer-reflexive candidate with this candidate's base, as sent in the
    /// PRIORITY attribute of checks (RFC 8445 section 7.1.1).
    pub(crate) fn peer_reflexive_priority(&self) -> u32 {
        Self::compute_priority(
            CandidateKind::PeerReflexive,
            self.local_preference(),
            self.component,
        )
    }

    /// The transport address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base (RFC 8445 section 5.1.1): the local address checks are sent from. For remote
    /// candidates and host candidates it is [`addr`](Self::addr).
    pub fn base(&self) -> SocketAddr {
        self.base
    }

    /// The kind.
    pub fn kind(&self) -> CandidateKind {
        self.kind
    }

    /// The priority.
    pub fn priority(&self) -> u32 {
        self.priority
    }

    /// The foundation.
    pub fn foundation(&self) -> &str {
        self.foundation.as_str()
    }

    pub(crate) fn foundation_id(&self) -> Foundation {
        self.foundation
    }

    /// The component ID (always 1 for candidates this agent makes).
    pub fn component(&self) -> u16 {
        self.component
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.transport
    }

    /// The related address (`raddr`/`rport`): the base of a reflexive or relayed candidate.
    pub fn related_address(&self) -> Option<SocketAddr> {
        self.related
    }

    /// Turns a remote candidate signalled after it was learned as peer-reflexive into the
    /// signalled one (RFC 8445 section 7.3.1.3, last paragraph).
    pub(crate) fn replace_with(&mut self, signalled: &Self) {
        *self = signalled.clone();
    }
}

impl fmt::Display for Candidate {
    /// Formats the RFC 8839 section 5.1 `candidate-attribute`, `candidate:` included and
    /// `a=` not, as browsers' `RTCIceCandidate.candidate` does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match self.transport {
            Transport::Tcp => "tcp",
            _ => "udp",
        };
        write!(
            f,
            "candidate:{} {} {} {} {} {} typ {}",
            self.foundation.as_str(),
            self.component,
            transport,
            self.priority,
            self.addr.ip(),
            self.addr.port(),
            self.kind.sdp_name()
        )?;
        if let Some(related) = self.related {
            write!(f, " raddr {} rport {}", related.ip(), related.port())?;
        }
        Ok(())
    }
}

impl FromStr for Candidate {
    type Err = CandidateError;

    /// Parses the RFC 8839 section 5.1 `candidate-attribute`. The `a=` and `candidate:`
    /// prefixes are optional. Extensions after `typ` other than `raddr` and `rport`
    /// (`generation`, `ufrag`, `network-id`, `tcptype`, ...) are skipped. Host names (mDNS
    /// `.local` addresses) are refused as [`CandidateError::BadAddress`]: the agent resolves
    /// nothing. Never panics.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let s = s.strip_prefix("a=").unwrap_or(s);
        let s = s.strip_prefix("candidate:").unwrap_or(s);
        let mut fields = s.split_ascii_whitespace();
        let mut next = |name: &'static str| fields.next().ok_or(CandidateError::Malformed(name));

        let foundation = Foundation::parse(next("foundation")?)
            .ok_or(CandidateError::Malformed("foundation"))?;
        let component: u16 = next("component-id")?
            .parse()
            .map_err(|_| CandidateError::Malformed("component-id"))?;
        if !(1..=256).contains(&component) {
            return Err(CandidateError::Malformed("component-id"));
        }
        let transport = next("transport")?;
        let transport = if transport.eq_ignore_ascii_case("udp") {
            Transport::Udp
        } else if transport.eq_ignore_ascii_case("tcp") {
            Transport::Tcp
        } else {
            return Err(CandidateError::UnsupportedTransport);
        };
        let priority: u32 = next("priority")?
            .parse()
            .map_err(|_| CandidateError::Malformed("priority"))?;
        let ip = parse_ip(next("connection-address")?)?;
        let port = parse_port(next("port")?)?;
        if next("typ")? != "typ" {
            return Err(CandidateError::Malformed("typ"));
        }
        let kind = match next("cand-type")? {
            "host" => CandidateKind::Host,
            "srflx" => CandidateKind::ServerReflexive,
            "prflx" => CandidateKind::PeerReflexive,
            "relay" => CandidateKind::Relayed,
            _ => return Err(CandidateError::Malformed("cand-type")),
        };
        let mut raddr = None;
        let mut rport = None;
        while let Some(name) = fields.next() {
            let value = fields
                .next()
                .ok_or(CandidateError::Malformed("extension"))?;
            match name {
                "raddr" => raddr = Some(parse_ip(value)?),
                "rport" => rport = Some(parse_port(value)?),
                _ => {}
            }
        }
        let related = match (raddr, rport) {
            (Some(ip), Some(port)) => Some(SocketAddr::new(ip, port)),
            (None, None) => None,
            _ => return Err(CandidateError::Malformed("raddr")),
        };
        let addr = SocketAddr::new(ip, port);
        Ok(Self {
            foundation,
            component,
            transport,
            priority,
            addr,
            kind,
            related,
            base: addr,
        })
    }
}

fn parse_ip(s: &str) -> Result<IpAddr, CandidateError> {
    let s = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(s);
    s.parse().map_err(|_| CandidateError::BadAddress)
}

fn parse_port(s: &str) -> Result<u16, CandidateError> {
    s.parse().map_err(|_| CandidateError::Malformed("port"))
}
