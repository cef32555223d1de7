//! Tracks from a completed offer/answer exchange, and the streams the RTP session keeps.

use rand_core::CryptoRng;

use super::track::{MAX_REMOTE_SSRCS, Track};
use super::{Media, TrackInfo};
use crate::rtc::event::Event;
use crate::rtp::payload::Codec;
use crate::rtp::session::{
    RecvStreamConfig, RtpSession, RtxConfig, SendStreamConfig, SessionConfig,
};
use crate::rtp::{Pt, Ssrc};
use crate::sdp::{
    Direction, EXT_MID, EXT_TWCC, LocalConfig, MediaKind, MediaRequest, MediaSection, Mid,
    SendTrack, SessionDescription,
};

impl Media {
    /// Requests for the audio/video sections of `offer` we have none for: we answer each
    /// sending back (the answer limits it to what the offer allows), with fresh SSRCs.
    pub(crate) fn requests_for_offer(
        &self,
        offer: &SessionDescription,
        local: &LocalConfig,
        rng: &mut dyn CryptoRng,
    ) -> Vec<MediaRequest> {
        let mut out = Vec::new();
        for m in &offer.media {
            let Some(mid) = m.mid() else { continue };
            if m.is_rejected() || local.request(mid).is_some() {
                continue;
            }
            let request = match m.kind {
                MediaKind::Audio if local.accept_audio => {
                    MediaRequest::audio(*mid, Direction::SendRecv)
                }
                MediaKind::Video if local.accept_video => {
                    MediaRequest::video(*mid, Direction::SendRecv)
                }
                _ => continue,
            };
            out.push(request.with_track(send_track(&m.kind, mid, rng)));
        }
        out
    }

    /// Takes in a completed exchange: tracks for every accepted audio/video section, their
    /// codecs, our SSRCs (from our description), the peer's (from theirs), and the streams
    /// of the RTP session.
    pub(crate) fn apply(
        &mut self,
        local: &SessionDescription,
        remote: &SessionDescription,
        rng: &mut dyn CryptoRng,
    ) {
        // Accepted sections carry the answer's payload types and extension ids in both
        // descriptions.
        for m in &local.media {
            let Some(mid) = m.mid() else { continue };
            if !matches!(m.kind, MediaKind::Audio | MediaKind::Video) {
                continue;
            }
            let existing = self.track(mid);
            let theirs = remote.media_by_mid(mid).filter(|t| !t.is_rejected());
            let (false, Some(theirs)) = (m.is_rejected(), theirs) else {
                if let Some(i) = existing {
                    self.tracks[i].info.direction = Direction::Inactive;
                }
                continue;
            };
            for e in m.extmaps() {
                if e.uri == EXT_MID {
                    self.mid_ext = u8::try_from(e.id).ok();
                }
            }
            if self.session.is_none() {
                let mut config = SessionConfig::new(&self.cname, self.wall_clock, self.epoch);
                config.twcc_extension_id = m
                    .extmaps()
                    .find(|e| e.uri == EXT_TWCC)
                    .and_then(|e| u8::try_from(e.id).ok());
                config.max_packet_len = self.mtu;
                self.session = Some(RtpSession::new(config, self.epoch, rng));
            }
            let info = TrackInfo {
                mid: *mid,
                kind: m.kind.clone(),
                direction: local.direction(m),
                codecs: codecs(m),
            };
            let (ssrc, rtx) = ssrcs(m);
            let i = match existing {
                Some(i) => {
                    let t = &mut self.tracks[i];
                    t.announced &= t.info == info;
                    t.info = info;
                    t.ssrc = ssrc.or(t.ssrc);
                    i
                }
                None => {
                    self.tracks.push(Track::new(info, ssrc));
                    self.tracks.len() - 1
                }
            };
            self.add_send_stream(i, m, rtx);
            let (their_ssrc, their_rtx) = ssrcs(theirs);
            if let Some(r) = their_ssrc {
                let nack = m.codecs().iter().any(|c| c.feedback.contains(&"nack"));
                let rtx = their_rtx.and_then(|r| rtx_config(r, theirs));
                self.add_remote_ssrc(i, r, nack, rtx);
            }
        }
        for t in &mut self.tracks {
            if !t.announced {
                t.announced = true;
                self.events.push_back(Event::Track(t.info.clone()));
            }
        }
    }

