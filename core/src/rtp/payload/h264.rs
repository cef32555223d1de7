//! H.264 (RFC 6184), packetization-mode 1: single NAL unit packets, STAP-A aggregation and
//! FU-A fragmentation. Frames are access units in Annex-B byte-stream form (ITU-T H.264
//! annex B): NAL units behind `00 00 01` or `00 00 00 01` start codes.

use super::{PacketKind, PacketizeError, Packetizer, PayloadError, PayloadFormat, PayloadInfo};

/// The start code the depacketizer writes before every NAL unit.
const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// NAL unit types (H.264 table 7-1; RFC 6184 section 5.2 for 24..=29).
mod nal_type {
    pub(super) const IDR: u8 = 5;
    pub(super) const SPS: u8 = 7;
    pub(super) const AUD: u8 = 9;
    pub(super) const STAP_A: u8 = 24;
    pub(super) const STAP_B: u8 = 25;
    pub(super) const MTAP16: u8 = 26;
    pub(super) const MTAP24: u8 = 27;
    pub(super) const FU_A: u8 = 28;
    pub(super) const FU_B: u8 = 29;
}

/// Finds the next non-empty NAL unit at or after `from`: returns its start and end (trailing
/// zero bytes, which belong to the next start code, excluded).
fn next_nal(frame: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        let start = find_start_code(frame, at)? + 3;
        let next = find_start_code(frame, start).unwrap_or(frame.len());
        let mut end = next;
        while end > start && frame.get(end - 1) == Some(&0) {
            end -= 1;
        }
        if end > start {
            return Some((start, end));
        }
        at = next;
    }
}

/// The index of the next `00 00 01` at or after `from`.
fn find_start_code(frame: &[u8], from: usize) -> Option<usize> {
    let rest = frame.get(from..)?;
    rest.windows(3)
        .position(|w| w == [0, 0, 1])
        .map(|i| from + i)
}

/// Whether a NAL unit of `kind` can only be the first of an access unit: an access unit
/// delimiter or a sequence parameter set (H.264 section 7.4.1.2.3).
///
/// Used only when the packet before is lost, so the timestamp change that normally marks an
/// access unit's start cannot be seen. A slice with first_mb_in_slice = 0 is not enough: SEI,
/// SPS or PPS NAL units of the same access unit may precede it and be lost. Streams that send
/// parameter sets only out of band therefore resume after a loss only once a whole access unit
/// and the packet before it arrive.
fn starts_access_unit(kind: u8) -> bool {
    matches!(kind, nal_type::AUD | nal_type::SPS)
}

/// Splits Annex-B access units into RTP payloads (RFC 6184 sections 5.6, 5.7.1, 5.8).
///
/// A NAL unit that fits goes alone or, with the NAL units after it that also fit, into one
/// STAP-A; a larger one is cut into FU-A fragments. The last payload carries the marker bit.
#[derive(Debug, Default, Clone)]
pub struct H264Packetizer {
    _private: (),
}

impl H264Packetizer {
    /// Creates a packetizer.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Where the packetizer is inside one access unit.
#[derive(Debug, Default)]
pub struct H264Cursor {
    /// Where to look for the next NAL unit.
    pos: usize,
    /// The NAL unit being fragmented: start, end, and the next byte to send.
    fu: Option<(usize, usize, usize)>,
}

impl Packetizer for H264Packetizer {
    type Cursor = H264Cursor;

    fn begin_frame(&mut self, frame: &[u8]) -> Result<H264Cursor, PacketizeError> {
        if frame.is_empty() {
            return Err(PacketizeError::EmptyFrame);
        }
        if find_start_code(frame, 0).is_none_or(|i| frame[..i].iter().any(|&b| b != 0)) {
            return Err(PacketizeError::MalformedFrame(
                "expected an annex-b start code",
            ));
        }
        if next_nal(frame, 0).is_none() {
            return Err(PacketizeError::MalformedFrame("no nal unit"));
        }
        Ok(H264Cursor::default())
    }

