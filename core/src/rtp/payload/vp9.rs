//! VP9 (RFC 9628): the payload descriptor in flexible and non-flexible mode, a packetizer for
//! one spatial layer and the receive side.

use smallvec::SmallVec;

use super::{
    PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo, PictureId,
};

/// At most three reference indices per picture in flexible mode (RFC 9628 section 4.2).
const MAX_P_DIFFS: usize = 3;

/// The VP9 payload descriptor (RFC 9628 section 4.2).
///
/// ```text
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |I|P|L|F|B|E|V|Z| (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PICTURE ID  | (7 or 15 bits)
///      +-+-+-+-+-+-+-+-+
/// L:   |  TID  |U| SID |D| (then TL0PICIDX in non-flexible mode)
///      +-+-+-+-+-+-+-+-+
/// P,F: | P_DIFF      |N| (up to 3 times, flexible mode)
///      +-+-+-+-+-+-+-+-+
/// V:   | SS            | (scalability structure)
///      +-+-+-+-+-+-+-+-+
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Vp9Descriptor {
    /// P: the picture is inter-picture predicted (not a keyframe when 0 on the base layer).
    pub inter_predicted: bool,
    /// F: flexible mode.
    pub flexible: bool,
    /// B: the payload starts a layer frame.
    pub start_of_frame: bool,
    /// E: the payload ends a layer frame.
    pub end_of_frame: bool,
    /// Z: not a reference for upper spatial layers.
    pub not_upper_reference: bool,
    /// The picture id, if present (I).
    pub picture_id: Option<PictureId>,
    /// The layer indices, if present (L).
    pub layer: Option<Vp9Layer>,
    /// TL0PICIDX (non-flexible mode with L).
    pub tl0_pic_idx: Option<u8>,
    /// Reference picture id differences (flexible mode with P).
    pub p_diffs: SmallVec<[u8; MAX_P_DIFFS]>,
    /// A scalability structure is present (V). When parsing, only the first spatial layer's
    /// resolution is kept; when emitting, one spatial layer is described, with `resolution`
    /// if set, and no picture group.
    pub scalability_structure: bool,
    /// The first spatial layer's width and height from the scalability structure (Y).
    pub resolution: Option<(u16, u16)>,
}

/// VP9 layer indices (RFC 9628 section 4.2, L).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vp9Layer {
    /// TID: the temporal layer (0..=7).
    pub tid: u8,
    /// U: switching up point.
    pub switching_up: bool,
    /// SID: the spatial layer (0..=7).
    pub sid: u8,
    /// D: inter-layer dependency.
    pub inter_layer_dependency: bool,
}

