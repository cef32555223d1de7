//! Stream reset (RFC 6525 sections 5.1.2, 5.2.2 and 5.2.7), which WebRTC uses to close a
//! data channel (RFC 8831 section 6.7): Outgoing SSN Reset Requests and their responses.

use std::time::Instant;

use smallvec::SmallVec;

use super::timer::Timer;
use super::{Association, AssociationState, Event};
use crate::sctp::wire::{PacketWriter, ParamIter, ReconfigParam, ReconfigResult, StreamId, Tsn};

/// Responses queued at most (one per request the peer may have outstanding, plus slack).
const MAX_RESPONSES: usize = 4;

/// Why [`Association::reset_streams`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The peer did not announce RE-CONFIG support.
    #[error("the peer does not support stream reset")]
    Unsupported,
    /// The association is not established.
    #[error("association not established")]
    NotEstablished,
}

/// A peer request we cannot perform yet: data before its last TSN is still missing.
#[derive(Debug)]
struct Deferred {
    seq: u32,
    last_tsn: Tsn,
    streams: Vec<StreamId>,
}

/// Stream reset state.
#[derive(Debug)]
pub(super) struct Reconfig {
    next_request: u32,
    pub(super) peer_next_request: u32,
    /// Streams to reset once their queued data is out.
    pending: Vec<StreamId>,
    /// Our outstanding request: its sequence number, last TSN and streams.
    outstanding: Option<(u32, Tsn)>,
    in_request: Vec<StreamId>,
    send_request: bool,
    responses: SmallVec<[(u32, ReconfigResult); MAX_RESPONSES]>,
    last_response: Option<(u32, ReconfigResult)>,
    deferred: Option<Deferred>,
}

impl Reconfig {
    /// The request sequence numbers start at the initial TSN (RFC 6525 section 3.1).
    pub(super) fn new(initial_tsn: Tsn) -> Self {
        Self {
            next_request: initial_tsn.0,
            peer_next_request: 0,
            pending: Vec::new(),
            outstanding: None,
            in_request: Vec::new(),
            send_request: false,
            responses: SmallVec::new(),
            last_response: None,
            deferred: None,
        }
    }

    fn respond(&mut self, seq: u32, result: ReconfigResult) {
        if self.responses.len() < MAX_RESPONSES {
            self.responses.push((seq, result));
        }
    }
}

impl Association {
    /// Resets the outgoing side of `streams` (RFC 6525 section 5.1.2): no more sends on them;
    /// once their queued data has been sent, an Outgoing SSN Reset Request goes out, and
    /// [`Event::OutgoingStreamReset`] follows the peer's answer. The peer sees
    /// [`Event::IncomingStreamReset`]. This is how a data channel closes.
    pub fn reset_streams(&mut self, now: Instant, streams: &[StreamId]) -> Result<(), ResetError> {
        let now = self.clamp(now);
        // In COOKIE-ECHOED the peer is known and the request waits for COOKIE ACK.
        if !self.is_established() && self.state != AssociationState::CookieEchoed {
            return Err(ResetError::NotEstablished);
        }
        if !self.peer.reconfig {
            return Err(ResetError::Unsupported);
        }
        for &s in streams {
            self.out.stream_mut(s).resetting = true;
            if !self.reconfig.pending.contains(&s) && !self.reconfig.in_request.contains(&s) {
                self.reconfig.pending.push(s);
            }
        }
        self.maybe_start_reset(now);
        Ok(())
    }

    /// Sends a request for the pending streams whose data is all out, if none is outstanding.
    pub(super) fn maybe_start_reset(&mut self, now: Instant) {
        let r = &self.reconfig;
        if r.outstanding.is_some() || r.pending.is_empty() || !self.is_established() {
            return;
        }
        if r.pending.iter().any(|&s| self.has_queued(s)) {
            return;
        }
        let r = &mut self.reconfig;
        r.in_request.clear();
        r.in_request.append(&mut r.pending);
        r.outstanding = Some((r.next_request, Tsn(self.out.next_tsn.0.wrapping_sub(1))));
        r.send_request = true;
        self.timers.set(Timer::Reconfig, now + self.out.rto.rto);
    }

    /// Our outstanding request's sequence number and last TSN.
    #[cfg(test)]
    pub(super) fn reconfig_outstanding(&self) -> Option<(u32, Tsn)> {
        self.reconfig.outstanding
    }

    pub(super) fn on_reconfig_timer(&mut self, now: Instant) {
        if self.reconfig.outstanding.is_some() {
            self.reconfig.send_request = true;
            self.timers.set(Timer::Reconfig, now + self.out.rto.rto);
        }
    }

