//! Wire tests: CRC32c vectors, chunk round trips, and never-panic properties.

use proptest::prelude::*;

use super::*;

// RFC 3720 appendix B.4: CRC32c of 32 bytes of zeros, of ones, of incrementing and of
// decrementing values. The RFC lists the CRC bytes in transmission order (little-endian).
const CRC_ZEROS: [u8; 4] = [0xaa, 0x36, 0x91, 0x8a];
const CRC_ONES: [u8; 4] = [0x43, 0xab, 0xa8, 0x62];
const CRC_INCREMENTING: [u8; 4] = [0x4e, 0x79, 0xdd, 0x46];
const CRC_DECREMENTING: [u8; 4] = [0x5c, 0xdb, 0x3f, 0x11];

#[test]
fn crc32c_rfc3720_vectors() {
    let crc = |data: Vec<u8>| crc32c::crc32c(&data).to_le_bytes();
    assert_eq!(crc(vec![0; 32]), CRC_ZEROS);
    assert_eq!(crc(vec![0xff; 32]), CRC_ONES);
    assert_eq!(crc((0..32).collect()), CRC_INCREMENTING);
    assert_eq!(crc((0..32).rev().collect()), CRC_DECREMENTING);
    // The check value of CRC-32C over "123456789".
    assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
}

fn packet_with(build: impl FnOnce(&mut PacketWriter<'_>)) -> Vec<u8> {
    let mut buf = vec![0; 1500];
    let mut w = PacketWriter::new(&mut buf, 5000, 5001, VerificationTag(0xdead_beef)).unwrap();
    build(&mut w);
    let len = w.finish(false);
    buf.truncate(len);
    buf
}

fn only_chunk(bytes: &[u8]) -> Chunk<'_> {
    let p = Packet::new_checked(bytes).unwrap();
    assert!(p.verify_checksum(false));
    let mut it = ChunkIter::new(&bytes[COMMON_HEADER_LEN..]);
    let c = Chunk::parse(it.next().unwrap()).unwrap();
    assert!(it.next().is_none());
    c
}

#[test]
fn construct_and_deconstruct_header() {
    let bytes = packet_with(|w| w.push_empty(ChunkType::COOKIE_ACK, 0).unwrap());
    let p = Packet::new_checked(&bytes[..]).unwrap();
    assert_eq!((p.source_port(), p.destination_port()), (5000, 5001));
    assert_eq!(p.verification_tag(), VerificationTag(0xdead_beef));
    assert!(p.verify_checksum(false));
    let mut bad = bytes.clone();
    bad[12] ^= 0x01;
    assert!(!Packet::new_checked(&bad[..]).unwrap().verify_checksum(true));
    let mut zero = bytes.clone();
    zero[8..12].fill(0);
    let z = Packet::new_checked(&zero[..]).unwrap();
    assert!(z.verify_checksum(true) && !z.verify_checksum(false));
}

#[test]
fn data_round_trip() {
    let flags = DataFlags(DataFlags::BEGIN | DataFlags::END | DataFlags::UNORDERED);
    let bytes = packet_with(|w| {
        w.push_data(flags, Tsn(7), StreamId(3), Ssn(9), Ppid::BINARY, b"hello")
            .unwrap()
    });
    assert_eq!(bytes.len(), 12 + 4 + 12 + 8);
    let Chunk::Data(d) = only_chunk(&bytes) else {
        panic!("not data")
    };
    assert_eq!(
        (d.flags, d.tsn, d.stream, d.ssn, d.ppid, d.payload),
        (
            flags,
            Tsn(7),
            StreamId(3),
            Ssn(9),
            Ppid::BINARY,
            &b"hello"[..]
        )
    );
}

