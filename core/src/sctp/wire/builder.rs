//! Writing SCTP packets into the caller's buffer: the common header, then chunks appended one
//! by one, then the checksum (RFC 9260 sections 3 and 6.8, RFC 9653 section 5.2).

use super::chunk::{ChunkType, DATA_HEADER_LEN, DataFlags};
use super::param::{ErrorCause, ParamType, ReconfigResult};
use super::{
    CHUNK_HEADER_LEN, COMMON_HEADER_LEN, Ppid, Ssn, StreamId, Tsn, VerificationTag, WireError,
    compute_checksum, field, padded,
};

/// The fixed fields of an INIT or INIT ACK chunk, and the optional parameters this stack
/// writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitParams<'c> {
    /// The initiate tag (our verification tag).
    pub initiate_tag: u32,
    /// Advertised receiver window credit.
    pub a_rwnd: u32,
    /// Number of outbound streams.
    pub outbound_streams: u16,
    /// Number of inbound streams.
    pub inbound_streams: u16,
    /// The initial TSN.
    pub initial_tsn: Tsn,
    /// The state cookie (INIT ACK only).
    pub cookie: Option<&'c [u8]>,
    /// Announce FORWARD-TSN and RE-CONFIG in Supported Extensions, and Forward-TSN-Supported.
    pub extensions: bool,
    /// Announce Zero Checksum Acceptable with this error detection method (RFC 9653).
    pub zero_checksum_method: Option<u32>,
}