    /// A RE-CONFIG chunk's parameters.
    pub(super) fn on_reconfig(&mut self, now: Instant, params: &[u8]) {
        for p in ParamIter::new(params) {
            match ReconfigParam::parse(p) {
                Ok(ReconfigParam::OutgoingReset {
                    request_seq,
                    last_tsn,
                    streams,
                    ..
                }) => {
                    let r = &mut self.reconfig;
                    if request_seq == r.peer_next_request {
                        let mut list = r.deferred.take().map(|d| d.streams).unwrap_or_default();
                        list.clear();
                        list.extend(streams);
                        r.deferred = Some(Deferred {
                            seq: request_seq,
                            last_tsn,
                            streams: list,
                        });
                        if !self.check_deferred_reset() {
                            self.reconfig
                                .respond(request_seq, ReconfigResult::IN_PROGRESS);
                        }
                    } else if request_seq == r.peer_next_request.wrapping_sub(1) {
                        if let Some((seq, result)) = r.last_response {
                            r.respond(seq, result);
                        }
                    } else {
                        r.respond(request_seq, ReconfigResult::BAD_SEQUENCE);
                    }
                }
                Ok(ReconfigParam::IncomingReset { request_seq, .. }) => {
                    self.reconfig.respond(request_seq, ReconfigResult::DENIED);
                }
                Ok(ReconfigParam::Response {
                    response_seq,
                    result,
                }) => self.on_reconfig_response(now, response_seq, result),
                Ok(ReconfigParam::Unsupported(_)) | Err(_) => {}
            }
        }
    }

    /// Performs the deferred peer request once every TSN up to its last one has arrived.
    /// Returns whether it was performed.
    pub(super) fn check_deferred_reset(&mut self) -> bool {
        let Some(d) = &self.reconfig.deferred else {
            return false;
        };
        if !self.inb.cum.is_at_or_after(d.last_tsn) {
            return false;
        }
        let Some(d) = self.reconfig.deferred.take() else {
            return false;
        };
        if d.streams.is_empty() {
            let all: SmallVec<[StreamId; 16]> = self.inb.streams.keys().copied().collect();
            for s in all {
                self.reset_incoming(s);
                self.events.push_back(Event::IncomingStreamReset(s));
            }
        }
        for &s in &d.streams {
            self.reset_incoming(s);
            self.events.push_back(Event::IncomingStreamReset(s));
        }
        let r = &mut self.reconfig;
        r.peer_next_request = d.seq.wrapping_add(1);
        r.last_response = Some((d.seq, ReconfigResult::PERFORMED));
        r.respond(d.seq, ReconfigResult::PERFORMED);
        true
    }

    pub(super) fn on_reconfig_response(&mut self, now: Instant, seq: u32, result: ReconfigResult) {
        let Some((outstanding, _)) = self.reconfig.outstanding else {
            return;
        };
        if seq != outstanding {
            return;
        }
        if result == ReconfigResult::IN_PROGRESS {
            self.timers.set(Timer::Reconfig, now + self.out.rto.rto);
            return;
        }
        let r = &mut self.reconfig;
        r.outstanding = None;
        r.send_request = false;
        r.next_request = r.next_request.wrapping_add(1);
        self.timers.stop(Timer::Reconfig);
        let performed =
            result == ReconfigResult::PERFORMED || result == ReconfigResult::NOTHING_TO_DO;
        for i in 0..self.reconfig.in_request.len() {
            let s = self.reconfig.in_request[i];
            if performed {
                self.out.reset_stream(s);
                self.events.push_back(Event::OutgoingStreamReset(s));
            } else {
                if let Some(stream) = self.out.streams.get_mut(&s) {
                    stream.resetting = false;
                }
                self.events.push_back(Event::OutgoingStreamResetRefused(s));
            }
        }
        self.reconfig.in_request.clear();
        self.maybe_start_reset(now);
    }

    /// Writes queued RE-CONFIG responses and our request, if due.
    pub(super) fn write_reconfig(&mut self, w: &mut PacketWriter<'_>) {
        let r = &mut self.reconfig;
        while let Some(&(seq, result)) = r.responses.first() {
            if w.push_reconfig_response(seq, result).is_err() {
                return;
            }
            r.responses.remove(0);
        }
        if r.send_request
            && let Some((seq, last_tsn)) = r.outstanding
        {
            let response_seq = r.peer_next_request.wrapping_sub(1);
            if w.push_outgoing_reset(seq, response_seq, last_tsn, &r.in_request)
                .is_ok()
            {
                r.send_request = false;
            }
        }
    }
}
