//! TLS False Start (RFC 7918) between two of our own connections: the client's data leaves
//! with its Finished flight, the server keeps its last flight for a client that missed it,
//! and a wrong server Finished still fails the client.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::tests::pair_configs;
use super::wire::{AlertDescription, ContentType, RecordHeader};
use super::*;

use crate::test_support::epoch;

fn drain(c: &mut Connection, now: Instant) -> Vec<Vec<u8>> {
    let mut buf = vec![0u8; 20000];
    std::iter::from_fn(|| c.poll_transmit(now, &mut buf).map(|n| buf[..n].to_vec())).collect()
}

fn deliver(now: Instant, datagrams: &[Vec<u8>], to: &mut Connection) {
    for d in datagrams {
        to.handle_record(now, &mut d.clone());
    }
}

fn events(c: &mut Connection) -> Vec<DtlsEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// The content types of the records in `datagram`.
fn content_types(datagram: &[u8]) -> Vec<ContentType> {
    let mut out = Vec::new();
    let mut rest = datagram;
    while let Ok(h) = RecordHeader::parse(rest) {
        out.push(h.content_type);
        rest = &rest[h.record_len()..];
    }
    out
}

/// Runs the handshake up to the client's Finished flight (not yet sent): the client holds
/// the server's flight 4 and has queued flight 5.
fn to_client_finished(seed: u64, now: Instant, false_start: bool) -> (Connection, Connection) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (mut cc, sc) = pair_configs();
    cc.false_start = false_start;
    let mut client = Connection::client(cc, now, &mut rng);
    let mut server = Connection::server(sc, now, &mut rng);
    // CH, HVR, CH with cookie, server flight.
    for _ in 0..2 {
        let d = drain(&mut client, now);
        deliver(now, &d, &mut server);
        let d = drain(&mut server, now);
        deliver(now, &d, &mut client);
    }
    (client, server)
}

/// RFC 7918 section 3: the client's first application data goes out in the same flight as
/// its Finished, before anything from the server's Finished flight has arrived.
#[test]
fn client_data_rides_with_its_finished() {
    let now = epoch();
    let (mut client, mut server) = to_client_finished(10, now, true);
    assert!(client.is_writable() && !client.is_connected());
    let ev = events(&mut client);
    assert!(
        matches!(ev.as_slice(), [DtlsEvent::FalseStart { .. }]),
        "{ev:?}"
    );
    // No keys before the server's Finished is verified.
    assert_eq!(client.srtp_keys(), Err(ExportError::NotConnected));
    client.write(now, b"early").unwrap();
    let flight5 = drain(&mut client, now);
    let types: Vec<_> = flight5.iter().flat_map(|d| content_types(d)).collect();
    let ccs = types
        .iter()
        .position(|t| *t == ContentType::ChangeCipherSpec)
        .unwrap();
    let data = types
        .iter()
        .position(|t| *t == ContentType::ApplicationData)
        .unwrap();
    // The data comes after ChangeCipherSpec and the Finished that follows it.
    assert!(data > ccs + 1, "{types:?}");
    deliver(now, &flight5, &mut server);
    assert!(server.is_connected());
    let ev = events(&mut server);
    assert!(matches!(ev[0], DtlsEvent::Connected { .. }), "{ev:?}");
    assert_eq!(
        ev[1],
        DtlsEvent::ApplicationData(bytes::Bytes::from_static(b"early"))
    );
    let flight6 = drain(&mut server, now);
    deliver(now, &flight6, &mut client);
    assert!(client.is_connected());
    assert!(matches!(
        events(&mut client).as_slice(),
        [DtlsEvent::Connected { .. }]
    ));
    assert_eq!(
        client.srtp_keys().unwrap().material(),
        server.srtp_keys().unwrap().material()
    );
}

/// With false start off, the client writes only once connected.
#[test]
fn without_false_start_the_client_waits() {
    let now = epoch();
    let (mut client, _server) = to_client_finished(11, now, false);
    assert!(!client.is_writable());
    assert_eq!(client.write(now, b"x"), Err(WriteError::NotConnected));
    assert!(events(&mut client).is_empty());
}