#[test]
fn init_round_trip() {
    let cookie = [1, 2, 3, 4, 5];
    let p = InitParams {
        initiate_tag: 0x1234_5678,
        a_rwnd: 1 << 20,
        outbound_streams: 65535,
        inbound_streams: 1024,
        initial_tsn: Tsn(42),
        cookie: Some(&cookie),
        extensions: true,
        zero_checksum_method: Some(1),
    };
    let bytes = packet_with(|w| w.push_init(true, &p).unwrap());
    let Chunk::InitAck(i) = only_chunk(&bytes) else {
        panic!("not init ack")
    };
    assert_eq!(i.initiate_tag, 0x1234_5678);
    assert_eq!(
        (i.a_rwnd, i.outbound_streams, i.inbound_streams),
        (1 << 20, 65535, 1024)
    );
    assert_eq!(i.initial_tsn, Tsn(42));
    assert_eq!(i.state_cookie(), Some(&cookie[..]));
    assert!(i.supports_forward_tsn() && i.supports_chunk(ChunkType::RECONFIG));
    assert_eq!(i.zero_checksum_method(), Some(1));

    let plain = InitParams {
        cookie: None,
        extensions: false,
        zero_checksum_method: None,
        ..p
    };
    let bytes = packet_with(|w| w.push_init(false, &plain).unwrap());
    let Chunk::Init(i) = only_chunk(&bytes) else {
        panic!("not init")
    };
    assert!(i.state_cookie().is_none() && !i.supports_forward_tsn());
    assert_eq!(i.zero_checksum_method(), None);
}

#[test]
fn sack_round_trip() {
    let gaps = [(2, 3), (5, 9)];
    let dups = [Tsn(1), Tsn(2)];
    let bytes = packet_with(|w| w.push_sack(Tsn(100), 5000, &gaps, &dups).unwrap());
    let Chunk::Sack(s) = only_chunk(&bytes) else {
        panic!("not sack")
    };
    assert_eq!((s.cum_tsn, s.a_rwnd), (Tsn(100), 5000));
    assert_eq!(s.gap_blocks().collect::<Vec<_>>(), gaps);
    assert_eq!(s.dup_tsns().collect::<Vec<_>>(), dups);
}

#[test]
fn control_chunks_round_trip() {
    let bytes = packet_with(|w| {
        w.push_heartbeat(false, b"abc").unwrap();
        w.push_heartbeat(true, b"abc").unwrap();
        w.push_abort(true, ErrorCause::USER_ABORT, b"bye").unwrap();
        w.push_shutdown(Tsn(9)).unwrap();
        w.push_empty(ChunkType::SHUTDOWN_ACK, 0).unwrap();
        w.push_empty(ChunkType::SHUTDOWN_COMPLETE, 1).unwrap();
        w.push_error(ErrorCause::UNRECOGNIZED_CHUNK, &[0xaa, 0, 0, 4])
            .unwrap();
        w.push_cookie_echo(b"cookie!").unwrap();
        w.push_empty(ChunkType::COOKIE_ACK, 0).unwrap();
        w.push_forward_tsn(Tsn(77), &[(StreamId(1), Ssn(2))])
            .unwrap();
        w.push_outgoing_reset(1, 2, Tsn(3), &[StreamId(4), StreamId(6)])
            .unwrap();
        w.push_reconfig_response(5, ReconfigResult::PERFORMED)
            .unwrap();
    });
    let p = Packet::new_checked(&bytes[..]).unwrap();
    let chunks: Vec<_> = p.chunks().map(|c| Chunk::parse(c).unwrap()).collect();
    assert_eq!(chunks.len(), 12);
    assert_eq!(chunks[0], Chunk::Heartbeat(b"abc"));
    assert_eq!(chunks[1], Chunk::HeartbeatAck(b"abc"));
    let Chunk::Abort { reflected, causes } = chunks[2] else {
        panic!()
    };
    assert!(reflected);
    let cause = ParamIter::new(causes).next().unwrap();
    assert_eq!((cause.kind.0, cause.value), (12, &b"bye"[..]));
    assert_eq!(chunks[3], Chunk::Shutdown(Tsn(9)));
    assert_eq!(chunks[4], Chunk::ShutdownAck);
    assert_eq!(chunks[5], Chunk::ShutdownComplete { reflected: true });
    assert!(matches!(chunks[6], Chunk::Error(_)));
    assert_eq!(chunks[7], Chunk::CookieEcho(b"cookie!"));
    assert_eq!(chunks[8], Chunk::CookieAck);
    let Chunk::ForwardTsn(f) = chunks[9] else {
        panic!()
    };
    assert_eq!(f.new_cum_tsn, Tsn(77));
    assert_eq!(f.streams().collect::<Vec<_>>(), [(StreamId(1), Ssn(2))]);
    let Chunk::Reconfig(params) = chunks[10] else {
        panic!()
    };
    let param = ReconfigParam::parse(ParamIter::new(params).next().unwrap()).unwrap();
    let ReconfigParam::OutgoingReset {
        request_seq,
        response_seq,
        last_tsn,
        streams,
    } = param
    else {
        panic!()
    };
    assert_eq!((request_seq, response_seq, last_tsn), (1, 2, Tsn(3)));
    assert_eq!(streams.collect::<Vec<_>>(), [StreamId(4), StreamId(6)]);
    let Chunk::Reconfig(params) = chunks[11] else {
        panic!()
    };
    let param = ReconfigParam::parse(ParamIter::new(params).next().unwrap()).unwrap();
    assert!(matches!(
        param,
        ReconfigParam::Response {
            response_seq: 5,
            result: ReconfigResult::PERFORMED
        }
    ));
}

