//! Data transfer on a perfect or scripted link: fragmentation, ordering, PPIDs, partial
//! reliability, stream reset, shutdown and abort.

use std::time::Duration;

use sansrtc::sctp::wire::{Chunk, Packet, Ppid, StreamId};
use sansrtc::sctp::{
    AssociationState, CloseReason, Event, Reliability, SctpConfig, SendError, SendOptions,
};

use super::*;

fn is_data(bytes: &[u8]) -> bool {
    Packet::new_checked(bytes)
        .map(|p| {
            p.chunks()
                .any(|c| matches!(Chunk::parse(c), Ok(Chunk::Data(_))))
        })
        .unwrap_or(false)
}

#[test]
fn sctp_transfer_fragmented_message_and_ppids() {
    let mut p = pair(10);
    establish(&mut p);
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let now = p.now();
    p.a.send(now, S0, Ppid::BINARY, &big, SendOptions::default())
        .unwrap();
    p.a.send(
        now,
        StreamId(1),
        Ppid::STRING,
        "héllo".as_bytes(),
        SendOptions::default(),
    )
    .unwrap();
    p.a.send(
        now,
        StreamId(2),
        Ppid::STRING_EMPTY,
        &[0],
        SendOptions::default(),
    )
    .unwrap();
    p.a.send(
        now,
        StreamId(3),
        Ppid::BINARY_EMPTY,
        &[0],
        SendOptions::default(),
    )
    .unwrap();
    let got = receive(&mut p, 4, Duration::from_secs(10));
    assert_eq!(got.len(), 4);
    let on = |s: u16| got.iter().find(|m| m.stream == StreamId(s)).unwrap();
    assert_eq!(on(0).data.len(), big.len());
    assert!(on(0).data[..] == big[..]);
    assert_eq!(
        (on(1).ppid, &on(1).data[..]),
        (Ppid::STRING, "héllo".as_bytes())
    );
    assert_eq!(on(2).ppid, Ppid::STRING_EMPTY);
    assert_eq!(on(3).ppid, Ppid::BINARY_EMPTY);
}

#[test]
fn sctp_transfer_too_large_and_empty_refused() {
    let mut p = pair(11);
    establish(&mut p);
    let max = p.a.config().max_message_size;
    let err =
        p.a.send(
            p.now(),
            S0,
            BINARY,
            &vec![0; max + 1],
            SendOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err, SendError::TooLarge { size: max + 1, max });
    assert_eq!(
        err.to_string(),
        format!("message of {} bytes exceeds the maximum of {max}", max + 1)
    );
    assert_eq!(
        p.a.send(p.now(), S0, BINARY, &[], SendOptions::default()),
        Err(SendError::Empty)
    );
}

#[test]
fn sctp_transfer_ordered_under_scripted_loss_and_dups() {
    let mut p = pair(12);
    establish(&mut p);
    // Drop every 7th data packet once, and the first two SACKs.
    p.drop_a_to_b(|i, bytes| is_data(bytes) && i % 7 == 3);
    p.drop_b_to_a(|i, _| i < 6);
    let now = p.now();
    for i in 0..300u32 {
        let msg = vec![i as u8; 100 + (i as usize * 37) % 2000];
        p.a.send(now, S0, BINARY, &msg, SendOptions::default())
            .unwrap();
    }
    let got = receive(&mut p, 300, Duration::from_secs(60));
    assert_eq!(got.len(), 300);
    for (i, m) in got.iter().enumerate() {
        assert_eq!(m.data.len(), 100 + (i * 37) % 2000);
        assert!(
            m.data.iter().all(|&b| b == i as u8),
            "message {i} out of order"
        );
    }
    assert!(p.a.stats().retransmissions > 0);
    assert!(p.a.stats().fast_retransmits > 0, "{:?}", p.a.stats());
}

#[test]
fn sctp_transfer_partial_reliability_abandons_and_skips() {
    let mut p = pair(13);
    establish(&mut p);
    assert!(p.a.peer_supports_partial_reliability());
    // Every data packet from a is lost the first time: with max-retransmits 0 nothing is
    // retransmitted, FORWARD-TSN moves the peer past it.
    p.drop_a_to_b(|i, bytes| is_data(bytes) && i % 2 == 0);
    let opts = SendOptions {
        unordered: false,
        reliability: Reliability::MaxRetransmits(0),
    };
    let now = p.now();
    for i in 0..40u8 {
        p.a.send(now, S0, BINARY, &[i; 500], opts).unwrap();
    }
    p.run_until(Duration::from_secs(30), |p| p.a.send_buffered() == 0);
    assert_eq!(p.a.send_buffered(), 0, "{:?}", p.a.stats());
    let got: Vec<_> = events(&mut p.b)
        .into_iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.data[0]),
            _ => None,
        })
        .collect();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "ordered, no duplicates: {got:?}"
    );
    assert!(p.a.stats().messages_abandoned > 0);
    assert!(p.a.stats().forward_tsn_sent > 0);
    assert!(
        got.len() as u64 + p.a.stats().messages_abandoned >= 40,
        "every message delivered or reported abandoned: {got:?} {:?} {:?}",
        p.a.stats(),
        p.b.stats()
    );
    assert!(!got.is_empty() && got.len() < 40);
    // Later reliable data on the same stream still flows.
    p.drop_a_to_b(|_, _| false);
    p.a.send(p.now(), S0, BINARY, b"after", SendOptions::default())
        .unwrap();
    let after = receive(&mut p, 1, Duration::from_secs(5));
    assert_eq!(&after[0].data[..], b"after");
}

