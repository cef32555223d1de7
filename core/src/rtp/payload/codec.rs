//! Choosing a payload format at run time: one enum over every packetizer and format.

use super::{
    Av1Cursor, Av1Format, Av1Packetizer, G711Cursor, G711Format, G711Law, G711Packetizer,
    H264Cursor, H264Format, H264Packetizer, OpusCursor, OpusFormat, OpusPacketizer, PacketKind,
    PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo, Vp8Cursor, Vp8Format,
    Vp8Packetizer, Vp9Cursor, Vp9Format, Vp9Mode, Vp9Packetizer,
};

/// The payload formats of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Opus (RFC 7587).
    Opus,
    /// G.711 mu-law (RFC 3551).
    Pcmu,
    /// G.711 A-law (RFC 3551).
    Pcma,
    /// VP8 (RFC 7741).
    Vp8,
    /// VP9 (RFC 9628).
    Vp9,
    /// H.264 (RFC 6184), packetization-mode 1.
    H264,
    /// AV1 (AOMedia RTP payload format).
    Av1,
}

impl Codec {
    /// The codec named by an SDP `rtpmap` encoding name (case-insensitive).
    pub fn from_encoding_name(name: &str) -> Option<Self> {
        const NAMES: [(&str, Codec); 7] = [
            ("opus", Codec::Opus),
            ("PCMU", Codec::Pcmu),
            ("PCMA", Codec::Pcma),
            ("VP8", Codec::Vp8),
            ("VP9", Codec::Vp9),
            ("H264", Codec::H264),
            ("AV1", Codec::Av1),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, codec)| codec)
    }

    /// The RTP clock rate in Hz (RFC 7587 section 4.1, RFC 3551 table 4, 90 kHz for video).
    pub fn clock_rate(self) -> u32 {
        match self {
            Self::Opus => 48_000,
            Self::Pcmu | Self::Pcma => 8_000,
            Self::Vp8 | Self::Vp9 | Self::H264 | Self::Av1 => 90_000,
        }
    }

    /// Whether the codec is audio (every frame decodes on its own).
    pub fn is_audio(self) -> bool {
        matches!(self, Self::Opus | Self::Pcmu | Self::Pcma)
    }

    /// A packetizer with default settings: 20 ms G.711 packets, VP8 and VP9 picture ids from
    /// `first_picture_id`, VP9 in flexible mode.
    pub fn packetizer(self, first_picture_id: u16) -> AnyPacketizer {
        match self {
            Self::Opus => AnyPacketizer::Opus(OpusPacketizer::new()),
            Self::Pcmu | Self::Pcma => AnyPacketizer::G711(G711Packetizer::default()),
            Self::Vp8 => AnyPacketizer::Vp8(Vp8Packetizer::new(first_picture_id)),
            Self::Vp9 => {
                AnyPacketizer::Vp9(Vp9Packetizer::new(Vp9Mode::Flexible, first_picture_id))
            }
            Self::H264 => AnyPacketizer::H264(H264Packetizer::new()),
            Self::Av1 => AnyPacketizer::Av1(Av1Packetizer::new()),
        }
    }

    /// The receive side of the codec, for a [`super::Depacketizer`].
    pub fn format(self) -> AnyFormat {
        match self {
            Self::Opus => AnyFormat::Opus(OpusFormat::new()),
            Self::Pcmu => AnyFormat::G711(G711Format::new(G711Law::Ulaw)),
            Self::Pcma => AnyFormat::G711(G711Format::new(G711Law::Alaw)),
            Self::Vp8 => AnyFormat::Vp8(Vp8Format::new()),
            Self::Vp9 => AnyFormat::Vp9(Vp9Format::new()),
            Self::H264 => AnyFormat::H264(H264Format::new()),
            Self::Av1 => AnyFormat::Av1(Av1Format::new()),
        }
    }
}

