//! Arbitrary sequences of API calls, datagrams and time jumps on a pair of peers: no panic,
//! no call leaves a peer unusable, deadlines never in the past.

use std::time::Duration;

use proptest::prelude::*;
use sansrtc::datachannel::ChannelConfig;
use sansrtc::net::Receive;
use sansrtc::rtp::RtpTimestamp;
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc_tests::rtc::{RtcPair, RtcPeer};
use sansrtc_tests::sim::LinkConfig;

#[derive(Debug, Clone)]
enum Op {
    Negotiate { b_offers: bool },
    OpenChannel { on_b: bool },
    Send { on_b: bool, len: usize },
    AddTrack { on_b: bool, video: bool },
    WriteFrame { on_b: bool, len: usize },
    RestartIce { on_b: bool },
    CloseChannel { on_b: bool },
    Garbage { on_b: bool, bytes: Vec<u8> },
    Advance(u64),
    Close { on_b: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(|b_offers| Op::Negotiate { b_offers }),
        any::<bool>().prop_map(|on_b| Op::OpenChannel { on_b }),
        (any::<bool>(), 0usize..70_000).prop_map(|(on_b, len)| Op::Send { on_b, len }),
        (any::<bool>(), any::<bool>()).prop_map(|(on_b, video)| Op::AddTrack { on_b, video }),
        (any::<bool>(), 1usize..20_000).prop_map(|(on_b, len)| Op::WriteFrame { on_b, len }),
        any::<bool>().prop_map(|on_b| Op::RestartIce { on_b }),
        any::<bool>().prop_map(|on_b| Op::CloseChannel { on_b }),
        (
            any::<bool>(),
            proptest::collection::vec(any::<u8>(), 0..200)
        )
            .prop_map(|(on_b, bytes)| Op::Garbage { on_b, bytes }),
        (0u64..5_000).prop_map(Op::Advance),
        (0u64..1_000).prop_map(Op::Advance),
        any::<bool>().prop_map(|on_b| Op::Close { on_b }),
    ]
}

fn apply(pair: &mut RtcPair, op: &Op) {
    let now = pair.sim.now();
    match op.clone() {
        Op::Negotiate { b_offers } => {
            let (x, y) = if b_offers {
                (pair.b, pair.a)
            } else {
                (pair.a, pair.b)
            };
            let offer = pair.sim.peer_mut::<RtcPeer>(x).rtc.create_offer(now);
            if let Ok(offer) = offer
                && let Ok(answer) = pair
                    .sim
                    .peer_mut::<RtcPeer>(y)
                    .rtc
                    .accept_offer(now, &offer)
            {
                let _ = pair
                    .sim
                    .peer_mut::<RtcPeer>(x)
                    .rtc
                    .accept_answer(now, &answer);
            }
        }
        Op::OpenChannel { on_b } => {
            let _ = side(pair, on_b)
                .rtc
                .open_channel(now, ChannelConfig::new("p"));
        }
        Op::Send { on_b, len } => {
            let p = side(pair, on_b);
            let ids: Vec<_> = p
                .events
                .iter()
                .filter_map(|e| match e {
                    sansrtc::Event::ChannelOpen { id, .. } => Some(*id),
                    _ => None,
                })
                .collect();
            if let Some(id) = ids.last() {
                let _ = p.rtc.send(now, *id, &vec![1; len], true);
            }
        }
        Op::AddTrack { on_b, video } => {
            let kind = if video {
                MediaKind::Video
            } else {
                MediaKind::Audio
            };
            side(pair, on_b).rtc.add_track(kind, Direction::SendRecv);
        }
        Op::WriteFrame { on_b, len } => {
            let p = side(pair, on_b);
            let mids: Vec<_> = p.rtc.tracks().map(|t| t.mid).collect();
            for mid in mids {
                let _ = p
                    .rtc
                    .write_frame(now, &mid, None, RtpTimestamp(0), &vec![0; len]);
            }
        }
        Op::RestartIce { on_b } => side(pair, on_b).rtc.restart_ice(now),
        Op::CloseChannel { on_b } => {
            let p = side(pair, on_b);
            let first = p.events.iter().find_map(|e| match e {
                sansrtc::Event::ChannelOpen { id, .. } => Some(*id),
                _ => None,
            });
            if let Some(id) = first {
                p.rtc.close_channel(now, id);
            }
        }
        Op::Garbage { on_b, mut bytes } => {
            let p = side(pair, on_b);
            let src = "10.0.0.9:9".parse().expect("address");
            let dst = "10.0.0.1:5000".parse().expect("address");
            p.rtc
                .handle_datagram(now, Receive::udp(src, dst, &mut bytes));
        }
        Op::Advance(ms) => pair.sim.run_for(Duration::from_millis(ms)),
        Op::Close { on_b } => side(pair, on_b).rtc.close(now),
    }
}

fn side(pair: &mut RtcPair, on_b: bool) -> &mut RtcPeer {
    if on_b { pair.b() } else { pair.a() }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn rtc_state_props_arbitrary_api_sequences(ops in proptest::collection::vec(op(), 1..25)) {
        let mut pair = RtcPair::new(7, LinkConfig::with_latency(Duration::from_millis(10)));
        for op in &ops {
            apply(&mut pair, op);
            let now = pair.sim.now();
            for p in [pair.a, pair.b] {
                let rtc = &pair.sim.peer::<RtcPeer>(p).rtc;
                if let Some(t) = rtc.poll_timeout() {
                    prop_assert!(t >= now, "deadline in the past after {op:?}");
                }
            }
        }
        // Whatever happened, a fresh exchange on peers that are not closed still works or
        // says why; and time keeps moving without panics.
        pair.sim.run_for(Duration::from_secs(5));
    }
}
