//! [`Scenario`]: an offerer and an answerer of any two [`InteropPeer`] types on two public
//! simulated hosts, with the workloads the interop tests and the benchmark share: echoed
//! data-channel messages, media frames both ways, and setup figures.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::{
    FlightLedger, Frame, InteropPeer, MediaKind, PeerConfig, check_messages, frame, frame_interval,
    frame_rtp_time, frame_seq, message, message_size,
};
use crate::sim::{HostId, LinkConfig, Realm, Sim};

/// The sender id of the offerer's messages.
pub const OFFERER_ID: u8 = 1;
/// The sender id of the answerer's messages.
pub const ANSWERER_ID: u8 = 2;

/// Two peers, negotiated, in a simulator. `O` and `A` are passed again to the methods that
/// reach the peers (the simulator stores them type-erased).
#[derive(Debug)]
pub struct Scenario {
    /// The simulator.
    pub sim: Sim,
    /// The offerer's host (10.0.0.1:5000).
    pub offerer: HostId,
    /// The answerer's host (10.0.0.2:5000).
    pub answerer: HostId,
    /// Flight numbers of every datagram.
    pub ledger: FlightLedger,
    /// Virtual time of the offer.
    pub start: Instant,
}

/// How long setup took, from the offer (SDP travels out of band, in zero time) to the first
/// data-channel message delivered, on either side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetupFigures {
    /// Until both peers reported ICE and DTLS connected.
    pub connected: Duration,
    /// Until the first message arrived at either peer.
    pub first_message: Duration,
    /// The flight number at that arrival (see the [module docs](super)).
    pub flights: u32,
}

impl Scenario {
    /// Puts an `O` offerer and an `A` answerer on two hosts whose access links are `link`
    /// (a datagram crosses the sender's uplink and the receiver's downlink), then negotiates:
    /// the offerer creates the data channel (and tracks, with `media`), the answerer answers.
    pub fn new<O: InteropPeer, A: InteropPeer>(seed: u64, link: LinkConfig, media: bool) -> Self {
        Self::with_builders(seed, link, media, O::build, A::build)
    }

    /// Like [`Scenario::new`], with the peers built by `build_o` and `build_a` from the
    /// configuration the scenario made (address, flight ledger, media), for peers a test
    /// configures beyond [`PeerConfig`].
    pub fn with_builders<O: InteropPeer, A: InteropPeer>(
        seed: u64,
        link: LinkConfig,
        media: bool,
        build_o: impl FnOnce(Instant, &PeerConfig) -> O,
        build_a: impl FnOnce(Instant, &PeerConfig) -> A,
    ) -> Self {
        let mut sim = Sim::new(seed);
        let ledger = FlightLedger::new();
        let now = sim.now();
        let config = |ip: &str| {
            let ip: IpAddr = ip.parse().expect("address");
            let mut c = PeerConfig::new(SocketAddr::new(ip, 5000)).with_flights(&ledger);
            c.media = media;
            c
        };
        let (oc, ac) = (config("10.0.0.1"), config("10.0.0.2"));
        let o = build_o(now, &oc);
        let a = build_a(now, &ac);
        let offerer = sim.add_host("offerer", &[oc.addr.ip()], Realm::Public, link, o);
        let answerer = sim.add_host("answerer", &[ac.addr.ip()], Realm::Public, link, a);
        let offer = sim.peer_mut::<O>(offerer).create_offer(now);
        let answer = sim.peer_mut::<A>(answerer).accept_offer(now, &offer);
        sim.peer_mut::<O>(offerer).accept_answer(now, &answer);
        Self {
            sim,
            offerer,
            answerer,
            ledger,
            start: now,
        }
    }

    /// The offerer.
    pub fn offerer<O: InteropPeer>(&self) -> &O {
        self.sim.peer(self.offerer)
    }

    /// The answerer.
    pub fn answerer<A: InteropPeer>(&self) -> &A {
        self.sim.peer(self.answerer)
    }

    /// Runs until both peers are connected and the channel is open on both; whether that
    /// happened within `limit`.
    pub fn run_until_open<O: InteropPeer, A: InteropPeer>(&mut self, limit: Duration) -> bool {
        let (o, a) = (self.offerer, self.answerer);
        self.sim.run_until_cond(limit, |s| {
            let (o, a) = (s.peer::<O>(o), s.peer::<A>(a));
            o.is_channel_open() && a.is_channel_open()
        })
    }

    /// Queues `count` originals on each side ([`message`] with [`message_size`]); they go out
    /// as soon as the channel opens.
    pub fn queue_messages<O: InteropPeer, A: InteropPeer>(&mut self, count: u32) {
        let now = self.sim.now();
        for seq in 0..count {
            let m = message(OFFERER_ID, seq, message_size(seq));
            self.sim.peer_mut::<O>(self.offerer).send_message(now, &m);
            let m = message(ANSWERER_ID, seq, message_size(seq));
            self.sim.peer_mut::<A>(self.answerer).send_message(now, &m);
        }
    }

