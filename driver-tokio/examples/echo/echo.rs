//! The echo: one [`Endpoint`] on the UDP socket, a peer connection per client, every
//! data-channel message sent back on its channel and every RTP packet sent back on the track
//! it came on, with keyframe requests passed to the sender.
//!
//! A client either offers (`POST /offer`, answered at once) or asks the server to offer
//! (`POST /session`, then `POST /answer/<id>` with its answer).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sansrtc::dtls::Certificate;
use sansrtc::endpoint::{Endpoint, EndpointConfig, PeerId};
use sansrtc::rtc::{Delivery, PeerState};
use sansrtc::sdp::{Direction, MediaKind};
use sansrtc::{Event, Rtc, RtcConfig};
use sansrtc_tokio::{Events, Handle, os_rng};
use tokio::net::UdpSocket;

use crate::http::Answer;

/// Server offers waiting for their answer, at most this many at once.
const MAX_PENDING_OFFERS: usize = 1024;

/// The running echo: answers offers and makes offers through the HTTP side.
pub(crate) struct EchoServer {
    handle: Handle<Endpoint>,
    certificate: Arc<Certificate>,
    /// Sessions the server offered: the next id, and the peers waiting for an answer by id.
    offered: Mutex<(u64, HashMap<u64, PeerId>)>,
}

impl EchoServer {
    /// Runs an endpoint on `sockets` and the task that echoes what it reports.
    pub(crate) fn start(sockets: Vec<UdpSocket>) -> Result<Self, String> {
        let certificate = Certificate::generate().map_err(|e| format!("certificate: {e}"))?;
        let endpoint = Endpoint::new(EndpointConfig::default());
        let (handle, events) = sansrtc_tokio::spawn_sockets(sockets, endpoint);
        tokio::spawn(echo(handle.clone(), events));
        Ok(Self {
            handle,
            certificate: Arc::new(certificate),
            offered: Mutex::new((0, HashMap::new())),
        })
    }

    pub(crate) fn udp_addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Makes a peer connection with our host candidates (one per socket), inside the driver
    /// task.
    fn new_rtc(&self) -> impl FnOnce(Instant) -> Result<Rtc, String> + Send + 'static {
        let certificate = self.certificate.clone();
        let udp = self.handle.local_addrs().to_vec();
        move |now| {
            let mut rtc = Rtc::new(RtcConfig::new(certificate), now, os_rng());
            for addr in udp {
                rtc.add_host_address(now, addr)
                    .map_err(|e| format!("host address {addr}: {e}"))?;
            }
            Ok(rtc)
        }
    }
}

/// Loops media back packet by packet (the packet-level API) on every negotiated track.
fn loop_back_media(rtc: &mut Rtc) -> Result<usize, String> {
    let mids: Vec<_> = rtc.tracks().map(|t| t.mid).collect();
    for mid in &mids {
        rtc.set_delivery(mid, Delivery::Packets)
            .map_err(|e| format!("track {mid}: {e}"))?;
    }
    Ok(mids.len())
}

impl Answer for EchoServer {
    async fn answer(&self, offer: String) -> Result<String, String> {
        let new_rtc = self.new_rtc();
        let answered = self.handle.with(move |endpoint, now| {
            let mut rtc = new_rtc(now)?;
            let answer = rtc
                .accept_offer(now, &offer)
                .map_err(|e| format!("offer refused: {e}"))?;
            let tracks = loop_back_media(&mut rtc)?;
            let peer = endpoint
                .add_peer(now, rtc)
                .map_err(|e| format!("no room: {e}"))?;
            println!("echo: {peer:?} answered ({tracks} tracks)");
            Ok(answer)
        });
        answered.await.map_err(|e| e.to_string())?
    }

    async fn offer(&self) -> Result<(u64, String), String> {
        let new_rtc = self.new_rtc();
        let offered = self.handle.with(move |endpoint, now| {
            let mut rtc = new_rtc(now)?;
            rtc.add_data_section();
            rtc.add_track(MediaKind::Audio, Direction::SendRecv);
            rtc.add_track(MediaKind::Video, Direction::SendRecv);
            let offer = rtc.create_offer(now).map_err(|e| format!("offer: {e}"))?;
            let peer = endpoint
                .add_peer(now, rtc)
                .map_err(|e| format!("no room: {e}"))?;
            Ok::<_, String>((peer, offer))
        });
        let (peer, offer) = offered.await.map_err(|e| e.to_string())??;
        let mut offered = self.offered.lock().map_err(|_| "poisoned".to_owned())?;
        if offered.1.len() >= MAX_PENDING_OFFERS {
            return Err("too many offers waiting for an answer".to_owned());
        }
        let id = offered.0;
        offered.0 += 1;
        offered.1.insert(id, peer);
        println!("echo: {peer:?} offered (session {id})");
        Ok((id, offer))
    }

    async fn accept_answer(&self, id: u64, answer: String) -> Result<(), String> {
        let peer = {
            let mut offered = self.offered.lock().map_err(|_| "poisoned".to_owned())?;
            offered
                .1
                .remove(&id)
                .ok_or_else(|| format!("no session {id}"))?
        };
        let applied = self.handle.with(move |endpoint, now| {
            let rtc = endpoint.peer_mut(peer).ok_or("session gone")?;
            rtc.accept_answer(now, &answer)
                .map_err(|e| format!("answer refused: {e}"))?;
            loop_back_media(rtc)
        });
        let tracks = applied.await.map_err(|e| e.to_string())??;
        println!("echo: {peer:?} answer applied ({tracks} tracks)");
        Ok(())
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