impl Vp9Descriptor {
    /// Parses the descriptor at the start of `payload`; returns it and its length.
    pub fn parse(payload: &[u8]) -> Result<(Self, usize), PayloadError> {
        let first = *payload.first().ok_or(PayloadError::Truncated)?;
        let mut d = Self {
            inter_predicted: first & 0x40 != 0,
            flexible: first & 0x10 != 0,
            start_of_frame: first & 0x08 != 0,
            end_of_frame: first & 0x04 != 0,
            scalability_structure: first & 0x02 != 0,
            not_upper_reference: first & 0x01 != 0,
            ..Self::default()
        };
        let mut at = 1;
        if first & 0x80 != 0 {
            let (id, len) = PictureId::parse(payload.get(at..).unwrap_or_default())?;
            d.picture_id = Some(id);
            at += len;
        }
        let next = |at: &mut usize| -> Result<u8, PayloadError> {
            let byte = *payload.get(*at).ok_or(PayloadError::Truncated)?;
            *at += 1;
            Ok(byte)
        };
        if first & 0x20 != 0 {
            let b = next(&mut at)?;
            d.layer = Some(Vp9Layer {
                tid: b >> 5,
                switching_up: b & 0x10 != 0,
                sid: (b >> 1) & 0x07,
                inter_layer_dependency: b & 0x01 != 0,
            });
            if !d.flexible {
                d.tl0_pic_idx = Some(next(&mut at)?);
            }
        }
        if d.flexible && d.inter_predicted {
            loop {
                let b = next(&mut at)?;
                if d.p_diffs.len() == MAX_P_DIFFS {
                    return Err(PayloadError::Malformed("more than three vp9 p_diff"));
                }
                d.p_diffs.push(b >> 1);
                if b & 0x01 == 0 {
                    break;
                }
            }
        }
        if d.scalability_structure {
            let ss = payload.get(at..).unwrap_or_default();
            at += scalability_structure_len(ss)?;
            // The length check above covers the first layer's four resolution bytes.
            if let [first, w0, w1, h0, h1, ..] = *ss
                && first & 0x10 != 0
            {
                d.resolution = Some((u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1])));
            }
        }
        Ok((d, at))
    }

    /// The descriptor's length on the wire.
    pub fn buffer_len(&self) -> usize {
        1 + self.picture_id.map_or(0, PictureId::buffer_len)
            + match self.layer {
                Some(_) if self.flexible => 1,
                Some(_) => 2,
                None => 0,
            }
            + if self.flexible && self.inter_predicted {
                self.p_diffs.len().max(1)
            } else {
                0
            }
            + if self.scalability_structure {
                1 + if self.resolution.is_some() { 4 } else { 0 }
            } else {
                0
            }
    }

    /// Writes the descriptor at the start of `out`; returns its length, or `None` if `out`
    /// is too short.
    pub fn emit(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.buffer_len();
        let out = out.get_mut(..len)?;
        out[0] = u8::from(self.picture_id.is_some()) << 7
            | u8::from(self.inter_predicted) << 6
            | u8::from(self.layer.is_some()) << 5
            | u8::from(self.flexible) << 4
            | u8::from(self.start_of_frame) << 3
            | u8::from(self.end_of_frame) << 2
            | u8::from(self.scalability_structure) << 1
            | u8::from(self.not_upper_reference);
        let mut at = 1;
        if let Some(id) = self.picture_id {
            id.emit(&mut out[at..]);
            at += id.buffer_len();
        }
        if let Some(l) = self.layer {
            out[at] = (l.tid & 0x07) << 5
                | u8::from(l.switching_up) << 4
                | (l.sid & 0x07) << 1
                | u8::from(l.inter_layer_dependency);
            at += 1;
            if !self.flexible {
                out[at] = self.tl0_pic_idx.unwrap_or(0);
                at += 1;
            }
        }
        if self.flexible && self.inter_predicted {
            let diffs: &[u8] = if self.p_diffs.is_empty() {
                &[1]
            } else {
                &self.p_diffs
            };
            for (i, diff) in diffs.iter().enumerate() {
                out[at] = diff << 1 | u8::from(i + 1 < diffs.len());
                at += 1;
            }
        }
        if self.scalability_structure {
            // N_S = 0 (one spatial layer), Y if a resolution is known, G = 0.
            out[at] = u8::from(self.resolution.is_some()) << 4;
            if let Some((width, height)) = self.resolution {
                out[at + 1..at + 3].copy_from_slice(&width.to_be_bytes());
                out[at + 3..at + 5].copy_from_slice(&height.to_be_bytes());
            }
        }
        Some(len)
    }
}

/// The length of the scalability structure at the start of `bytes` (RFC 9628 section 4.2.1).
fn scalability_structure_len(bytes: &[u8]) -> Result<usize, PayloadError> {
    let first = *bytes.first().ok_or(PayloadError::Truncated)?;
    let spatial_layers = usize::from(first >> 5) + 1;
    let mut at = 1;
    if first & 0x10 != 0 {
        at += 4 * spatial_layers;
    }
    if first & 0x08 != 0 {
        let groups = *bytes.get(at).ok_or(PayloadError::Truncated)?;
        at += 1;
        for _ in 0..groups {
            let b = *bytes.get(at).ok_or(PayloadError::Truncated)?;
            at += 1 + usize::from((b >> 2) & 0x03);
        }
    }
    if at > bytes.len() {
        return Err(PayloadError::Truncated);
    }
    Ok(at)
}