    /// Runs until each peer received `count` originals and `count` echoes, or `limit`
    /// passes; whether they did.
    pub fn run_until_echoed<O: InteropPeer, A: InteropPeer>(
        &mut self,
        count: u32,
        limit: Duration,
    ) -> bool {
        let (o, a) = (self.offerer, self.answerer);
        let want = 2 * u64::from(count);
        self.sim.run_until_cond(limit, |s| {
            let o = s.peer::<O>(o).state().counters.messages_received;
            let a = s.peer::<A>(a).state().counters.messages_received;
            o >= want && a >= want
        })
    }

    /// Checks what each side received after [`Scenario::queue_messages`] with `count`: every
    /// original of the other side and every echo of its own, each in order and intact.
    pub fn check_echo<O: InteropPeer, A: InteropPeer>(&self, count: u32) -> Result<(), String> {
        let o = &self.offerer::<O>().state().messages;
        let a = &self.answerer::<A>().state().messages;
        check_messages(o, OFFERER_ID, ANSWERER_ID, count)
            .map_err(|e| format!("at the offerer: {e}"))?;
        check_messages(a, ANSWERER_ID, OFFERER_ID, count)
            .map_err(|e| format!("at the answerer: {e}"))
    }

    /// The setup figures, once both connected and a message arrived somewhere.
    pub fn setup_figures<O: InteropPeer, A: InteropPeer>(&self) -> Option<SetupFigures> {
        let (o, a) = (self.offerer::<O>().state(), self.answerer::<A>().state());
        let connected = o.connected_at?.max(a.connected_at?);
        let first = match (o.first_message, a.first_message) {
            (Some(x), Some(y)) => x.min(y),
            (x, y) => x.or(y)?,
        };
        Some(SetupFigures {
            connected: connected - self.start,
            first_message: first.0 - self.start,
            flights: first.1,
        })
    }

    /// Runs until both sides can send both tracks (within `limit`), then sends `frames`
    /// audio frames (20 ms apart) and as many video frames as fit in the same time (33 ms
    /// apart) from both sides, then runs `settle` more for the last ones to arrive. Returns
    /// `false` if the tracks never became ready.
    pub fn exchange_frames<O: InteropPeer, A: InteropPeer>(
        &mut self,
        frames: u32,
        limit: Duration,
        settle: Duration,
    ) -> bool {
        let (o, a) = (self.offerer, self.answerer);
        let ready = self.sim.run_until_cond(limit, |s| {
            [MediaKind::Audio, MediaKind::Video]
                .into_iter()
                .all(|k| s.peer::<O>(o).can_send_media(k) && s.peer::<A>(a).can_send_media(k))
        });
        if !ready {
            return false;
        }
        let begin = self.sim.now();
        let end = begin + frame_interval(MediaKind::Audio) * frames;
        let mut next = [(MediaKind::Audio, 0u32), (MediaKind::Video, 0u32)];
        while let Some(&(kind, seq)) = next.iter().min_by_key(|(k, s)| frame_interval(*k) * *s) {
            let due = begin + frame_interval(kind) * seq;
            if due >= end {
                break;
            }
            self.sim.run_until(due);
            let (data, ts) = (frame(kind, seq), frame_rtp_time(kind, seq));
            let now = self.sim.now();
            self.sim.peer_mut::<O>(o).write_frame(now, kind, ts, &data);
            self.sim.peer_mut::<A>(a).write_frame(now, kind, ts, &data);
            for n in &mut next {
                if n.0 == kind {
                    n.1 += 1;
                }
            }
        }
        self.sim.run_for(settle);
        true
    }
}

/// Checks frames received against what [`Scenario::exchange_frames`] sent: every frame must
/// be one that was sent (same bytes, see [`frame`]), none twice, and its RTP time must keep
/// the spacing it was sent with (a stack may add a constant offset per track). Returns the
/// number of audio and video frames received, or the first mismatch.
pub fn check_frames(frames: &[Frame]) -> Result<(u32, u32), String> {
    let mut seen = HashSet::new();
    let mut offsets: HashMap<MediaKind, u32> = HashMap::new();
    let (mut audio, mut video) = (0, 0);
    for (i, f) in frames.iter().enumerate() {
        let kind = f.kind;
        let Some(seq) = frame_seq(&f.data) else {
            return Err(format!(
                "frame {i}: {kind:?}: {} bytes, too short",
                f.data.len()
            ));
        };
        let want = frame(kind, seq);
        if f.data != want {
            return Err(format!(
                "frame {i}: {kind:?} {seq}: {} bytes differ from the {} sent",
                f.data.len(),
                want.len()
            ));
        }
        let offset = f.rtp_time.wrapping_sub(frame_rtp_time(kind, seq));
        if *offsets.entry(kind).or_insert(offset) != offset {
            return Err(format!(
                "frame {i}: {kind:?} {seq}: RTP time {} off the grid",
                f.rtp_time
            ));
        }
        if !seen.insert((kind, seq)) {
            return Err(format!("frame {i}: {kind:?} {seq} delivered twice"));
        }
        match kind {
            MediaKind::Audio => audio += 1,
            MediaKind::Video => video += 1,
        }
    }
    Ok((audio, video))
}
