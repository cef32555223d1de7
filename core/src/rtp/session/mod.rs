//! The RTP session: every RTP stream of one (BUNDLE) transport, with RTCP timing (RFC 3550
//! sections 6.2 to 6.4, RFC 4585, RFC 4588, RFC 5104, RFC 5506).
//!
//! [`RtpSession`] owns, per send stream, the counters for its sender reports and a
//! [`PacketHistory`](crate::rtp::PacketHistory) answering NACKs, and per receive stream a
//! [`ReceiverStats`](crate::rtp::ReceiverStats) for its report blocks and a
//! [`NackGenerator`](crate::rtp::NackGenerator). It schedules compound RTCP, turns incoming
//! RTCP into retransmissions, events and statistics, unwraps RTX, sends BYE for removed
//! send streams, and writes transport-wide congestion control feedback when
//! [`SessionConfig::twcc_extension_id`] is set.
//!
//! # What it does not do
//!
//! - Crypto: it sees plain RTP and RTCP. The caller unprotects SRTP/SRTCP before
//!   [`handle_rtp`](RtpSession::handle_rtp)/[`handle_rtcp`](RtpSession::handle_rtcp) and
//!   protects what [`poll_rtcp`](RtpSession::poll_rtcp) and
//!   [`poll_retransmit`](RtpSession::poll_retransmit) write.
//! - Packetization and pacing: the caller builds and sends the media packets and reports
//!   each through [`on_rtp_sent`](RtpSession::on_rtp_sent).
//! - Demultiplexing by MID or RID: streams are found by SSRC; an unknown SSRC comes back as
//!   [`Received::UnknownSsrc`] so the caller can add the stream and hand the packet in again.
//!
//! # RTCP timing
//!
//! Regular reports go every [`SessionConfig::rtcp_interval`], randomised by a factor drawn
//! uniformly from 0.5 to 1.5 (RFC 3550 section 6.3.1), the first after half an interval.
//! The factor is a hash of a key drawn once from the owner's RNG at construction and the
//! report's number, so the session keeps no RNG and replays from the same key. The RFC's
//! bandwidth-scaled interval and reconsideration are left out, as in browsers: a WebRTC
//! session has two participants and RTCP is a small share of the media rate.
//!
//! Feedback (NACK, PLI, FIR, transport-wide feedback every
//! [`SessionConfig::twcc_interval`], BYE) is sent as soon as it is due, in the manner of
//! RFC 4585's immediate mode: inside a compound packet with an RR (or SR) without report
//! blocks and SDES, or alone with [reduced-size RTCP](SessionConfig::reduced_size).
//! Missing packets are checked every [`SessionConfig::nack_interval`] while some are
//! missing, so a packet reordered by less than that is not NACKed.
//!
//! # Method groups and the drain rule
//!
//! - commands: [`add_send_stream`](RtpSession::add_send_stream),
//!   [`add_recv_stream`](RtpSession::add_recv_stream), the `remove_*` pair,
//!   [`on_rtp_sent`](RtpSession::on_rtp_sent),
//!   [`request_keyframe`](RtpSession::request_keyframe);
//! - input: [`handle_rtp`](RtpSession::handle_rtp), [`handle_rtcp`](RtpSession::handle_rtcp),
//!   [`handle_timeout`](RtpSession::handle_timeout);
//! - output: [`poll_rtcp`](RtpSession::poll_rtcp),
//!   [`poll_retransmit`](RtpSession::poll_retransmit), [`poll_event`](RtpSession::poll_event),
//!   [`poll_timeout`](RtpSession::poll_timeout);
//! - getters: [`send_stats`](RtpSession::send_stats), [`recv_stats`](RtpSession::recv_stats),
//!   [`stats`](RtpSession::stats), [`round_trip_time`](RtpSession::round_trip_time).
//!
//! After any input or command, drain `poll_rtcp`, `poll_retransmit` and `poll_event` until
//! each returns `None`, then read `poll_timeout`. Polling more than needed is always correct.
//!
//! # Bounds
//!
//! Streams live in vectors allocated for [`SessionConfig::max_send_streams`] and
//! [`SessionConfig::max_recv_streams`] at construction; each send stream's history is
//! allocated when the stream is added; every queue (retransmissions, NACK gaps, events) has
//! a configured bound and never grows. Nothing allocates per packet.

mod config;
mod event;
mod inbound;
mod outbound;
mod recv;
mod send;
mod stats;
#[cfg(test)]
mod tests;
mod timer;

use std::time::{Duration, Instant};

use rand_core::CryptoRng;

pub use config::{RecvStreamConfig, RtxConfig, SendStreamConfig, SessionConfig, StreamError};
pub use event::{KeyframeRequestKind, Received, RtpEvent};
pub use outbound::MIN_RTCP_BUFFER;
pub use stats::{RecvStats, SendStats, SessionStats};

