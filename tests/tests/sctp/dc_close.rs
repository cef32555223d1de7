//! Data channel close (RFC 8831 section 6.7): by either side, both at once, many at once,
//! negotiated channels, an id reused at once, an OPEN collision, and under loss.

use std::time::Duration;

use bytes::Bytes;
use sansrtc::datachannel::{
    ChannelConfig, ChannelEvent, ChannelSendError, ChannelState, DataChannels,
};
use sansrtc::sctp::wire::StreamId;
use sansrtc_tests::sctp::Pair;

use super::datachannel::{dc_pair, drain, run_collect};

/// Opens an in-band channel from a and runs until both sides report it open.
fn open_both(p: &mut Pair<DataChannels>, label: &str) -> StreamId {
    let id = p.a.open(p.now(), ChannelConfig::new(label)).unwrap();
    run_collect(p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(id)) && eb.contains(&ChannelEvent::Open(id))
    });
    id
}

fn closed_both(id: StreamId) -> impl FnMut(&[ChannelEvent], &[ChannelEvent]) -> bool {
    move |ea, eb| ea.contains(&ChannelEvent::Closed(id)) && eb.contains(&ChannelEvent::Closed(id))
}

fn messages(events: &[ChannelEvent]) -> Vec<Bytes> {
    events
        .iter()
        .filter_map(|e| match e {
            ChannelEvent::Message { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn datachannel_close_by_peer_works_like_ours() {
    let mut p = dc_pair(40);
    // a opened the channel; b (the browser side, say) closes it.
    let id = open_both(&mut p, "closed by b");
    p.b.send(p.now(), id, b"b's last words", true).unwrap();
    p.b.close(p.now(), id);
    assert_eq!(p.b.channel(id).unwrap().state, ChannelState::Closing);
    let (ea, eb) = run_collect(&mut p, closed_both(id));
    assert_eq!(messages(&ea), vec![Bytes::from_static(b"b's last words")]);
    let msg = ea
        .iter()
        .position(|e| matches!(e, ChannelEvent::Message { .. }));
    let closed = ea.iter().position(|e| *e == ChannelEvent::Closed(id));
    assert!(msg < closed, "data before close is delivered first");
    assert_eq!(
        ea.iter()
            .filter(|e| **e == ChannelEvent::Closed(id))
            .count(),
        1
    );
    assert_eq!(
        eb.iter()
            .filter(|e| **e == ChannelEvent::Closed(id))
            .count(),
        1
    );
    assert!(p.a.channel(id).is_none() && p.b.channel(id).is_none());
    assert_eq!(
        p.a.send(p.now(), id, b"gone", true),
        Err(ChannelSendError::UnknownChannel)
    );
    // Both sides can open again afterwards, on the same ids.
    assert_eq!(open_both(&mut p, "again"), id);
    let from_b = p.b.open(p.now(), ChannelConfig::new("from b")).unwrap();
    run_collect(&mut p, |ea, _| ea.contains(&ChannelEvent::Open(from_b)));
}

#[test]
fn datachannel_close_queued_data_both_ways_delivered_before_closed() {
    let mut p = dc_pair(41);
    let id = open_both(&mut p, "bulk then close");
    let now = p.now();
    for k in 0..20u8 {
        p.a.send(now, id, &[k; 16 * 1024], true).unwrap();
        p.b.send(now, id, &[k; 4 * 1024], true).unwrap();
    }
    // The peer closes while both directions still have data queued.
    p.b.close(now, id);
    let (ea, eb) = run_collect(&mut p, closed_both(id));
    // b closed: what b queued arrives at a in full and in order; what a had queued is sent
    // before a's reset, but b is closing, so b discards it (W3C: not open, discard).
    let got: Vec<Bytes> = messages(&ea);
    assert_eq!(got.len(), 20, "everything b queued reaches a");
    for (k, m) in got.iter().enumerate() {
        assert!(m.len() == 4 * 1024 && m.iter().all(|&x| usize::from(x) == k));
    }
    assert!(messages(&eb).is_empty());
    assert_eq!(p.a.association().send_buffered(), 0);
    assert_eq!(p.b.association().send_buffered(), 0);
}

#[test]
fn datachannel_close_simultaneous() {
    let mut p = dc_pair(42);
    let id = open_both(&mut p, "both close");
    let now = p.now();
    p.a.close(now, id);
    p.b.close(now, id);
    let (ea, eb) = run_collect(&mut p, closed_both(id));
    for events in [&ea, &eb] {
        assert_eq!(
            events
                .iter()
                .filter(|e| **e == ChannelEvent::Closed(id))
                .count(),
            1
        );
    }
    assert!(p.a.channel(id).is_none() && p.b.channel(id).is_none());
    // Closing again or closing an unknown channel does nothing.
    p.a.close(p.now(), id);
    p.a.close(p.now(), StreamId(500));
    assert_eq!(open_both(&mut p, "after"), id);
}

#[test]
fn datachannel_close_negotiated_from_either_side() {
    let mut p = dc_pair(43);
    let mut config = ChannelConfig::new("negotiated");
    config.negotiated = Some(9);
    let id = p.a.open(p.now(), config.clone()).unwrap();
    p.b.open(p.now(), config.clone()).unwrap();
    run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(id)) && eb.contains(&ChannelEvent::Open(id))
    });
    p.b.close(p.now(), id);
    run_collect(&mut p, closed_both(id));
    // Negotiated again on the same id, then closed by a.
    p.a.open(p.now(), config.clone()).unwrap();
    p.b.open(p.now(), config).unwrap();
    run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(id)) && eb.contains(&ChannelEvent::Open(id))
    });
    p.a.send(p.now(), id, b"second life", true).unwrap();
    p.a.close(p.now(), id);
    let (_, eb) = run_collect(&mut p, closed_both(id));
    assert_eq!(messages(&eb), vec![Bytes::from_static(b"second life")]);
}

