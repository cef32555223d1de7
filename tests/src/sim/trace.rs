//! What happened to every datagram: the rolling trace hash, the optional recorded trace and
//! the counters.
//!
//! Each datagram leaves a `Sent` entry when its peer hands it over, a `Duplicated` entry for
//! every extra copy a link makes, and exactly one final entry per copy: `Delivered` or
//! `Dropped(cause)`. Every entry is folded into a 64-bit FNV-1a hash as it happens, so two runs
//! can be compared by one number even when recording is off. Recording keeps the entries in a
//! `Vec` for printing; it allocates and is meant for debugging only.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// FNV-1a, 64-bit: a small fixed hash whose value never changes between runs, builds or
/// platforms (unlike std's randomly keyed `DefaultHasher`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Fnv64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    /// A hasher in its initial state.
    pub const fn new() -> Self {
        Self(Self::OFFSET_BASIS)
    }

    /// Hashes a byte slice in one call.
    pub fn hash(bytes: &[u8]) -> u64 {
        let mut h = Self::new();
        h.write(bytes);
        h.finish()
    }

    /// Feeds bytes.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(Self::PRIME);
        }
    }

    /// Feeds a `u64` as 8 little-endian bytes.
    pub fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }

    /// Feeds a socket address (family tag, address bytes, port).
    pub fn write_addr(&mut self, addr: SocketAddr) {
        match addr.ip() {
            IpAddr::V4(ip) => {
                self.write(&[4]);
                self.write(&ip.octets());
            }
            IpAddr::V6(ip) => {
                self.write(&[6]);
                self.write(&ip.octets());
            }
        }
        self.write(&addr.port().to_le_bytes());
    }

    /// The hash of everything fed so far.
    pub const fn finish(&self) -> u64 {
        self.0
    }
}

impl Default for Fnv64 {
    fn default() -> Self {
        Self::new()
    }
}

/// Why the simulator dropped a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropCause {
    /// The link's loss model (random or Gilbert-Elliott) chose to lose it.
    Loss,
    /// The link's bandwidth queue was full (tail drop).
    Queue,
    /// Larger than the link's MTU.
    Mtu,
    /// A NAT refused it: no mapping for the destination port, or its filtering rule rejected
    /// the source (RFC 4787 section 5), or the port space was exhausted.
    NatFilter,
    /// A host behind a NAT sent to the NAT's own public address and the NAT does not hairpin
    /// (RFC 4787 section 6).
    Hairpin,
    /// Nobody owns the destination address in the realm the datagram was in.
    NoRoute,
    /// The sender's `Transmit::source` is not one of its host's addresses.
    BadSource,
}

impl DropCause {
    const fn code(self) -> u8 {
        match self {
            Self::Loss => 0,
            Self::Queue => 1,
            Self::Mtu => 2,
            Self::NatFilter => 3,
            Self::Hairpin => 4,
            Self::NoRoute => 5,
            Self::BadSource => 6,
        }
    }
}

/// What a trace entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// A peer handed the datagram to the network (addresses as the peer wrote them).
    Sent,
    /// A link made an extra copy of the datagram.
    Duplicated,
    /// The datagram reached its destination host (addresses as the receiver sees them, after
    /// NAT translation).
    Delivered,
    /// The datagram was dropped (addresses as they were at that point).
    Dropped(DropCause),
}

impl Verdict {
    const fn code(self) -> u8 {
        match self {
            Self::Sent => 0x10,
            Self::Duplicated => 0x11,
            Self::Delivered => 0x12,
            Self::Dropped(c) => 0x20 + c.code(),
        }
    }
}

/// One event in the life of a datagram. `Copy`, so recording it allocates only when the
/// recording `Vec` grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceEntry {
    /// Virtual time since the simulation's epoch.
    pub at: Duration,
    /// The source address at that point.
    pub from: SocketAddr,
    /// The destination address at that point.
    pub to: SocketAddr,
    /// The datagram's length in bytes (UDP payload).
    pub len: u32,
    /// What happened.
    pub verdict: Verdict,
    /// FNV-1a 64 of the datagram's bytes.
    pub payload_hash: u64,
}

impl fmt::Display for TraceEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Sent => "sent",
            Verdict::Duplicated => "duplicated",
            Verdict::Delivered => "delivered",
            Verdict::Dropped(DropCause::Loss) => "dropped: loss",
            Verdict::Dropped(DropCause::Queue) => "dropped: queue",
            Verdict::Dropped(DropCause::Mtu) => "dropped: mtu",
            Verdict::Dropped(DropCause::NatFilter) => "dropped: nat filter",
            Verdict::Dropped(DropCause::Hairpin) => "dropped: hairpin",
            Verdict::Dropped(DropCause::NoRoute) => "dropped: no route",
            Verdict::Dropped(DropCause::BadSource) => "dropped: bad source",
        };
        write!(
            f,
            "{:>12.6}s {} -> {} {:>5} B {:016x} {}",
            self.at.as_secs_f64(),
            self.from,
            self.to,
            self.len,
            self.payload_hash,
            verdict
        )
    }
}

