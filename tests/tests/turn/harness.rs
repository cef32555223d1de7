//! The coturn harness alone: the messages here are written by hand, apart from the core
//! crate's STUN code.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use crate::coturn::Coturn;

/// STUN's magic cookie (RFC 8489 section 5).
const MAGIC_COOKIE: u32 = 0x2112_A442;

/// A STUN message header with `attributes` after it.
fn request(message_type: u16, transaction: [u8; 12], attributes: &[u8]) -> Vec<u8> {
    let len = u16::try_from(attributes.len()).expect("attributes fit a STUN message");
    let mut message = Vec::with_capacity(20 + attributes.len());
    message.extend_from_slice(&message_type.to_be_bytes());
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
    message.extend_from_slice(&transaction);
    message.extend_from_slice(attributes);
    message
}

/// Sends `message` to the server and returns the response with its transaction ID (the
/// request is resent every 200 ms, up to 5 times).
fn exchange(server: &Coturn, socket: &UdpSocket, message: &[u8]) -> Vec<u8> {
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("set the read timeout");
    let mut buf = [0u8; 1500];
    for _ in 0..5 {
        socket
            .send_to(message, server.addr)
            .expect("send to coturn");
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            if from == server.addr && len >= 20 && buf[8..20] == message[8..20] {
                return buf[..len].to_vec();
            }
        }
    }
    panic!("coturn sent no response; log:\n{}", server.log());
}

/// The (type, value) attributes of a STUN message, checking the header's length.
fn attributes(message: &[u8]) -> Vec<(u16, &[u8])> {
    let len = usize::from(u16::from_be_bytes([message[2], message[3]]));
    assert_eq!(message.len(), 20 + len, "STUN length field");
    assert_eq!(message[4..8], MAGIC_COOKIE.to_be_bytes(), "magic cookie");
    let mut rest = &message[20..];
    let mut list = Vec::new();
    while !rest.is_empty() {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        list.push((kind, &rest[4..4 + len]));
        rest = &rest[(4 + len).next_multiple_of(4).min(rest.len())..];
    }
    list
}

fn find<'a>(list: &[(u16, &'a [u8])], kind: u16) -> Option<&'a [u8]> {
    list.iter().find(|(k, _)| *k == kind).map(|(_, v)| *v)
}

#[test]
fn turn_coturn_server_answers_binding() {
    let server = Coturn::start();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let transaction = *b"sansrtc-bind";
    let response = exchange(&server, &socket, &request(0x0001, transaction, &[]));
    assert_eq!(response[0..2], [0x01, 0x01], "Binding success response");
    let list = attributes(&response);
    let value = find(&list, 0x0020).expect("XOR-MAPPED-ADDRESS");
    assert_eq!(value.len(), 8, "an IPv4 XOR-MAPPED-ADDRESS");
    assert_eq!(value[1], 0x01, "family IPv4");
    let port = u16::from_be_bytes([value[2], value[3]]) ^ 0x2112;
    let ip = u32::from_be_bytes([value[4], value[5], value[6], value[7]]) ^ MAGIC_COOKIE;
    let mapped = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port);
    assert_eq!(mapped, socket.local_addr().expect("local address"));
}

#[test]
fn turn_coturn_allocate_needs_auth() {
    let server = Coturn::start();
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    // REQUESTED-TRANSPORT: UDP (17).
    let transport = [0x00, 0x19, 0x00, 0x04, 17, 0, 0, 0];
    let transaction = *b"sansrtc-allo";
    let response = exchange(&server, &socket, &request(0x0003, transaction, &transport));
    assert_eq!(response[0..2], [0x01, 0x13], "Allocate error response");
    let list = attributes(&response);
    let error = find(&list, 0x0009).expect("ERROR-CODE");
    assert_eq!((error[2], error[3]), (4, 1), "401 Unauthorized");
    let realm = find(&list, 0x0014).expect("REALM");
    assert_eq!(realm, server.realm.as_bytes());
    let nonce = find(&list, 0x0015).expect("NONCE");
    assert!(!nonce.is_empty(), "an empty NONCE");
}
