//! RTP payload formats: packetizers and depacketizers per codec, and a frame assembler.
//!
//! This module turns encoded media frames into RTP payloads and back. It works on payload
//! bytes plus the few RTP header fields a payload format needs ([`PacketMeta`]: sequence
//! number, timestamp, marker bit), so it is independent of the RTP wire types that carry them.
//!
//! | format | specification | packetizer | payload format (depacketizer side) |
//! | --- | --- | --- | --- |
//! | Opus | RFC 7587 | [`OpusPacketizer`] | [`OpusFormat`] |
//! | G.711 PCMU/PCMA | RFC 3551 section 4.5.14, ITU-T G.711 | [`G711Packetizer`] | [`G711Format`] |
//! | VP8 | RFC 7741 | [`Vp8Packetizer`] | [`Vp8Format`] |
//! | VP9 | RFC 9628 | [`Vp9Packetizer`] | [`Vp9Format`] |
//! | H.264 | RFC 6184, packetization-mode 1 | [`H264Packetizer`] | [`H264Format`] |
//! | AV1 | AOMedia "RTP Payload Format For AV1" v1.0 | [`Av1Packetizer`] | [`Av1Format`] |
//!
//! # The frame-level API
//!
//! - Sending: a packetizer implements [`Packetizer`]. [`Packetizer::packetize`] takes one
//!   frame, its RTP timestamp and the next sequence number and returns [`Packets`]; call
//!   [`Packets::next_into`] with a buffer the size of the payload budget (MTU minus RTP header
//!   and SRTP tag) until it returns `None`. Each call writes one payload into the caller's
//!   buffer and returns its [`PacketMeta`]. Nothing is allocated.
//! - Receiving: a [`Depacketizer`] wraps one [`PayloadFormat`]. Feed every packet with
//!   [`Depacketizer::handle_packet`] in arrival order (any order on the wire), then drain
//!   [`Depacketizer::poll_event`] until `None`; call [`Depacketizer::handle_timeout`] at
//!   [`Depacketizer::poll_timeout`]. Events are whole frames in sequence order
//!   ([`DepacketizerEvent::Frame`]) and gaps ([`DepacketizerEvent::Gap`]). After a gap in a
//!   video stream the depacketizer drops frames until the next keyframe, and the gap event
//!   says a keyframe is needed (send PLI). Memory is bounded by
//!   [`DepacketizerConfig::max_packets`] and [`DepacketizerConfig::max_frame_size`]; buffers
//!   are reused, so steady state does not allocate.
//!
//! [`Codec`] picks a format at run time (from a negotiated encoding name) and builds an
//! [`AnyPacketizer`] or [`AnyFormat`] for it.
//!
//! Frames are the codec's natural unit: an Opus packet, a run of G.711 samples, a VP8 or VP9
//! frame, an H.264 access unit in Annex-B byte-stream form, an AV1 temporal unit in the
//! low-overhead bitstream format (OBUs with size fields).
//!
//! # Scope and what is left out
//!
//! - The packet-level API (forwarding RTP packets as they are, as an SFU does) lives with the
//!   RTP stream state; payload formats only see payload bytes.
//! - VP8: [`Vp8Descriptor`] reads and writes every field, but [`Vp8Packetizer`] writes only
//!   S, PID = 0 and a 15-bit picture id: no temporal layers (TL0PICIDX, TID, KEYIDX), and
//!   one partition per frame as far as PID goes (RFC 7741 allows that).
//! - VP9: one spatial layer on send. Keyframes and their size are read from the VP9
//!   uncompressed header; the keyframe's first payload carries a scalability structure with
//!   that resolution and no picture group. On receive the scalability structure is skipped
//!   except for the first layer's resolution ([`Vp9Descriptor::resolution`]). Multi-layer
//!   pictures are assembled as one frame per RTP timestamp (layer frames concatenated, no
//!   superframe index), which a decoder will not take as is.
//! - H.264: packetization-mode 0 is a subset of what is received; mode 2 (STAP-B, MTAP, FU-B)
//!   and interleaving are not supported. Keyframe means "contains an IDR slice"; SPS/PPS
//!   presence is not checked. After a loss an access unit is taken to start only at an AUD or
//!   SPS (or after an intact previous access unit), so a stream that sends parameter sets only
//!   out of band recovers later than one that repeats them with every IDR.
//! - How frames are delimited: a frame starts after a packet with the marker bit or another
//!   timestamp, or, when that packet is lost, at a payload that says so (VP8 S with PID 0,
//!   VP9 B on the base layer, AV1 N or a leading sequence header, H.264 as above). It ends
//!   at the marker bit (VP8, VP9, H.264, AV1) or with every payload (audio). A video stream
//!   is delivered from its first keyframe on. A frame bigger than
//!   [`DepacketizerConfig::max_packets`] packets never completes.
//! - AV1: the Dependency Descriptor header extension is not handled; a keyframe is recognised
//!   by the N bit or a sequence header OBU.
//! - Depacketizers assume a reference is lost whenever any packet is lost: they do not parse
//!   reference structures (VP8 TL0PICIDX, VP9 P_DIFF, AV1 frame headers) to decode past
//!   losses of non-reference frames.

