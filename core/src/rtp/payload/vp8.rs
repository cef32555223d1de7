//! VP8 (RFC 7741): the payload descriptor, a packetizer and the receive side.

use super::{
    PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo, PictureId,
};

/// The VP8 payload descriptor (RFC 7741 section 4.2).
///
/// ```text
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
///      +-+-+-+-+-+-+-+-+
/// L:   |   TL0PICIDX   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp8Descriptor {
    /// N: the frame is not used as a reference.
    pub non_reference: bool,
    /// S: the payload starts a VP8 partition.
    pub start_of_partition: bool,
    /// PID: the partition index (0..=7).
    pub partition_index: u8,
    /// The picture id, if present.
    pub picture_id: Option<PictureId>,
    /// TL0PICIDX, if present.
    pub tl0_pic_idx: Option<u8>,
    /// TID and the Y (layer sync) bit, if present (T bit).
    pub tid: Option<(u8, bool)>,
    /// KEYIDX, if present (K bit).
    pub key_idx: Option<u8>,
}

impl Vp8Descriptor {
    /// Parses the descriptor at the start of `payload`; returns it and its length.
    pub fn parse(payload: &[u8]) -> Result<(Self, usize), PayloadError> {
        let first = *payload.first().ok_or(PayloadError::Truncated)?;
        let mut d = Self {
            non_reference: first & 0x20 != 0,
            start_of_partition: first & 0x10 != 0,
            partition_index: first & 0x07,
            ..Self::default()
        };
        let mut at = 1;
        let mut next = || -> Result<u8, PayloadError> {
            let byte = *payload.get(at).ok_or(PayloadError::Truncated)?;
            at += 1;
            Ok(byte)
        };
        if first & 0x80 != 0 {
            let x = next()?;
            if x & 0x80 != 0 {
                let b = next()?;
                d.picture_id = Some(if b & 0x80 != 0 {
                    PictureId::Long(u16::from(b & 0x7F) << 8 | u16::from(next()?))
                } else {
                    PictureId::Short(b)
                });
            }
            if x & 0x40 != 0 {
                d.tl0_pic_idx = Some(next()?);
            }
            if x & 0x30 != 0 {
                let b = next()?;
                if x & 0x20 != 0 {
                    d.tid = Some((b >> 6, b & 0x20 != 0));
                }
                if x & 0x10 != 0 {
                    d.key_idx = Some(b & 0x1F);
                }
            }
        }
        Ok((d, at))
    }

    /// The descriptor's length on the wire.
    pub fn buffer_len(&self) -> usize {
        let mut len = 1;
        if self.has_extension() {
            len += 1;
            len += match self.picture_id {
                Some(PictureId::Short(_)) => 1,
                Some(PictureId::Long(_)) => 2,
                None => 0,
            };
            len += usize::from(self.tl0_pic_idx.is_some());
            len += usize::from(self.tid.is_some() || self.key_idx.is_some());
        }
        len
    }

    /// Writes the descriptor at the start of `out`; returns its length, or `None` if `out`
    /// is too short.
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.buffer_len();
        let out = out.get_mut(..len)?;
        out[0] = u8::from(self.has_extension()) << 7
            | u8::from(self.non_reference) << 5
            | u8::from(self.start_of_partition) << 4
            | (self.partition_index & 0x07);
        if !self.has_extension() {
            return Some(len);
        }
        let tk = self.tid.is_some() || self.key_idx.is_some();
        out[1] = u8::from(self.picture_id.is_some()) << 7
            | u8::from(self.tl0_pic_idx.is_some()) << 6
            | u8::from(self.tid.is_some()) << 5
            | u8::from(self.key_idx.is_some()) << 4;
        let mut at = 2;
        match self.picture_id {
            Some(PictureId::Short(id)) => {
                out[at] = id & 0x7F;
                at += 1;
            }
            Some(PictureId::Long(id)) => {
                out[at] = 0x80 | ((id >> 8) as u8 & 0x7F);
                out[at + 1] = id as u8;
                at += 2;
            }
            None => {}
        }
        if let Some(idx) = self.tl0_pic_idx {
            out[at] = idx;
            at += 1;
        }
        if tk {
            let (tid, y) = self.tid.unwrap_or((0, false));
            out[at] = (tid & 0x03) << 6 | u8::from(y) << 5 | (self.key_idx.unwrap_or(0) & 0x1F);
        }
        Some(len)
    }

    fn has_extension(&self) -> bool {
        self.picture_id.is_some()
            || self.tl0_pic_idx.is_some()
            || self.tid.is_some()
            || self.key_idx.is_some()
    }
}

/// Splits VP8 frames into payloads (RFC 7741 section 4), with a 15-bit picture id that
/// increments per frame. Every payload carries the descriptor; S is set on the first one.
#[derive(Debug, Clone)]
pub struct Vp8Packetizer {
    picture_id: Option<u16>,
}

impl Vp8Packetizer {
    /// Creates a packetizer; the first frame gets picture id `first_picture_id` (15 bits).
    pub fn new(first_picture_id: u16) -> Self {
        Self {
            picture_id: Some(first_picture_id & 0x7FFF),
        }
    }