/// The server's Finished flight is lost after the client's false-start data arrived: the
/// data does not prove the client has our Finished, so the server still answers the
/// client's retransmitted flight, until [`Connection::final_flight_hold`] has passed.
#[test]
fn server_keeps_its_last_flight_after_false_start_data() {
    let now = epoch();
    let (mut client, mut server) = to_client_finished(12, now, true);
    client.write(now, b"early").unwrap();
    let flight5 = drain(&mut client, now);
    deliver(now, &flight5, &mut server);
    assert!(server.is_connected());
    assert!(
        events(&mut server)
            .iter()
            .any(|e| matches!(e, DtlsEvent::ApplicationData(_)))
    );
    let lost = drain(&mut server, now);
    assert!(!lost.is_empty());
    // The client's timer fires; its flight 5 goes again.
    let t = client.poll_timeout().unwrap();
    client.handle_timeout(t);
    let again = drain(&mut client, t);
    assert!(!again.is_empty());
    deliver(t, &again, &mut server);
    let answer = drain(&mut server, t);
    assert_eq!(answer.len(), lost.len());
    assert_eq!(server.stats().retransmissions, 1);
    deliver(t, &answer, &mut client);
    assert!(client.is_connected());

    // After the hold, the flight is let go and a late copy of flight 5 gets no answer.
    let hold = server.poll_timeout().unwrap();
    assert_eq!(hold, now + server.final_flight_hold());
    // 1+2+4+...+60 s with the defaults.
    assert_eq!(server.final_flight_hold(), Duration::from_secs(243));
    let before = server.buffered_bytes();
    server.handle_timeout(hold);
    assert!(server.buffered_bytes() < before);
    assert_eq!(server.poll_timeout(), None);
    let late = hold + Duration::from_secs(1);
    deliver(late, &again, &mut server);
    assert!(drain(&mut server, late).is_empty());
    assert!(server.is_connected());
}

/// RFC 7918 section 3: the client still verifies the server's Finished after sending data,
/// and a wrong one fails the connection with a fatal alert.
#[test]
fn wrong_server_finished_after_false_start_fails_the_client() {
    let now = epoch();
    let (mut client, mut server) = to_client_finished(13, now, true);
    client.write(now, b"early").unwrap();
    let flight5 = drain(&mut client, now);
    deliver(now, &flight5, &mut server);
    let flight6 = drain(&mut server, now);
    // The client's view of the transcript no longer matches the server's, so the Finished
    // the server computed is wrong for it (the record itself authenticates).
    client.corrupt_transcript();
    deliver(now, &flight6, &mut client);
    assert!(client.is_closed() && !client.is_writable());
    let ev = events(&mut client);
    assert!(
        ev.contains(&DtlsEvent::Closed {
            reason: CloseReason::Error(DtlsError::DecryptError("finished verify_data"))
        }),
        "{ev:?}"
    );
    assert_eq!(client.write(now, b"more"), Err(WriteError::Closed));
    assert_eq!(client.srtp_keys(), Err(ExportError::NotConnected));
    // The fatal alert goes out, protected, and closes the server.
    let alert = drain(&mut client, now);
    assert_eq!(alert.len(), 1);
    deliver(now, &alert, &mut server);
    assert!(server.is_closed());
    assert!(events(&mut server).contains(&DtlsEvent::Closed {
        reason: CloseReason::PeerAlert(AlertDescription::DECRYPT_ERROR)
    }));
}

/// Application data from the server that overtakes its Finished is not handed up before
/// the Finished is verified.
#[test]
fn server_data_before_its_finished_is_dropped() {
    let now = epoch();
    let (mut client, mut server) = to_client_finished(14, now, true);
    let flight5 = drain(&mut client, now);
    deliver(now, &flight5, &mut server);
    server.write(now, b"late").unwrap();
    let flight6 = drain(&mut server, now);
    let (data, fin): (Vec<_>, Vec<_>) = flight6
        .into_iter()
        .partition(|d| content_types(d) == [ContentType::ApplicationData]);
    assert_eq!(data.len(), 1);
    let _ = events(&mut client);
    deliver(now, &data, &mut client);
    assert!(events(&mut client).is_empty());
    deliver(now, &fin, &mut client);
    assert!(client.is_connected());
    assert!(matches!(
        events(&mut client).as_slice(),
        [DtlsEvent::Connected { .. }]
    ));
}