/// Appends chunks to an SCTP packet in a caller's buffer, never allocating.
///
/// Every `push_*` either writes the whole chunk (with zero padding) and returns `Ok`, or
/// leaves the packet as it was and returns [`WireError::BufferTooSmall`].
#[derive(Debug)]
pub struct PacketWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> PacketWriter<'a> {
    /// Starts a packet in `buf` with the common header. Fails if `buf` is under 12 bytes.
    pub fn new(
        buf: &'a mut [u8],
        source_port: u16,
        destination_port: u16,
        tag: VerificationTag,
    ) -> Result<Self, WireError> {
        let header = buf
            .get_mut(..COMMON_HEADER_LEN)
            .ok_or(WireError::BufferTooSmall)?;
        header[field::SRC_PORT].copy_from_slice(&source_port.to_be_bytes());
        header[field::DST_PORT].copy_from_slice(&destination_port.to_be_bytes());
        header[field::VTAG].copy_from_slice(&tag.0.to_be_bytes());
        header[field::CHECKSUM].fill(0);
        Ok(Self {
            buf,
            len: COMMON_HEADER_LEN,
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no chunk has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == COMMON_HEADER_LEN
    }

    /// Bytes still free in the buffer.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.len
    }

    /// Writes the checksum (the CRC32c, or zero when `zero_checksum`) and returns the packet
    /// length.
    pub fn finish(self, zero_checksum: bool) -> usize {
        let packet = &mut self.buf[..self.len];
        let crc = if zero_checksum {
            0
        } else {
            compute_checksum(packet)
        };
        packet[field::CHECKSUM].copy_from_slice(&crc.to_le_bytes());
        self.len
    }

    /// Appends a chunk whose value is `value_len` bytes, filled by `fill`.
    pub fn push_chunk(
        &mut self,
        kind: ChunkType,
        flags: u8,
        value_len: usize,
        fill: impl FnOnce(&mut [u8]),
    ) -> Result<(), WireError> {
        let len = CHUNK_HEADER_LEN + value_len;
        let len16 = u16::try_from(len).map_err(|_| WireError::BufferTooSmall)?;
        let total = padded(len);
        let out = self
            .buf
            .get_mut(self.len..self.len + total)
            .ok_or(WireError::BufferTooSmall)?;
        out[0] = kind.0;
        out[1] = flags;
        out[2..4].copy_from_slice(&len16.to_be_bytes());
        fill(&mut out[CHUNK_HEADER_LEN..len]);
        out[len..].fill(0);
        self.len += total;
        Ok(())
    }

    /// Appends a DATA chunk.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per field of the chunk"
    )]
    pub fn push_data(
        &mut self,
        flags: DataFlags,
        tsn: Tsn,
        stream: StreamId,
        ssn: Ssn,
        ppid: Ppid,
        payload: &[u8],
    ) -> Result<(), WireError> {
        self.push_chunk(
            ChunkType::DATA,
            flags.0,
            DATA_HEADER_LEN - CHUNK_HEADER_LEN + payload.len(),
            |v| {
                v[0..4].copy_from_slice(&tsn.0.to_be_bytes());
                v[4..6].copy_from_slice(&stream.0.to_be_bytes());
                v[6..8].copy_from_slice(&ssn.0.to_be_bytes());
                v[8..12].copy_from_slice(&ppid.0.to_be_bytes());
                v[12..].copy_from_slice(payload);
            },
        )
    }

    /// Appends an INIT (`ack == false`) or INIT ACK chunk.
    pub fn push_init(&mut self, ack: bool, p: &InitParams<'_>) -> Result<(), WireError> {
        let cookie_len = p.cookie.map_or(0, |c| padded(4 + c.len()));
        let ext_len = if p.extensions { 8 + 4 } else { 0 };
        let zc_len = if p.zero_checksum_method.is_some() {
            8
        } else {
            0
        };
        let kind = if ack {
            ChunkType::INIT_ACK
        } else {
            ChunkType::INIT
        };
        self.push_chunk(kind, 0, 16 + cookie_len + ext_len + zc_len, |v| {
            v[0..4].copy_from_slice(&p.initiate_tag.to_be_bytes());
            v[4..8].copy_from_slice(&p.a_rwnd.to_be_bytes());
            v[8..10].copy_from_slice(&p.outbound_streams.to_be_bytes());
            v[10..12].copy_from_slice(&p.inbound_streams.to_be_bytes());
            v[12..16].copy_from_slice(&p.initial_tsn.0.to_be_bytes());
            let mut at = 16;
            if let Some(cookie) = p.cookie {
                at += write_param(&mut v[at..], ParamType::STATE_COOKIE, cookie);
            }
            if p.extensions {
                let kinds = [ChunkType::FORWARD_TSN.0, ChunkType::RECONFIG.0];
                at += write_param(&mut v[at..], ParamType::SUPPORTED_EXTENSIONS, &kinds);
                at += write_param(&mut v[at..], ParamType::FORWARD_TSN_SUPPORTED, &[]);
            }
            if let Some(method) = p.zero_checksum_method {
                let value = method.to_be_bytes();
                write_param(&mut v[at..], ParamType::ZERO_CHECKSUM_ACCEPTABLE, &value);
            }
        })
    }

    /// Appends a SACK chunk with gap blocks (offsets from `cum_tsn`) and duplicate TSNs.
    pub fn push_sack(
        &mut self,
        cum_tsn: Tsn,
        a_rwnd: u32,
        gaps: &[(u16, u16)],
        dups: &[Tsn],
    ) -> Result<(), WireError> {
        let ngaps = u16::try_from(gaps.len()).map_err(|_| WireError::BufferTooSmall)?;
        let ndups = u16::try_from(dups.len()).map_err(|_| WireError::BufferTooSmall)?;
        self.push_chunk(
            ChunkType::SACK,
            0,
            12 + 4 * gaps.len() + 4 * dups.len(),
            |v| {
                v[0..4].copy_from_slice(&cum_tsn.0.to_be_bytes());
                v[4..8].copy_from_slice(&a_rwnd.to_be_bytes());
                v[8..10].copy_from_slice(&ngaps.to_be_bytes());
                v[10..12].copy_from_slice(&ndups.to_be_bytes());
                let mut at = 12;
                for (start, end) in gaps {
                    v[at..at + 2].copy_from_slice(&start.to_be_bytes());
                    v[at + 2..at + 4].copy_from_slice(&end.to_be_bytes());
                    at += 4;
                }
                for tsn in dups {
                    v[at..at + 4].copy_from_slice(&tsn.0.to_be_bytes());
                    at += 4;
                }
            },
        )
    }

    /// Appends a HEARTBEAT (`ack == false`) or HEARTBEAT ACK carrying `info`.
    pub fn push_heartbeat(&mut self, ack: bool, info: &[u8]) -> Result<(), WireError> {
        let kind = if ack {
            ChunkType::HEARTBEAT_ACK
        } else {
            ChunkType::HEARTBEAT
        };
        self.push_chunk(kind, 0, padded(4 + info.len()), |v| {
            write_param(v, ParamType::HEARTBEAT_INFO, info);
        })
    }

    /// Appends an ABORT with one error cause (`reflected` sets the T bit).
    pub fn push_abort(
        &mut self,
        reflected: bool,
        cause: ErrorCause,
        info: &[u8],
    ) -> Result<(), WireError> {
        self.push_chunk(ChunkType::ABORT, u8::from(reflected), 4 + info.len(), |v| {
            write_param(v, ParamType(cause.0), info);
        })
    }

    /// Appends an ERROR chunk with one cause.
    pub fn push_error(&mut self, cause: ErrorCause, info: &[u8]) -> Result<(), WireError> {
        self.push_chunk(ChunkType::ERROR, 0, 4 + info.len(), |v| {
            write_param(v, ParamType(cause.0), info);
        })
    }

    /// Appends a SHUTDOWN chunk.
    pub fn push_shutdown(&mut self, cum_tsn: Tsn) -> Result<(), WireError> {
        self.push_chunk(ChunkType::SHUTDOWN, 0, 4, |v| {
            v.copy_from_slice(&cum_tsn.0.to_be_bytes());
        })
    }

    /// Appends a chunk with no value (SHUTDOWN ACK, SHUTDOWN COMPLETE, COOKIE ACK).
    pub fn push_empty(&mut self, kind: ChunkType, flags: u8) -> Result<(), WireError> {
        self.push_chunk(kind, flags, 0, |_| {})
    }

    /// Appends a COOKIE ECHO chunk.
    pub fn push_cookie_echo(&mut self, cookie: &[u8]) -> Result<(), WireError> {
        self.push_chunk(ChunkType::COOKIE_ECHO, 0, cookie.len(), |v| {
            v.copy_from_slice(cookie);
        })
    }

    /// Appends a FORWARD-TSN chunk.
    pub fn push_forward_tsn(
        &mut self,
        new_cum_tsn: Tsn,
        streams: &[(StreamId, Ssn)],
    ) -> Result<(), WireError> {
        self.push_chunk(ChunkType::FORWARD_TSN, 0, 4 + 4 * streams.len(), |v| {
            v[0..4].copy_from_slice(&new_cum_tsn.0.to_be_bytes());
            for (i, (s, ssn)) in streams.iter().enumerate() {
                let at = 4 + 4 * i;
                v[at..at + 2].copy_from_slice(&s.0.to_be_bytes());
                v[at + 2..at + 4].copy_from_slice(&ssn.0.to_be_bytes());
            }
        })
    }

    /// Appends a RE-CONFIG chunk with one Outgoing SSN Reset Request.
    pub fn push_outgoing_reset(
        &mut self,
        request_seq: u32,
        response_seq: u32,
        last_tsn: Tsn,
        streams: &[StreamId],
    ) -> Result<(), WireError> {
        let param_len = 16 + 2 * streams.len();
        self.push_chunk(ChunkType::RECONFIG, 0, param_len, |v| {
            let len = u16::try_from(param_len).unwrap_or(u16::MAX);
            v[0..2].copy_from_slice(&ParamType::OUTGOING_RESET.0.to_be_bytes());
            v[2..4].copy_from_slice(&len.to_be_bytes());
            v[4..8].copy_from_slice(&request_seq.to_be_bytes());
            v[8..12].copy_from_slice(&response_seq.to_be_bytes());
            v[12..16].copy_from_slice(&last_tsn.0.to_be_bytes());
            for (i, s) in streams.iter().enumerate() {
                v[16 + 2 * i..18 + 2 * i].copy_from_slice(&s.0.to_be_bytes());
            }
        })
    }

    /// Appends a RE-CONFIG chunk with one Re-configuration Response.
    pub fn push_reconfig_response(
        &mut self,
        response_seq: u32,
        result: ReconfigResult,
    ) -> Result<(), WireError> {
        self.push_chunk(ChunkType::RECONFIG, 0, 12, |v| {
            let mut value = [0; 8];
            value[0..4].copy_from_slice(&response_seq.to_be_bytes());
            value[4..8].copy_from_slice(&result.0.to_be_bytes());
            write_param(v, ParamType::RECONFIG_RESPONSE, &value);
        })
    }
}

/// Writes a parameter (with padding) at the start of `out`; returns the padded length.
/// `out` must hold it: callers size their chunk from the same lengths.
fn write_param(out: &mut [u8], kind: ParamType, value: &[u8]) -> usize {
    let len = 4 + value.len();
    let total = padded(len).min(out.len());
    let len16 = u16::try_from(len).unwrap_or(u16::MAX);
    if let Some(p) = out.get_mut(..total.max(len)) {
        p[0..2].copy_from_slice(&kind.0.to_be_bytes());
        p[2..4].copy_from_slice(&len16.to_be_bytes());
        p[4..len].copy_from_slice(value);
        p[len..].fill(0);
    }
    total
}
