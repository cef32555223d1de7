//! Parameters of INIT, INIT ACK, HEARTBEAT and RE-CONFIG chunks, and error causes: the
//! shared type-length-value framing (RFC 9260 section 3.2.1, RFC 6525 section 4).

use super::{StreamId, Tsn, WireError, be16, be32, padded};

/// A parameter type (RFC 9260 section 3.2.1, RFC 6525 section 4, RFC 3758, RFC 9653).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParamType(pub u16);

impl ParamType {
    /// Heartbeat Info (RFC 9260 section 3.3.5).
    pub const HEARTBEAT_INFO: Self = Self(1);
    /// State Cookie (RFC 9260 section 3.3.3.1).
    pub const STATE_COOKIE: Self = Self(7);
    /// Unrecognized Parameter (RFC 9260 section 3.3.3.1).
    pub const UNRECOGNIZED: Self = Self(8);
    /// Outgoing SSN Reset Request (RFC 6525 section 4.1).
    pub const OUTGOING_RESET: Self = Self(13);
    /// Incoming SSN Reset Request (RFC 6525 section 4.2).
    pub const INCOMING_RESET: Self = Self(14);
    /// Re-configuration Response (RFC 6525 section 4.4).
    pub const RECONFIG_RESPONSE: Self = Self(16);
    /// Zero Checksum Acceptable (RFC 9653 section 5.1).
    pub const ZERO_CHECKSUM_ACCEPTABLE: Self = Self(0x8001);
    /// Supported Extensions (RFC 5061 section 4.2.7).
    pub const SUPPORTED_EXTENSIONS: Self = Self(0x8008);
    /// Forward-TSN-Supported (RFC 3758 section 3.1).
    pub const FORWARD_TSN_SUPPORTED: Self = Self(0xC000);
}

/// One parameter (or error cause) as framed: type and value (padding excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawParam<'a> {
    /// The type (or cause code).
    pub kind: ParamType,
    /// The value.
    pub value: &'a [u8],
}

/// A lazy iterator over TLV parameters; stops at the first framing error.
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    rest: &'a [u8],
}

impl<'a> ParamIter<'a> {
    /// Iterates over the parameters in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Checks that `bytes` is a well-framed parameter list (the last one may omit padding).
    pub fn check(bytes: &[u8]) -> Result<(), WireError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let len = param_len(rest)?;
            rest = rest.get(padded(len)..).unwrap_or_default();
        }
        Ok(())
    }
}

fn param_len(rest: &[u8]) -> Result<usize, WireError> {
    let len = usize::from(be16(rest, 2).ok_or(WireError::Truncated)?);
    if len < 4 || len > rest.len() {
        return Err(WireError::BadLength);
    }
    Ok(len)
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = RawParam<'a>;

    fn next(&mut self) -> Option<RawParam<'a>> {
        let len = param_len(self.rest).ok()?;
        let p = RawParam {
            kind: ParamType(be16(self.rest, 0)?),
            value: &self.rest[4..len],
        };
        self.rest = self.rest.get(padded(len)..).unwrap_or_default();
        Some(p)
    }
}

/// An error cause code (RFC 9260 section 3.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCause(pub u16);

impl ErrorCause {
    /// Invalid Stream Identifier.
    pub const INVALID_STREAM: Self = Self(1);
    /// Missing Mandatory Parameter.
    pub const MISSING_PARAM: Self = Self(2);
    /// Stale Cookie Error.
    pub const STALE_COOKIE: Self = Self(3);
    /// Out of Resource.
    pub const OUT_OF_RESOURCE: Self = Self(4);
    /// Unrecognized Chunk Type.
    pub const UNRECOGNIZED_CHUNK: Self = Self(6);
    /// Invalid Mandatory Parameter.
    pub const INVALID_PARAM: Self = Self(7);
    /// No User Data.
    pub const NO_USER_DATA: Self = Self(9);
    /// User-Initiated Abort.
    pub const USER_ABORT: Self = Self(12);
    /// Protocol Violation.
    pub const PROTOCOL_VIOLATION: Self = Self(13);
}

/// The result field of a Re-configuration Response (RFC 6525 section 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReconfigResult(pub u32);

impl ReconfigResult {
    /// Success - Nothing to do.
    pub const NOTHING_TO_DO: Self = Self(0);
    /// Success - Performed.
    pub const PERFORMED: Self = Self(1);
    /// Denied.
    pub const DENIED: Self = Self(2);
    /// Error - Wrong SSN.
    pub const WRONG_SSN: Self = Self(3);
    /// Error - Request already in progress.
    pub const IN_PROGRESS_ALREADY: Self = Self(4);
    /// Error - Bad Sequence Number.
    pub const BAD_SEQUENCE: Self = Self(5);
    /// In progress.
    pub const IN_PROGRESS: Self = Self(6);
}

/// A list of 16-bit stream identifiers (RE-CONFIG requests).
#[derive(Debug, Clone)]
pub struct StreamIdIter<'a> {
    rest: &'a [u8],
}

impl<'a> StreamIdIter<'a> {
    /// Iterates over the stream ids in `bytes` (a trailing odd byte is ignored).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl Iterator for StreamIdIter<'_> {
    type Item = StreamId;

    fn next(&mut self) -> Option<StreamId> {
        let id = be16(self.rest, 0)?;
        self.rest = &self.rest[2..];
        Some(StreamId(id))
    }
}

/// A RE-CONFIG parameter this stack understands (RFC 6525 section 4).
#[derive(Debug, Clone)]
pub enum ReconfigParam<'a> {
    /// Outgoing SSN Reset Request (section 4.1).
    OutgoingReset {
        /// Re-configuration request sequence number.
        request_seq: u32,
        /// The sequence number of the last response the sender got.
        response_seq: u32,
        /// The sender's last assigned TSN.
        last_tsn: Tsn,
        /// Streams to reset (empty: all).
        streams: StreamIdIter<'a>,
    },
    /// Incoming SSN Reset Request (section 4.2).
    IncomingReset {
        /// Re-configuration request sequence number.
        request_seq: u32,
        /// Streams to reset (empty: all).
        streams: StreamIdIter<'a>,
    },
    /// Re-configuration Response (section 4.4).
    Response {
        /// The request sequence number answered.
        response_seq: u32,
        /// The result.
        result: ReconfigResult,
    },
    /// A parameter type this stack does not handle (SSN/TSN reset, add streams).
    Unsupported(ParamType),
}

impl<'a> ReconfigParam<'a> {
    /// Reads one RE-CONFIG parameter.
    pub fn parse(p: RawParam<'a>) -> Result<Self, WireError> {
        let v = p.value;
        let t = WireError::Truncated;
        Ok(match p.kind {
            ParamType::OUTGOING_RESET => Self::OutgoingReset {
                request_seq: be32(v, 0).ok_or(t)?,
                response_seq: be32(v, 4).ok_or(t)?,
                last_tsn: Tsn(be32(v, 8).ok_or(t)?),
                streams: StreamIdIter::new(v.get(12..).ok_or(t)?),
            },
            ParamType::INCOMING_RESET => Self::IncomingReset {
                request_seq: be32(v, 0).ok_or(t)?,
                streams: StreamIdIter::new(v.get(4..).ok_or(t)?),
            },
            ParamType::RECONFIG_RESPONSE => Self::Response {
                response_seq: be32(v, 0).ok_or(t)?,
                result: ReconfigResult(be32(v, 4).ok_or(t)?),
            },
            other => Self::Unsupported(other),
        })
    }
}
