//! SCTP Negotiation Acceleration (SNAP, draft-hancke-tsvwg-snap): each side hands the other
//! the INIT chunk it would have sent, out of band (SDP `a=sctp-init`, or the direct API). With
//! the peer's INIT in hand, the association is built from both INITs and starts ESTABLISHED
//! as soon as its transport is up: no INIT, INIT ACK, COOKIE ECHO or COOKIE ACK crosses the
//! network, which saves two round trips.
//!
//! [`LocalInit`] holds our INIT's random fields, drawn before the association exists so that
//! the signalling can carry them; [`PeerInit`] is the peer's INIT, fully checked.
//! [`Association::with_local_init`](super::Association::with_local_init) and
//! [`Association::connect_snap`](super::Association::connect_snap) use them.

use rand_core::CryptoRng;

use super::SctpConfig;
use super::cookie::Cookie;
use crate::sctp::wire::{
    CHUNK_HEADER_LEN, COMMON_HEADER_LEN, Chunk, ChunkIter, ChunkType, PacketWriter, Tsn,
    VerificationTag, WireError,
};
/// Room for our INIT: fixed fields, Supported Extensions, Forward-TSN-Supported and Zero
/// Checksum Acceptable come to 48 bytes with the common header.
const INIT_ROOM: usize = 128;

/// Our INIT's verification tag and initial TSN, drawn ahead of the association so that the
/// signalling can carry our INIT (SNAP, draft-hancke-tsvwg-snap) before it exists: write it
/// with [`LocalInit::chunk`], build the association with
/// [`Association::with_local_init`](super::Association::with_local_init).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalInit {
    pub(super) tag: VerificationTag,
    pub(super) initial_tsn: Tsn,
}

impl LocalInit {
    /// Draws a non-zero verification tag and an initial TSN from `rng` (RFC 9260 section
    /// 5.1.3).
    pub fn draw(rng: &mut dyn CryptoRng) -> Self {
        let mut tag = 0;
        while tag == 0 {
            tag = rng.next_u32();
        }
        Self {
            tag: VerificationTag(tag),
            initial_tsn: Tsn(rng.next_u32()),
        }
    }

    /// Our verification tag.
    pub fn tag(&self) -> VerificationTag {
        self.tag
    }

    /// The INIT chunk an association built with this and `config` announces: the chunk
    /// alone (type, flags, length, value), without an SCTP common header, as SNAP carries it.
    pub fn chunk(&self, config: &SctpConfig) -> Vec<u8> {
        let config = config.clone().sanitized();
        let params = super::handshake::init_params(&config, self.tag, self.initial_tsn, None);
        let mut buf = [0; INIT_ROOM];
        let Ok(mut w) = PacketWriter::new(&mut buf, 0, 0, VerificationTag(0)) else {
            return Vec::new();
        };
        if w.push_init(false, &params).is_err() {
            return Vec::new();
        }
        let len = w.len();
        buf.get(COMMON_HEADER_LEN..len).unwrap_or_default().to_vec()
    }
}

/// The peer's INIT received out of band: what the association takes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerInit {
    /// The peer's initiate tag: the verification tag of our packets.
    pub tag: VerificationTag,
    /// Its advertised receiver window.
    pub a_rwnd: u32,
    /// Its outbound stream count.
    pub outbound_streams: u16,
    /// Its inbound stream count.
    pub inbound_streams: u16,
    /// Its initial TSN.
    pub initial_tsn: Tsn,
    /// It supports FORWARD-TSN (RFC 3758).
    pub forward_tsn: bool,
    /// It supports RE-CONFIG (RFC 6525).
    pub reconfig: bool,
    /// It accepts a zero checksum with the DTLS method (RFC 9653).
    pub zero_checksum: bool,
}

