//! Typed views of the chunks this stack understands (RFC 9260 section 3.3, RFC 3758
//! section 3.2, RFC 6525 section 3.1).

use super::param::{ParamIter, ParamType};
use super::{RawChunk, Ssn, StreamId, Tsn, WireError, be16, be32};
use crate::sctp::wire::Ppid;

/// A chunk type (RFC 9260 section 3.2, IANA "Chunk Types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkType(pub u8);

impl ChunkType {
    /// Payload data (RFC 9260 section 3.3.1).
    pub const DATA: Self = Self(0);
    /// Initiation (RFC 9260 section 3.3.2).
    pub const INIT: Self = Self(1);
    /// Initiation acknowledgement (RFC 9260 section 3.3.3).
    pub const INIT_ACK: Self = Self(2);
    /// Selective acknowledgement (RFC 9260 section 3.3.4).
    pub const SACK: Self = Self(3);
    /// Heartbeat request (RFC 9260 section 3.3.5).
    pub const HEARTBEAT: Self = Self(4);
    /// Heartbeat acknowledgement (RFC 9260 section 3.3.6).
    pub const HEARTBEAT_ACK: Self = Self(5);
    /// Abort (RFC 9260 section 3.3.7).
    pub const ABORT: Self = Self(6);
    /// Shutdown (RFC 9260 section 3.3.8).
    pub const SHUTDOWN: Self = Self(7);
    /// Shutdown acknowledgement (RFC 9260 section 3.3.9).
    pub const SHUTDOWN_ACK: Self = Self(8);
    /// Operation error (RFC 9260 section 3.3.10).
    pub const ERROR: Self = Self(9);
    /// State cookie (RFC 9260 section 3.3.11).
    pub const COOKIE_ECHO: Self = Self(10);
    /// Cookie acknowledgement (RFC 9260 section 3.3.12).
    pub const COOKIE_ACK: Self = Self(11);
    /// Shutdown complete (RFC 9260 section 3.3.13).
    pub const SHUTDOWN_COMPLETE: Self = Self(14);
    /// Re-configuration (RFC 6525 section 3.1).
    pub const RECONFIG: Self = Self(130);
    /// Forward cumulative TSN (RFC 3758 section 3.2).
    pub const FORWARD_TSN: Self = Self(192);

    /// What to do with an unrecognised chunk of this type: skip it (rather than drop the
    /// rest of the packet) when the top bit is set (RFC 9260 section 3.2).
    pub const fn skip_if_unknown(self) -> bool {
        self.0 & 0x80 != 0
    }

    /// Whether an unrecognised chunk of this type is reported in an ERROR chunk
    /// (RFC 9260 section 3.2).
    pub const fn report_if_unknown(self) -> bool {
        self.0 & 0x40 != 0
    }
}

/// The flags of a DATA chunk (RFC 9260 section 3.3.1; I bit from RFC 7053).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct DataFlags(pub u8);

impl DataFlags {
    /// E: the last fragment of a user message.
    pub const END: u8 = 0x01;
    /// B: the first fragment of a user message.
    pub const BEGIN: u8 = 0x02;
    /// U: unordered.
    pub const UNORDERED: u8 = 0x04;
    /// I: the receiver should acknowledge at once (RFC 7053).
    pub const IMMEDIATE: u8 = 0x08;

    /// Whether this chunk begins a message.
    pub const fn is_begin(self) -> bool {
        self.0 & Self::BEGIN != 0
    }

    /// Whether this chunk ends a message.
    pub const fn is_end(self) -> bool {
        self.0 & Self::END != 0
    }

    /// Whether the message is unordered.
    pub const fn is_unordered(self) -> bool {
        self.0 & Self::UNORDERED != 0
    }

    /// Whether an immediate SACK is asked for.
    pub const fn is_immediate(self) -> bool {
        self.0 & Self::IMMEDIATE != 0
    }
}

/// A DATA chunk (RFC 9260 section 3.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataChunk<'a> {
    /// Flags (U, B, E, I).
    pub flags: DataFlags,
    /// The TSN.
    pub tsn: Tsn,
    /// The stream.
    pub stream: StreamId,
    /// The stream sequence number (ignored when unordered).
    pub ssn: Ssn,
    /// The payload protocol identifier.
    pub ppid: Ppid,
    /// The user data (never empty).
    pub payload: &'a [u8],
}

/// The length of a DATA chunk's header and fixed fields (RFC 9260 section 3.3.1).
pub const DATA_HEADER_LEN: usize = 16;

/// An INIT or INIT ACK chunk (RFC 9260 sections 3.3.2 and 3.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitChunk<'a> {
    /// The initiate tag: the peer's verification tag for our packets (never 0).
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams (never 0).
    pub outbound_streams: u16,
    /// Number of inbound streams (never 0).
    pub inbound_streams: u16,
    /// The initial TSN.
    pub initial_tsn: Tsn,
    /// The optional parameters, raw.
    pub params: &'a [u8],
}