#[test]
fn datachannel_close_many_channels_at_once() {
    let mut p = dc_pair(44);
    let ids: Vec<StreamId> = (0..6)
        .map(|k| open_both(&mut p, &format!("c{k}")))
        .collect();
    let now = p.now();
    // Some closed by a, some by b, in one go: resets batch into few requests.
    for (k, &id) in ids.iter().enumerate() {
        if k % 2 == 0 {
            p.a.close(now, id);
        } else {
            p.b.close(now, id);
        }
    }
    let (ea, eb) = run_collect(&mut p, |ea, eb| {
        ids.iter().all(|id| {
            ea.contains(&ChannelEvent::Closed(*id)) && eb.contains(&ChannelEvent::Closed(*id))
        })
    });
    assert_eq!(
        ea.iter()
            .filter(|e| matches!(e, ChannelEvent::Closed(_)))
            .count(),
        ids.len()
    );
    assert_eq!(
        eb.iter()
            .filter(|e| matches!(e, ChannelEvent::Closed(_)))
            .count(),
        ids.len()
    );
}

#[test]
fn datachannel_close_and_reopen_at_once_keeps_the_new_channel() {
    let mut p = dc_pair(45);
    let id = open_both(&mut p, "first");
    p.b.close(p.now(), id);
    // a reopens the id the moment it sees the close; its OPEN may reach b before b has
    // finished closing the old channel.
    let mut reopened = None;
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let ok = p.run_until(Duration::from_secs(10), |p| {
        for e in drain(&mut p.a) {
            if e == ChannelEvent::Closed(id) && reopened.is_none() {
                reopened = Some(p.a.open(p.now(), ChannelConfig::new("second")).unwrap());
            }
            ea.push(e);
        }
        eb.extend(drain(&mut p.b));
        reopened.is_some_and(|r| eb.contains(&ChannelEvent::Open(r)))
    });
    assert!(ok, "a: {ea:?}\nb: {eb:?}");
    assert_eq!(reopened, Some(id));
    assert!(eb.contains(&ChannelEvent::Closed(id)));
    assert_eq!(p.b.channel(id).unwrap().label, "second");
    p.a.send(p.now(), id, b"new", true).unwrap();
    let (_, eb) = run_collect(&mut p, |_, eb| {
        eb.iter().any(|e| matches!(e, ChannelEvent::Message { .. }))
    });
    assert_eq!(messages(&eb), vec![Bytes::from_static(b"new")]);
    assert_eq!(p.b.dropped(), 0);
}

#[test]
fn datachannel_close_reopen_open_overtakes_reset_response() {
    use std::cell::Cell;
    use std::rc::Rc;
    let mut p = dc_pair(46);
    let id = open_both(&mut p, "first");
    // a closes and reopens the id the moment it sees Closed; the packet carrying its reset
    // response and the new OPEN is lost, so the retransmitted OPEN may reach b while b's
    // old channel is still closing.
    let reopened_flag = Rc::new(Cell::new(false));
    let dropped_one = Rc::new(Cell::new(false));
    let (flag, done) = (reopened_flag.clone(), dropped_one.clone());
    p.drop_a_to_b(move |_, _| {
        let drop = flag.get() && !done.get();
        done.set(done.get() || drop);
        drop
    });
    p.a.close(p.now(), id);
    let mut reopened = None;
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let ok = p.run_until(Duration::from_secs(20), |p| {
        for e in drain(&mut p.a) {
            if e == ChannelEvent::Closed(id) && reopened.is_none() {
                let r = p.a.open(p.now(), ChannelConfig::new("second")).unwrap();
                // Data right behind the OPEN is not lost either.
                p.a.send(p.now(), r, b"early", true).unwrap();
                reopened = Some(r);
                reopened_flag.set(true);
            }
            ea.push(e);
        }
        eb.extend(drain(&mut p.b));
        reopened.is_some_and(|r| eb.contains(&ChannelEvent::Open(r))) && !messages(&eb).is_empty()
    });
    assert!(ok, "a: {ea:?}\nb: {eb:?}");
    assert!(dropped_one.get());
    assert_eq!(messages(&eb), vec![Bytes::from_static(b"early")]);
    let closed = eb.iter().position(|e| *e == ChannelEvent::Closed(id));
    let open = eb.iter().position(|e| *e == ChannelEvent::Open(id));
    assert!(closed.is_some() && closed < open, "b: {eb:?}");
    assert_eq!(p.b.channel(id).unwrap().label, "second");
    p.a.send(p.now(), id, b"new", true).unwrap();
    p.b.send(p.now(), id, b"back", true).unwrap();
    let (ea, eb) = run_collect(&mut p, |ea, eb| {
        !messages(ea).is_empty() && !messages(eb).is_empty()
    });
    assert_eq!(messages(&eb), vec![Bytes::from_static(b"new")]);
    assert_eq!(messages(&ea), vec![Bytes::from_static(b"back")]);
    assert_eq!(p.b.dropped(), 0);
}