#[test]
fn sctp_transfer_lifetime_expires_queued_messages() {
    let mut p = pair(14);
    establish(&mut p);
    p.drop_a_to_b(|_, bytes| is_data(bytes));
    let opts = SendOptions {
        unordered: true,
        reliability: Reliability::MaxLifetime(Duration::from_millis(100)),
    };
    for _ in 0..20 {
        p.a.send(p.now(), S0, BINARY, &[1; 1000], opts).unwrap();
    }
    p.run_until(Duration::from_secs(10), |p| p.a.send_buffered() == 0);
    assert_eq!(p.a.stats().messages_abandoned, 20);
    assert!(
        events(&mut p.b)
            .iter()
            .all(|e| !matches!(e, Event::Message(_)))
    );
}

#[test]
fn sctp_transfer_stream_reset_restarts_ssn() {
    let mut p = pair(15);
    establish(&mut p);
    let s = StreamId(4);
    p.a.send(p.now(), s, BINARY, b"one", SendOptions::default())
        .unwrap();
    p.a.reset_streams(p.now(), &[s]).unwrap();
    assert_eq!(
        p.a.send(p.now(), s, BINARY, b"x", SendOptions::default()),
        Err(SendError::StreamResetting(4))
    );
    let mut a_events = Vec::new();
    let mut b_events = Vec::new();
    p.run_until(Duration::from_secs(5), |p| {
        a_events.extend(std::iter::from_fn(|| p.a.poll_event()));
        b_events.extend(std::iter::from_fn(|| p.b.poll_event()));
        a_events.contains(&Event::OutgoingStreamReset(s))
    });
    assert!(a_events.contains(&Event::OutgoingStreamReset(s)));
    let first_msg = b_events
        .iter()
        .position(|e| matches!(e, Event::Message(_)))
        .unwrap();
    let reset = b_events
        .iter()
        .position(|e| *e == Event::IncomingStreamReset(s))
        .unwrap();
    assert!(
        first_msg < reset,
        "data before the reset is delivered first"
    );
    // The stream is usable again, from SSN 0.
    p.a.send(p.now(), s, BINARY, b"two", SendOptions::default())
        .unwrap();
    assert_eq!(
        &receive(&mut p, 1, Duration::from_secs(5))[0].data[..],
        b"two"
    );
}

#[test]
fn sctp_transfer_shutdown_delivers_then_closes() {
    let mut p = pair(16);
    establish(&mut p);
    for i in 0..50u8 {
        p.a.send(p.now(), S0, BINARY, &[i; 3000], SendOptions::default())
            .unwrap();
    }
    p.a.shutdown(p.now());
    assert_eq!(
        p.a.send(p.now(), S0, BINARY, b"late", SendOptions::default()),
        Err(SendError::Closed)
    );
    let mut at_b = Vec::new();
    p.run_until(Duration::from_secs(10), |p| {
        at_b.extend(events(&mut p.b));
        p.a.state() == AssociationState::Closed && p.b.state() == AssociationState::Closed
    });
    let got = at_b
        .iter()
        .filter(|e| matches!(e, Event::Message(_)))
        .count();
    assert_eq!(got, 50);
    assert!(events(&mut p.a).contains(&Event::Closed(CloseReason::Shutdown)));
    assert!(at_b.contains(&Event::Closed(CloseReason::Shutdown)));
}

#[test]
fn sctp_transfer_abort_closes_both() {
    let mut p = pair(17);
    establish(&mut p);
    p.a.abort(p.now());
    assert!(events(&mut p.a).contains(&Event::Closed(CloseReason::LocalAbort)));
    p.run_until(Duration::from_secs(1), |p| {
        p.b.state() == AssociationState::Closed
    });
    assert!(events(&mut p.b).contains(&Event::Closed(CloseReason::PeerAbort)));
}

#[test]
fn sctp_transfer_unreachable_peer_times_out() {
    let mut config = SctpConfig::default();
    config.max_retransmits = 3;
    let mut p = pair_with(config, 18, Duration::from_millis(10), false);
    establish(&mut p);
    p.drop_a_to_b(|_, _| true);
    p.a.send(p.now(), S0, BINARY, b"void", SendOptions::default())
        .unwrap();
    p.run_until(Duration::from_secs(600), |p| {
        p.a.state() == AssociationState::Closed
    });
    assert!(events(&mut p.a).contains(&Event::Closed(CloseReason::Timeout)));
    assert_eq!(p.a.stats().t3_expirations, 4);
}

#[test]
fn sctp_transfer_receive_window_bounds_memory() {
    let mut config = SctpConfig::default();
    config.receive_window = 300_000;
    let mut p = pair_with(config, 19, Duration::from_millis(10), false);
    establish(&mut p);
    // b never polls its events: a must stop at b's window.
    for _ in 0..100 {
        p.a.send(p.now(), S0, BINARY, &[5; 10_000], SendOptions::default())
            .unwrap();
    }
    p.run_until(Duration::from_secs(5), |_| false);
    assert!(
        p.b.receive_buffered() <= 300_000 + 16 * 1024,
        "{}",
        p.b.receive_buffered()
    );
    assert!(p.a.send_buffered() > 0);
    // Once b drains, the rest flows.
    let got = receive(&mut p, 100, Duration::from_secs(30));
    assert_eq!(got.len(), 100);
}