impl<'a> InitChunk<'a> {
    /// The parameters, lazily (framing was checked by [`Chunk::parse`]).
    pub fn params(&self) -> ParamIter<'a> {
        ParamIter::new(self.params)
    }

    /// The State Cookie parameter's value (RFC 9260 section 3.3.3.1), if present.
    pub fn state_cookie(&self) -> Option<&'a [u8]> {
        self.params()
            .find(|p| p.kind == ParamType::STATE_COOKIE)
            .map(|p| p.value)
    }

    /// Whether the sender supports the chunk type `kind`, from its Supported Extensions
    /// parameter (RFC 5061 section 4.2.7).
    pub fn supports_chunk(&self, kind: ChunkType) -> bool {
        self.params()
            .filter(|p| p.kind == ParamType::SUPPORTED_EXTENSIONS)
            .any(|p| p.value.contains(&kind.0))
    }

    /// Whether the sender supports FORWARD-TSN (RFC 3758 section 3.1).
    pub fn supports_forward_tsn(&self) -> bool {
        self.supports_chunk(ChunkType::FORWARD_TSN)
            || self
                .params()
                .any(|p| p.kind == ParamType::FORWARD_TSN_SUPPORTED)
    }

    /// The error detection method from the Zero Checksum Acceptable parameter
    /// (RFC 9653 section 5.1), if present.
    pub fn zero_checksum_method(&self) -> Option<u32> {
        self.params()
            .find(|p| p.kind == ParamType::ZERO_CHECKSUM_ACCEPTABLE)
            .and_then(|p| be32(p.value, 0))
    }
}

/// A SACK chunk (RFC 9260 section 3.3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackChunk<'a> {
    /// The cumulative TSN ack.
    pub cum_tsn: Tsn,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    gaps: &'a [u8],
    dups: &'a [u8],
}

impl<'a> SackChunk<'a> {
    /// The gap ack blocks as (start, end) offsets from the cumulative TSN ack.
    pub fn gap_blocks(&self) -> impl Iterator<Item = (u16, u16)> + 'a {
        self.gaps.chunks_exact(4).map(|b| {
            (
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]]),
            )
        })
    }

    /// The duplicate TSNs reported.
    pub fn dup_tsns(&self) -> impl Iterator<Item = Tsn> + 'a {
        self.dups
            .chunks_exact(4)
            .map(|b| Tsn(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    }

    /// The number of gap ack blocks.
    pub fn gap_count(&self) -> usize {
        self.gaps.len() / 4
    }

    /// The number of duplicate TSNs.
    pub fn dup_count(&self) -> usize {
        self.dups.len() / 4
    }
}

/// A FORWARD-TSN chunk (RFC 3758 section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardTsnChunk<'a> {
    /// The new cumulative TSN.
    pub new_cum_tsn: Tsn,
    streams: &'a [u8],
}

impl<'a> ForwardTsnChunk<'a> {
    /// The (stream, last skipped SSN) pairs for ordered streams.
    pub fn streams(&self) -> impl Iterator<Item = (StreamId, Ssn)> + 'a {
        self.streams.chunks_exact(4).map(|b| {
            (
                StreamId(u16::from_be_bytes([b[0], b[1]])),
                Ssn(u16::from_be_bytes([b[2], b[3]])),
            )
        })
    }
}

