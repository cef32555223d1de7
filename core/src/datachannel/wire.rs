//! DCEP messages (RFC 8832 section 5): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK.

use std::time::Duration;

use crate::sctp::Reliability;

/// DATA_CHANNEL_ACK (RFC 8832 section 8.2.1).
const MSG_ACK: u8 = 0x02;
/// DATA_CHANNEL_OPEN (RFC 8832 section 8.2.1).
const MSG_OPEN: u8 = 0x03;
/// The fixed part of DATA_CHANNEL_OPEN.
const OPEN_HEADER_LEN: usize = 12;
/// The unordered bit of the channel type (RFC 8832 section 5.1).
const UNORDERED: u8 = 0x80;

/// Malformed DCEP bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcepError {
    /// Shorter than its fixed part or its stated lengths.
    #[error("truncated")]
    Truncated,
    /// An unknown message type.
    #[error("unknown message type {0}")]
    UnknownMessage(u8),
    /// An unknown channel type.
    #[error("unknown channel type {0}")]
    UnknownChannelType(u8),
    /// The label or protocol is not UTF-8.
    #[error("label or protocol not utf-8")]
    NotUtf8,
    /// The output buffer is too small, or a label is longer than 65535 bytes.
    #[error("does not fit")]
    TooLong,
}

/// A DATA_CHANNEL_OPEN message (RFC 8832 section 5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataChannelOpen<'a> {
    /// Ordered delivery.
    pub ordered: bool,
    /// The reliability policy (the channel type and reliability parameter).
    pub reliability: Reliability,
    /// The priority (RFC 8832 section 5.1; 256 is "normal").
    pub priority: u16,
    /// The label (UTF-8).
    pub label: &'a str,
    /// The sub-protocol (UTF-8).
    pub protocol: &'a str,
}

/// A DCEP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcepMessage<'a> {
    /// DATA_CHANNEL_OPEN.
    Open(DataChannelOpen<'a>),
    /// DATA_CHANNEL_ACK.
    Ack,
}

