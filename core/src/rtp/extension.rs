//! RTP header extensions by URI with negotiated ids (RFC 8285 section 5): the map from id to
//! meaning, and typed reading and writing of the extensions WebRTC uses.

use super::SeqNo;
use super::wire::{Extension, Packet};

/// A header extension this crate understands, named by its URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// The BUNDLE media identification (RFC 8843 section 15.1).
    Mid,
    /// The RTP stream identifier, `rid` (RFC 8852 section 3.1).
    Rid,
    /// The repaired RTP stream identifier of an RTX stream (RFC 8852 section 3.2).
    RepairedRid,
    /// Absolute send time, 6.18 fixed-point seconds (webrtc.org abs-send-time).
    AbsSendTime,
    /// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01
    /// section 2).
    TransportSequenceNumber,
    /// Client-to-mixer audio level (RFC 6464).
    AudioLevel,
    /// Coordination of video orientation (3GPP TS 26.114 section 7.4.5).
    VideoOrientation,
}

impl ExtensionKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 7] = [
        Self::Mid,
        Self::Rid,
        Self::RepairedRid,
        Self::AbsSendTime,
        Self::TransportSequenceNumber,
        Self::AudioLevel,
        Self::VideoOrientation,
    ];

    /// The URI in SDP's `a=extmap`.
    pub const fn uri(self) -> &'static str {
        match self {
            Self::Mid => "urn:ietf:params:rtp-hdrext:sdes:mid",
            Self::Rid => "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
            Self::RepairedRid => "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
            Self::AbsSendTime => "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            Self::TransportSequenceNumber => {
                "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
            }
            Self::AudioLevel => "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            Self::VideoOrientation => "urn:3gpp:video-orientation",
        }
    }

    /// The kind with this URI, if we know it.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.uri() == uri)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// Why [`ExtensionMap::insert`] refused a mapping: a caller (or signalling) mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionMapError {
    /// Id 0 is padding and cannot name an extension (RFC 8285 section 4.2, 4.3).
    #[error("extension id 0 is reserved")]
    ReservedId,
    /// The id already names another extension.
    #[error("extension id already in use")]
    IdInUse,
}

/// The negotiated ids of the header extensions in use on a session, both ways.
///
/// Ids 1 to 14 fit the one-byte form; 15 to 255 force the two-byte form (RFC 8285).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtensionMap {
    /// Per kind, its id, or 0 when not negotiated.
    ids: [u8; ExtensionKind::ALL.len()],
}

impl ExtensionMap {
    /// An empty map.
    pub const fn new() -> Self {
        Self {
            ids: [0; ExtensionKind::ALL.len()],
        }
    }

    /// Maps `id` to `kind`, replacing the kind's previous id.
    pub fn insert(&mut self, id: u8, kind: ExtensionKind) -> Result<(), ExtensionMapError> {
        if id == 0 {
            return Err(ExtensionMapError::ReservedId);
        }
        if self.kind(id).is_some_and(|k| k != kind) {
            return Err(ExtensionMapError::IdInUse);
        }
        self.ids[kind.index()] = id;
        Ok(())
    }

    /// Forgets `kind`'s mapping.
    pub fn remove(&mut self, kind: ExtensionKind) {
        self.ids[kind.index()] = 0;
    }