    fn add_send_stream(&mut self, i: usize, m: &MediaSection, rtx: Option<Ssrc>) {
        let t = &self.tracks[i];
        let (Some(ssrc), Some(session)) = (t.ssrc, &mut self.session) else {
            return;
        };
        let mut config = SendStreamConfig::new(ssrc, t.clock_rate());
        if let Some(rtx) = rtx.and_then(|r| rtx_config(r, m)) {
            config = config.with_rtx(rtx);
        }
        // Already there after a renegotiation: the stream keeps its counters.
        let _ = session.add_send_stream(config);
    }

    /// Registers the peer's SSRC `ssrc` (and its RTX stream) on track `i`.
    pub(super) fn add_remote_ssrc(
        &mut self,
        i: usize,
        ssrc: Ssrc,
        nack: bool,
        rtx: Option<RtxConfig>,
    ) {
        let t = &mut self.tracks[i];
        if !t.remote_ssrcs.contains(&ssrc) && t.remote_ssrcs.len() < MAX_REMOTE_SSRCS {
            t.remote_ssrcs.push(ssrc);
        }
        self.by_ssrc.insert(ssrc, i);
        let Some(session) = &mut self.session else {
            return;
        };
        let mut config = RecvStreamConfig::new(ssrc, t.clock_rate()).with_nack(nack);
        if let Some(rtx) = rtx {
            self.by_ssrc.insert(rtx.ssrc, i);
            config = config.with_rtx(rtx);
        }
        // Already there after a renegotiation: the stream keeps its counters.
        let _ = session.add_recv_stream(config);
    }
}

/// The codecs of a section that have a payload format here, in order.
fn codecs(m: &MediaSection) -> Vec<(Pt, Codec)> {
    m.codecs()
        .iter()
        .filter_map(|c| {
            let codec = Codec::from_encoding_name(&c.rtpmap.encoding)?;
            Some((Pt(c.pt().get()), codec))
        })
        .collect()
}

/// The section's media SSRC and its RTX SSRC (`a=ssrc-group:FID media rtx`).
fn ssrcs(m: &MediaSection) -> (Option<Ssrc>, Option<Ssrc>) {
    let fid = m
        .ssrc_groups()
        .find(|g| g.semantics == "FID" && g.ssrcs.len() == 2);
    match fid {
        Some(g) => (Some(Ssrc(g.ssrcs[0].0)), Some(Ssrc(g.ssrcs[1].0))),
        None => (m.ssrcs().next().map(|s| Ssrc(s.ssrc.0)), None),
    }
}

/// RTX for `rtx_ssrc` with every `rtx` payload type of the section mapped to its `apt`.
fn rtx_config(rtx_ssrc: Ssrc, m: &MediaSection) -> Option<RtxConfig> {
    let mut pairs = m.codecs().into_iter().filter_map(|c| {
        if !c.rtpmap.encoding.eq_ignore_ascii_case("rtx") {
            return None;
        }
        let apt: u8 = c.param("apt")?.parse().ok()?;
        Some((Pt(apt), Pt(c.pt().get())))
    });
    let (media, rtx) = pairs.next()?;
    let config = RtxConfig::new(rtx_ssrc, media, rtx);
    Some(pairs.fold(config, |c, (m, r)| c.with_pair(m, r)))
}

/// A track we send on `mid`, with fresh SSRCs (and an RTX SSRC for video).
pub(super) fn send_track(kind: &MediaKind, mid: &Mid, rng: &mut dyn CryptoRng) -> SendTrack {
    SendTrack {
        stream_id: "sansrtc".to_owned(),
        track_id: format!("{}-{mid}", kind.as_str()),
        ssrc: crate::sdp::Ssrc(rng.next_u32()),
        rtx_ssrc: (*kind == MediaKind::Video).then(|| crate::sdp::Ssrc(rng.next_u32())),
    }
}
