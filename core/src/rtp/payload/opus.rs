//! Opus (RFC 7587): one Opus packet per RTP payload, no payload header.

use super::{PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo};

/// Writes each Opus packet as one RTP payload (RFC 7587 section 4.2).
///
/// Opus packets are never split: a frame larger than the payload budget is a caller error.
/// The RTP clock is 48 kHz whatever the coded bandwidth (section 4.1).
#[derive(Debug, Default, Clone)]
pub struct OpusPacketizer {
    _private: (),
}

impl OpusPacketizer {
    /// Creates a packetizer.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Whether the one payload of the frame has been written.
#[derive(Debug, Default)]
pub struct OpusCursor {
    written: bool,
}

impl Packetizer for OpusPacketizer {
    type Cursor = OpusCursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<OpusCursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        Ok(OpusCursor::default())
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut OpusCursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        if cursor.written {
            return Ok(None);
        }
        let dst = out
            .get_mut(..frame.len())
            .ok_or(PacketizeError::FrameTooLarge)?;
        dst.copy_from_slice(frame);
        cursor.written = true;
        Ok(Some(PayloadInfo {
            len: frame.len(),
            end_of_frame: true,
            timestamp_offset: 0,
            marker: false,
        }))
    }
}

/// The receive side of Opus: every payload is a whole, independently decodable frame.
#[derive(Debug, Default, Clone)]
pub struct OpusFormat {
    _private: (),
}

impl OpusFormat {
    /// Creates the format.
    pub fn new() -> Self {
        Self::default()
    }
}

impl PayloadFormat for OpusFormat {
    fn inspect(&self, payload: &[u8], _marker: bool) -> Result<PacketKind, PayloadError> {
        // RFC 6716 section 3.1: a packet holds at least the TOC byte.
        if payload.is_empty() {
            return Err(PayloadError::Empty);
        }
        Ok(PacketKind {
            is_start: true,
            is_end: true,
            is_keyframe: true,
        })
    }

    fn is_audio(&self) -> bool {
        true
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        frame.extend_from_slice(payload);
        Ok(())
    }
}
