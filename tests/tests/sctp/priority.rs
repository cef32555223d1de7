//! Stream scheduling by priority: weighted fair queueing among streams with data queued
//! (RFC 8831 section 6.4), round robin among equal priorities.

use std::time::Duration;

use sansrtc::datachannel::{ChannelConfig, ChannelEvent, DataChannels, DtlsRole};
use sansrtc::sctp::SendOptions;

use super::*;

/// Runs until b has received `total` bytes; returns the bytes received per stream id.
fn received_per_stream(p: &mut Pair<Association>, total: usize, streams: usize) -> Vec<usize> {
    let mut got = vec![0; streams];
    let ok = p.run_until(Duration::from_secs(60), |p| {
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                got[usize::from(m.stream.0)] += m.data.len();
            }
        }
        got.iter().sum::<usize>() >= total
    });
    assert!(ok, "received {got:?}");
    got
}

#[test]
fn sctp_priority_weights_share_in_proportion() {
    let mut p = pair(80);
    establish(&mut p);
    // The four W3C priorities on streams 0..4, each with far more queued than the
    // measurement takes.
    let priorities = [128u16, 256, 512, 1024];
    for (k, &prio) in priorities.iter().enumerate() {
        p.a.set_stream_priority(StreamId(k as u16), prio);
        assert_eq!(p.a.stream_priority(StreamId(k as u16)), prio);
    }
    assert_eq!(p.a.stream_priority(StreamId(9)), 256, "the default is 256");
    let msg = [5u8; 1000];
    let now = p.now();
    for _ in 0..900 {
        for k in 0..4 {
            p.a.send(now, StreamId(k), BINARY, &msg, SendOptions::default())
                .unwrap();
        }
    }
    let got = received_per_stream(&mut p, 1_000_000, 4);
    let unit = got.iter().sum::<usize>() as f64 / 15.0;
    for (k, &prio) in priorities.iter().enumerate() {
        let expected = unit * f64::from(prio) / 128.0;
        let ratio = got[k] as f64 / expected;
        assert!(
            (0.85..1.15).contains(&ratio),
            "stream {k} (priority {prio}) got {} bytes, expected ~{expected:.0}: {got:?}",
            got[k]
        );
    }
    // Everything still arrives once the others are done.
    let rest = 4 * 900 * 1000 - got.iter().sum::<usize>();
    let tail = received_per_stream(&mut p, rest, 4);
    for k in 0..4 {
        assert_eq!(got[k] + tail[k], 900 * 1000);
    }
}

#[test]
fn sctp_priority_equal_priorities_round_robin_no_starvation() {
    let mut p = pair(81);
    establish(&mut p);
    let now = p.now();
    // A big channel queues 2 MiB in 16 KiB messages first ...
    let big = vec![1u8; 16 * 1024];
    for _ in 0..128 {
        p.a.send(now, S0, BINARY, &big, SendOptions::default())
            .unwrap();
    }
    // ... then a small one queues 20 small messages behind it.
    for k in 0..20u8 {
        p.a.send(now, StreamId(1), BINARY, &[k; 100], SendOptions::default())
            .unwrap();
    }
    let (mut big_done, mut small_done) = (0, 0);
    let mut big_at_small_end = None;
    let ok = p.run_until(Duration::from_secs(60), |p| {
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                if m.stream == S0 {
                    big_done += 1;
                } else {
                    assert_eq!(m.data[0], small_done as u8, "in order");
                    small_done += 1;
                    if small_done == 20 {
                        big_at_small_end = Some(big_done);
                    }
                }
            }
        }
        big_done == 128 && small_done == 20
    });
    assert!(ok, "big {big_done}, small {small_done}");
    let big_first = big_at_small_end.unwrap();
    assert!(
        big_first <= 4,
        "the small stream waited for {big_first} big messages"
    );
}

#[test]
fn sctp_priority_equal_sizes_alternate() {
    let mut p = pair(82);
    establish(&mut p);
    let now = p.now();
    let msg = [0u8; 3000];
    for _ in 0..50 {
        for k in 0..3 {
            p.a.send(now, StreamId(k), BINARY, &msg, SendOptions::default())
                .unwrap();
        }
    }
    let mut order = Vec::new();
    p.run_until(Duration::from_secs(30), |p| {
        while let Some(e) = p.b.poll_event() {
            if let Event::Message(m) = e {
                order.push(m.stream.0);
            }
        }
        order.len() == 150
    });
    assert_eq!(order.len(), 150);
    // Every window of three deliveries holds each stream once.
    for w in order.chunks(3) {
        let mut w = w.to_vec();
        w.sort();
        assert_eq!(w, [0, 1, 2], "{order:?}");
    }
}

#[test]
fn sctp_priority_from_data_channel_config_on_both_sides() {
    let t0 = epoch();
    let config = SctpConfig::default();
    let mut a = DataChannels::new(config.clone(), DtlsRole::Client, t0, &mut rng(83));
    let mut b = DataChannels::new(config, DtlsRole::Server, t0, &mut rng(84));
    a.connect(t0);
    b.connect(t0);
    let mut p = Pair::new(a, b, t0, Duration::from_millis(10));
    let mut high = ChannelConfig::new("high");
    high.priority = 1024;
    let mut low = ChannelConfig::new("very low");
    low.priority = 128;
    let hi = p.a.open(p.now(), high).unwrap();
    let lo = p.a.open(p.now(), low).unwrap();
    let mut open = 0;
    assert!(p.run_until(Duration::from_secs(10), |p| {
        while let Some(e) = p.b.poll_event() {
            open += usize::from(matches!(e, ChannelEvent::Open(_)));
        }
        while p.a.poll_event().is_some() {}
        open == 2
    }));
    for (id, prio) in [(hi, 1024), (lo, 128)] {
        assert_eq!(p.a.association().stream_priority(id), prio);
        assert_eq!(p.b.association().stream_priority(id), prio);
        assert_eq!(p.b.channel(id).unwrap().priority, prio);
    }
    // The peer's channels send by the same weights: b answers on both, high gets ~8x.
    let now = p.now();
    for _ in 0..400 {
        p.b.send(now, hi, &[1; 1000], true).unwrap();
        p.b.send(now, lo, &[2; 1000], true).unwrap();
    }
    let (mut got_hi, mut got_lo) = (0usize, 0usize);
    assert!(p.run_until(Duration::from_secs(30), |p| {
        while let Some(e) = p.a.poll_event() {
            if let ChannelEvent::Message { id, data, .. } = e {
                if id == hi {
                    got_hi += data.len();
                } else {
                    got_lo += data.len();
                }
            }
        }
        got_hi + got_lo >= 270_000
    }));
    let ratio = got_hi as f64 / got_lo as f64;
    assert!((6.5..10.0).contains(&ratio), "high {got_hi}, low {got_lo}");
}
