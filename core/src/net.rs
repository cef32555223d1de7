//! Datagrams in and out of the core, and first-byte demultiplexing (RFC 7983, RFC 9443).
//!
//! The core never touches a socket. A driver reads a datagram into a buffer it owns and hands
//! it over as a [`Receive`]; the core may decrypt or rewrite those bytes in place and keeps no
//! reference after the call. Going out, `poll_transmit` writes one datagram into a buffer the
//! caller provides and returns a [`Transmit`] that says how long it is and where it goes.

use std::net::SocketAddr;

/// The transport a datagram travelled over.
///
/// WebRTC runs over UDP; TCP candidates (RFC 6544) are framed by the driver, so the core sees
/// whole messages either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// UDP: one datagram, one message.
    Udp,
    /// TCP with RFC 4571 framing, already removed by the driver.
    Tcp,
}

/// A datagram the driver received, handed to a `handle_*` method.
///
/// `contents` is mutable so that SRTP and DTLS can decrypt in place; the core keeps no
/// reference to it after the call returns.
#[derive(Debug)]
pub struct Receive<'a> {
    /// The remote address the datagram came from.
    pub source: SocketAddr,
    /// The local address it arrived on (the socket's bound address, or the interface address
    /// when the driver can tell).
    pub destination: SocketAddr,
    /// The transport it arrived over.
    pub transport: Transport,
    /// The datagram's bytes.
    pub contents: &'a mut [u8],
}

impl<'a> Receive<'a> {
    /// A UDP datagram from `source` to `destination`.
    pub fn udp(source: SocketAddr, destination: SocketAddr, contents: &'a mut [u8]) -> Self {
        Self {
            source,
            destination,
            transport: Transport::Udp,
            contents,
        }
    }

    /// What kind of datagram this is, by its first byte.
    pub fn kind(&self) -> DatagramKind {
        DatagramKind::classify(self.contents)
    }
}

/// One datagram that a `poll_transmit` call wrote into the caller's buffer.
///
/// The bytes are `buf[..len]` of the buffer passed to `poll_transmit`; send them from
/// `source` to `destination` over `transport`.
#[must_use = "a Transmit describes bytes that must be sent"]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// The local address to send from (selects the socket or interface).
    pub source: SocketAddr,
    /// The remote address to send to.
    pub destination: SocketAddr,
    /// The transport to send over.
    pub transport: Transport,
    /// How many bytes of the caller's buffer hold the datagram.
    pub len: usize,
}

/// The protocol a datagram carries, told apart by its first byte (RFC 7983 section 7, as
/// updated by RFC 9443 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatagramKind {
    /// 0..=3: STUN (also TURN control messages).
    Stun,
    /// 16..=19: ZRTP, which WebRTC does not use.
    Zrtp,
    /// 20..=63: DTLS records.
    Dtls,
    /// 64..=79: TURN ChannelData.
    TurnChannel,
    /// 128..=191: RTP or RTCP (SRTP and SRTCP on a WebRTC transport).
    Rtp,
    /// Anything else, including the empty datagram.
    Unknown,
}

impl DatagramKind {
    /// Classifies a datagram by its first byte.
    pub fn classify(datagram: &[u8]) -> Self {
        match datagram.first() {
            Some(0..=3) => Self::Stun,
            Some(16..=19) => Self::Zrtp,
            Some(20..=63) => Self::Dtls,
            Some(64..=79) => Self::TurnChannel,
            Some(128..=191) => Self::Rtp,
            _ => Self::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_first_byte() {
        // RFC 7983 section 7 / RFC 9443 section 3 ranges, both ends of each.
        let cases: &[(u8, DatagramKind)] = &[
            (0, DatagramKind::Stun),
            (3, DatagramKind::Stun),
            (4, DatagramKind::Unknown),
            (16, DatagramKind::Zrtp),
            (19, DatagramKind::Zrtp),
            (20, DatagramKind::Dtls),
            (63, DatagramKind::Dtls),
            (64, DatagramKind::TurnChannel),
            (79, DatagramKind::TurnChannel),
            (80, DatagramKind::Unknown),
            (127, DatagramKind::Unknown),
            (128, DatagramKind::Rtp),
            (191, DatagramKind::Rtp),
            (192, DatagramKind::Unknown),
            (255, DatagramKind::Unknown),
        ];
        for &(byte, kind) in cases {
            assert_eq!(
                DatagramKind::classify(&[byte, 0, 0]),
                kind,
                "first byte {byte}"
            );
        }
        assert_eq!(DatagramKind::classify(&[]), DatagramKind::Unknown);
    }
}