#[test]
fn impossible_len() {
    assert_eq!(
        Packet::new_checked(&[0u8; 11][..]).unwrap_err(),
        WireError::Truncated
    );
    let mut bytes = packet_with(|w| w.push_shutdown(Tsn(1)).unwrap());
    bytes[15] = 3; // chunk length below the header
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap_err(),
        WireError::BadLength
    );
    bytes[15] = 200; // past the end
    assert_eq!(
        Packet::new_checked(&bytes[..]).unwrap_err(),
        WireError::BadLength
    );
}

#[test]
fn writer_refuses_overflow() {
    let mut buf = [0u8; 20];
    let mut w = PacketWriter::new(&mut buf, 1, 2, VerificationTag(3)).unwrap();
    let flags = DataFlags(3);
    assert_eq!(
        w.push_data(flags, Tsn(1), StreamId(0), Ssn(0), Ppid(0), b"x"),
        Err(WireError::BufferTooSmall)
    );
    assert!(w.is_empty());
}

fn parse_all(bytes: &[u8]) {
    if let Ok(p) = Packet::new_checked(bytes) {
        let _ = p.verify_checksum(true);
        for raw in p.chunks() {
            match Chunk::parse(raw) {
                Ok(Chunk::Init(i) | Chunk::InitAck(i)) => {
                    let _ = (i.state_cookie(), i.supports_forward_tsn());
                    let _ = i.zero_checksum_method();
                }
                Ok(Chunk::Sack(s)) => {
                    let _ = (s.gap_blocks().count(), s.dup_tsns().count());
                }
                Ok(Chunk::ForwardTsn(f)) => {
                    let _ = f.streams().count();
                }
                Ok(Chunk::Reconfig(v) | Chunk::Error(v)) => {
                    for p in ParamIter::new(v) {
                        if let Ok(ReconfigParam::OutgoingReset { streams, .. }) =
                            ReconfigParam::parse(p)
                        {
                            let _ = streams.count();
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sctp_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        parse_all(&bytes);
    }

    /// Arbitrary chunk bodies behind a valid header and chunk framing reach every parser.
    #[test]
    fn sctp_parse_never_panics_framed_chunks(
        kind in prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192, 77]),
        flags in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let bytes = packet_with(|w| w.push_chunk(ChunkType(kind), flags, body.len(), |v| {
            v.copy_from_slice(&body)
        }).unwrap());
        parse_all(&bytes);
    }

    /// DATA round-trips, and flipping one byte gives an error or another valid value.
    #[test]
    fn sctp_data_round_trip_and_flip(
        tsn in any::<u32>(), stream in any::<u16>(), ssn in any::<u16>(), ppid in any::<u32>(),
        flags in 0u8..16, payload in proptest::collection::vec(any::<u8>(), 1..100),
        flip in any::<prop::sample::Index>(),
    ) {
        let mut bytes = packet_with(|w| w.push_data(DataFlags(flags), Tsn(tsn), StreamId(stream),
            Ssn(ssn), Ppid(ppid), &payload).unwrap());
        let Chunk::Data(d) = only_chunk(&bytes) else { panic!("not data") };
        prop_assert_eq!((d.tsn, d.stream, d.ssn, d.ppid), (Tsn(tsn), StreamId(stream), Ssn(ssn), Ppid(ppid)));
        prop_assert_eq!(d.payload, &payload[..]);
        let i = flip.index(bytes.len());
        bytes[i] ^= 0x5a;
        let p = Packet::new_checked(&bytes[..]);
        if let Ok(p) = p { prop_assert!(!p.verify_checksum(false)); }
    }
}