/// The descriptor mode a [`Vp9Packetizer`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vp9Mode {
    /// Flexible mode: P_DIFF = 1 on inter pictures (each references the previous one).
    Flexible,
    /// Non-flexible mode: layer indices (all zero) and a TL0PICIDX that counts pictures.
    NonFlexible,
}

/// Splits VP9 frames of one spatial layer into payloads (RFC 9628 section 4), with a 15-bit
/// picture id per frame. Keyframes are recognised from the VP9 uncompressed header and carry a
/// scalability structure in their first payload.
#[derive(Debug, Clone)]
pub struct Vp9Packetizer {
    mode: Vp9Mode,
    picture_id: u16,
    tl0_pic_idx: u8,
}

impl Vp9Packetizer {
    /// Creates a packetizer; the first frame gets picture id `first_picture_id` (15 bits).
    pub fn new(mode: Vp9Mode, first_picture_id: u16) -> Self {
        Self {
            mode,
            picture_id: first_picture_id & 0x7FFF,
            tl0_pic_idx: 0,
        }
    }
}

/// Where the packetizer is inside one VP9 frame.
#[derive(Debug, Default)]
pub struct Vp9Cursor {
    offset: usize,
    picture_id: u16,
    tl0_pic_idx: u8,
    is_keyframe: bool,
    resolution: Option<(u16, u16)>,
}

/// Reads bits most significant first.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let mut value = 0;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8)?;
            value = value << 1 | u32::from(byte >> (7 - self.pos % 8) & 1);
            self.pos += 1;
        }
        Some(value)
    }
}

/// The frame size of a VP9 keyframe, from its uncompressed header (VP9 bitstream
/// specification sections 6.2, 6.2.1 frame_sync_code, 6.2.2 color_config, 6.2.3 frame_size).
pub(crate) fn vp9_keyframe_size(frame: &[u8]) -> Option<(u16, u16)> {
    let mut b = Bits {
        data: frame,
        pos: 0,
    };
    if b.read(2)? != 2 {
        return None;
    }
    let low = b.read(1)?;
    let profile = b.read(1)? << 1 | low;
    if profile == 3 {
        b.read(1)?;
    }
    // show_existing_frame = 0, frame_type = KEY_FRAME (0); then show_frame and
    // error_resilient_mode.
    if b.read(1)? != 0 || b.read(1)? != 0 {
        return None;
    }
    b.read(2)?;
    if b.read(24)? != 0x49_83_42 {
        return None;
    }
    if profile >= 2 {
        b.read(1)?;
    }
    const CS_RGB: u32 = 7;
    let color_space = b.read(3)?;
    let subsampling_bits = if profile == 1 || profile == 3 { 3 } else { 0 };
    if color_space != CS_RGB {
        b.read(1 + subsampling_bits)?;
    } else if subsampling_bits > 0 {
        b.read(1)?;
    }
    let width = b.read(16)? + 1;
    let height = b.read(16)? + 1;
    Some((u16::try_from(width).ok()?, u16::try_from(height).ok()?))
}

/// Whether a VP9 frame is a keyframe, from its uncompressed header (VP9 bitstream
/// specification section 6.2): frame_marker, profile, show_existing_frame, frame_type.
pub(crate) fn is_vp9_keyframe(frame: &[u8]) -> bool {
    let Some(&first) = frame.first() else {
        return false;
    };
    if first >> 6 != 0b10 {
        return false;
    }
    let profile = (first >> 5 & 1) | (first >> 3 & 2);
    // Profile 3 has a reserved zero bit before show_existing_frame.
    let skip = if profile == 3 { 1 } else { 0 };
    let bit = |n: u32| -> Option<bool> {
        let byte = frame.get((n / 8) as usize)?;
        Some(byte >> (7 - n % 8) & 1 != 0)
    };
    let show_existing = bit(4 + skip);
    let frame_type = bit(5 + skip);
    matches!((show_existing, frame_type), (Some(false), Some(false)))
}

