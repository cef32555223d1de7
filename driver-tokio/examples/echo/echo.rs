//! The echo: one [`Endpoint`] on the UDP socket, a peer connection per offer, every
//! data-channel message sent back on its channel and every RTP packet sent back on the track
//! it came on, with keyframe requests passed to the sender.

use std::net::SocketAddr;
use std::sync::Arc;

use sansrtc::dtls::Certificate;
use sansrtc::endpoint::{Endpoint, EndpointConfig, PeerId};
use sansrtc::rtc::PeerState;
use sansrtc::{Event, Rtc, RtcConfig};
use sansrtc_tokio::{Events, Handle, os_rng};
use tokio::net::UdpSocket;

use crate::http::Answer;

/// The running echo: answers offers through the HTTP side.
pub(crate) struct EchoServer {
    handle: Handle<Endpoint>,
    certificate: Arc<Certificate>,
}

impl EchoServer {
    /// Runs an endpoint on `socket` and the task that echoes what it reports.
    pub(crate) fn start(socket: UdpSocket) -> Result<Self, String> {
        let certificate = Certificate::generate().map_err(|e| format!("certificate: {e}"))?;
        let (handle, events) =
            sansrtc_tokio::spawn(socket, Endpoint::new(EndpointConfig::default()));
        tokio::spawn(echo(handle.clone(), events));
        Ok(Self {
            handle,
            certificate: Arc::new(certificate),
        })
    }

    pub(crate) fn udp_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }
}

impl Answer for EchoServer {
    async fn answer(&self, offer: String) -> Result<String, String> {
        let (certificate, udp) = (self.certificate.clone(), self.udp_addr());
        let answered = self.handle.with(move |endpoint, now| {
            let mut rtc = Rtc::new(RtcConfig::new(certificate), now, os_rng());
            rtc.add_host_address(now, udp)
                .map_err(|e| format!("host address {udp}: {e}"))?;
            let answer = rtc
                .accept_offer(now, &offer)
                .map_err(|e| format!("offer refused: {e}"))?;
            // Loop media back packet by packet (the packet-level API).
            let mids: Vec<_> = rtc.tracks().map(|t| t.mid.clone()).collect();
            for mid in &mids {
                rtc.set_rtp_events(mid, true)
                    .map_err(|e| format!("track {mid}: {e}"))?;
            }
            let peer = endpoint
                .add_peer(now, rtc)
                .map_err(|e| format!("no room: {e}"))?;
            println!("echo: {peer:?} answered ({} tracks)", mids.len());
            Ok(answer)
        });
        answered.await.map_err(|e| e.to_string())?
    }
}

/// Sends back what every peer receives.
async fn echo(handle: Handle<Endpoint>, mut events: Events<(PeerId, Event)>) {
    while let Some((peer, event)) = events.next().await {
        let submitted = match event {
            Event::ChannelMessage { id, data, binary } => handle.submit(move |ep, now| {
                if let Some(rtc) = ep.peer_mut(peer) {
                    // A full send buffer or a closed channel loses the echo, as it would in a
                    // browser; the client notices.
                    let _ = rtc.send(now, id, &data, binary);
                }
            }),
            Event::Rtp(packet) => handle.submit(move |ep, now| {
                if let Some(rtc) = ep.peer_mut(peer) {
                    let _ = rtc.write_rtp(now, &packet.mid, packet.header, &packet.payload);
                }
            }),
            Event::KeyframeRequest(mid) => handle.submit(move |ep, now| {
                if let Some(rtc) = ep.peer_mut(peer) {
                    let _ = rtc.request_keyframe(now, &mid);
                }
            }),
            Event::StateChanged(state) => {
                println!("echo: {peer:?} {state:?}");
                if state == PeerState::Failed {
                    // Release it: close, and the endpoint reclaims it.
                    handle.submit(move |ep, now| {
                        if let Some(rtc) = ep.peer_mut(peer) {
                            rtc.close(now);
                        }
                    })
                } else {
                    Ok(())
                }
            }
            Event::ChannelOpen { id, label } => {
                println!("echo: {peer:?} {id} {label:?} open");
                Ok(())
            }
            _ => Ok(()),
        };
        if submitted.is_err() {
            return;
        }
    }
}