use self::event::EventQueue;
use self::recv::RecvStream;
use self::send::SendStream;
use self::timer::{IntervalJitter, Timer, TimerTable};
use crate::rtp::wire::Packet;
use crate::rtp::{SeqNo, Ssrc, TwccRecorder};

/// The longest canonical name an SDES item carries (RFC 3550 section 6.5).
const MAX_CNAME_LEN: usize = 255;

/// Every RTP stream of one transport: statistics, RTCP reports and feedback, NACK and RTX.
///
/// A sans-IO machine: time comes in as `now` (time that goes backwards is clamped to the
/// latest `now` seen), randomness only at construction, and output is written into the
/// caller's buffers. See the [module docs](self) for the method groups and the drain rule.
///
/// ```
/// use std::time::{Instant, SystemTime};
/// use sansrtc::rtp::session::{RtpSession, SendStreamConfig, SessionConfig};
/// use sansrtc::rtp::Ssrc;
///
/// # fn demo(now: Instant, wall: SystemTime, rng: &mut dyn rand_core::CryptoRng) {
/// let mut session = RtpSession::new(SessionConfig::new("me", wall, now), now, rng);
/// session.add_send_stream(SendStreamConfig::new(Ssrc(7), 90_000)).unwrap();
/// let mut buf = [0u8; 1200];
/// session.handle_timeout(now);
/// while let Some(len) = session.poll_rtcp(now, &mut buf) {
///     // SRTCP-protect buf[..len] and send it.
/// #   let _ = len;
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RtpSession {
    config: SessionConfig,
    send: Vec<SendStream>,
    recv: Vec<RecvStream>,
    timers: TimerTable,
    jitter: IntervalJitter,
    events: EventQueue,
    stats: SessionStats,
    /// The latest round-trip time measured from a report about one of our streams.
    rtt: Option<Duration>,
    /// A regular report is due and not completely written yet.
    report_pending: bool,
    /// SSRCs of removed send streams (and their RTX streams) owed a BYE; bounded by twice
    /// the most send streams.
    bye_pending: Vec<Ssrc>,
    /// Arrivals by transport-wide sequence number, when that extension is negotiated.
    twcc: Option<TwccRecorder>,
    /// A transport-wide feedback is due.
    twcc_due: bool,
    last_now: Instant,
}

impl RtpSession {
    /// A session with no streams at `now`. One key for the RTCP interval's random factor
    /// and the RTX streams' first sequence numbers is drawn from `rng`.
    pub fn new(mut config: SessionConfig, now: Instant, rng: &mut dyn CryptoRng) -> Self {
        if config.cname.len() > MAX_CNAME_LEN {
            let mut end = MAX_CNAME_LEN;
            while !config.cname.is_char_boundary(end) {
                end -= 1;
            }
            config.cname.truncate(end);
        }
        let mut jitter = IntervalJitter::new(rng.next_u64());
        let max_send = config.max_send_streams;
        let twcc = config
            .twcc_extension_id
            .map(|_| TwccRecorder::new(config.twcc_max_arrivals));
        let mut timers = TimerTable::default();
        timers.set(
            Timer::Report,
            now + jitter.randomise(config.rtcp_interval / 2),
        );
        Self {
            send: Vec::with_capacity(config.max_send_streams),
            recv: Vec::with_capacity(config.max_recv_streams),
            events: EventQueue::new(config.max_events),
            config,
            timers,
            jitter,
            stats: SessionStats::default(),
            rtt: None,
            report_pending: false,
            bye_pending: Vec::with_capacity(2 * max_send),
            twcc,
            twcc_due: false,
            last_now: now,
        }
    }

    /// Adds a stream we send. Fails if the SSRC or RTX SSRC is taken by another send stream,
    /// the clock rate is 0, or the session has its maximum of send streams.
    pub fn add_send_stream(&mut self, config: SendStreamConfig) -> Result<(), StreamError> {
        if config.clock_rate == 0 {
            return Err(StreamError::ZeroClockRate);
        }
        let rtx = config.rtx.as_ref().map(|r| r.ssrc);
        if rtx == Some(config.ssrc) {
            return Err(StreamError::DuplicateSsrc(config.ssrc));
        }
        if let Some(ssrc) = std::iter::once(config.ssrc)
            .chain(rtx)
            .find(|&ssrc| self.send_ssrc_in_use(ssrc))
        {
            return Err(StreamError::DuplicateSsrc(ssrc));
        }
        if self.send.len() >= self.config.max_send_streams {
            return Err(StreamError::TooManyStreams);
        }
        let rtx_first_seq = SeqNo(self.jitter.next_u64() as u16);
        self.send.push(SendStream::new(
            config,
            self.config.max_packet_len,
            self.config.max_pending_retransmits,
            rtx_first_seq,
        ));
        Ok(())
    }