impl<'a> DcepMessage<'a> {
    /// Parses a DCEP message (the payload of a PPID 50 message).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DcepError> {
        match bytes.first() {
            None => Err(DcepError::Truncated),
            Some(&MSG_ACK) => Ok(Self::Ack),
            Some(&MSG_OPEN) => {
                let h = bytes.get(..OPEN_HEADER_LEN).ok_or(DcepError::Truncated)?;
                let channel_type = h[1];
                let priority = u16::from_be_bytes([h[2], h[3]]);
                let param = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
                let label_len = usize::from(u16::from_be_bytes([h[8], h[9]]));
                let protocol_len = usize::from(u16::from_be_bytes([h[10], h[11]]));
                let label = bytes
                    .get(OPEN_HEADER_LEN..OPEN_HEADER_LEN + label_len)
                    .ok_or(DcepError::Truncated)?;
                let start = OPEN_HEADER_LEN + label_len;
                let protocol = bytes
                    .get(start..start + protocol_len)
                    .ok_or(DcepError::Truncated)?;
                let reliability = match channel_type & !UNORDERED {
                    0x00 => Reliability::Reliable,
                    0x01 => Reliability::MaxRetransmits(u16::try_from(param).unwrap_or(u16::MAX)),
                    0x02 => Reliability::MaxLifetime(Duration::from_millis(u64::from(param))),
                    _ => return Err(DcepError::UnknownChannelType(channel_type)),
                };
                Ok(Self::Open(DataChannelOpen {
                    ordered: channel_type & UNORDERED == 0,
                    reliability,
                    priority,
                    label: std::str::from_utf8(label).map_err(|_| DcepError::NotUtf8)?,
                    protocol: std::str::from_utf8(protocol).map_err(|_| DcepError::NotUtf8)?,
                }))
            }
            Some(&other) => Err(DcepError::UnknownMessage(other)),
        }
    }

    /// The encoded length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Self::Ack => 1,
            Self::Open(o) => OPEN_HEADER_LEN + o.label.len() + o.protocol.len(),
        }
    }

    /// Writes the message into `out`, returning its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, DcepError> {
        let len = self.buffer_len();
        let out = out.get_mut(..len).ok_or(DcepError::TooLong)?;
        match self {
            Self::Ack => out[0] = MSG_ACK,
            Self::Open(o) => {
                let label_len = u16::try_from(o.label.len()).map_err(|_| DcepError::TooLong)?;
                let protocol_len =
                    u16::try_from(o.protocol.len()).map_err(|_| DcepError::TooLong)?;
                let (kind, param) = match o.reliability {
                    Reliability::Reliable => (0x00, 0),
                    Reliability::MaxRetransmits(n) => (0x01, u32::from(n)),
                    Reliability::MaxLifetime(d) => {
                        (0x02, u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
                    }
                };
                out[0] = MSG_OPEN;
                out[1] = if o.ordered { kind } else { kind | UNORDERED };
                out[2..4].copy_from_slice(&o.priority.to_be_bytes());
                out[4..8].copy_from_slice(&param.to_be_bytes());
                out[8..10].copy_from_slice(&label_len.to_be_bytes());
                out[10..12].copy_from_slice(&protocol_len.to_be_bytes());
                let start = OPEN_HEADER_LEN + o.label.len();
                out[OPEN_HEADER_LEN..start].copy_from_slice(o.label.as_bytes());
                out[start..].copy_from_slice(o.protocol.as_bytes());
            }
        }
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// RFC 8832 section 5.1 layout: reliable ordered, priority 256, label "chat", no protocol.
    const OPEN_CHAT: [u8; 16] = [
        0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 4, 0, 0, b'c', b'h', b'a', b't',
    ];

    #[test]
    fn parse_open() {
        let m = DcepMessage::parse(&OPEN_CHAT).unwrap();
        assert_eq!(
            m,
            DcepMessage::Open(DataChannelOpen {
                ordered: true,
                reliability: Reliability::Reliable,
                priority: 256,
                label: "chat",
                protocol: "",
            })
        );
        let mut out = [0; 16];
        assert_eq!(m.emit(&mut out), Ok(16));
        assert_eq!(out, OPEN_CHAT);
        assert_eq!(DcepMessage::parse(&[2]), Ok(DcepMessage::Ack));
        assert_eq!(DcepMessage::parse(&[9]), Err(DcepError::UnknownMessage(9)));
        assert_eq!(
            DcepMessage::parse(&OPEN_CHAT[..15]),
            Err(DcepError::Truncated)
        );
        let mut bad = OPEN_CHAT;
        bad[12] = 0xff;
        assert_eq!(DcepMessage::parse(&bad), Err(DcepError::NotUtf8));
    }

    fn reliability() -> impl Strategy<Value = Reliability> {
        prop_oneof![
            Just(Reliability::Reliable),
            any::<u16>().prop_map(Reliability::MaxRetransmits),
            any::<u32>().prop_map(|ms| Reliability::MaxLifetime(Duration::from_millis(ms.into()))),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn dcep_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = DcepMessage::parse(&bytes);
        }

        #[test]
        fn dcep_parse_never_panics_on_open_prefix(tail in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut bytes = vec![MSG_OPEN];
            bytes.extend_from_slice(&tail);
            let _ = DcepMessage::parse(&bytes);
        }

        #[test]
        fn dcep_open_round_trip(
            ordered in any::<bool>(), rel in reliability(), priority in any::<u16>(),
            label in "\\PC{0,20}", protocol in "\\PC{0,10}",
        ) {
            let m = DcepMessage::Open(DataChannelOpen {
                ordered, reliability: rel, priority, label: &label, protocol: &protocol,
            });
            let mut out = vec![0; m.buffer_len()];
            prop_assert_eq!(m.emit(&mut out), Ok(out.len()));
            prop_assert_eq!(DcepMessage::parse(&out), Ok(m));
        }
    }
}