/// Any packetizer of this module.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyPacketizer {
    /// Opus.
    Opus(OpusPacketizer),
    /// PCMU or PCMA.
    G711(G711Packetizer),
    /// VP8.
    Vp8(Vp8Packetizer),
    /// VP9.
    Vp9(Vp9Packetizer),
    /// H.264.
    H264(H264Packetizer),
    /// AV1.
    Av1(Av1Packetizer),
}

/// The cursor of an [`AnyPacketizer`].
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyCursor {
    /// Opus.
    Opus(OpusCursor),
    /// PCMU or PCMA.
    G711(G711Cursor),
    /// VP8.
    Vp8(Vp8Cursor),
    /// VP9.
    Vp9(Vp9Cursor),
    /// H.264.
    H264(H264Cursor),
    /// AV1.
    Av1(Av1Cursor),
}

impl Packetizer for AnyPacketizer {
    type Cursor = AnyCursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<AnyCursor, PacketizeError> {
        Ok(match self {
            Self::Opus(p) => AnyCursor::Opus(p.begin_frame(frame)?),
            Self::G711(p) => AnyCursor::G711(p.begin_frame(frame)?),
            Self::Vp8(p) => AnyCursor::Vp8(p.begin_frame(frame)?),
            Self::Vp9(p) => AnyCursor::Vp9(p.begin_frame(frame)?),
            Self::H264(p) => AnyCursor::H264(p.begin_frame(frame)?),
            Self::Av1(p) => AnyCursor::Av1(p.begin_frame(frame)?),
        })
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut AnyCursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        match (self, cursor) {
            (Self::Opus(p), AnyCursor::Opus(c)) => p.write_payload(frame, c, out),
            (Self::G711(p), AnyCursor::G711(c)) => p.write_payload(frame, c, out),
            (Self::Vp8(p), AnyCursor::Vp8(c)) => p.write_payload(frame, c, out),
            (Self::Vp9(p), AnyCursor::Vp9(c)) => p.write_payload(frame, c, out),
            (Self::H264(p), AnyCursor::H264(c)) => p.write_payload(frame, c, out),
            (Self::Av1(p), AnyCursor::Av1(c)) => p.write_payload(frame, c, out),
            // A cursor from another packetizer: nothing of this frame to write.
            _ => Ok(None),
        }
    }
}

/// Any payload format of this module.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AnyFormat {
    /// Opus.
    Opus(OpusFormat),
    /// PCMU or PCMA.
    G711(G711Format),
    /// VP8.
    Vp8(Vp8Format),
    /// VP9.
    Vp9(Vp9Format),
    /// H.264.
    H264(H264Format),
    /// AV1.
    Av1(Av1Format),
}

impl AnyFormat {
    fn inner(&self) -> &dyn PayloadFormat {
        match self {
            Self::Opus(f) => f,
            Self::G711(f) => f,
            Self::Vp8(f) => f,
            Self::Vp9(f) => f,
            Self::H264(f) => f,
            Self::Av1(f) => f,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn PayloadFormat {
        match self {
            Self::Opus(f) => f,
            Self::G711(f) => f,
            Self::Vp8(f) => f,
            Self::Vp9(f) => f,
            Self::H264(f) => f,
            Self::Av1(f) => f,
        }
    }
}

impl PayloadFormat for AnyFormat {
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError> {
        self.inner().inspect(payload, marker)
    }

    fn is_audio(&self) -> bool {
        self.inner().is_audio()
    }

    fn begin_frame(&mut self) {
        self.inner_mut().begin_frame();
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        self.inner_mut().push(payload, frame)
    }

    fn end_frame(&mut self, frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        self.inner_mut().end_frame(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_names() {
        assert_eq!(Codec::from_encoding_name("OPUS"), Some(Codec::Opus));
        assert_eq!(Codec::from_encoding_name("h264"), Some(Codec::H264));
        assert_eq!(Codec::from_encoding_name("H265"), None);
        assert_eq!(Codec::Pcma.clock_rate(), 8000);
        assert!(Codec::Opus.is_audio() && !Codec::Av1.is_audio());
        assert!(Codec::Vp8.format().inspect(&[0x10, 0x00], true).is_ok());
    }
}
