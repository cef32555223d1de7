//! Records that fail authentication are dropped and counted; the session goes on.

use sansrtc::dtls::DtlsEvent;

use super::common::{drain, epoch, events, pair, pump};

#[test]
fn dtls_tampered_record_dropped_and_counted() {
    let now = epoch();
    let (mut client, mut server) = pair(1, now);
    pump(now, &mut client, &mut server);
    assert!(client.is_connected() && server.is_connected());
    events(&mut client);
    events(&mut server);

    client.write(now, b"first").unwrap();
    let mut d = drain(&mut client, now).remove(0);
    let original = d.clone();
    let last = d.len() - 1;
    d[last] ^= 0x80; // in the tag
    server.handle_record(now, &mut d);
    assert_eq!(server.stats().auth_failures, 1);
    assert!(events(&mut server).is_empty());

    let mut d = original.clone();
    d[30] ^= 1; // in the ciphertext
    server.handle_record(now, &mut d);
    assert_eq!(server.stats().auth_failures, 2);

    // The genuine record still opens, once; its replay is dropped.
    let mut d = original.clone();
    server.handle_record(now, &mut d);
    let mut d = original;
    server.handle_record(now, &mut d);
    assert_eq!(server.stats().replayed, 1);
    assert_eq!(
        events(&mut server),
        vec![DtlsEvent::ApplicationData(bytes::Bytes::from_static(
            b"first"
        ))]
    );

    // And the session goes on both ways.
    server.write(now, b"second").unwrap();
    pump(now, &mut client, &mut server);
    assert_eq!(
        events(&mut client),
        vec![DtlsEvent::ApplicationData(bytes::Bytes::from_static(
            b"second"
        ))]
    );
    assert!(client.is_connected() && server.is_connected());
}

/// A tampered protected Finished is dropped like any record; the retransmitted flight
/// completes the handshake.
#[test]
fn dtls_tampered_record_during_handshake_is_recovered() {
    let mut now = epoch();
    let (mut client, mut server) = pair(2, now);
    // ClientHello, HelloVerifyRequest, ClientHello, server flight.
    for _ in 0..2 {
        for mut d in drain(&mut client, now) {
            server.handle_record(now, &mut d);
        }
        for mut d in drain(&mut server, now) {
            client.handle_record(now, &mut d);
        }
    }
    // The client's flight: its last record is the protected Finished.
    let mut flight = drain(&mut client, now);
    let last = flight.last_mut().unwrap();
    let n = last.len() - 1;
    last[n] ^= 1;
    for mut d in flight {
        server.handle_record(now, &mut d);
    }
    assert_eq!(server.stats().auth_failures, 1);
    assert!(!server.is_connected());
    now = client.poll_timeout().unwrap();
    client.handle_timeout(now);
    pump(now, &mut client, &mut server);
    assert!(client.is_connected() && server.is_connected());
}
