//! TURN on the wire (RFC 8656): its STUN methods and attributes, ChannelData framing (section
//! 12.4), and Send and Data indications written and read in place, so relaying copies nothing
//! but the payload's shift behind its header.

use std::net::SocketAddr;
use std::ops::Range;

use crate::stun::{
    AttributeType, Class, Message, MessageBuilder, Method, TransactionId, WireError,
};

/// Allocate (RFC 8656 section 17).
pub const ALLOCATE: Method = Method(0x003);
/// Refresh.
pub const REFRESH: Method = Method(0x004);
/// Send (indication only).
pub const SEND: Method = Method(0x006);
/// Data (indication only).
pub const DATA: Method = Method(0x007);
/// CreatePermission.
pub const CREATE_PERMISSION: Method = Method(0x008);
/// ChannelBind.
pub const CHANNEL_BIND: Method = Method(0x009);

/// CHANNEL-NUMBER (RFC 8656 section 18.1).
pub const CHANNEL_NUMBER: AttributeType = AttributeType(0x000C);
/// LIFETIME, seconds (section 18.2).
pub const LIFETIME: AttributeType = AttributeType(0x000D);
/// XOR-PEER-ADDRESS (section 18.3).
pub const XOR_PEER_ADDRESS: AttributeType = AttributeType(0x0012);
/// DATA (section 18.4).
pub const DATA_ATTR: AttributeType = AttributeType(0x0013);
/// XOR-RELAYED-ADDRESS (section 18.5).
pub const XOR_RELAYED_ADDRESS: AttributeType = AttributeType(0x0016);
/// REQUESTED-ADDRESS-FAMILY (section 18.6).
pub const REQUESTED_ADDRESS_FAMILY: AttributeType = AttributeType(0x0017);
/// REQUESTED-TRANSPORT (section 18.8).
pub const REQUESTED_TRANSPORT: AttributeType = AttributeType(0x0019);

/// The protocol number of UDP, the only relayed transport WebRTC needs (REQUESTED-TRANSPORT).
pub const TRANSPORT_UDP: u8 = 17;

/// The channel numbers a client may bind (RFC 8656 section 12: 0x4000 through 0x4FFF).
pub const CHANNELS: Range<u16> = 0x4000..0x5000;

/// The ChannelData header: channel number and length (section 12.4).
pub const CHANNEL_HEADER_LEN: usize = 4;

/// The most a Send indication adds in front of its payload: STUN header, XOR-PEER-ADDRESS of
/// an IPv6 peer, DATA's header (and up to 3 bytes of padding after it).
pub const MAX_SEND_OVERHEAD: usize = 20 + 4 + 20 + 4 + 3;

/// A ChannelData message's channel and the range of its payload in `datagram`, or `None` if it
/// is not one (bad channel number, or a length past the end; UDP padding after it is ignored).
pub fn parse_channel_data(datagram: &[u8]) -> Option<(u16, Range<usize>)> {
    let header = datagram.get(..CHANNEL_HEADER_LEN)?;
    let number = u16::from_be_bytes([header[0], header[1]]);
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if !CHANNELS.contains(&number) {
        return None;
    }
    let end = CHANNEL_HEADER_LEN + len;
    (end <= datagram.len()).then_some((number, CHANNEL_HEADER_LEN..end))
}

/// Frames the `len` payload bytes at the start of `buf` as ChannelData on `number`, in place;
/// returns the framed length (no padding: not needed over UDP, section 12.5).
pub fn write_channel_data(buf: &mut [u8], len: usize, number: u16) -> Result<usize, WireError> {
    let total = CHANNEL_HEADER_LEN + len;
    let wire_len = u16::try_from(len).map_err(|_| WireError::BufferTooSmall)?;
    if total > buf.len() {
        return Err(WireError::BufferTooSmall);
    }
    buf.copy_within(..len, CHANNEL_HEADER_LEN);
    buf[..2].copy_from_slice(&number.to_be_bytes());
    buf[2..4].copy_from_slice(&wire_len.to_be_bytes());
    Ok(total)
}