/// A chunk, parsed into its typed view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk<'a> {
    /// DATA.
    Data(DataChunk<'a>),
    /// INIT.
    Init(InitChunk<'a>),
    /// INIT ACK.
    InitAck(InitChunk<'a>),
    /// SACK.
    Sack(SackChunk<'a>),
    /// HEARTBEAT, with the Heartbeat Info parameter's value.
    Heartbeat(&'a [u8]),
    /// HEARTBEAT ACK, with the Heartbeat Info parameter's value.
    HeartbeatAck(&'a [u8]),
    /// ABORT: whether the T bit is set (tag reflected), and the raw error causes.
    Abort {
        /// The T bit: the verification tag is the sender's own (reflected).
        reflected: bool,
        /// The error causes, raw (read with [`ParamIter`]-like [`super::ErrorCause`]).
        causes: &'a [u8],
    },
    /// SHUTDOWN with its cumulative TSN ack.
    Shutdown(Tsn),
    /// SHUTDOWN ACK.
    ShutdownAck,
    /// SHUTDOWN COMPLETE: whether the T bit is set.
    ShutdownComplete {
        /// The T bit.
        reflected: bool,
    },
    /// ERROR, with its raw error causes.
    Error(&'a [u8]),
    /// COOKIE ECHO with the cookie.
    CookieEcho(&'a [u8]),
    /// COOKIE ACK.
    CookieAck,
    /// FORWARD-TSN.
    ForwardTsn(ForwardTsnChunk<'a>),
    /// RE-CONFIG: its parameters, raw (read with [`ParamIter`] and
    /// [`super::ReconfigParam::parse`]).
    Reconfig(&'a [u8]),
    /// A chunk type this stack does not know.
    Unknown(RawChunk<'a>),
}

impl<'a> Chunk<'a> {
    /// Parses a framed chunk into its typed view, checking every fixed field and every
    /// parameter's framing.
    pub fn parse(raw: RawChunk<'a>) -> Result<Self, WireError> {
        let v = raw.value;
        let t = WireError::Truncated;
        Ok(match raw.kind {
            ChunkType::DATA => {
                let payload = v.get(DATA_HEADER_LEN - 4..).ok_or(t)?;
                if payload.is_empty() {
                    return Err(WireError::Invalid("data chunk without user data"));
                }
                Self::Data(DataChunk {
                    flags: DataFlags(raw.flags),
                    tsn: Tsn(be32(v, 0).ok_or(t)?),
                    stream: StreamId(be16(v, 4).ok_or(t)?),
                    ssn: Ssn(be16(v, 6).ok_or(t)?),
                    ppid: Ppid(be32(v, 8).ok_or(t)?),
                    payload,
                })
            }
            ChunkType::INIT | ChunkType::INIT_ACK => {
                let init = InitChunk {
                    initiate_tag: be32(v, 0).ok_or(t)?,
                    a_rwnd: be32(v, 4).ok_or(t)?,
                    outbound_streams: be16(v, 8).ok_or(t)?,
                    inbound_streams: be16(v, 10).ok_or(t)?,
                    initial_tsn: Tsn(be32(v, 12).ok_or(t)?),
                    params: v.get(16..).ok_or(t)?,
                };
                if init.initiate_tag == 0 {
                    return Err(WireError::Invalid("zero initiate tag"));
                }
                if init.outbound_streams == 0 || init.inbound_streams == 0 {
                    return Err(WireError::Invalid("zero streams"));
                }
                ParamIter::check(init.params)?;
                if raw.kind == ChunkType::INIT {
                    Self::Init(init)
                } else {
                    Self::InitAck(init)
                }
            }
            ChunkType::SACK => {
                let gaps = usize::from(be16(v, 8).ok_or(t)?) * 4;
                let dups = usize::from(be16(v, 10).ok_or(t)?) * 4;
                if v.len() != 12 + gaps + dups {
                    return Err(WireError::BadLength);
                }
                Self::Sack(SackChunk {
                    cum_tsn: Tsn(be32(v, 0).ok_or(t)?),
                    a_rwnd: be32(v, 4).ok_or(t)?,
                    gaps: &v[12..12 + gaps],
                    dups: &v[12 + gaps..],
                })
            }
            ChunkType::HEARTBEAT | ChunkType::HEARTBEAT_ACK => {
                let info = ParamIter::new(v)
                    .find(|p| p.kind == ParamType::HEARTBEAT_INFO)
                    .ok_or(WireError::Invalid("heartbeat without info"))?;
                ParamIter::check(v)?;
                if raw.kind == ChunkType::HEARTBEAT {
                    Self::Heartbeat(info.value)
                } else {
                    Self::HeartbeatAck(info.value)
                }
            }
            ChunkType::ABORT => {
                ParamIter::check(v)?;
                Self::Abort {
                    reflected: raw.flags & 1 != 0,
                    causes: v,
                }
            }
            ChunkType::SHUTDOWN => {
                if v.len() != 4 {
                    return Err(WireError::BadLength);
                }
                Self::Shutdown(Tsn(be32(v, 0).ok_or(t)?))
            }
            ChunkType::SHUTDOWN_ACK => Self::ShutdownAck,
            ChunkType::SHUTDOWN_COMPLETE => Self::ShutdownComplete {
                reflected: raw.flags & 1 != 0,
            },
            ChunkType::ERROR => {
                ParamIter::check(v)?;
                Self::Error(v)
            }
            ChunkType::COOKIE_ECHO => Self::CookieEcho(v),
            ChunkType::COOKIE_ACK => Self::CookieAck,
            ChunkType::FORWARD_TSN => {
                let streams = v.get(4..).ok_or(t)?;
                if streams.len() % 4 != 0 {
                    return Err(WireError::BadLength);
                }
                Self::ForwardTsn(ForwardTsnChunk {
                    new_cum_tsn: Tsn(be32(v, 0).ok_or(t)?),
                    streams,
                })
            }
            ChunkType::RECONFIG => {
                ParamIter::check(v)?;
                Self::Reconfig(v)
            }
            _ => Self::Unknown(raw),
        })
    }
}
