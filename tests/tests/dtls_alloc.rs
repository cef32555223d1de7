//! A connected DTLS pair allocates (almost) nothing per application-data record: `write`
//! copies into a reused queue, `poll_transmit` seals into the caller's buffer,
//! `handle_record` opens in place, and each received record goes out as `Bytes` split from
//! a per-connection chunk that is allocated only once per many records. Counted by the
//! global allocator after a warm-up, both directions, in memory (no simulator).
//!
//! This binary holds one test only, so no other test allocates while it measures.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sansrtc::dtls::{Certificate, Connection, DtlsConfig, DtlsEvent, HashAlgorithm};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

/// Records measured in each direction.
const RECORDS: usize = 2_000;

/// Application-data record size (an SCTP packet under a 1200-byte MTU).
const RECORD_LEN: usize = 1_100;

/// Records sent before each drain, so the send queue holds more than one record.
const BATCH: usize = 4;

/// Allocations per record allowed: a receive chunk per many records.
const MAX_ALLOCATIONS_PER_RECORD: f64 = 0.05;

/// One real instant per run; after that only `+ Duration`.
#[allow(
    clippy::disallowed_methods,
    reason = "tests need one real epoch instant"
)]
fn epoch() -> Instant {
    Instant::now()
}

/// Moves every pending datagram from `from` to `to`, through one reused buffer. Returns
/// the datagrams moved.
fn relay(now: Instant, from: &mut Connection, to: &mut Connection, buf: &mut [u8]) -> usize {
    let mut moved = 0;
    while let Some(n) = from.poll_transmit(now, buf) {
        assert!(to.handle_record(now, &mut buf[..n]));
        moved += 1;
    }
    moved
}

/// Drains `c`'s events; returns the application-data records and bytes received.
fn receive(c: &mut Connection) -> (usize, usize) {
    let (mut records, mut bytes) = (0, 0);
    while let Some(e) = c.poll_event() {
        if let DtlsEvent::ApplicationData(data) = e {
            assert_eq!(data.len(), RECORD_LEN);
            records += 1;
            bytes += data.len();
        }
    }
    (records, bytes)
}

/// Sends `records` records each way in batches and delivers them; returns the records
/// received by each side.
fn exchange(
    now: Instant,
    client: &mut Connection,
    server: &mut Connection,
    records: usize,
    buf: &mut [u8],
) -> (usize, usize) {
    let payload = [0x5a_u8; RECORD_LEN];
    let (mut at_client, mut at_server) = (0, 0);
    let mut sent = 0;
    while sent < records {
        let batch = BATCH.min(records - sent);
        for _ in 0..batch {
            client.write(now, &payload).unwrap();
            server.write(now, &payload).unwrap();
        }
        sent += batch;
        relay(now, client, server, buf);
        relay(now, server, client, buf);
        at_server += receive(server).0;
        at_client += receive(client).0;
    }
    (at_client, at_server)
}

#[test]
fn dtls_alloc_application_data_steady_state() {
    let now = epoch();
    let a = Arc::new(Certificate::generate().unwrap());
    let b = Arc::new(Certificate::generate().unwrap());
    let (fa, fb) = (
        a.fingerprint(HashAlgorithm::Sha256),
        b.fingerprint(HashAlgorithm::Sha256),
    );
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let mut client = Connection::client(DtlsConfig::new(a, fb), now, &mut rng);
    let mut server = Connection::server(DtlsConfig::new(b, fa), now, &mut rng);

    let mut buf = vec![0u8; 20_000];
    let mut t = now;
    for _ in 0..20 {
        let moved = relay(t, &mut client, &mut server, &mut buf)
            + relay(t, &mut server, &mut client, &mut buf);
        receive(&mut client);
        receive(&mut server);
        if moved == 0 {
            break;
        }
        t += Duration::from_millis(1);
    }
    assert!(client.is_connected() && server.is_connected());

    // Warm-up: the send queues and event queues reach their working size, the server drops
    // its last flight once the client's data shows it got the Finished.
    assert_eq!(
        exchange(t, &mut client, &mut server, 200, &mut buf),
        (200, 200)
    );

    let region = Region::new(GLOBAL);
    let received = exchange(t, &mut client, &mut server, RECORDS, &mut buf);
    let change = region.change();

    assert_eq!(received, (RECORDS, RECORDS));
    let records = 2 * RECORDS;
    let per_record = (change.allocations + change.reallocations) as f64 / records as f64;
    println!(
        "{records} application-data records of {RECORD_LEN} bytes (both directions) sealed, \
         opened and delivered: {} allocations, {} reallocations ({per_record:.4} per record)",
        change.allocations, change.reallocations
    );
    assert!(
        per_record < MAX_ALLOCATIONS_PER_RECORD,
        "{per_record} allocations per record"
    );
}
