//! The media commands of [`Rtc`].

use std::time::Instant;

use super::negotiate::send_track;
use super::{Delivery, MediaError, RtpHeader, TrackInfo};
use crate::rtc::peer::Rtc;
use crate::rtp::{Pt, RtpTimestamp};
use crate::sdp::{Direction, MediaKind, MediaRequest, Mid};

impl Rtc {
    /// Adds a media section with a track we send (when `direction` sends) and returns its
    /// mid; the next [`Rtc::create_offer`] carries it, and
    /// [`Event::Track`](crate::Event::Track) reports it once negotiated.
    pub fn add_track(&mut self, kind: MediaKind, direction: Direction) -> Mid {
        let mid = self.negotiation.next_mid();
        let request = match kind {
            MediaKind::Audio => MediaRequest::audio(mid, direction),
            _ => MediaRequest::video(mid, direction),
        };
        let request = if matches!(direction, Direction::SendRecv | Direction::SendOnly) {
            request.with_track(send_track(&kind, &mid, &mut *self.rng))
        } else {
            request
        };
        self.negotiation.local.media.push(request);
        mid
    }

    /// Stops a track (RFC 8829 section 4.2.4, `RTCRtpTransceiver.stop`): nothing more is sent
    /// or delivered on it at once, and the next [`Rtc::create_offer`] writes its m-section
    /// with port 0.
    pub fn stop_track(&mut self, mid: &Mid) -> Result<(), MediaError> {
        let request = self
            .negotiation
            .local
            .media
            .iter_mut()
            .find(|r| &r.mid == mid && r.kind != MediaKind::Application)
            .ok_or(MediaError::UnknownTrack)?;
        request.stopped = true;
        self.media.stop(mid);
        Ok(())
    }

    /// The negotiated tracks.
    pub fn tracks(&self) -> impl Iterator<Item = &TrackInfo> {
        self.media.tracks()
    }

    /// Sends one frame on track `mid` with payload type `pt` (the track's first negotiated
    /// codec when `None`): packetized, protected and queued for [`Rtc::poll_transmit`].
    pub fn write_frame(
        &mut self,
        now: Instant,
        mid: &Mid,
        pt: Option<Pt>,
        rtp_time: RtpTimestamp,
        frame: &[u8],
    ) -> Result<(), MediaError> {
        let now = self.clamp(now);
        self.media.write_frame(now, mid, pt, rtp_time, frame)
    }

    /// Sends one RTP packet on track `mid` as it is (packet-level API): our SSRC and mid
    /// extension, the caller's payload type, sequence number, timestamp and marker.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        mid: &Mid,
        header: RtpHeader,
        payload: &[u8],
    ) -> Result<(), MediaError> {
        let now = self.clamp(now);
        self.media.write_rtp(now, mid, header, payload)
    }

    /// Asks the peer for a keyframe on track `mid`, which we receive (a PLI, at most every
    /// 300 ms).
    pub fn request_keyframe(&mut self, now: Instant, mid: &Mid) -> Result<(), MediaError> {
        let now = self.clamp(now);
        self.media.request_keyframe(now, mid)
    }

    /// Chooses what track `mid` reports of the media it receives: whole frames
    /// ([`Event::Frame`](crate::Event::Frame), the default), every RTP packet
    /// ([`Event::Rtp`](crate::Event::Rtp), packet-level API), or both. Payloads in either
    /// event are cut from a shared buffer that is reused once the application drops them, so
    /// a forwarding loop that drops each event after use allocates nothing per packet.
    pub fn set_delivery(&mut self, mid: &Mid, delivery: Delivery) -> Result<(), MediaError> {
        self.media.set_delivery(mid, delivery)
    }
}
