//! The allocation machine against a scripted server (RFC 8656 sections 7 to 12 and the
//! long-term credentials of RFC 8489 section 9.2), and arbitrary bytes from the server.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::test_support::epoch;

use super::client::{AllocEvent, Allocation, State};
use super::wire::*;
use super::{TurnError, TurnServer};
use crate::stun::{AttributeType, Class, Message, MessageBuilder, Method, long_term_key};

pub(crate) const USER: &str = "alice";
pub(crate) const PASS: &str = "secret";
pub(crate) const REALM: &str = "example.org";

pub(crate) fn server_addr() -> SocketAddr {
    "192.0.2.10:3478".parse().unwrap()
}
fn base() -> SocketAddr {
    "10.0.0.2:5000".parse().unwrap()
}
pub(crate) fn relayed() -> SocketAddr {
    "192.0.2.10:49152".parse().unwrap()
}
pub(crate) fn mapped() -> SocketAddr {
    "198.51.100.2:6000".parse().unwrap()
}
fn peer() -> SocketAddr {
    "203.0.113.9:7000".parse().unwrap()
}

pub(crate) fn key() -> [u8; 16] {
    long_term_key(USER, REALM, PASS)
}

fn new_allocation(now: Instant) -> Allocation {
    let server = TurnServer::new(server_addr(), USER, PASS);
    Allocation::new(server, base(), Duration::from_millis(100), now, [9; 12])
}

/// The next request the client sends, as owned bytes.
fn next_request(a: &mut Allocation) -> Option<Vec<u8>> {
    let mut buf = [0u8; 1500];
    let t = a.poll_transmit(&mut buf)?;
    assert_eq!((t.source, t.destination), (base(), server_addr()));
    Some(buf[..t.len].to_vec())
}

/// A response to `request` of `class`, built by `attrs`, signed with `key` when given.
pub(crate) fn respond(
    request: &[u8],
    class: Class,
    key: Option<&[u8; 16]>,
    attrs: impl FnOnce(&mut MessageBuilder<'_>),
) -> Vec<u8> {
    let req = Message::new_checked(request).unwrap();
    let mut buf = [0u8; 1500];
    let mut b = MessageBuilder::new(&mut buf, class, req.method(), req.transaction_id()).unwrap();
    attrs(&mut b);
    if let Some(key) = key {
        b.add_message_integrity(key).unwrap();
    }
    let n = b.finish_with_fingerprint().unwrap();
    buf[..n].to_vec()
}

pub(crate) fn challenge(request: &[u8], nonce: &str) -> Vec<u8> {
    respond(request, Class::Error, None, |b| {
        b.add_error_code(401, "Unauthorized").unwrap();
        b.add_raw(AttributeType::REALM, REALM.as_bytes()).unwrap();
        b.add_raw(AttributeType::NONCE, nonce.as_bytes()).unwrap();
    })
}

pub(crate) fn allocated(request: &[u8], lifetime: u32) -> Vec<u8> {
    respond(request, Class::Success, Some(&key()), |b| {
        b.add_xor_address(XOR_RELAYED_ADDRESS, relayed()).unwrap();
        b.add_xor_mapped_address(mapped()).unwrap();
        b.add_raw(LIFETIME, &lifetime.to_be_bytes()).unwrap();
    })
}

fn feed(a: &mut Allocation, now: Instant, response: &[u8]) -> bool {
    let msg = Message::new_checked(response).unwrap();
    a.handle_response(now, &msg)
}

/// Runs the 401 challenge and the authenticated Allocate; returns the allocation.
fn allocate(now: Instant) -> Allocation {
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    assert!(feed(&mut a, now, &challenge(&first, "n1")));
    let second = next_request(&mut a).unwrap();
    assert!(feed(&mut a, now, &allocated(&second, 600)));
    assert_eq!(
        a.poll_event(),
        Some(AllocEvent::Allocated {
            relayed: relayed(),
            mapped: Some(mapped())
        })
    );
    a
}

#[test]
fn allocate_learns_realm_and_nonce_from_the_401_then_authenticates() {
    let now = epoch();
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&first[..]).unwrap();
    assert_eq!((msg.class(), msg.method()), (Class::Request, ALLOCATE));
    assert_eq!(msg.attribute(REQUESTED_TRANSPORT), Some(&[17, 0, 0, 0][..]));
    assert_eq!(
        msg.username(),
        None,
        "the first Allocate carries no credentials"
    );
    msg.check_fingerprint().unwrap();

    assert!(feed(&mut a, now, &challenge(&first, "nonce-1")));
    let second = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&second[..]).unwrap();
    assert_eq!(msg.method(), ALLOCATE);
    assert_ne!(
        msg.transaction_id(),
        Message::new_checked(&first[..]).unwrap().transaction_id(),
        "a retry is a new transaction"
    );
    assert_eq!(msg.username(), Some(USER.as_bytes()));
    assert_eq!(msg.realm(), Some(REALM.as_bytes()));
    assert_eq!(msg.nonce(), Some(&b"nonce-1"[..]));
    msg.check_integrity(&key()).unwrap();

    assert!(feed(&mut a, now, &allocated(&second, 600)));
    assert_eq!(a.state(), State::Allocated);
    assert_eq!(a.relayed(), Some(relayed()));
}