    fn write_payload(
        &mut self,
        frame: &[u8],
        cursor: &mut H264Cursor,
        out: &mut [u8],
    ) -> Result<Option<PayloadInfo>, PacketizeError> {
        if let Some(fu) = cursor.fu {
            return write_fu_a(frame, cursor, fu, out).map(Some);
        }
        let Some((start, end)) = next_nal(frame, cursor.pos) else {
            return Ok(None);
        };
        let nal = &frame[start..end];
        if nal.len() > out.len() {
            // The header byte is replaced by the FU indicator and header.
            return write_fu_a(frame, cursor, (start, end, start + 1), out).map(Some);
        }
        // Aggregate the NAL units after this one while they fit (RFC 6184 section 5.7.1).
        let mut stap_len = 1 + 2 + nal.len();
        let mut count = 1;
        let mut pos = end;
        while let Some((s, e)) = next_nal(frame, pos) {
            if e - s > usize::from(u16::MAX) || stap_len + 2 + (e - s) > out.len() {
                break;
            }
            stap_len += 2 + (e - s);
            count += 1;
            pos = e;
        }
        let len = if count == 1 || nal.len() > usize::from(u16::MAX) {
            out[..nal.len()].copy_from_slice(nal);
            cursor.pos = end;
            nal.len()
        } else {
            let mut at = 1;
            let mut header = 0u8;
            let mut from = cursor.pos;
            for _ in 0..count {
                let Some((s, e)) = next_nal(frame, from) else {
                    break;
                };
                let unit = &frame[s..e];
                // F is the OR, NRI the maximum of the aggregated units (section 5.7.1).
                header = (header & 0x80 | unit[0] & 0x80) | (header & 0x60).max(unit[0] & 0x60);
                out[at..at + 2].copy_from_slice(&(unit.len() as u16).to_be_bytes());
                out[at + 2..at + 2 + unit.len()].copy_from_slice(unit);
                at += 2 + unit.len();
                from = e;
            }
            out[0] = header | nal_type::STAP_A;
            cursor.pos = pos;
            at
        };
        let end_of_frame = next_nal(frame, cursor.pos).is_none();
        Ok(Some(PayloadInfo {
            len,
            end_of_frame,
            timestamp_offset: 0,
            marker: end_of_frame,
        }))
    }
}

/// Writes one FU-A fragment of the NAL unit `start..end`, from byte `next` on.
fn write_fu_a(
    frame: &[u8],
    cursor: &mut H264Cursor,
    (start, end, next): (usize, usize, usize),
    out: &mut [u8],
) -> Result<PayloadInfo, PacketizeError> {
    if out.len() < 3 {
        return Err(PacketizeError::BufferTooSmall);
    }
    let header = frame[start];
    let len = (end - next).min(out.len() - 2);
    let is_first = next == start + 1;
    let is_last = next + len == end;
    out[0] = header & 0xE0 | nal_type::FU_A;
    out[1] = u8::from(is_first) << 7 | u8::from(is_last) << 6 | header & 0x1F;
    out[2..2 + len].copy_from_slice(&frame[next..next + len]);
    let end_of_frame = if is_last {
        cursor.fu = None;
        cursor.pos = end;
        next_nal(frame, end).is_none()
    } else {
        cursor.fu = Some((start, end, next + len));
        false
    };
    Ok(PayloadInfo {
        len: 2 + len,
        end_of_frame,
        timestamp_offset: 0,
        marker: end_of_frame,
    })
}

/// The units of a STAP-A payload (RFC 6184 section 5.7.1), after its header byte.
fn stap_a_units(payload: &[u8]) -> impl Iterator<Item = Result<&[u8], PayloadError>> {
    let mut rest = payload.get(1..).unwrap_or_default();
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some((size, tail)) = rest.split_first_chunk::<2>() else {
            rest = &[];
            return Some(Err(PayloadError::Truncated));
        };
        let size = usize::from(u16::from_be_bytes(*size));
        let Some(unit) = tail.get(..size).filter(|u| !u.is_empty()) else {
            rest = &[];
            return Some(Err(PayloadError::Malformed("bad stap-a unit size")));
        };
        rest = &tail[size..];
        Some(Ok(unit))
    })
}

/// The receive side of H.264: writes access units in Annex-B form with four-byte start
/// codes. Keyframes are access units with an IDR slice.
#[derive(Debug, Default, Clone)]
pub struct H264Format {
    in_fu: bool,
}

impl H264Format {
    /// Creates the format.
    pub fn new() -> Self {
        Self::default()
    }
}

