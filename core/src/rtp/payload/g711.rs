//! G.711 PCMU and PCMA (RFC 3551 section 4.5.14) and the codec itself (ITU-T G.711).
//!
//! One byte per sample at 8000 Hz, so the RTP timestamp advances by the payload length. A
//! frame is any run of encoded samples; the packetizer splits it into payloads of at most
//! `samples_per_packet` samples, each stamped with its own timestamp.

use super::{PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo};

/// The two G.711 companding laws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711Law {
    /// mu-law, RTP payload type 0 (PCMU).
    Ulaw,
    /// A-law, RTP payload type 8 (PCMA).
    Alaw,
}

impl G711Law {
    /// The static RTP payload type (RFC 3551 table 4).
    pub fn payload_type(self) -> u8 {
        match self {
            Self::Ulaw => 0,
            Self::Alaw => 8,
        }
    }

    /// Encodes 16-bit linear samples into `out`, one byte each; returns the count written
    /// (the shorter of the two lengths).
    pub fn encode(self, pcm: &[i16], out: &mut [u8]) -> usize {
        let n = pcm.len().min(out.len());
        for (dst, &sample) in out.iter_mut().zip(pcm) {
            *dst = match self {
                Self::Ulaw => ulaw_encode(sample),
                Self::Alaw => alaw_encode(sample),
            };
        }
        n
    }

    /// Decodes G.711 bytes into 16-bit linear samples; returns the count written.
    pub fn decode(self, coded: &[u8], out: &mut [i16]) -> usize {
        let n = coded.len().min(out.len());
        for (dst, &byte) in out.iter_mut().zip(coded) {
            *dst = match self {
                Self::Ulaw => ulaw_decode(byte),
                Self::Alaw => alaw_decode(byte),
            };
        }
        n
    }
}

/// mu-law bias added before finding the segment (G.711 table 2a, in 16-bit units).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude mu-law represents, in 16-bit units after biasing headroom.
const ULAW_CLIP: i32 = 32635;

/// Encodes one 16-bit linear sample with mu-law (ITU-T G.711 table 2a).
pub fn ulaw_encode(sample: i16) -> u8 {
    let mut pcm = i32::from(sample);
    let sign = if pcm < 0 {
        pcm = -pcm;
        0x80
    } else {
        0
    };
    pcm = pcm.min(ULAW_CLIP) + ULAW_BIAS;
    // The segment is the position of the highest set bit above bit 7 (0..=7).
    let exponent = (31 - (pcm >> 7).max(1).leading_zeros()) as i32;
    let mantissa = (pcm >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// Decodes one mu-law byte to a 16-bit linear sample (ITU-T G.711 table 2a).
pub fn ulaw_decode(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    // At most (15 * 8 + 132) << 7 - 132 = 32124, so the cast is lossless.
    if byte & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one 16-bit linear sample with A-law (ITU-T G.711 table 1a), on the 13 high bits.
pub fn alaw_encode(sample: i16) -> u8 {
    let pcm = i32::from(sample);
    let (magnitude, mask) = if pcm >= 0 {
        (pcm >> 3, 0xD5)
    } else {
        ((-pcm - 1) >> 3, 0x55)
    };
    // 13-bit magnitude 0..=4095: segment 0 covers 0..32 in steps of 2, segment s >= 1 covers
    // 16 << s .. 32 << s in steps of 1 << s.
    let (segment, mantissa) = if magnitude < 32 {
        (0, magnitude >> 1)
    } else {
        let segment = (31 - magnitude.leading_zeros()) as i32 - 4;
        (segment, (magnitude >> segment) & 0x0F)
    };
    ((segment << 4) as u8 | mantissa as u8) ^ mask
}

/// Decodes one A-law byte to a 16-bit linear sample (ITU-T G.711 table 1a).
pub fn alaw_decode(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let segment = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    // The middle of the quantisation interval, in 13-bit units.
    let magnitude = if segment == 0 {
        (mantissa << 1) + 1
    } else {
        ((mantissa | 0x10) << segment) + (1 << (segment - 1))
    };
    // At most (31 << 7) + 64 = 4032, times 8 = 32256: fits in i16.
    let value = (magnitude << 3) as i16;
    if byte & 0x80 != 0 { value } else { -value }
}

/// Splits runs of G.711 samples into payloads (RFC 3551 section 4.5.14).
#[derive(Debug, Clone)]
pub struct G711Packetizer {
    samples_per_packet: usize,
}

impl G711Packetizer {
    /// Creates a packetizer writing at most `samples_per_packet` samples (bytes) per payload,
    /// for example 160 for 20 ms packets (RFC 3551 section 4.5: the default packetization
    /// interval). Zero is treated as one.
    pub fn new(samples_per_packet: usize) -> Self {
        Self {
            samples_per_packet: samples_per_packet.max(1),
        }
    }
}

impl Default for G711Packetizer {
    fn default() -> Self {
        Self::new(160)
    }
}

/// How many samples of the frame have been written.
#[derive(Debug, Default)]
pub struct G711Cursor {
    offset: usize,
}

impl Packetizer for G711Packetizer {
    type Cursor = G711Cursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<G711Cursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        Ok(G711Cursor::default())
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut G711Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        let Some(rest) = frame.get(cursor.offset..).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        if out.is_empty() {
            return Err(PacketizeError::BufferTooSmall);
        }
        let len = rest.len().min(out.len()).min(self.samples_per_packet);
        out[..len].copy_from_slice(&rest[..len]);
        let timestamp_offset = cursor.offset as u32;
        cursor.offset += len;
        Ok(Some(PayloadInfo {
            len,
            end_of_frame: cursor.offset == frame.len(),
            timestamp_offset,
            marker: false,
        }))
    }
}

/// The receive side of PCMU and PCMA: every payload is a frame of samples.
#[derive(Debug, Clone)]
pub struct G711Format {
    law: G711Law,
}

impl G711Format {
    /// Creates the format for one law.
    pub fn new(law: G711Law) -> Self {
        Self { law }
    }

    /// The companding law.
    pub fn law(&self) -> G711Law {
        self.law
    }
}

impl PayloadFormat for G711Format {
    fn inspect(&self, payload: &[u8], _marker: bool) -> Result<PacketKind, PayloadError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Known values (ITU-T G.711 tables 1a and 2a; the usual reference decoder outputs).
    #[test]
    fn g711_known_values() {
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
    }

    #[test]
    fn g711_round_trip_error_bounds() {
        for x in i16::MIN..=i16::MAX {
            let m = i32::from(x).abs();
            let u = i32::from(ulaw_decode(ulaw_encode(x)));
            if m <= ULAW_CLIP {
                // Half a quantisation step: 4 << segment, with segment from x + bias.
                assert!(
                    (u - i32::from(x)).abs() <= (m + ULAW_BIAS) / 32 + 1,
                    "ulaw {x} -> {u}"
                );
            }
            let a = i32::from(alaw_decode(alaw_encode(x)));
            assert!((a - i32::from(x)).abs() <= m / 32 + 16, "alaw {x} -> {a}");
        }
    }

    #[test]
    fn g711_codes_decode_and_reencode_to_themselves() {
        for byte in 0..=255u8 {
            let u = ulaw_encode(ulaw_decode(byte));
            // 0x7F and 0xFF both decode to 0, which encodes as 0xFF.
            if byte != 0x7F {
                assert_eq!(u, byte, "ulaw {byte:#x}");
            }
            assert_eq!(alaw_encode(alaw_decode(byte)), byte, "alaw {byte:#x}");
        }
    }
}