#[test]
fn stale_nonce_is_retried_with_the_new_nonce() {
    let now = epoch();
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    feed(&mut a, now, &challenge(&first, "n1"));
    let second = next_request(&mut a).unwrap();
    let stale = respond(&second, Class::Error, None, |b| {
        b.add_error_code(438, "Stale Nonce").unwrap();
        b.add_raw(AttributeType::REALM, REALM.as_bytes()).unwrap();
        b.add_raw(AttributeType::NONCE, b"n2").unwrap();
    });
    assert!(feed(&mut a, now, &stale));
    let third = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&third[..]).unwrap();
    assert_eq!(msg.nonce(), Some(&b"n2"[..]));
    msg.check_integrity(&key()).unwrap();
    assert!(feed(&mut a, now, &allocated(&third, 600)));
    assert_eq!(a.relayed(), Some(relayed()));
}

#[test]
fn wrong_password_fails_with_unauthorized() {
    let now = epoch();
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    feed(&mut a, now, &challenge(&first, "n1"));
    let second = next_request(&mut a).unwrap();
    assert!(feed(&mut a, now, &challenge(&second, "n1")));
    assert_eq!(a.state(), State::Failed(TurnError::Unauthorized));
    assert_eq!(
        a.poll_event(),
        Some(AllocEvent::Failed(TurnError::Unauthorized))
    );
    assert_eq!(next_request(&mut a), None);
    assert_eq!(a.poll_timeout(), None);
}

#[test]
fn other_errors_fail_with_their_code() {
    let now = epoch();
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    let full = respond(&first, Class::Error, None, |b| {
        b.add_error_code(508, "Insufficient Capacity").unwrap();
    });
    assert!(feed(&mut a, now, &full));
    assert_eq!(a.state(), State::Failed(TurnError::Refused(508)));
}

#[test]
fn unsigned_or_forged_success_is_dropped_and_the_request_retried() {
    let now = epoch();
    let mut a = new_allocation(now);
    let first = next_request(&mut a).unwrap();
    feed(&mut a, now, &challenge(&first, "n1"));
    let second = next_request(&mut a).unwrap();
    let unsigned = respond(&second, Class::Success, None, |b| {
        b.add_xor_address(XOR_RELAYED_ADDRESS, peer()).unwrap();
    });
    assert!(feed(&mut a, now, &unsigned));
    let forged = respond(&second, Class::Success, Some(&[0; 16]), |b| {
        b.add_xor_address(XOR_RELAYED_ADDRESS, peer()).unwrap();
    });
    assert!(feed(&mut a, now, &forged));
    assert_eq!(a.state(), State::Allocating);
    assert_eq!(a.stats().responses_dropped, 2);
    // Still in flight: retransmitted, and a genuine answer is taken.
    a.handle_timeout(now + Duration::from_millis(100));
    assert_eq!(next_request(&mut a).as_deref(), Some(&second[..]));
    assert!(feed(&mut a, now, &allocated(&second, 600)));
    assert_eq!(a.relayed(), Some(relayed()));
}

#[test]
fn a_response_to_no_request_of_ours_is_not_taken() {
    let now = epoch();
    let mut a = new_allocation(now);
    let mut other = new_allocation(now);
    let _ = next_request(&mut a).unwrap();
    // Same salt, so shift the counter: the other allocation's second request.
    let _ = next_request(&mut other).unwrap();
    let mut buf = [0u8; 256];
    let tid = crate::stun::TransactionId::new([1; 12]);
    let n = MessageBuilder::new(&mut buf, Class::Success, ALLOCATE, tid)
        .unwrap()
        .finish();
    assert!(!feed(&mut a, now, &buf[..n]));
}