/// Wraps the `len` payload bytes at the start of `buf` in a Send indication to `peer`, in
/// place (section 11.1); returns the indication's length.
pub fn write_send_indication(
    buf: &mut [u8],
    len: usize,
    peer: SocketAddr,
    tid: TransactionId,
) -> Result<usize, WireError> {
    let addr_len = if peer.is_ipv4() { 8 } else { 20 };
    let offset = 20 + 4 + addr_len + 4;
    let padded = len.next_multiple_of(4);
    let total = offset + padded;
    let data_len = u16::try_from(len).map_err(|_| WireError::BufferTooSmall)?;
    let body_len = u16::try_from(total - 20).map_err(|_| WireError::BufferTooSmall)?;
    if total > buf.len() {
        return Err(WireError::BufferTooSmall);
    }
    buf.copy_within(..len, offset);
    buf[offset + len..total].fill(0);
    let mut b = MessageBuilder::new(buf, Class::Indication, SEND, tid)?;
    b.add_xor_address(XOR_PEER_ADDRESS, peer)?;
    let written = b.finish();
    debug_assert_eq!(written, offset - 4);
    buf[offset - 4..offset - 2].copy_from_slice(&DATA_ATTR.0.to_be_bytes());
    buf[offset - 2..offset].copy_from_slice(&data_len.to_be_bytes());
    buf[2..4].copy_from_slice(&body_len.to_be_bytes());
    Ok(total)
}

/// A Data indication's peer and the range of its DATA value in the message (section 11.4).
pub fn parse_data_indication(msg: &Message<&[u8]>) -> Option<(SocketAddr, Range<usize>)> {
    if msg.class() != Class::Indication || msg.method() != DATA {
        return None;
    }
    let peer = msg.xor_address(XOR_PEER_ADDRESS)?;
    let data = msg.attributes().find(|a| a.kind == DATA_ATTR)?;
    let start = data.offset + 4;
    Some((peer, start..start + data.value.len()))
}

/// LIFETIME in seconds, if present and well formed.
pub fn lifetime(msg: &Message<&[u8]>) -> Option<u32> {
    let value = msg.attribute(LIFETIME)?;
    Some(u32::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_data_round_trip_and_bounds() {
        let mut buf = [0u8; 64];
        buf[..5].copy_from_slice(b"hello");
        let n = write_channel_data(&mut buf, 5, 0x4001).unwrap();
        assert_eq!(&buf[..n], b"\x40\x01\x00\x05hello");
        assert_eq!(parse_channel_data(&buf[..n]), Some((0x4001, 4..9)));
        // UDP padding after the payload is ignored; a length past the end is not ChannelData.
        assert_eq!(parse_channel_data(&buf[..n + 3]), Some((0x4001, 4..9)));
        assert_eq!(parse_channel_data(&buf[..n - 1]), None);
        // Outside 0x4000..=0x4FFF (0x5000 and up are reserved).
        assert_eq!(parse_channel_data(b"\x50\x00\x00\x00"), None);
        assert_eq!(parse_channel_data(b"\x3f\xff\x00\x00"), None);
        assert_eq!(parse_channel_data(b"\x40\x00\x00"), None);
        assert_eq!(
            write_channel_data(&mut buf[..8], 5, 0x4000),
            Err(WireError::BufferTooSmall)
        );
    }

    #[test]
    fn send_indication_reads_back_as_data_indication_shape() {
        for peer in ["192.0.2.7:4000", "[2001:db8::7]:4000"] {
            let peer: SocketAddr = peer.parse().unwrap();
            let mut buf = [0u8; 128];
            buf[..7].copy_from_slice(b"payload");
            let tid = TransactionId::new([7; 12]);
            let n = write_send_indication(&mut buf, 7, peer, tid).unwrap();
            assert_eq!(n % 4, 0);
            let msg = Message::new_checked(&buf[..n]).unwrap();
            assert_eq!(msg.method(), SEND);
            assert_eq!(msg.class(), Class::Indication);
            assert_eq!(msg.xor_address(XOR_PEER_ADDRESS), Some(peer));
            assert_eq!(msg.attribute(DATA_ATTR), Some(&b"payload"[..]));
            assert!(n <= 7 + MAX_SEND_OVERHEAD);
        }
    }

    #[test]
    fn data_indication_gives_payload_range() {
        let peer: SocketAddr = "198.51.100.1:9".parse().unwrap();
        let mut buf = [0u8; 128];
        let tid = TransactionId::new([1; 12]);
        let mut b = MessageBuilder::new(&mut buf, Class::Indication, DATA, tid).unwrap();
        b.add_xor_address(XOR_PEER_ADDRESS, peer).unwrap();
        b.add_raw(DATA_ATTR, b"abc").unwrap();
        let n = b.finish();
        let msg = Message::new_checked(&buf[..n]).unwrap();
        let (from, range) = parse_data_indication(&msg).unwrap();
        assert_eq!(from, peer);
        assert_eq!(&buf[range], b"abc");
    }
}