    /// Creates a packetizer that writes the one-byte descriptor only (no picture id).
    pub fn without_picture_id() -> Self {
        Self { picture_id: None }
    }
}

impl Default for Vp8Packetizer {
    fn default() -> Self {
        Self::new(0)
    }
}

/// Where the packetizer is inside one VP8 frame.
#[derive(Debug, Default)]
pub struct Vp8Cursor {
    offset: usize,
    picture_id: Option<u16>,
}

impl Packetizer for Vp8Packetizer {
    type Cursor = Vp8Cursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<Vp8Cursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        let cursor = Vp8Cursor {
            offset: 0,
            picture_id: self.picture_id,
        };
        self.picture_id = self.picture_id.map(|id| id.wrapping_add(1) & 0x7FFF);
        Ok(cursor)
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut Vp8Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        let Some(rest) = frame.get(cursor.offset..).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let descriptor = Vp8Descriptor {
            start_of_partition: cursor.offset == 0,
            picture_id: cursor.picture_id.map(PictureId::Long),
            ..Vp8Descriptor::default()
        };
        let header = descriptor.emit(out).ok_or(PacketizeError::BufferTooSmall)?;
        let room = out.len() - header;
        if room == 0 {
            return Err(PacketizeError::BufferTooSmall);
        }
        let len = rest.len().min(room);
        out[header..header + len].copy_from_slice(&rest[..len]);
        cursor.offset += len;
        let end = cursor.offset == frame.len();
        Ok(Some(PayloadInfo {
            len: header + len,
            end_of_frame: end,
            timestamp_offset: 0,
            marker: end,
        }))
    }
}

/// The receive side of VP8: strips descriptors; a frame starts with S = 1 and PID = 0, ends
/// at the marker bit, and is a keyframe when the VP8 payload header's P bit is 0 (RFC 7741
/// section 4.3, RFC 6386 section 9.1).
#[derive(Debug, Default, Clone)]
pub struct Vp8Format {
    _private: (),
}

impl Vp8Format {
    /// Creates the format.
    pub fn new() -> Self {
        Self::default()
    }
}

impl PayloadFormat for Vp8Format {
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError> {
        let (d, len) = Vp8Descriptor::parse(payload)?;
        let media = payload.get(len..).unwrap_or_default();
        if media.is_empty() {
            return Err(PayloadError::Empty);
        }
        let is_start = d.start_of_partition && d.partition_index == 0;
        Ok(PacketKind {
            is_start,
            is_end: marker,
            // The P bit (inverse key frame flag) is bit 0 of the first payload header byte.
            is_keyframe: is_start && media[0] & 0x01 == 0,
        })
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        let (_, len) = Vp8Descriptor::parse(payload)?;
        frame.extend_from_slice(payload.get(len..).unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// RFC 7741 section 4.2 figure: X=1, S=1, I=1 with M=1, L=1, T=1, K=1.
    #[test]
    fn parse_full_descriptor() {
        let bytes = [0x90, 0xF0, 0x81, 0x23, 0x07, 0b1010_0101, 0xAA];
        let (d, len) = Vp8Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, 6);
        assert!(d.start_of_partition);
        assert_eq!(d.picture_id, Some(PictureId::Long(0x0123)));
        assert_eq!(d.tl0_pic_idx, Some(7));
        assert_eq!(d.tid, Some((2, true)));
        assert_eq!(d.key_idx, Some(5));
        let mut out = [0; 8];
        assert_eq!(d.emit(&mut out), Some(6));
        assert_eq!(out[..6], bytes[..6]);
    }

    #[test]
    fn parse_truncated() {
        assert_eq!(Vp8Descriptor::parse(&[]), Err(PayloadError::Truncated));
        assert_eq!(Vp8Descriptor::parse(&[0x80]), Err(PayloadError::Truncated));
        assert_eq!(
            Vp8Descriptor::parse(&[0x80, 0x80, 0x80]),
            Err(PayloadError::Truncated)
        );
    }

    fn descriptor() -> impl Strategy<Value = Vp8Descriptor> {
        (
            any::<(bool, bool, u8)>(),
            prop_oneof![
                Just(None),
                (0u8..128).prop_map(|v| Some(PictureId::Short(v))),
                (0u16..0x8000).prop_map(|v| Some(PictureId::Long(v))),
            ],
            any::<Option<u8>>(),
            any::<Option<(u8, bool)>>(),
            any::<Option<u8>>(),
        )
            .prop_map(|((n, s, pid), picture_id, tl0, tid, key)| Vp8Descriptor {
                non_reference: n,
                start_of_partition: s,
                partition_index: pid & 7,
                picture_id,
                tl0_pic_idx: tl0,
                tid: tid.map(|(t, y)| (t & 3, y)),
                key_idx: key.map(|k| k & 0x1F),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn descriptor_emit_parse(d in descriptor()) {
            let mut out = [0u8; 8];
            let len = d.emit(&mut out).unwrap();
            prop_assert_eq!(len, d.buffer_len());
            prop_assert_eq!(Vp8Descriptor::parse(&out[..len]), Ok((d, len)));
        }

        #[test]
        fn descriptor_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..8)) {
            let _ = Vp8Descriptor::parse(&bytes);
        }
    }
}