#[test]
fn no_answer_times_out_after_the_retransmissions() {
    let start = epoch();
    let mut a = new_allocation(start);
    let first = next_request(&mut a).unwrap();
    let mut sends = 1;
    let mut now = start;
    while let Some(t) = a.poll_timeout() {
        now = t;
        a.handle_timeout(now);
        while let Some(again) = next_request(&mut a) {
            assert_eq!(again, first);
            sends += 1;
        }
    }
    assert_eq!(sends, 7, "Rc = 7 (RFC 8489 section 6.2.1)");
    assert_eq!(a.state(), State::Failed(TurnError::Timeout));
    assert_eq!(now - start, Duration::from_millis(100) * (63 + 16));
}

#[test]
fn refresh_goes_out_a_minute_before_the_lifetime_ends() {
    let now = epoch();
    let mut a = allocate(now);
    assert_eq!(a.poll_timeout(), Some(now + Duration::from_secs(540)));
    let later = now + Duration::from_secs(540);
    a.handle_timeout(later);
    let refresh = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&refresh[..]).unwrap();
    assert_eq!(msg.method(), REFRESH);
    assert_eq!(lifetime(&msg), Some(600));
    msg.check_integrity(&key()).unwrap();
    let ok = respond(&refresh, Class::Success, Some(&key()), |b| {
        b.add_raw(LIFETIME, &300u32.to_be_bytes()).unwrap();
    });
    assert!(feed(&mut a, later, &ok));
    assert_eq!(a.poll_timeout(), Some(later + Duration::from_secs(240)));
    // A lost allocation (437 to the refresh) is reported.
    a.handle_timeout(later + Duration::from_secs(240));
    let refresh = next_request(&mut a).unwrap();
    let gone = respond(&refresh, Class::Error, None, |b| {
        b.add_error_code(437, "Allocation Mismatch").unwrap();
    });
    assert!(feed(&mut a, later, &gone));
    assert_eq!(
        a.poll_event(),
        Some(AllocEvent::Failed(TurnError::Refused(437)))
    );
}

#[test]
fn data_goes_by_send_indication_until_the_channel_is_bound_then_by_channel_data() {
    let now = epoch();
    let mut a = allocate(now);
    a.ensure_permission(now, peer().ip());
    let permission = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&permission[..]).unwrap();
    assert_eq!(msg.method(), CREATE_PERMISSION);
    assert_eq!(
        msg.xor_address(XOR_PEER_ADDRESS).map(|p| p.ip()),
        Some(peer().ip())
    );
    msg.check_integrity(&key()).unwrap();
    assert!(feed(
        &mut a,
        now,
        &respond(&permission, Class::Success, Some(&key()), |_| {})
    ));

    let mut buf = [0u8; 256];
    buf[..5].copy_from_slice(b"hello");
    let n = a.wrap(now, peer(), 5, &mut buf).unwrap();
    let send = Message::new_checked(&buf[..n]).unwrap();
    assert_eq!((send.class(), send.method()), (Class::Indication, SEND));
    assert_eq!(send.xor_address(XOR_PEER_ADDRESS), Some(peer()));
    assert_eq!(send.attribute(DATA_ATTR), Some(&b"hello"[..]));

    let bind = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&bind[..]).unwrap();
    assert_eq!(msg.method(), CHANNEL_BIND);
    assert_eq!(msg.attribute(CHANNEL_NUMBER), Some(&[0x40, 0, 0, 0][..]));
    assert_eq!(msg.xor_address(XOR_PEER_ADDRESS), Some(peer()));
    assert!(feed(
        &mut a,
        now,
        &respond(&bind, Class::Success, Some(&key()), |_| {})
    ));

    buf[..5].copy_from_slice(b"world");
    let n = a.wrap(now, peer(), 5, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"\x40\x00\x00\x05world");
    assert_eq!(next_request(&mut a), None, "no second bind");

    // In: ChannelData on our channel, and a Data indication from any peer.
    assert_eq!(
        a.unwrap_channel(b"\x40\x00\x00\x02hi\x00\x00"),
        Some((peer(), 4..6))
    );
    assert_eq!(
        a.unwrap_channel(b"\x40\x01\x00\x02hi"),
        None,
        "unknown channel"
    );
    let mut data = [0u8; 128];
    let tid = crate::stun::TransactionId::new([3; 12]);
    let mut b = MessageBuilder::new(&mut data, Class::Indication, DATA, tid).unwrap();
    b.add_xor_address(XOR_PEER_ADDRESS, peer()).unwrap();
    b.add_raw(DATA_ATTR, b"xyz").unwrap();
    let n = b.finish();
    let msg = Message::new_checked(&data[..n]).unwrap();
    let (from, range) = a.unwrap_data(&msg).unwrap();
    assert_eq!((from, &data[range]), (peer(), &b"xyz"[..]));
    assert_eq!(a.stats().relayed_sent, 2);
    assert_eq!(a.stats().relayed_received, 2);
    assert_eq!(a.stats().relay_dropped, 1);

    // Permission refreshed after 4 minutes, the channel after 9.
    assert_eq!(a.poll_timeout(), Some(now + Duration::from_secs(240)));
    a.handle_timeout(now + Duration::from_secs(240));
    let again = next_request(&mut a).unwrap();
    assert_eq!(
        Message::new_checked(&again[..]).unwrap().method(),
        CREATE_PERMISSION
    );
}