    /// The id negotiated for `kind`.
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        Some(self.ids[kind.index()]).filter(|&id| id != 0)
    }

    /// The kind `id` names.
    pub fn kind(&self, id: u8) -> Option<ExtensionKind> {
        if id == 0 {
            return None;
        }
        ExtensionKind::ALL
            .into_iter()
            .find(|k| self.ids[k.index()] == id)
    }

    /// Reads every mapped extension of `packet` into typed values. Unmapped ids and
    /// values of the wrong size are ignored.
    pub fn read<'a, T: AsRef<[u8]>>(&self, packet: &'a Packet<T>) -> HeaderExtensions<'a> {
        let mut out = HeaderExtensions::default();
        for Extension { id, value } in packet.extensions() {
            let Some(kind) = self.kind(id) else {
                continue;
            };
            match kind {
                ExtensionKind::Mid => out.mid = Some(value),
                ExtensionKind::Rid => out.rid = Some(value),
                ExtensionKind::RepairedRid => out.repaired_rid = Some(value),
                ExtensionKind::AbsSendTime => {
                    if let [a, b, c] = *value {
                        out.abs_send_time = Some(u32::from_be_bytes([0, a, b, c]));
                    }
                }
                ExtensionKind::TransportSequenceNumber => {
                    if let [a, b] = *value {
                        out.transport_sequence_number = Some(SeqNo(u16::from_be_bytes([a, b])));
                    }
                }
                ExtensionKind::AudioLevel => {
                    if let Some(&b) = value.first() {
                        out.audio_level = Some(AudioLevel {
                            voice: b & 0x80 != 0,
                            level: b & 0x7F,
                        });
                    }
                }
                ExtensionKind::VideoOrientation => {
                    if let Some(&b) = value.first() {
                        out.video_orientation = Some(VideoOrientation {
                            back_camera: b & 0x08 != 0,
                            flip: b & 0x04 != 0,
                            rotation: b & 0x03,
                        });
                    }
                }
            }
        }
        out
    }

    /// Encodes the values of `ext` whose kinds are mapped, for [`PacketBuilder`]
    /// (call [`EncodedExtensions::list`] on the result).
    ///
    /// [`PacketBuilder`]: super::wire::PacketBuilder
    pub fn encode<'a>(&self, ext: &HeaderExtensions<'a>) -> EncodedExtensions<'a> {
        let mut out = EncodedExtensions {
            entries: [Encoded::Empty; ExtensionKind::ALL.len()],
        };
        let mut n = 0;
        let mut push = |kind: ExtensionKind, value: Encoded<'a>| {
            if let Some(id) = self.id(kind) {
                out.entries[n] = match value {
                    Encoded::Borrowed(_, v) => Encoded::Borrowed(id, v),
                    Encoded::Owned(_, bytes, len) => Encoded::Owned(id, bytes, len),
                    Encoded::Empty => Encoded::Empty,
                };
                n += 1;
            }
        };
        if let Some(v) = ext.mid {
            push(ExtensionKind::Mid, Encoded::Borrowed(0, v));
        }
        if let Some(v) = ext.rid {
            push(ExtensionKind::Rid, Encoded::Borrowed(0, v));
        }
        if let Some(v) = ext.repaired_rid {
            push(ExtensionKind::RepairedRid, Encoded::Borrowed(0, v));
        }
        if let Some(t) = ext.abs_send_time {
            let b = (t & 0x00FF_FFFF).to_be_bytes();
            push(
                ExtensionKind::AbsSendTime,
                Encoded::Owned(0, [b[1], b[2], b[3]], 3),
            );
        }
        if let Some(seq) = ext.transport_sequence_number {
            let b = seq.0.to_be_bytes();
            push(
                ExtensionKind::TransportSequenceNumber,
                Encoded::Owned(0, [b[0], b[1], 0], 2),
            );
        }
        if let Some(a) = ext.audio_level {
            let b = u8::from(a.voice) << 7 | (a.level & 0x7F);
            push(ExtensionKind::AudioLevel, Encoded::Owned(0, [b, 0, 0], 1));
        }
        if let Some(o) = ext.video_orientation {
            let b = u8::from(o.back_camera) << 3 | u8::from(o.flip) << 2 | (o.rotation & 0x03);
            push(
                ExtensionKind::VideoOrientation,
                Encoded::Owned(0, [b, 0, 0], 1),
            );
        }
        out
    }
}

/// An RFC 6464 audio level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AudioLevel {
    /// Whether the encoder believes the packet holds voice.
    pub voice: bool,
    /// The level in -dBov, 0 (loudest) to 127 (silence).
    pub level: u8,
}

/// A 3GPP video orientation (TS 26.114 section 7.4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VideoOrientation {
    /// The back-facing camera (else the front).
    pub back_camera: bool,
    /// Horizontally flipped.
    pub flip: bool,
    /// Rotation in quarter turns: 0, 1 (90°), 2 (180°), 3 (270°).
    pub rotation: u8,
}

/// The typed values of the header extensions of one packet; `None` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeaderExtensions<'a> {
    /// The BUNDLE mid, as sent (ASCII).
    pub mid: Option<&'a [u8]>,
    /// The RTP stream id.
    pub rid: Option<&'a [u8]>,
    /// The repaired RTP stream id.
    pub repaired_rid: Option<&'a [u8]>,
    /// Absolute send time, 24 bits of 6.18 fixed-point seconds.
    pub abs_send_time: Option<u32>,
    /// The transport-wide sequence number.
    pub transport_sequence_number: Option<SeqNo>,
    /// The audio level.
    pub audio_level: Option<AudioLevel>,
    /// The video orientation.
    pub video_orientation: Option<VideoOrientation>,
}