#[test]
fn datachannel_close_open_collision_refused_and_both_still_close() {
    let mut p = dc_pair(47);
    // a uses id 1 as a negotiated channel on its own; b opens in-band and picks 1 too (its
    // parity): a refuses b's OPEN and keeps its channel.
    let mut config = ChannelConfig::new("mine");
    config.negotiated = Some(1);
    let mine = p.a.open(p.now(), config).unwrap();
    let theirs = p.b.open(p.now(), ChannelConfig::new("theirs")).unwrap();
    assert_eq!(mine, theirs);
    run_collect(&mut p, |ea, eb| {
        ea.contains(&ChannelEvent::Open(mine)) && eb.contains(&ChannelEvent::Open(theirs))
    });
    p.run_until(Duration::from_millis(500), |_| false);
    assert_eq!(p.a.dropped(), 1, "the colliding OPEN is counted");
    assert_eq!(p.a.channel(mine).unwrap().label, "mine");
    assert!(p.a.channel(mine).unwrap().negotiated);
    // Closing from b still completes on both sides.
    p.b.close(p.now(), theirs);
    run_collect(&mut p, closed_both(theirs));
}

#[test]
fn datachannel_close_under_loss_both_directions() {
    let mut p = dc_pair(48);
    let ids: Vec<StreamId> = (0..3)
        .map(|k| open_both(&mut p, &format!("lossy{k}")))
        .collect();
    // About 20% of packets each way are lost from here on (a fixed pseudo-random pattern,
    // not a period that could line up with the retransmission schedule): data, resets and
    // their responses all need retransmitting.
    let lossy = |salt: u64| {
        move |i: u64, _: &[u8]| (i ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59 < 6
    };
    p.drop_a_to_b(lossy(1));
    p.drop_b_to_a(lossy(2));
    let now = p.now();
    for &id in &ids {
        for k in 0..10u8 {
            p.a.send(now, id, &[k; 3000], true).unwrap();
        }
    }
    p.a.close(now, ids[0]);
    p.b.close(now, ids[1]);
    p.a.close(now, ids[2]);
    p.b.close(now, ids[2]);
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let ok = p.run_until(Duration::from_secs(30), |p| {
        ea.extend(drain(&mut p.a));
        eb.extend(drain(&mut p.b));
        ids.iter().all(|id| {
            ea.contains(&ChannelEvent::Closed(*id)) && eb.contains(&ChannelEvent::Closed(*id))
        })
    });
    let closed = |ev: &[ChannelEvent]| -> Vec<ChannelEvent> {
        ev.iter()
            .filter(|e| !matches!(e, ChannelEvent::Message { .. }))
            .cloned()
            .collect()
    };
    assert!(
        ok,
        "a: {:?} {:?}\nb: {:?} {:?}\nchannels a {:?} b {:?}",
        closed(&ea),
        p.a.sctp_stats(),
        closed(&eb),
        p.b.sctp_stats(),
        ids.iter()
            .map(|id| p.a.channel(*id).map(|c| c.state))
            .collect::<Vec<_>>(),
        ids.iter()
            .map(|id| p.b.channel(*id).map(|c| c.state))
            .collect::<Vec<_>>(),
    );
    // a closed ids[0] after queueing: b gets all of it, in order, before Closed. (b closed
    // ids[1] and ids[2] itself, so it discards what arrives on them: they are not open.)
    for &id in &[ids[0]] {
        let got: Vec<&Bytes> = eb
            .iter()
            .filter_map(|e| match e {
                ChannelEvent::Message { id: i, data, .. } if *i == id => Some(data),
                _ => None,
            })
            .collect();
        assert_eq!(got.len(), 10, "channel {id:?}");
        for (k, m) in got.iter().enumerate() {
            assert!(m.iter().all(|&x| usize::from(x) == k));
        }
        let last = eb
            .iter()
            .rposition(|e| matches!(e, ChannelEvent::Message { id: i, .. } if *i == id));
        let closed = eb.iter().position(|e| *e == ChannelEvent::Closed(id));
        assert!(last < closed);
    }
    for events in [&ea, &eb] {
        for id in &ids {
            assert_eq!(
                events
                    .iter()
                    .filter(|e| **e == ChannelEvent::Closed(*id))
                    .count(),
                1
            );
        }
    }
    assert!(
        ids.iter()
            .all(|id| p.a.channel(*id).is_none() && p.b.channel(*id).is_none())
    );
}
