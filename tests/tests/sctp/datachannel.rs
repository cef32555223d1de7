//! Data channels: DCEP open/ack, negotiated ids, labels, close, limits, buffered amount.

use std::time::Duration;

use sansrtc::datachannel::{
    ChannelConfig, ChannelEvent, ChannelSendError, ChannelState, DataChannels, DtlsRole,
};
use sansrtc::sctp::wire::StreamId;
use sansrtc::sctp::{Reliability, SctpConfig};
use sansrtc_tests::sctp::Pair;

use super::*;

pub(super) fn dc_pair(seed: u64) -> Pair<DataChannels> {
    let t0 = epoch();
    let config = SctpConfig::default();
    let mut a = DataChannels::new(config.clone(), DtlsRole::Client, t0, &mut rng(seed));
    let mut b = DataChannels::new(config, DtlsRole::Server, t0, &mut rng(seed + 1));
    a.connect(t0);
    b.connect(t0);
    Pair::new(a, b, t0, Duration::from_millis(10))
}

pub(super) fn drain(d: &mut DataChannels) -> Vec<ChannelEvent> {
    std::iter::from_fn(|| d.poll_event()).collect()
}

/// Runs until `f` finds what it wants in b's (and a's) events; returns all events seen.
pub(super) fn run_collect(
    p: &mut Pair<DataChannels>,
    mut f: impl FnMut(&[ChannelEvent], &[ChannelEvent]) -> bool,
) -> (Vec<ChannelEvent>, Vec<ChannelEvent>) {
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let ok = p.run_until(Duration::from_secs(10), |p| {
        ea.extend(drain(&mut p.a));
        eb.extend(drain(&mut p.b));
        f(&ea, &eb)
    });
    assert!(ok, "a: {ea:?}\nb: {eb:?}");
    (ea, eb)
}

#[test]
fn datachannel_open_ack_and_utf8_label() {
    let mut p = dc_pair(30);
    let mut config = ChannelConfig::new("chat 💬 ünïcode");
    config.protocol = "proto/1".into();
    config.ordered = false;
    config.reliability = Reliability::MaxRetransmits(3);
    config.priority = 512;
    let id = p.a.open(p.now(), config).unwrap();
    assert_eq!(id, StreamId(0), "DTLS client picks even ids");
    assert_eq!(p.a.channel(id).unwrap().state, ChannelState::Connecting);
    let (ea, _) = run_collect(&mut p, |_, eb| eb.contains(&ChannelEvent::Open(id)));
    assert!(ea.contains(&ChannelEvent::Open(id)));
    let info = p.b.channel(id).unwrap();
    assert_eq!(info.label, "chat 💬 ünïcode");
    assert_eq!(info.protocol, "proto/1");
    assert!(!info.ordered && !info.negotiated);
    assert_eq!(info.reliability, Reliability::MaxRetransmits(3));
    assert_eq!(info.priority, 512);
    // Both directions carry strings, binary and empty messages.
    let now = p.now();
    p.a.send(now, id, "héllo".as_bytes(), false).unwrap();
    p.b.send(now, id, &[1, 2, 3], true).unwrap();
    p.b.send(now, id, &[], false).unwrap();
    let (ea, eb) = run_collect(&mut p, |ea, eb| {
        eb.iter().any(|e| matches!(e, ChannelEvent::Message { .. }))
            && ea
                .iter()
                .filter(|e| matches!(e, ChannelEvent::Message { .. }))
                .count()
                == 2
    });
    assert!(eb.contains(&ChannelEvent::Message {
        id,
        data: "héllo".as_bytes().to_vec().into(),
        binary: false
    }));
    assert!(ea.contains(&ChannelEvent::Message {
        id,
        data: vec![1, 2, 3].into(),
        binary: true
    }));
    assert!(ea.contains(&ChannelEvent::Message {
        id,
        data: Default::default(),
        binary: false
    }));
    // The server side picks odd ids.
    let odd = p.b.open(p.now(), ChannelConfig::new("from b")).unwrap();
    assert_eq!(odd, StreamId(1));
}