/// One encoded value: borrowed text or up to 3 bytes, with its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoded<'a> {
    Empty,
    Borrowed(u8, &'a [u8]),
    Owned(u8, [u8; 3], u8),
}

/// The output of [`ExtensionMap::encode`]: holds the encoded bytes that
/// [`list`](Self::list) borrows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodedExtensions<'a> {
    entries: [Encoded<'a>; ExtensionKind::ALL.len()],
}

impl EncodedExtensions<'_> {
    /// The elements for [`PacketBuilder::extensions`](super::wire::PacketBuilder::extensions):
    /// use `&list[..count]`.
    pub fn list(&self) -> ([Extension<'_>; ExtensionKind::ALL.len()], usize) {
        let mut list = [Extension { id: 0, value: &[] }; ExtensionKind::ALL.len()];
        let mut n = 0;
        for entry in &self.entries {
            let (id, value): (u8, &[u8]) = match entry {
                Encoded::Empty => continue,
                Encoded::Borrowed(id, v) => (*id, v),
                Encoded::Owned(id, bytes, len) => (*id, &bytes[..usize::from(*len)]),
            };
            list[n] = Extension { id, value };
            n += 1;
        }
        (list, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::wire::PacketBuilder;
    use crate::rtp::{Pt, Ssrc};

    fn map() -> ExtensionMap {
        let mut m = ExtensionMap::new();
        for (id, kind) in [1u8, 2, 3, 4, 5, 6, 7].into_iter().zip(ExtensionKind::ALL) {
            m.insert(id, kind).unwrap();
        }
        m
    }

    #[test]
    fn uris_round_trip() {
        for kind in ExtensionKind::ALL {
            assert_eq!(ExtensionKind::from_uri(kind.uri()), Some(kind));
        }
        assert_eq!(ExtensionKind::from_uri("urn:example"), None);
    }

    #[test]
    fn map_ids() {
        let mut m = map();
        assert_eq!(m.id(ExtensionKind::AbsSendTime), Some(4));
        assert_eq!(m.kind(5), Some(ExtensionKind::TransportSequenceNumber));
        assert_eq!(
            m.insert(4, ExtensionKind::Mid),
            Err(ExtensionMapError::IdInUse)
        );
        assert_eq!(
            m.insert(0, ExtensionKind::Mid),
            Err(ExtensionMapError::ReservedId)
        );
        m.insert(200, ExtensionKind::Mid).unwrap();
        assert_eq!(m.kind(1), None);
        m.remove(ExtensionKind::Mid);
        assert_eq!(m.id(ExtensionKind::Mid), None);
        assert_eq!(m.kind(0), None);
    }

    fn round_trip(m: &ExtensionMap, values: &HeaderExtensions<'_>) {
        let encoded = m.encode(values);
        let (list, n) = encoded.list();
        let b = PacketBuilder {
            payload_type: Pt(96),
            ssrc: Ssrc(1),
            extensions: &list[..n],
            ..Default::default()
        };
        let mut buf = [0u8; 128];
        let len = b.emit(&mut buf, b"payload").unwrap();
        let p = Packet::new_checked(&buf[..len]).unwrap();
        assert_eq!(m.read(&p), *values);
    }

    #[test]
    fn typed_round_trip() {
        let values = HeaderExtensions {
            mid: Some(b"0"),
            rid: Some(b"hi"),
            repaired_rid: Some(b"lo"),
            abs_send_time: Some(0xAB_CDEF),
            transport_sequence_number: Some(SeqNo(65535)),
            audio_level: Some(AudioLevel {
                voice: true,
                level: 42,
            }),
            video_orientation: Some(VideoOrientation {
                back_camera: true,
                flip: false,
                rotation: 3,
            }),
        };
        round_trip(&map(), &values);
        // Two-byte form: an id above 14.
        let mut m = map();
        m.insert(100, ExtensionKind::Rid).unwrap();
        round_trip(&m, &values);
        round_trip(&m, &HeaderExtensions::default());
    }

    #[test]
    fn unmapped_values_are_not_written() {
        let mut m = ExtensionMap::new();
        m.insert(3, ExtensionKind::TransportSequenceNumber).unwrap();
        let values = HeaderExtensions {
            mid: Some(b"a"),
            transport_sequence_number: Some(SeqNo(9)),
            ..Default::default()
        };
        let encoded = m.encode(&values);
        let (list, n) = encoded.list();
        assert_eq!(
            list[..n],
            [Extension {
                id: 3,
                value: &[0, 9]
            }]
        );
    }
}