impl Packetizer for Vp9Packetizer {
    type Cursor = Vp9Cursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<Vp9Cursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        let cursor = Vp9Cursor {
            offset: 0,
            picture_id: self.picture_id,
            tl0_pic_idx: self.tl0_pic_idx,
            is_keyframe: is_vp9_keyframe(frame),
            resolution: vp9_keyframe_size(frame),
        };
        self.picture_id = self.picture_id.wrapping_add(1) & 0x7FFF;
        self.tl0_pic_idx = self.tl0_pic_idx.wrapping_add(1);
        Ok(cursor)
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut Vp9Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        let Some(rest) = frame.get(cursor.offset..).filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let first = cursor.offset == 0;
        let flexible = self.mode == Vp9Mode::Flexible;
        let mut d = Vp9Descriptor {
            inter_predicted: !cursor.is_keyframe,
            flexible,
            start_of_frame: first,
            picture_id: Some(PictureId::Long(cursor.picture_id)),
            scalability_structure: first && cursor.is_keyframe,
            resolution: cursor.resolution.filter(|_| first && cursor.is_keyframe),
            ..Vp9Descriptor::default()
        };
        if !flexible {
            d.layer = Some(Vp9Layer::default());
            d.tl0_pic_idx = Some(cursor.tl0_pic_idx);
        }
        let header = d.buffer_len();
        if out.len() <= header {
            return Err(PacketizeError::BufferTooSmall);
        }
        let len = rest.len().min(out.len() - header);
        let end = cursor.offset + len == frame.len();
        d.end_of_frame = end;
        d.emit(out).ok_or(PacketizeError::BufferTooSmall)?;
        out[header..header + len].copy_from_slice(&rest[..len]);
        cursor.offset += len;
        Ok(Some(PayloadInfo {
            len: header + len,
            end_of_frame: end,
            timestamp_offset: 0,
            marker: end,
        }))
    }
}

/// The receive side of VP9: strips descriptors; a picture starts with B = 1 on the base
/// spatial layer, ends at the marker bit, and is a keyframe when P = 0 there.
#[derive(Debug, Default, Clone)]
pub struct Vp9Format {
    _private: (),
}

impl Vp9Format {
    /// Creates the format.
    pub fn new() -> Self {
        Self::default()
    }
}

impl PayloadFormat for Vp9Format {
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError> {
        let (d, len) = Vp9Descriptor::parse(payload)?;
        if len >= payload.len() {
            return Err(PayloadError::Empty);
        }
        let base_layer = d.layer.is_none_or(|l| l.sid == 0);
        let is_start = d.start_of_frame && base_layer;
        Ok(PacketKind {
            is_start,
            is_end: marker,
            is_keyframe: is_start && !d.inter_predicted,
        })
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        let (_, len) = Vp9Descriptor::parse(payload)?;
        frame.extend_from_slice(payload.get(len..).unwrap_or_default());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn parse_non_flexible() {
        // I=1 (M=1), P=1, L=1, B=1, E=1; picture id 0x1234; TID 2, U, SID 1, D; TL0PICIDX 9.
        let bytes = [0xEC, 0x92, 0x34, 0b0101_0011, 9, 0xAB];
        let (d, len) = Vp9Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, 5);
        assert_eq!(d.picture_id, Some(PictureId::Long(0x1234)));
        assert_eq!(
            d.layer,
            Some(Vp9Layer {
                tid: 2,
                switching_up: true,
                sid: 1,
                inter_layer_dependency: true
            })
        );
        assert_eq!(d.tl0_pic_idx, Some(9));
        assert!(d.inter_predicted && d.start_of_frame && d.end_of_frame);
        let mut out = [0; 8];
        assert_eq!(d.emit(&mut out), Some(5));
        assert_eq!(out[..5], bytes[..5]);
    }