/// Drop counters, one per [`DropCause`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DropCounts {
    /// [`DropCause::Loss`].
    pub loss: u64,
    /// [`DropCause::Queue`].
    pub queue: u64,
    /// [`DropCause::Mtu`].
    pub mtu: u64,
    /// [`DropCause::NatFilter`].
    pub nat_filter: u64,
    /// [`DropCause::Hairpin`].
    pub hairpin: u64,
    /// [`DropCause::NoRoute`].
    pub no_route: u64,
    /// [`DropCause::BadSource`].
    pub bad_source: u64,
}

impl DropCounts {
    /// The counter for one cause.
    pub const fn get(&self, cause: DropCause) -> u64 {
        match cause {
            DropCause::Loss => self.loss,
            DropCause::Queue => self.queue,
            DropCause::Mtu => self.mtu,
            DropCause::NatFilter => self.nat_filter,
            DropCause::Hairpin => self.hairpin,
            DropCause::NoRoute => self.no_route,
            DropCause::BadSource => self.bad_source,
        }
    }

    /// All drops.
    pub const fn total(&self) -> u64 {
        self.loss
            + self.queue
            + self.mtu
            + self.nat_filter
            + self.hairpin
            + self.no_route
            + self.bad_source
    }

    fn bump(&mut self, cause: DropCause) {
        let c = match cause {
            DropCause::Loss => &mut self.loss,
            DropCause::Queue => &mut self.queue,
            DropCause::Mtu => &mut self.mtu,
            DropCause::NatFilter => &mut self.nat_filter,
            DropCause::Hairpin => &mut self.hairpin,
            DropCause::NoRoute => &mut self.no_route,
            DropCause::BadSource => &mut self.bad_source,
        };
        *c += 1;
    }
}

/// Simulator-wide datagram counters. Every sent datagram and every duplicate ends up either
/// delivered or dropped (or still in flight): `sent + duplicated = delivered + dropped.total()
/// + in flight`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams peers handed to the network.
    pub sent: u64,
    /// Extra copies made by links.
    pub duplicated: u64,
    /// Datagrams handed to a destination peer.
    pub delivered: u64,
    /// Dropped datagrams, by cause.
    pub dropped: DropCounts,
}

/// The rolling hash, the optional recording, and the counters.
#[derive(Debug)]
pub(super) struct Trace {
    hash: Fnv64,
    recording: bool,
    entries: Vec<TraceEntry>,
    pub(super) stats: Stats,
}

impl Trace {
    pub(super) fn new() -> Self {
        Self {
            hash: Fnv64::new(),
            recording: false,
            entries: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub(super) fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    pub(super) fn hash(&self) -> u64 {
        self.hash.finish()
    }

    pub(super) fn entries(&self) -> &[TraceEntry] {
        &self.entries
    }

    /// Folds one entry into the hash, counts it, and records it if recording is on.
    pub(super) fn record(&mut self, e: TraceEntry) {
        let h = &mut self.hash;
        h.write_u64(e.at.as_nanos() as u64);
        h.write_addr(e.from);
        h.write_addr(e.to);
        h.write_u64(u64::from(e.len));
        h.write(&[e.verdict.code()]);
        h.write_u64(e.payload_hash);
        let s = &mut self.stats;
        match e.verdict {
            Verdict::Sent => s.sent += 1,
            Verdict::Duplicated => s.duplicated += 1,
            Verdict::Delivered => s.delivered += 1,
            Verdict::Dropped(c) => s.dropped.bump(c),
        }
        if self.recording {
            self.entries.push(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_vectors() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(Fnv64::hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fnv64::hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fnv64::hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn counts_and_hash() {
        let mut t = Trace::new();
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let e = TraceEntry {
            at: Duration::from_millis(5),
            from: a,
            to: a,
            len: 3,
            verdict: Verdict::Dropped(DropCause::Mtu),
            payload_hash: 7,
        };
        let before = t.hash();
        t.record(e);
        assert_ne!(t.hash(), before);
        assert_eq!(t.stats.dropped.mtu, 1);
        assert_eq!(t.stats.dropped.total(), 1);
        assert!(t.entries().is_empty(), "recording is off by default");
        t.set_recording(true);
        t.record(e);
        assert_eq!(t.entries(), &[e]);
        assert!(e.to_string().contains("dropped: mtu"));
    }
}
