//! AV1 (AOMedia "RTP Payload Format For AV1", v1.0.0): the aggregation header, OBU elements,
//! fragmentation of OBUs across packets. Frames are temporal units in the low-overhead
//! bitstream format (AV1 specification section 5.2: OBUs with `obu_has_size_field` = 1).

use super::{PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo};

/// OBU types (AV1 specification section 6.2.2).
mod obu_type {
    pub(super) const SEQUENCE_HEADER: u8 = 1;
    pub(super) const TEMPORAL_DELIMITER: u8 = 2;
    pub(super) const TILE_LIST: u8 = 8;
    pub(super) const PADDING: u8 = 15;
}

/// `obu_has_size_field` in the OBU header.
const HAS_SIZE: u8 = 0x02;
/// `obu_extension_flag` in the OBU header.
const HAS_EXTENSION: u8 = 0x04;
/// The temporal delimiter the depacketizer writes at the start of each temporal unit.
const TEMPORAL_DELIMITER: [u8; 2] = [0x12, 0x00];

/// Reads a leb128 value (AV1 specification section 4.10.5): at most 8 bytes, below 2^32.
fn read_leb128(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().take(8).enumerate() {
        value |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return usize::try_from(value)
                .ok()
                .filter(|_| value <= u64::from(u32::MAX))
                .map(|v| (v, i + 1));
        }
    }
    None
}

/// The length of `value` in leb128.
fn leb128_len(value: usize) -> usize {
    let mut len = 1;
    let mut v = value >> 7;
    while v > 0 {
        len += 1;
        v >>= 7;
    }
    len
}

/// Writes `value` in leb128 into `out` (at least [`leb128_len`] long); returns the length.
fn write_leb128(value: usize, out: &mut [u8]) -> usize {
    let len = leb128_len(value);
    for (i, byte) in out.iter_mut().take(len).enumerate() {
        let more = if i + 1 < len { 0x80 } else { 0 };
        *byte = ((value >> (7 * i)) & 0x7F) as u8 | more;
    }
    len
}

/// One OBU of a temporal unit, as it goes into an OBU element: header without a size field.
#[derive(Debug, Clone, Copy)]
struct Obu {
    header: [u8; 2],
    header_len: usize,
    start: usize,
    end: usize,
    kind: u8,
}

impl Obu {
    fn len(&self) -> usize {
        self.header_len + self.end - self.start
    }

    /// Copies element bytes `from..to` into `out`.
    fn copy(&self, frame: &[u8], from: usize, to: usize, out: &mut [u8]) {
        let mut at = 0;
        for i in from..to.min(self.header_len) {
            out[at] = self.header[i];
            at += 1;
        }
        let from = from.max(self.header_len) - self.header_len + self.start;
        let to = to.max(self.header_len) - self.header_len + self.start;
        if from < to {
            out[at..at + to - from].copy_from_slice(&frame[from..to]);
        }
    }
}

/// Reads the OBU at `pos` of a temporal unit; returns it and where the next one starts.
fn read_obu(frame: &[u8], pos: usize) -> Result<(Obu, usize), PacketizeError> {
    let &header = frame
        .get(pos)
        .ok_or(PacketizeError::MalformedFrame("truncated obu"))?;
    if header & 0x80 != 0 {
        return Err(PacketizeError::MalformedFrame("obu forbidden bit set"));
    }
    let header_len = if header & HAS_EXTENSION != 0 { 2 } else { 1 };
    let extension = if header_len == 2 {
        *frame
            .get(pos + 1)
            .ok_or(PacketizeError::MalformedFrame("truncated obu"))?
    } else {
        0
    };
    let (start, end) = if header & HAS_SIZE != 0 {
        let (size, n) = frame
            .get(pos + header_len..)
            .and_then(read_leb128)
            .ok_or(PacketizeError::MalformedFrame("bad obu size"))?;
        let start = pos + header_len + n;
        let end = start.checked_add(size).filter(|&e| e <= frame.len());
        (
            start,
            end.ok_or(PacketizeError::MalformedFrame("obu size beyond the frame"))?,
        )
    } else {
        (pos + header_len, frame.len())
    };
    let obu = Obu {
        header: [header & !HAS_SIZE, extension],
        header_len,
        start,
        end,
        kind: (header >> 3) & 0x0F,
    };
    Ok((obu, end))
}

/// The next OBU to send at or after `pos`, skipping the ones not sent (section 5: temporal
/// delimiters and tile lists; padding too).
fn next_obu(frame: &[u8], mut pos: usize) -> Result<Option<(Obu, usize)>, PacketizeError> {
    while pos < frame.len() {
        let (obu, next) = read_obu(frame, pos)?;
        match obu.kind {
            obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST | obu_type::PADDING => pos = next,
            _ => return Ok(Some((obu, next))),
        }
    }
    Ok(None)
}

