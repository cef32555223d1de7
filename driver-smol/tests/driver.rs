//! The driver's example, run as a test: two peers on real loopback sockets (IPv4 and IPv6),
//! on every host address of a network namespace of the test's own, and with media.

#[path = "../examples/smol_peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

#[path = "../../tests/support/netns.rs"]
mod netns;

#[test]
fn driver_smol_two_peers_exchange_messages() {
    let echoed = smol::block_on(peers::exchange(200)).expect("exchange");
    assert_eq!(echoed, 200);
}

use std::net::UdpSocket;
use std::sync::Arc;
use std::time::Duration;

use sansrtc::datachannel::ChannelConfig;
use sansrtc::dtls::Certificate;
use sansrtc::rtp::RtpTimestamp;
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc::{Endpoint, EndpointConfig, Event, Rtc, RtcConfig};
use sansrtc_smol::{Events, Loopback};
use smol::future::FutureExt;
use smol::stream::StreamExt;
use smol::{Async, Timer};

fn config() -> RtcConfig {
    RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")))
}

/// Three clients, each in its own driver task, talk to one Endpoint on one socket that
/// echoes from another task.
#[test]
fn driver_smol_endpoint_echoes_three_clients() {
    const CLIENTS: usize = 3;
    const MESSAGES: usize = 20;
    smol::block_on(async {
        let socket = Async::<UdpSocket>::bind(([127, 0, 0, 1], 0)).unwrap();
        let (server, mut server_events) =
            sansrtc_smol::spawn(socket, Endpoint::new(EndpointConfig::default()));
        let server_addr = server.local_addr();
        let echo_handle = server.clone();
        let echo = smol::spawn(async move {
            while let Some((peer, event)) = server_events.next().await {
                if let Event::ChannelMessage { id, data, binary } = event {
                    let sent = echo_handle
                        .with(move |ep, now| {
                            ep.peer_mut(peer)
                                .map(|rtc| rtc.send(now, id, &data, binary))
                        })
                        .await;
                    assert!(matches!(sent, Ok(Some(Ok(())))), "echo: {sent:?}");
                }
            }
        });

        let mut runs = Vec::new();
        for n in 0..CLIENTS {
            let (client, mut events) =
                sansrtc_smol::bind_rtc("127.0.0.1:0".parse().unwrap(), config())
                    .await
                    .unwrap();
            let theirs = client.direct_parameters().await.unwrap();
            let ours = server
                .with(move |ep, now| {
                    let mut rtc = Rtc::new(config(), now, sansrtc_smol::os_rng());
                    rtc.add_host_address(now, server_addr).unwrap();
                    let ours = rtc.direct_parameters();
                    let peer = ep.add_peer(now, rtc).unwrap();
                    ep.peer_mut(peer)
                        .unwrap()
                        .direct_connect(now, theirs, false)
                        .unwrap();
                    ours
                })
                .await
                .unwrap();
            client.direct_connect(ours, true).await.unwrap().unwrap();
            client
                .open_channel(ChannelConfig::new("echo"))
                .await
                .unwrap()
                .unwrap();
            runs.push(smol::spawn(async move {
                let mut echoed = 0;
                while let Some(event) = events.next().await {
                    match event {
                        Event::ChannelOpen { id, .. } => {
                            for i in 0..MESSAGES {
                                let text = format!("client {n} message {i}").into_bytes();
                                client.send(id, text, false).await.unwrap().unwrap();
                            }
                        }
                        Event::ChannelMessage { data, .. } => {
                            assert_eq!(data, format!("client {n} message {echoed}").as_bytes());
                            echoed += 1;
                            if echoed == MESSAGES {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                client.close().await.unwrap();
                echoed
            }));
        }
        let all = async {
            let mut total = 0;
            for run in runs {
                total += run.await;
            }
            total
        };
        let timeout = async {
            Timer::after(Duration::from_secs(20)).await;
            panic!("timed out");
        };
        assert_eq!(all.or(timeout).await, CLIENTS * MESSAGES);
        drop(echo);
    });
}

/// A driver task stops once every handle is dropped, and its handles say so.
#[test]
fn driver_smol_stops_when_closed_and_handles_see_it() {
    smol::block_on(async {
        let (peer, mut events) = sansrtc_smol::bind_rtc("127.0.0.1:0".parse().unwrap(), config())
            .await
            .unwrap();
        let watcher = peer.clone();
        assert!(!watcher.is_stopped());
        peer.close().await.unwrap();
        drop(peer);
        // Closed with no transport: the machine is finished and the task ends; the events
        // stream ends after what was reported.
        let drained = async { while events.next().await.is_some() {} };
        drained
            .or(async {
                Timer::after(Duration::from_secs(10)).await;
                panic!("events never ended");
            })
            .await;
        assert!(watcher.is_stopped());
        assert_eq!(watcher.close().await, Err(sansrtc_smol::Stopped));
    });
}

#[test]
fn driver_smol_two_peers_over_ipv6_loopback() {
    let binds = ["[::1]:0".parse().unwrap()];
    let echoed = smol::block_on(peers::exchange_on(&binds, 50)).expect("exchange");
    assert_eq!(echoed, 50);
}

/// Inside a namespace with two veth ends: peers bound at `0.0.0.0:0` and `[::]:0` offer
/// exactly the namespace's non-loopback addresses as host candidates, and talk.
#[test]
fn driver_smol_binds_every_host_address_in_a_namespace() {
    netns::in_namespace(
        "driver_smol_binds_every_host_address_in_a_namespace",
        || {
            smol::block_on(async {
                let binds = netns::any();
                for (loopback, also) in [(Loopback::default(), false), (Loopback::Always, true)] {
                    let (peer, _events) = sansrtc_smol::bind_rtc_on(&binds, loopback, config())
                        .await
                        .expect("bind");
                    let params = peer.direct_parameters().await.expect("running");
                    let candidates = params.candidates.iter().map(|c| c.addr());
                    netns::assert_hosts(also, candidates, peer.local_addrs());
                    peer.close().await.expect("running");
                }
                let echoed = peers::exchange_on(&binds, 50).await.expect("exchange");
                assert_eq!(echoed, 50);
            });
        },
    );
}

/// The next event that `pick` takes, read through the `Stream` impl.
async fn wait_for<E, T>(events: &mut Events<E>, mut pick: impl FnMut(E) -> Option<T>) -> T {
    let next = async {
        loop {
            let event = StreamExt::next(events).await.expect("events ended");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    };
    next.or(async {
        Timer::after(Duration::from_secs(20)).await;
        panic!("timed out");
    })
    .await
}

/// A VP8 frame; the P bit (RFC 7741) marks the first as a keyframe.
fn vp8_frame(i: u8) -> Vec<u8> {
    let mut frame = vec![i; 3000];
    frame[0] = if i == 0 { 0x10 } else { 0x11 };
    frame
}

/// Media through the typed helpers: an offer with a video track, frames written on one side
/// arrive on the other, a keyframe request comes back, and a graceful close ends both.
#[test]
fn driver_smol_media_frames_keyframe_requests_and_close() {
    smol::block_on(async {
        let addr = "127.0.0.1:0".parse().unwrap();
        let (a, mut a_events) = sansrtc_smol::bind_rtc(addr, config()).await.unwrap();
        let (b, mut b_events) = sansrtc_smol::bind_rtc(addr, config()).await.unwrap();
        let mid = a
            .add_track(MediaKind::Video, Direction::SendRecv)
            .await
            .unwrap();
        let offer = a.create_offer().await.unwrap().unwrap();
        let answer = b.accept_offer(offer).await.unwrap().unwrap();
        a.accept_answer(answer).await.unwrap().unwrap();
        wait_for(&mut a_events, |e| {
            matches!(e, Event::Connected).then_some(())
        })
        .await;
        wait_for(&mut b_events, |e| {
            matches!(e, Event::Connected).then_some(())
        })
        .await;

        for i in 0..5u8 {
            let ts = RtpTimestamp(u32::from(i) * 3000);
            a.write_frame(mid, None, ts, vp8_frame(i))
                .await
                .unwrap()
                .unwrap();
        }
        for i in 0..5u8 {
            let frame = wait_for(&mut b_events, |e| match e {
                Event::Frame(f) => Some(f),
                _ => None,
            })
            .await;
            assert_eq!(frame.mid, mid);
            assert_eq!(frame.data.as_ref(), vp8_frame(i).as_slice());
        }
        b.request_keyframe(mid).await.unwrap().unwrap();
        let asked = wait_for(&mut a_events, |e| match e {
            Event::KeyframeRequest(m) => Some(m),
            _ => None,
        })
        .await;
        assert_eq!(asked, mid);

        // Graceful close: returns once a's task has ended; b hears of it.
        a.close()
            .or(async {
                Timer::after(Duration::from_secs(10)).await;
                panic!("close waits for the task, not forever");
            })
            .await
            .unwrap();
        assert!(a.is_stopped());
        assert_eq!(a.close().await, Err(sansrtc_smol::Stopped));
        wait_for(&mut b_events, |e| {
            matches!(e, Event::Closed(_)).then_some(())
        })
        .await;
    });
}