#[test]
fn datachannel_negotiated_ids() {
    let mut p = dc_pair(31);
    let mut config = ChannelConfig::new("negotiated");
    config.negotiated = Some(7);
    let ia = p.a.open(p.now(), config.clone()).unwrap();
    let ib = p.b.open(p.now(), config.clone()).unwrap();
    assert_eq!((ia, ib), (StreamId(7), StreamId(7)));
    assert!(matches!(
        p.a.open(p.now(), config),
        Err(sansrtc::datachannel::OpenError::IdInUse(7))
    ));
    run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(ia)) && eb.contains(&ChannelEvent::Open(ib))
    });
    p.a.send(p.now(), ia, b"no dcep", true).unwrap();
    let (_, eb) = run_collect(&mut p, |_, eb| {
        eb.iter().any(|e| matches!(e, ChannelEvent::Message { .. }))
    });
    assert!(
        eb.iter()
            .any(|e| matches!(e, ChannelEvent::Message { id, .. } if *id == ib))
    );
    assert!(p.b.channel(ib).unwrap().negotiated);
    assert_eq!(p.b.dropped(), 0);
}

#[test]
fn datachannel_close_via_stream_reset_seen_by_both() {
    let mut p = dc_pair(32);
    let id = p.a.open(p.now(), ChannelConfig::new("closing")).unwrap();
    run_collect(&mut p, |_, eb| eb.contains(&ChannelEvent::Open(id)));
    p.a.send(p.now(), id, b"last words", true).unwrap();
    p.a.close(p.now(), id);
    assert_eq!(p.a.channel(id).unwrap().state, ChannelState::Closing);
    assert_eq!(
        p.a.send(p.now(), id, b"too late", true),
        Err(ChannelSendError::NotOpen(ChannelState::Closing))
    );
    let (_, eb) = run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Closed(id)) && eb.contains(&ChannelEvent::Closed(id))
    });
    let msg = eb
        .iter()
        .position(|e| matches!(e, ChannelEvent::Message { .. }));
    let closed = eb.iter().position(|e| *e == ChannelEvent::Closed(id));
    assert!(msg < closed, "data before close is delivered first");
    assert!(p.a.channel(id).is_none() && p.b.channel(id).is_none());
    // The id is free again.
    assert_eq!(p.a.open(p.now(), ChannelConfig::new("again")).unwrap(), id);
}

#[test]
fn datachannel_max_message_size_enforced_with_clear_error() {
    let mut p = dc_pair(33);
    let id = p.a.open(p.now(), ChannelConfig::new("big")).unwrap();
    run_collect(&mut p, |ea, _| ea.contains(&ChannelEvent::Open(id)));
    let max = sansrtc::sctp::association::DEFAULT_MAX_MESSAGE_SIZE;
    let err = p.a.send(p.now(), id, &vec![0; max + 1], true).unwrap_err();
    assert_eq!(err, ChannelSendError::TooLarge { size: max + 1, max });
    assert_eq!(
        err.to_string(),
        "message of 262145 bytes exceeds the maximum message size of 262144"
    );
    // Exactly the maximum goes through intact.
    let exact: Vec<u8> = (0..max).map(|i| (i % 253) as u8).collect();
    p.a.send(p.now(), id, &exact, true).unwrap();
    let (_, eb) = run_collect(&mut p, |_, eb| {
        eb.iter().any(|e| matches!(e, ChannelEvent::Message { .. }))
    });
    assert!(
        eb.iter()
            .any(|e| matches!(e, ChannelEvent::Message { data, .. } if data[..] == exact[..]))
    );
    assert_eq!(
        p.a.send(p.now(), StreamId(100), b"x", true),
        Err(ChannelSendError::UnknownChannel)
    );
}