mod av1;
mod codec;
mod depacketizer;
mod g711;
mod h264;
mod opus;
mod vp8;
mod vp9;

pub use av1::{Av1Cursor, Av1Format, Av1Packetizer};
pub use codec::{AnyCursor, AnyFormat, AnyPacketizer, Codec};
pub use depacketizer::{
    Depacketizer, DepacketizerConfig, DepacketizerEvent, DepacketizerStats, Frame, Gap,
};
pub use g711::{
    G711Cursor, G711Format, G711Law, G711Packetizer, alaw_decode, alaw_encode, ulaw_decode,
    ulaw_encode,
};
pub use h264::{H264Cursor, H264Format, H264Packetizer};
pub use opus::{OpusCursor, OpusFormat, OpusPacketizer};
pub use vp8::{Vp8Cursor, Vp8Descriptor, Vp8Format, Vp8Packetizer};
pub use vp9::{Vp9Cursor, Vp9Descriptor, Vp9Format, Vp9Layer, Vp9Mode, Vp9Packetizer};

/// The RTP header fields a payload format reads or writes (RFC 3550 section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PacketMeta {
    /// The RTP sequence number.
    pub seq: u16,
    /// The RTP timestamp, in the payload format's clock rate.
    pub timestamp: u32,
    /// The RTP marker bit; its meaning is the payload format's (end of frame for video).
    pub marker: bool,
}

/// One payload written by [`Packets::next_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Written {
    /// Bytes written at the start of the caller's buffer.
    pub len: usize,
    /// The RTP header fields for this payload.
    pub meta: PacketMeta,
}

/// A VP8 or VP9 picture id and its width on the wire (RFC 7741 section 4.2 and RFC 9628
/// section 4.2, M bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PictureId {
    /// A 7-bit picture id (M = 0).
    Short(u8),
    /// A 15-bit picture id (M = 1).
    Long(u16),
}

impl PictureId {
    /// Reads a picture id field (M bit first) from the start of `bytes`; returns it and its
    /// length.
    fn parse(bytes: &[u8]) -> Result<(Self, usize), PayloadError> {
        let first = *bytes.first().ok_or(PayloadError::Truncated)?;
        if first & 0x80 == 0 {
            return Ok((Self::Short(first), 1));
        }
        let second = *bytes.get(1).ok_or(PayloadError::Truncated)?;
        Ok((
            Self::Long(u16::from(first & 0x7F) << 8 | u16::from(second)),
            2,
        ))
    }

    /// The field's length on the wire.
    fn buffer_len(self) -> usize {
        match self {
            Self::Short(_) => 1,
            Self::Long(_) => 2,
        }
    }

    /// Writes the field into `out`, which is at least [`PictureId::buffer_len`] long.
    fn emit(self, out: &mut [u8]) {
        match (self, out) {
            (Self::Short(id), [first, ..]) => *first = id & 0x7F,
            (Self::Long(id), [first, second, ..]) => {
                *first = 0x80 | ((id >> 8) as u8 & 0x7F);
                *second = id as u8;
            }
            _ => {}
        }
    }
}

/// What a packetizer wrote into one payload buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadInfo {
    /// Bytes written at the start of the buffer.
    pub len: usize,
    /// This payload is the last of the frame (sets the RTP marker bit for video).
    pub end_of_frame: bool,
    /// Where this payload starts in the frame's RTP timestamp units (non-zero only when a
    /// format splits a frame into independently timed packets, such as G.711).
    pub timestamp_offset: u32,
    /// The RTP marker bit for this payload.
    pub marker: bool,
}

/// How one received payload relates to frame boundaries, as its format tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketKind {
    /// The payload certainly starts a frame.
    pub is_start: bool,
    /// The payload certainly ends a frame.
    pub is_end: bool,
    /// The payload belongs to a frame that decodes without earlier frames.
    pub is_keyframe: bool,
}

