//! The driver's example, run as a test: two peers on real loopback sockets.

#[path = "../examples/smol_peers.rs"]
#[allow(dead_code, reason = "the example's main is not called here")]
mod peers;

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
use sansrtc::{Endpoint, EndpointConfig, Event, Rtc, RtcConfig};
use smol::future::FutureExt;
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