    /// Adds a stream we receive. Fails if the SSRC or RTX SSRC is taken by another receive
    /// stream, the clock rate is 0, or the session has its maximum of receive streams.
    pub fn add_recv_stream(&mut self, config: RecvStreamConfig) -> Result<(), StreamError> {
        if config.clock_rate == 0 {
            return Err(StreamError::ZeroClockRate);
        }
        let rtx = config.rtx.as_ref().map(|r| r.ssrc);
        if rtx == Some(config.ssrc) {
            return Err(StreamError::DuplicateSsrc(config.ssrc));
        }
        if let Some(ssrc) = std::iter::once(config.ssrc)
            .chain(rtx)
            .find(|&ssrc| self.recv_ssrc_in_use(ssrc))
        {
            return Err(StreamError::DuplicateSsrc(ssrc));
        }
        if self.recv.len() >= self.config.max_recv_streams {
            return Err(StreamError::TooManyStreams);
        }
        self.recv.push(RecvStream::new(
            config,
            self.config.nack_max_missing,
            self.config.nack_max_tries,
        ));
        Ok(())
    }

    /// Removes the send stream `ssrc` with its history and pending retransmissions; a BYE
    /// for it and its RTX stream goes out in the next [`poll_rtcp`](Self::poll_rtcp)
    /// (RFC 3550 section 6.6).
    pub fn remove_send_stream(&mut self, now: Instant, ssrc: Ssrc) -> Result<(), StreamError> {
        self.clamp(now);
        let i = self
            .send_index(ssrc)
            .ok_or(StreamError::UnknownSsrc(ssrc))?;
        let stream = self.send.remove(i);
        for ssrc in std::iter::once(stream.ssrc).chain(stream.rtx_ssrc()) {
            if self.bye_pending.len() < self.bye_pending.capacity() {
                self.bye_pending.push(ssrc);
            }
        }
        Ok(())
    }

    /// Removes the receive stream `ssrc` with its statistics and pending feedback.
    pub fn remove_recv_stream(&mut self, ssrc: Ssrc) -> Result<(), StreamError> {
        let i = self
            .recv_index(ssrc)
            .ok_or(StreamError::UnknownSsrc(ssrc))?;
        self.recv.remove(i);
        Ok(())
    }

    /// Records an RTP packet (plain, before SRTP) sent at `now` on one of our send streams:
    /// counters for the SR and the history for NACKs. Call it for original packets only;
    /// retransmissions from [`poll_retransmit`](Self::poll_retransmit) are counted there.
    /// Returns `false` if `packet` is not RTP or belongs to no send stream.
    pub fn on_rtp_sent(&mut self, now: Instant, packet: &[u8]) -> bool {
        let now = self.clamp(now);
        let Ok(view) = Packet::new_checked(packet) else {
            return false;
        };
        let Some(i) = self.send_index(view.ssrc()) else {
            return false;
        };
        self.send[i].on_sent(now, packet, &view);
        true
    }

    /// Asks the remote sender of our receive stream `ssrc` for a keyframe: a PLI or a new
    /// FIR request goes out in the next [`poll_rtcp`](Self::poll_rtcp). Requests made before
    /// that are merged into one.
    pub fn request_keyframe(
        &mut self,
        now: Instant,
        ssrc: Ssrc,
        kind: KeyframeRequestKind,
    ) -> Result<(), StreamError> {
        self.clamp(now);
        let i = self
            .recv_index(ssrc)
            .ok_or(StreamError::UnknownSsrc(ssrc))?;
        self.recv[i].request_keyframe(kind == KeyframeRequestKind::Fir);
        Ok(())
    }