/// Splits AV1 temporal units into payloads: OBUs are aggregated while they fit and
/// fragmented when they do not (sections 4.4 and 5). N is set on the first packet of a
/// temporal unit that carries a sequence header.
#[derive(Debug, Default, Clone)]
pub struct Av1Packetizer {
    _private: (),
}

impl Av1Packetizer {
    /// Creates a packetizer.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Where the packetizer is inside one temporal unit.
#[derive(Debug, Default)]
pub struct Av1Cursor {
    /// Where the current OBU starts in the frame.
    pos: usize,
    /// Element bytes of the current OBU already sent.
    offset: usize,
    /// The first packet is yet to be written.
    first: bool,
    /// The temporal unit carries a sequence header.
    has_sequence_header: bool,
}

/// What one payload will hold, computed before writing it.
struct Plan {
    count: usize,
    /// The last element is a fragment that ends at this element offset.
    fragment_end: Option<usize>,
}

impl Av1Packetizer {
    fn plan(frame: &[u8], cursor: &Av1Cursor, mut room: usize) -> Result<Plan, PacketizeError> {
        let mut plan = Plan {
            count: 0,
            fragment_end: None,
        };
        let (mut pos, mut offset) = (cursor.pos, cursor.offset);
        while let Some((obu, next)) = next_obu(frame, pos)? {
            let remaining = obu.len() - offset;
            let need = leb128_len(remaining) + remaining;
            if need <= room {
                room -= need;
                plan.count += 1;
                (pos, offset) = (next, 0);
                continue;
            }
            if room > leb128_len(room) {
                plan.count += 1;
                plan.fragment_end = Some(offset + room - leb128_len(room));
            }
            break;
        }
        Ok(plan)
    }
}

impl Packetizer for Av1Packetizer {
    type Cursor = Av1Cursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<Av1Cursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        let mut pos = 0;
        let mut sent = 0;
        let mut has_sequence_header = false;
        while let Some((obu, next)) = next_obu(frame, pos)? {
            sent += 1;
            has_sequence_header |= obu.kind == obu_type::SEQUENCE_HEADER;
            pos = next;
        }
        if sent == 0 {
            return Err(PacketizeError::MalformedFrame("no obu to send"));
        }
        Ok(Av1Cursor {
            pos: 0,
            offset: 0,
            first: true,
            has_sequence_header,
        })
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut Av1Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        if next_obu(frame, cursor.pos)?.is_none() {
            return Ok(None);
        }
        let room = out
            .len()
            .checked_sub(1)
            .ok_or(PacketizeError::BufferTooSmall)?;
        let plan = Self::plan(frame, cursor, room)?;
        if plan.count == 0 {
            return Err(PacketizeError::BufferTooSmall);
        }
        // W counts the elements when there are at most three; the last one then has no
        // length field (section 4.4).
        let w = if plan.count <= 3 { plan.count } else { 0 };
        let z = cursor.offset > 0;
        let y = plan.fragment_end.is_some();
        let n = cursor.first && cursor.has_sequence_header;
        out[0] = u8::from(z) << 7 | u8::from(y) << 6 | (w as u8) << 4 | u8::from(n) << 3;
        let mut at = 1;
        for i in 0..plan.count {
            let Some((obu, next)) = next_obu(frame, cursor.pos)? else {
                break;
            };
            let last = i + 1 == plan.count;
            let to = match plan.fragment_end {
                Some(end) if last => end,
                _ => obu.len(),
            };
            let len = to - cursor.offset;
            if w == 0 || !last {
                at += write_leb128(len, &mut out[at..]);
            }
            obu.copy(frame, cursor.offset, to, &mut out[at..at + len]);
            at += len;
            if to == obu.len() {
                (cursor.pos, cursor.offset) = (next, 0);
            } else {
                cursor.offset = to;
            }
        }
        cursor.first = false;
        let end_of_frame = cursor.offset == 0 && next_obu(frame, cursor.pos)?.is_none();
        Ok(Some(PayloadInfo {
            len: at,
            end_of_frame,
            timestamp_offset: 0,
            marker: end_of_frame,
        }))
    }
}

/// The OBU elements of one payload, after the aggregation header.
fn elements(payload: &[u8]) -> impl Iterator<Item = Result<&[u8], PayloadError>> {
    let w = payload.first().map_or(0, |h| usize::from((h >> 4) & 0x03));
    let mut rest = payload.get(1..).unwrap_or_default();
    let mut index = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() || (w != 0 && index == w) {
            if w != 0 && index < w {
                index = w;
                return Some(Err(PayloadError::Truncated));
            }
            return None;
        }
        index += 1;
        let element = if w != 0 && index == w {
            std::mem::take(&mut rest)
        } else {
            let Some((len, n)) = read_leb128(rest) else {
                rest = &[];
                return Some(Err(PayloadError::Malformed("bad obu element length")));
            };
            let Some(element) = rest.get(n..n + len).filter(|e| !e.is_empty()) else {
                rest = &[];
                return Some(Err(PayloadError::Truncated));
            };
            rest = &rest[n + len..];
            element
        };
        Some(Ok(element))
    })
}