impl PeerInit {
    /// Reads one INIT chunk (no common header) as [`LocalInit::chunk`] writes it. Anything
    /// else is refused: another chunk type, trailing bytes beyond the chunk's padding, a zero
    /// tag or stream count, badly framed parameters.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        let mut chunks = ChunkIter::new(bytes);
        let raw = chunks.next().ok_or(WireError::Truncated)?;
        if raw.kind != ChunkType::INIT {
            return Err(WireError::Invalid("not an init chunk"));
        }
        // The chunk header plus its value, padded: nothing may follow.
        let len = CHUNK_HEADER_LEN + raw.value.len();
        if bytes.len() != len && bytes.len() != (len + 3) & !3 {
            return Err(WireError::BadLength);
        }
        let Chunk::Init(init) = Chunk::parse(raw)? else {
            return Err(WireError::Invalid("not an init chunk"));
        };
        if init.state_cookie().is_some() {
            return Err(WireError::Invalid("state cookie in init"));
        }
        Ok(Self {
            tag: VerificationTag(init.initiate_tag),
            a_rwnd: init.a_rwnd,
            outbound_streams: init.outbound_streams,
            inbound_streams: init.inbound_streams,
            initial_tsn: init.initial_tsn,
            forward_tsn: init.supports_forward_tsn(),
            reconfig: init.supports_chunk(ChunkType::RECONFIG),
            zero_checksum: init.zero_checksum_method() == Some(super::ZERO_CHECKSUM_DTLS),
        })
    }

    /// The same fields in the form the cookie path installs.
    pub(super) fn as_cookie(&self, local: LocalInit) -> Cookie {
        Cookie {
            created_ms: 0,
            local_tag: local.tag,
            peer_tag: self.tag,
            local_initial_tsn: local.initial_tsn,
            peer_initial_tsn: self.initial_tsn,
            peer_a_rwnd: self.a_rwnd,
            peer_outbound_streams: self.outbound_streams,
            peer_inbound_streams: self.inbound_streams,
            peer_forward_tsn: self.forward_tsn,
            peer_reconfig: self.reconfig,
            peer_zero_checksum: self.zero_checksum,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    fn local() -> LocalInit {
        LocalInit::draw(&mut ChaCha20Rng::seed_from_u64(7))
    }

    /// Our INIT as RFC 9260 section 3.3.2 lays it out: type 1, flags 0, the length, then the
    /// initiate tag, a_rwnd, stream counts and initial TSN, then the optional parameters.
    #[test]
    fn emit() {
        let config = SctpConfig {
            zero_checksum: true,
            ..SctpConfig::default()
        };
        let l = local();
        let chunk = l.chunk(&config);
        assert_eq!(chunk[0], 1);
        assert_eq!(chunk[1], 0);
        assert_eq!(
            usize::from(u16::from_be_bytes([chunk[2], chunk[3]])),
            chunk.len()
        );
        assert_eq!(chunk[4..8], l.tag.0.to_be_bytes());
        assert_eq!(chunk[8..12], config.receive_window.to_be_bytes());
        assert_eq!(chunk[12..14], u16::MAX.to_be_bytes());
        assert_eq!(chunk[14..16], u16::MAX.to_be_bytes());
        assert_eq!(chunk[16..20], l.initial_tsn.0.to_be_bytes());
    }

    #[test]
    fn parse_what_we_emit() {
        let l = local();
        for zero_checksum in [false, true] {
            let config = SctpConfig {
                zero_checksum,
                streams: 1024,
                ..SctpConfig::default()
            };
            let peer = PeerInit::parse(&l.chunk(&config)).expect("our own init");
            assert_eq!(
                peer,
                PeerInit {
                    tag: l.tag,
                    a_rwnd: config.receive_window,
                    outbound_streams: 1024,
                    inbound_streams: 1024,
                    initial_tsn: l.initial_tsn,
                    forward_tsn: true,
                    reconfig: true,
                    zero_checksum,
                }
            );
        }
    }

    #[test]
    fn impossible_init() {
        let chunk = local().chunk(&SctpConfig::default());
        // Truncated anywhere: refused.
        for n in 0..chunk.len() {
            assert!(PeerInit::parse(&chunk[..n]).is_err(), "{n} bytes");
        }
        // An INIT ACK, a zero tag, zero streams, trailing bytes: refused.
        let mut ack = chunk.clone();
        ack[0] = 2;
        assert!(PeerInit::parse(&ack).is_err());
        let mut zero_tag = chunk.clone();
        zero_tag[4..8].fill(0);
        assert!(PeerInit::parse(&zero_tag).is_err());
        let mut zero_streams = chunk.clone();
        zero_streams[12..14].fill(0);
        assert!(PeerInit::parse(&zero_streams).is_err());
        let mut trailing = chunk;
        trailing.extend_from_slice(&[0; 8]);
        assert!(PeerInit::parse(&trailing).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = PeerInit::parse(&bytes);
        }

        #[test]
        fn one_flipped_byte_is_an_error_or_an_init(i in 0usize..64, bit in 0u8..8) {
            let mut bad = local().chunk(&SctpConfig::default());
            let i = i % bad.len();
            bad[i] ^= 1 << bit;
            if let Ok(p) = PeerInit::parse(&bad) {
                prop_assert!(p.tag.0 != 0 && p.outbound_streams != 0 && p.inbound_streams != 0);
            }
        }
    }
}