    /// Fires the timers due at `now`: a regular report becomes due for
    /// [`poll_rtcp`](Self::poll_rtcp), and missing packets are checked for NACKs. Early or
    /// repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        if let Some(at) = self.timers.get(Timer::Report).filter(|&at| at <= now) {
            for s in &mut self.send {
                s.sr_due = s.has_sent();
            }
            for r in &mut self.recv {
                r.report_due = r.has_received();
            }
            // A session without streams has nothing to report.
            self.report_pending = !self.send.is_empty() || !self.recv.is_empty();
            let mut next = at + self.jitter.randomise(self.config.rtcp_interval);
            if next <= now {
                // A jump in time: start afresh rather than catch up.
                next = now + self.jitter.randomise(self.config.rtcp_interval);
            }
            self.timers.set(Timer::Report, next);
        }
        if self.timers.is_due(Timer::Nack, now) {
            let resend_after = self.nack_resend_after();
            for r in &mut self.recv {
                r.nack_due = r
                    .nack
                    .as_ref()
                    .is_some_and(|n| n.has_due(now, resend_after));
            }
            self.timers.stop(Timer::Nack);
            self.arm_nack_timer(now);
        }
        if self.timers.is_due(Timer::Twcc, now) {
            self.timers.stop(Timer::Twcc);
            self.twcc_due = true;
        }
    }

    /// The next event, if any: keyframe requests for our send streams, BYEs of remote ones.
    pub fn poll_event(&mut self) -> Option<RtpEvent> {
        self.events.pop()
    }

    /// The earliest time [`handle_timeout`](Self::handle_timeout) should be called: the next
    /// regular report, NACK check or transport-wide feedback. Never earlier than the latest
    /// `now` seen, once the timers due then have been handled.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    /// The figures of send stream `ssrc`.
    pub fn send_stats(&self, ssrc: Ssrc) -> Option<SendStats> {
        self.send.iter().find(|s| s.ssrc == ssrc).map(|s| s.stats)
    }

    /// The figures of receive stream `ssrc`, current at the latest packet.
    pub fn recv_stats(&self, ssrc: Ssrc) -> Option<RecvStats> {
        self.recv
            .iter()
            .find(|r| r.ssrc == ssrc)
            .map(RecvStream::stats)
    }

    /// Session-wide counters.
    pub fn stats(&self) -> SessionStats {
        SessionStats {
            events_dropped: self.events.dropped(),
            ..self.stats
        }
    }

    /// The latest round-trip time measured from a report block about one of our send
    /// streams (RFC 3550 section 6.4.1), if any.
    pub fn round_trip_time(&self) -> Option<Duration> {
        self.rtt
    }

    /// Retransmissions queued for [`poll_retransmit`](Self::poll_retransmit), over all send
    /// streams (bounded by [`SessionConfig::max_pending_retransmits`] each).
    pub fn pending_retransmits(&self) -> usize {
        self.send.iter().map(SendStream::pending_retransmits).sum()
    }

    /// Events queued for [`poll_event`](Self::poll_event) (bounded by
    /// [`SessionConfig::max_events`]).
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Records the transport-wide sequence number of a packet that arrived at `now`, if the
    /// extension is negotiated and the packet carries it, and arms the feedback timer.
    fn record_twcc(&mut self, now: Instant, packet: &Packet<&[u8]>) {
        let (Some(id), Some(twcc)) = (self.config.twcc_extension_id, &mut self.twcc) else {
            return;
        };
        let Some(&[a, b]) = packet.extension(id) else {
            return;
        };
        twcc.handle_packet(now, SeqNo(u16::from_be_bytes([a, b])));
        if self.timers.get(Timer::Twcc).is_none() {
            let interval = self.config.twcc_interval.max(Duration::from_millis(1));
            self.timers.set(Timer::Twcc, now + interval);
        }
    }

    /// `now`, or the latest `now` seen if time went backwards.
    fn clamp(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    fn send_index(&self, ssrc: Ssrc) -> Option<usize> {
        self.send.iter().position(|s| s.ssrc == ssrc)
    }

    fn recv_index(&self, ssrc: Ssrc) -> Option<usize> {
        self.recv.iter().position(|r| r.ssrc == ssrc)
    }

    fn send_ssrc_in_use(&self, ssrc: Ssrc) -> bool {
        self.send
            .iter()
            .any(|s| s.ssrc == ssrc || s.rtx_ssrc() == Some(ssrc))
    }

    fn recv_ssrc_in_use(&self, ssrc: Ssrc) -> bool {
        self.recv
            .iter()
            .any(|r| r.ssrc == ssrc || r.rtx_ssrc() == Some(ssrc))
    }

    /// The SSRC that signs our RTCP: the first send stream's, or the receive-only one.
    fn reporter_ssrc(&self) -> Ssrc {
        self.send
            .first()
            .map_or(self.config.receive_only_ssrc, |s| s.ssrc)
    }

    /// The wait before NACKing a packet again: the configured value, or more when the
    /// measured round trip is longer.
    fn nack_resend_after(&self) -> Duration {
        let floor = self.config.nack_resend_after;
        self.rtt.map_or(floor, |rtt| floor.max(rtt + rtt / 4))
    }

    /// Arms the NACK timer one interval after `now` if some packets are missing and it is
    /// not armed.
    fn arm_nack_timer(&mut self, now: Instant) {
        if self.timers.get(Timer::Nack).is_none() && self.recv.iter().any(|r| r.nack_missing() > 0)
        {
            self.timers.set(
                Timer::Nack,
                now + self.config.nack_interval.max(Duration::from_millis(1)),
            );
        }
    }
}