#[test]
fn permissions_asked_before_the_allocation_go_out_once_allocated() {
    let now = epoch();
    let mut a = new_allocation(now);
    a.ensure_permission(now, peer().ip());
    let first = next_request(&mut a).unwrap();
    assert_eq!(next_request(&mut a), None);
    feed(&mut a, now, &challenge(&first, "n"));
    let second = next_request(&mut a).unwrap();
    feed(&mut a, now, &allocated(&second, 600));
    let permission = next_request(&mut a).unwrap();
    assert_eq!(
        Message::new_checked(&permission[..]).unwrap().method(),
        CREATE_PERMISSION
    );
}

#[test]
fn release_sends_a_zero_lifetime_refresh_once() {
    let now = epoch();
    let mut a = allocate(now);
    a.release(now);
    let refresh = next_request(&mut a).unwrap();
    let msg = Message::new_checked(&refresh[..]).unwrap();
    assert_eq!(msg.method(), REFRESH);
    assert_eq!(lifetime(&msg), Some(0));
    msg.check_integrity(&key()).unwrap();
    assert_eq!(next_request(&mut a), None);
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(
        (a.state(), a.last_relayed()),
        (State::Released, Some(relayed()))
    );
}

#[test]
fn requests_from_an_ipv6_base_ask_for_an_ipv6_relay() {
    let now = epoch();
    let server = TurnServer::new("[2001:db8::1]:3478".parse().unwrap(), USER, PASS);
    let base: SocketAddr = "[2001:db8::2]:5000".parse().unwrap();
    let mut a = Allocation::new(server, base, Duration::from_millis(100), now, [0; 12]);
    let mut buf = [0u8; 512];
    let t = a.poll_transmit(&mut buf).unwrap();
    let msg = Message::new_checked(&buf[..t.len]).unwrap();
    assert_eq!(
        msg.attribute(REQUESTED_ADDRESS_FAMILY),
        Some(&[2, 0, 0, 0][..])
    );
}

proptest! {
    /// Arbitrary datagrams from the server, in any state (as ChannelData, as responses, as
    /// Data indications), never panic.
    #[test]
    fn arbitrary_server_datagrams_are_harmless(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 0..20),
        allocated_first in any::<bool>(),
    ) {
        let now = epoch();
        let mut a = if allocated_first { allocate(now) } else { new_allocation(now) };
        for d in &datagrams {
            let _ = a.unwrap_channel(d);
            if let Ok(msg) = Message::new_checked(&d[..]) {
                let _ = a.handle_response(now, &msg);
                let _ = a.unwrap_data(&msg);
            }
            while next_request(&mut a).is_some() {}
        }
        let _ = parse_channel_data(&datagrams.concat());
    }

    /// A Send indication or ChannelData of any payload parses back to the same payload.
    #[test]
    fn framing_round_trips(payload in proptest::collection::vec(any::<u8>(), 0..1300), v6 in any::<bool>()) {
        let peer: SocketAddr = if v6 { "[2001:db8::9]:1".parse().unwrap() } else { peer() };
        let mut buf = vec![0u8; payload.len() + MAX_SEND_OVERHEAD];
        buf[..payload.len()].copy_from_slice(&payload);
        let n = write_send_indication(&mut buf, payload.len(), peer, crate::stun::TransactionId::new([5; 12])).unwrap();
        let msg = Message::new_checked(&buf[..n]).unwrap();
        prop_assert_eq!(msg.attribute(DATA_ATTR), Some(&payload[..]));
        prop_assert_eq!(msg.method(), Method(SEND.0));
        buf[..payload.len()].copy_from_slice(&payload);
        let n = write_channel_data(&mut buf, payload.len(), 0x4abc).unwrap();
        let (number, range) = parse_channel_data(&buf[..n]).unwrap();
        prop_assert_eq!(number, 0x4abc);
        prop_assert_eq!(&buf[range], &payload[..]);
    }
}