/// The receive side of AV1: reassembles OBUs and writes each temporal unit as a temporal
/// delimiter followed by the OBUs with size fields. Keyframes are recognised by the N bit or a
/// sequence header at the start of the packet.
#[derive(Debug, Default, Clone)]
pub struct Av1Format {
    /// The OBU being reassembled from fragments.
    pending: Vec<u8>,
    in_fragment: bool,
}

impl Av1Format {
    /// Creates the format.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Writes one reassembled OBU (header, payload; maybe with its own size field) into `frame`
/// with a size field, unless it is of a type receivers ignore.
fn write_obu(obu: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
    let &header = obu.first().ok_or(PayloadError::Empty)?;
    if header & 0x80 != 0 {
        return Err(PayloadError::Malformed("obu forbidden bit set"));
    }
    let header_len = if header & HAS_EXTENSION != 0 { 2 } else { 1 };
    let mut payload = obu.get(header_len..).ok_or(PayloadError::Truncated)?;
    if header & HAS_SIZE != 0 {
        let (size, n) = read_leb128(payload).ok_or(PayloadError::Malformed("bad obu size"))?;
        payload = payload.get(n..n + size).ok_or(PayloadError::Truncated)?;
    }
    let kind = (header >> 3) & 0x0F;
    if matches!(kind, obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST) {
        return Ok(());
    }
    frame.push(header | HAS_SIZE);
    frame.extend_from_slice(&obu[1..header_len]);
    let mut size = [0u8; 8];
    let n = write_leb128(payload.len(), &mut size);
    frame.extend_from_slice(&size[..n]);
    frame.extend_from_slice(payload);
    Ok(())
}

impl PayloadFormat for Av1Format {
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError> {
        let &header = payload.first().ok_or(PayloadError::Empty)?;
        let z = header & 0x80 != 0;
        let n = header & 0x08 != 0;
        if z && n {
            return Err(PayloadError::Malformed("av1 n with z"));
        }
        let mut first_kind = None;
        for element in elements(payload) {
            let element = element?;
            first_kind.get_or_insert(element[0] >> 3 & 0x0F);
        }
        let first_kind = first_kind.ok_or(PayloadError::Empty)?;
        let sequence_header = !z && first_kind == obu_type::SEQUENCE_HEADER;
        Ok(PacketKind {
            is_start: n || sequence_header,
            is_end: marker,
            is_keyframe: n || sequence_header,
        })
    }

    fn begin_frame(&mut self) {
        self.pending.clear();
        self.in_fragment = false;
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        let &header = payload.first().ok_or(PayloadError::Empty)?;
        let (z, y) = (header & 0x80 != 0, header & 0x40 != 0);
        if frame.is_empty() {
            frame.extend_from_slice(&TEMPORAL_DELIMITER);
        }
        if z != self.in_fragment {
            return Err(PayloadError::Malformed("av1 fragment continuity"));
        }
        let mut elements = elements(payload).peekable();
        let mut first = true;
        while let Some(element) = elements.next() {
            let element = element?;
            if !(first && z) {
                self.pending.clear();
            }
            first = false;
            self.pending.extend_from_slice(element);
            if elements.peek().is_none() && y {
                self.in_fragment = true;
                return Ok(());
            }
            write_obu(&self.pending, frame)?;
        }
        self.in_fragment = false;
        Ok(())
    }

    fn end_frame(&mut self, _frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        if self.in_fragment {
            return Err(PayloadError::Malformed("unterminated obu fragment"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn leb128_known_values() {
        let mut out = [0; 8];
        assert_eq!(write_leb128(0, &mut out), 1);
        assert_eq!(out[0], 0);
        assert_eq!(write_leb128(300, &mut out), 2);
        assert_eq!(out[..2], [0xAC, 0x02]);
        assert_eq!(read_leb128(&[0xAC, 0x02]), Some((300, 2)));
        assert_eq!(read_leb128(&[0x80]), None);
        assert_eq!(read_leb128(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), None);
    }

    #[test]
    fn elements_with_w() {
        // W = 2: one length-prefixed element, then the rest.
        let payload = [0x20, 2, 0x30, 0xAA, 0x30, 0xBB, 0xCC];
        let got: Vec<_> = elements(&payload).collect();
        assert_eq!(
            got,
            vec![Ok(&[0x30, 0xAA][..]), Ok(&[0x30, 0xBB, 0xCC][..])]
        );
        // W = 3 but only two elements present.
        let payload = [0x30, 1, 0x30, 0x30];
        assert!(elements(&payload).any(|e| e.is_err()));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn leb128_round_trip(v in 0usize..=u32::MAX as usize) {
            let mut out = [0; 8];
            let n = write_leb128(v, &mut out);
            prop_assert_eq!(n, leb128_len(v));
            prop_assert_eq!(read_leb128(&out[..n]), Some((v, n)));
        }
    }
}