impl PayloadFormat for H264Format {
    fn inspect(&self, payload: &[u8], marker: bool) -> Result<PacketKind, PayloadError> {
        let &first = payload.first().ok_or(PayloadError::Empty)?;
        if first & 0x80 != 0 {
            return Err(PayloadError::Malformed("forbidden_zero_bit set"));
        }
        let (is_start, is_keyframe) = match first & 0x1F {
            kind @ 1..=23 => (starts_access_unit(kind), kind == nal_type::IDR),
            nal_type::STAP_A => {
                let mut start = None;
                let mut key = false;
                for unit in stap_a_units(payload) {
                    let unit = unit?;
                    let kind = unit[0] & 0x1F;
                    start.get_or_insert_with(|| starts_access_unit(kind));
                    key |= kind == nal_type::IDR;
                }
                (start.ok_or(PayloadError::Empty)?, key)
            }
            nal_type::FU_A => {
                let &fu = payload.get(1).ok_or(PayloadError::Truncated)?;
                let kind = fu & 0x1F;
                if fu & 0xC0 == 0xC0 {
                    return Err(PayloadError::Malformed("fu-a with both s and e"));
                }
                if !(1..=23).contains(&kind) {
                    return Err(PayloadError::Malformed("fu-a of an aggregate"));
                }
                let is_first = fu & 0x80 != 0;
                (is_first && starts_access_unit(kind), kind == nal_type::IDR)
            }
            nal_type::STAP_B | nal_type::MTAP16 | nal_type::MTAP24 | nal_type::FU_B => {
                return Err(PayloadError::Unsupported("h264 interleaved mode"));
            }
            _ => return Err(PayloadError::Malformed("reserved nal unit type")),
        };
        Ok(PacketKind {
            is_start,
            is_end: marker,
            is_keyframe,
        })
    }

    fn begin_frame(&mut self) {
        self.in_fu = false;
    }

    fn push(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        let &first = payload.first().ok_or(PayloadError::Empty)?;
        match first & 0x1F {
            nal_type::FU_A => {
                let &fu = payload.get(1).ok_or(PayloadError::Truncated)?;
                let data = &payload[2..];
                if fu & 0x80 != 0 {
                    if self.in_fu {
                        return Err(PayloadError::Malformed("fu-a restarted"));
                    }
                    frame.extend_from_slice(&START_CODE);
                    frame.push(first & 0xE0 | fu & 0x1F);
                    self.in_fu = true;
                } else if !self.in_fu {
                    return Err(PayloadError::Malformed("fu-a without start"));
                }
                frame.extend_from_slice(data);
                if fu & 0x40 != 0 {
                    self.in_fu = false;
                }
            }
            _ if self.in_fu => return Err(PayloadError::Malformed("fu-a interrupted")),
            nal_type::STAP_A => {
                for unit in stap_a_units(payload) {
                    frame.extend_from_slice(&START_CODE);
                    frame.extend_from_slice(unit?);
                }
            }
            _ => {
                frame.extend_from_slice(&START_CODE);
                frame.extend_from_slice(payload);
            }
        }
        Ok(())
    }

    fn end_frame(&mut self, _frame: &mut Vec<u8>) -> Result<(), PayloadError> {
        if self.in_fu {
            return Err(PayloadError::Malformed("unterminated fu-a"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nal_scanning_trims_and_skips() {
        let frame = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0, 0, 1, 0x68, 3, 0, 0];
        assert_eq!(next_nal(&frame, 0), Some((4, 7)));
        assert_eq!(next_nal(&frame, 7), Some((13, 15)));
        assert_eq!(next_nal(&frame, 15), None);
    }

    #[test]
    fn stap_a_parse() {
        // RFC 6184 figure 7 shape: two units of 2 and 1 bytes.
        let payload = [0x78, 0, 2, 0x67, 0xAA, 0, 1, 0x68];
        let units: Vec<_> = stap_a_units(&payload).collect();
        assert_eq!(units, vec![Ok(&[0x67, 0xAA][..]), Ok(&[0x68][..])]);
        let format = H264Format::new();
        let kind = format.inspect(&payload, true).unwrap();
        assert!(kind.is_start && kind.is_end && !kind.is_keyframe);
        assert!(format.inspect(&[0x78, 0, 5, 0x67], false).is_err());
    }

    #[test]
    fn fu_a_reassembles() {
        let mut format = H264Format::new();
        let mut frame = Vec::new();
        format.begin_frame();
        format.push(&[0x7C, 0x85, 1, 2], &mut frame).unwrap();
        format.push(&[0x7C, 0x45, 3], &mut frame).unwrap();
        format.end_frame(&mut frame).unwrap();
        assert_eq!(frame, [0, 0, 0, 1, 0x65, 1, 2, 3]);
        assert!(
            format
                .inspect(&[0x7C, 0x85, 0x80], false)
                .unwrap()
                .is_keyframe
        );
        assert!(format.inspect(&[0x7C, 0xC5, 1], false).is_err());
    }
}