#[test]
fn datachannel_buffered_amount_low_fires() {
    let mut p = dc_pair(34);
    let id = p.a.open(p.now(), ChannelConfig::new("flow")).unwrap();
    run_collect(&mut p, |ea, _| ea.contains(&ChannelEvent::Open(id)));
    p.a.set_buffered_amount_low_threshold(id, 64 * 1024);
    for _ in 0..40 {
        p.a.send(p.now(), id, &[9; 16 * 1024], true).unwrap();
    }
    assert!(p.a.buffered_amount(id) > 64 * 1024);
    let (ea, _) = run_collect(&mut p, |ea, _| {
        ea.contains(&ChannelEvent::BufferedAmountLow(id))
    });
    assert_eq!(
        ea.iter()
            .filter(|e| **e == ChannelEvent::BufferedAmountLow(id))
            .count(),
        1,
        "fires once on the crossing"
    );
    assert!(p.a.buffered_amount(id) <= 64 * 1024);
}

#[test]
fn datachannel_max_message_size_remote_limits_send() {
    let mut p = dc_pair(35);
    let id =
        p.a.open(p.now(), ChannelConfig::new("remote limit"))
            .unwrap();
    run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(id)) && eb.contains(&ChannelEvent::Open(id))
    });
    // The peer announced a=max-message-size:65536 in its SDP.
    p.a.set_remote_max_message_size(65536);
    assert_eq!(p.a.max_message_size(), 65536);
    let err = p.a.send(p.now(), id, &vec![1; 65537], true).unwrap_err();
    assert_eq!(
        err,
        ChannelSendError::TooLarge {
            size: 65537,
            max: 65536
        }
    );
    assert_eq!(
        err.to_string(),
        "message of 65537 bytes exceeds the maximum message size of 65536"
    );
    assert_eq!(
        p.a.buffered_amount(id),
        0,
        "nothing queued for a refused send"
    );
    // Exactly the peer's limit goes through intact.
    let exact: Vec<u8> = (0..65536).map(|i| (i % 251) as u8).collect();
    p.a.send(p.now(), id, &exact, true).unwrap();
    let (_, eb) = run_collect(&mut p, |_, eb| {
        eb.iter().any(|e| matches!(e, ChannelEvent::Message { .. }))
    });
    assert!(
        eb.iter()
            .any(|e| matches!(e, ChannelEvent::Message { data, .. } if data[..] == exact[..]))
    );
    // The other direction is not limited by a's setting.
    p.b.send(p.now(), id, &vec![2; 100_000], true).unwrap();
}

#[test]
fn datachannel_max_message_size_remote_zero_and_larger_keep_local_limit() {
    let mut p = dc_pair(36);
    let id = p.a.open(p.now(), ChannelConfig::new("any size")).unwrap();
    run_collect(&mut p, |ea, _| ea.contains(&ChannelEvent::Open(id)));
    let local = sansrtc::sctp::association::DEFAULT_MAX_MESSAGE_SIZE;
    // 0: the peer takes any size (RFC 8841 section 6.1); our own limit still applies.
    p.a.set_remote_max_message_size(0);
    assert_eq!(p.a.max_message_size(), local);
    // A larger remote limit than ours does not raise ours.
    p.a.set_remote_max_message_size(u64::MAX);
    assert_eq!(p.a.max_message_size(), local);
    assert_eq!(
        p.a.send(p.now(), id, &vec![0; local + 1], true),
        Err(ChannelSendError::TooLarge {
            size: local + 1,
            max: local
        })
    );
    // The browsers' 262144 equals our default.
    p.a.set_remote_max_message_size(262_144);
    p.a.send(p.now(), id, &vec![3; 262_144], true).unwrap();
    // A limit applies to channels opened later and to empty messages not at all.
    p.a.set_remote_max_message_size(1);
    let later = p.a.open(p.now(), ChannelConfig::new("later")).unwrap();
    run_collect(&mut p, |ea, _| ea.contains(&ChannelEvent::Open(later)));
    assert!(matches!(
        p.a.send(p.now(), later, b"ab", true),
        Err(ChannelSendError::TooLarge { size: 2, max: 1 })
    ));
    p.a.send(p.now(), later, b"a", true).unwrap();
    p.a.send(p.now(), later, b"", true).unwrap();
}
