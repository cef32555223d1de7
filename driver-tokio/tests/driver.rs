//! The driver's example, run as a test: two peers on real loopback sockets (IPv4 and IPv6),
//! on every host address of a network namespace of the test's own, and with media.

#[path = "../examples/tokio_peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

#[path = "../../tests/support/netns.rs"]
mod netns;

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_core::Stream;
use sansrtc::dtls::Certificate;
use sansrtc::rtp::RtpTimestamp;
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc::{Event, RtcConfig};
use sansrtc_tokio::{Events, Loopback};

fn config() -> RtcConfig {
    RtcConfig::new(Arc::new(Certificate::generate().expect("certificate")))
}

#[tokio::test]
async fn driver_tokio_two_peers_exchange_messages() {
    let echoed = peers::exchange(200).await.expect("exchange");
    assert_eq!(echoed, 200);
}

#[tokio::test]
async fn driver_tokio_two_peers_over_ipv6_loopback() {
    let binds = ["[::1]:0".parse().unwrap()];
    let echoed = peers::exchange_on(&binds, 50).await.expect("exchange");
    assert_eq!(echoed, 50);
}

/// Inside a namespace with two veth ends: peers bound at `0.0.0.0:0` and `[::]:0` offer
/// exactly the namespace's non-loopback addresses as host candidates, and talk.
#[test]
fn driver_tokio_binds_every_host_address_in_a_namespace() {
    netns::in_namespace(
        "driver_tokio_binds_every_host_address_in_a_namespace",
        || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let binds = netns::any();
                for (loopback, also) in [(Loopback::default(), false), (Loopback::Always, true)] {
                    let (peer, _events) = sansrtc_tokio::bind_rtc_on(&binds, loopback, config())
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
            let event = poll_fn(|cx| Pin::new(&mut *events).poll_next(cx))
                .await
                .expect("events ended");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), next)
        .await
        .expect("timed out")
}

/// A VP8 frame; the P bit (RFC 7741) marks the first as a keyframe.
fn vp8_frame(i: u8) -> Vec<u8> {
    let mut frame = vec![i; 3000];
    frame[0] = if i == 0 { 0x10 } else { 0x11 };
    frame
}

/// Media through the typed helpers: an offer with a video track, frames written on one side
/// arrive on the other, a keyframe request comes back, and a graceful close ends both.
#[tokio::test]
async fn driver_tokio_media_frames_keyframe_requests_and_close() {
    let addr = "127.0.0.1:0".parse().unwrap();
    let (a, mut a_events) = sansrtc_tokio::bind_rtc(addr, config()).await.unwrap();
    let (b, mut b_events) = sansrtc_tokio::bind_rtc(addr, config()).await.unwrap();
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
    tokio::time::timeout(Duration::from_secs(10), a.close())
        .await
        .expect("close waits for the task, not forever")
        .unwrap();
    assert!(a.is_stopped());
    assert_eq!(a.close().await, Err(sansrtc_tokio::Stopped));
    wait_for(&mut b_events, |e| {
        matches!(e, Event::Closed(_)).then_some(())
    })
    .await;
}

/// One Endpoint on two sockets, `127.0.0.1` and `[::1]`: a client of each family connects to
/// the socket of its family, and the echo leaves from the socket the client's datagrams came
/// to (each Transmit from the socket bound to its source).
#[tokio::test]
async fn driver_tokio_endpoint_on_two_sockets_serves_both_families() {
    use sansrtc::datachannel::ChannelConfig;
    use sansrtc::{Endpoint, EndpointConfig, Rtc};

    let binds = ["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()];
    let sockets = sansrtc_tokio::bind_sockets(&binds, Loopback::Never).unwrap();
    assert_eq!(sockets.len(), 2);
    let (server, mut server_events) =
        sansrtc_tokio::spawn_sockets(sockets, Endpoint::new(EndpointConfig::default()));
    let hosts = server.local_addrs().to_vec();
    assert!(hosts[0].is_ipv4() && hosts[1].is_ipv6());
    let echo_handle = server.clone();
    let echo = tokio::spawn(async move {
        while let Some((peer, event)) = server_events.next().await {
            if let Event::ChannelMessage { id, data, binary } = event {
                let _ = echo_handle
                    .with(move |ep, now| {
                        ep.peer_mut(peer)
                            .map(|rtc| rtc.send(now, id, &data, binary))
                    })
                    .await;
            }
        }
    });
    for bind in binds {
        let (client, mut events) = sansrtc_tokio::bind_rtc(bind, config()).await.unwrap();
        let theirs = client.direct_parameters().await.unwrap();
        let hosts = hosts.clone();
        let ours = server
            .with(move |ep, now| {
                let mut rtc = Rtc::new(config(), now, sansrtc_tokio::os_rng());
                for host in hosts {
                    rtc.add_host_address(now, host).unwrap();
                }
                let ours = rtc.direct_parameters();
                let peer = ep.add_peer(now, rtc).unwrap();
                let rtc = ep.peer_mut(peer).unwrap();
                rtc.direct_connect(now, theirs, false).unwrap();
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
        let id = wait_for(&mut events, |e| match e {
            Event::ChannelOpen { id, .. } => Some(id),
            _ => None,
        })
        .await;
        client
            .send(id, b"ping".to_vec(), true)
            .await
            .unwrap()
            .unwrap();
        let back = wait_for(&mut events, |e| match e {
            Event::ChannelMessage { data, .. } => Some(data),
            _ => None,
        })
        .await;
        assert_eq!(back.as_ref(), b"ping");
        client.close().await.unwrap();
    }
    echo.abort();
}