    #[test]
    fn parse_flexible_with_p_diffs_and_ss() {
        // I=1 (7-bit), P=1, F=1, B=1, V=1; picture id 5; P_DIFF 1 (N=1), 3 (N=0);
        // SS: N_S=1, Y=1 (2 x 4 bytes), G=1 with N_G=1: TID 0, R=1, one P_DIFF.
        let bytes = [
            0xDA, 0x05, 0x03, 0x06, 0x38, 1, 2, 3, 4, 5, 6, 7, 8, 1, 0x04, 1, 0xFF,
        ];
        let (d, len) = Vp9Descriptor::parse(&bytes).unwrap();
        assert_eq!(len, bytes.len() - 1);
        assert_eq!(d.p_diffs.as_slice(), &[1, 3]);
        assert!(d.scalability_structure);
        assert_eq!(d.resolution, Some((0x0102, 0x0304)));
    }

    #[test]
    fn keyframe_from_uncompressed_header() {
        assert!(is_vp9_keyframe(&[0x82, 0x49]));
        assert!(!is_vp9_keyframe(&[0x86, 0x49]));
        // show_existing_frame.
        assert!(!is_vp9_keyframe(&[0x88]));
        // Profile 3: reserved bit shifts frame_type.
        assert!(is_vp9_keyframe(&[0xB0, 0x00]));
        assert!(!is_vp9_keyframe(&[0xB2, 0x00]));
        assert!(!is_vp9_keyframe(&[0x42]));
    }

    /// A profile 0 keyframe header for 1280 x 720 (bits written by hand).
    #[test]
    fn keyframe_size_from_uncompressed_header() {
        let mut bits = Vec::new();
        let mut push = |value: u32, n: usize| {
            for i in (0..n).rev() {
                bits.push((value >> i) & 1);
            }
        };
        push(2, 2); // frame_marker
        push(0, 2); // profile 0
        push(0, 1); // show_existing_frame
        push(0, 1); // frame_type KEY_FRAME
        push(1, 1); // show_frame
        push(0, 1); // error_resilient_mode
        push(0x49_83_42, 24); // frame_sync_code
        push(1, 3); // color_space BT.601
        push(0, 1); // color_range
        push(1279, 16);
        push(719, 16);
        let mut frame: Vec<u8> = bits
            .chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | (b as u8) << (7 - i))
            })
            .collect();
        assert_eq!(vp9_keyframe_size(&frame), Some((1280, 720)));
        assert!(is_vp9_keyframe(&frame));
        frame[0] |= 0x04; // An inter frame has no size here.
        assert_eq!(vp9_keyframe_size(&frame), None);
    }

    fn descriptor() -> impl Strategy<Value = Vp9Descriptor> {
        (
            any::<[bool; 6]>(),
            prop_oneof![
                Just(None),
                (0u8..128).prop_map(|v| Some(PictureId::Short(v))),
                (0u16..0x8000).prop_map(|v| Some(PictureId::Long(v))),
            ],
            any::<Option<(u8, bool, u8, bool)>>(),
            any::<u8>(),
            proptest::collection::vec(0u8..128, 1..=3),
        )
            .prop_map(|(bits, picture_id, layer, tl0, diffs)| {
                let [p, f, b, e, z, v] = bits;
                let layer = layer.map(|(tid, u, sid, dep)| Vp9Layer {
                    tid: tid & 7,
                    switching_up: u,
                    sid: sid & 7,
                    inter_layer_dependency: dep,
                });
                Vp9Descriptor {
                    inter_predicted: p,
                    flexible: f,
                    start_of_frame: b,
                    end_of_frame: e,
                    not_upper_reference: z,
                    picture_id,
                    layer,
                    tl0_pic_idx: (layer.is_some() && !f).then_some(tl0),
                    p_diffs: if f && p {
                        diffs.into()
                    } else {
                        SmallVec::new()
                    },
                    scalability_structure: v,
                    resolution: v.then_some((tl0.into(), 720)),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn descriptor_emit_parse(d in descriptor()) {
            let mut out = [0u8; 16];
            let len = d.emit(&mut out).unwrap();
            prop_assert_eq!(len, d.buffer_len());
            prop_assert_eq!(Vp9Descriptor::parse(&out[..len]), Ok((d, len)));
        }

        #[test]
        fn descriptor_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..24)) {
            let _ = Vp9Descriptor::parse(&bytes);
        }
    }
}