/// Malformed payload bytes from the network. Counted by the [`Depacketizer`], never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// The payload ended inside a header or a length-prefixed field.
    #[error("payload truncated")]
    Truncated,
    /// The payload carries no media bytes.
    #[error("empty payload")]
    Empty,
    /// A field holds a value the format forbids.
    #[error("malformed payload: {0}")]
    Malformed(&'static str),
    /// A valid feature this implementation does not handle.
    #[error("unsupported payload: {0}")]
    Unsupported(&'static str),
    /// The assembled frame exceeds the configured maximum.
    #[error("frame too large")]
    FrameTooLarge,
}

/// A caller mistake when packetizing a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PacketizeError {
    /// The frame is empty.
    #[error("empty frame")]
    EmptyFrame,
    /// The payload buffer cannot hold the format's headers plus one media byte.
    #[error("payload buffer too small")]
    BufferTooSmall,
    /// The frame does not fit in one payload and the format cannot split it (Opus).
    #[error("frame larger than the payload budget")]
    FrameTooLarge,
    /// The frame is not in the form the packetizer expects (Annex-B, OBUs).
    #[error("malformed frame: {0}")]
    MalformedFrame(&'static str),
}

/// Splits frames of one codec into RTP payloads.
///
/// Implementations keep per-stream state (picture ids, the VP9 TL0PICIDX) across frames; the
/// position inside one frame lives in the [`Packetizer::Cursor`].
pub trait Packetizer {
    /// Where the packetizer is inside the current frame.
    type Cursor;

    /// Validates `frame` and starts a new one; updates per-frame state such as picture ids.
    fn begin_frame(&mut self, frame: &[u8]) -> Result<Self::Cursor, PacketizeError>;

    /// Writes the next payload of `frame` into `out` (whose length is the payload budget), or
    /// returns `None` once the frame is fully written.
    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut Self::Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError>;

    /// Starts packetizing `frame` with RTP timestamp `timestamp`; the first payload gets
    /// sequence number `seq`.
    fn packetize<'a>(
        &'a mut self,
        frame: &'a [u8],
        timestamp: u32,
        seq: u16,
    ) -> Result<Packets<'a, Self>, PacketizeError>
    where
        Self: Sized,
    {
        let cursor = self.begin_frame(frame)?;
        Ok(Packets {
            packetizer: self,
            frame,
            cursor,
            timestamp,
            seq,
            done: false,
        })
    }
}

/// The payloads of one frame, written one at a time into caller buffers.
#[derive(Debug)]
pub struct Packets<'a, P: Packetizer> {
    packetizer: &'a mut P,
    frame: &'a [u8],
    cursor: P::Cursor,
    timestamp: u32,
    seq: u16,
    done: bool,
}

impl<P: Packetizer> Packets<'_, P> {
    /// Writes the next payload into `out` and returns its length and RTP header fields, or
    /// `None` when the frame is done. `out.len()` is the payload budget.
    pub fn next_into(&mut self, out: &mut [u8]) -> Result<Option<Written>, PacketizeError> {
        if self.done {
            return Ok(None);
        }
        let Some(info) = self
            .packetizer
            .write_payload(self.frame, &mut self.cursor, out)?
        else {
            self.done = true;
            return Ok(None);
        };
        let meta = PacketMeta {
            seq: self.seq,
            timestamp: self.timestamp.wrapping_add(info.timestamp_offset),
            marker: info.marker,
        };
        self.seq = self.seq.wrapping_add(1);
        if info.end_of_frame {
            self.done = true;
        }
        Ok(Some(Written {
            len: info.len,
            meta,
        }))
    }

    /// The sequence number the next payload (of this frame or the next) should use.
    pub fn next_seq(&self) -> u16 {
        self.seq
    }
}

/// The receive side of one payload format: classifies payloads and assembles frames.
///
/// The [`Depacketizer`] calls [`PayloadFormat::inspect`] once per arriving packet and, once it
/// holds every packet of a frame in order, [`PayloadFormat::begin_frame`],
/// [`PayloadFormat::push`] per packet and [`PayloadFormat::end_frame`].
pub trait PayloadFormat {
    /// Classifies one payload; an error drops the packet.
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError>;

    /// Whether every frame of this format is independently decodable (audio).
    fn is_audio(&self) -> bool {
        false
    }

    /// Resets assembly state before the first packet of a frame.
    fn begin_frame(&mut self) {}

    /// Appends the media bytes of one payload (in sequence order) to `frame`.
    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError>;

    /// Finishes the frame after its last payload.
    fn end_frame(&mut self, _frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        Ok(())
    }
}
