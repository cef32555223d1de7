//! STUN input: answering checks (RFC 8445 section 7.3) and processing responses to checks,
//! consent checks and gathering requests (sections 7.2.5 and 5.1.1.2, RFC 7675).
//!
//! Every message is recognised fully (parse, FINGERPRINT, USERNAME, MESSAGE-INTEGRITY) before
//! any state changes; whatever is not used is counted in [`IceStats`](super::IceStats).

use std::net::SocketAddr;
use std::time::Instant;

use rand_core::CryptoRng;

use crate::Receive;
use crate::ice::agent::{
    Agent, GatherState, MAX_LOCAL_CANDIDATES, MAX_QUEUED_RESPONSES, Outgoing, Reply, push_out,
};
use crate::ice::checklist::Added;
use crate::ice::pair::{PairState, pair_priority};
use crate::ice::{Candidate, CandidateKind, IceConnectionState, IceEvent, Role};
use crate::stun::{AttributeType, Class, Message, Method, is_stun};

/// ERROR-CODE of a role conflict (RFC 8445 section 7.3.1.1).
pub(crate) const ROLE_CONFLICT: u16 = 487;

/// Which local credentials authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    Current,
    /// The session of the selected pair, before an ICE restart.
    Old,
}

impl Agent {
    /// Handles a received datagram if it is a STUN message for this agent and returns whether
    /// it was (`false`: hand it to another protocol, or to another STUN client on the socket
    /// such as a TURN client, by unknown transaction ID).
    ///
    /// Answers authenticated checks, learns peer-reflexive candidates, resolves role
    /// conflicts, processes responses to its checks, consent checks and gathering requests.
    /// Malformed, unauthenticated and unexpected messages are dropped and counted in
    /// [`stats`](Self::stats). Drain the outputs afterwards.
    pub fn handle_stun(&mut self, now: Instant, rx: &Receive<'_>, rng: &mut dyn CryptoRng) -> bool {
        let now = self.clamp(now);
        let bytes: &[u8] = rx.contents;
        if !is_stun(bytes) {
            return false;
        }
        let Ok(msg) = Message::new_checked(bytes) else {
            self.stats.stun_received += 1;
            self.stats.stun_malformed += 1;
            return true;
        };
        if msg.method() != Method::BINDING {
            return false;
        }
        self.stats.stun_received += 1;
        let mine = match msg.class() {
            _ if self.is_closed() => {
                self.stats.stun_dropped_state += 1;
                true
            }
            Class::Request => {
                self.handle_request(now, rx, &msg, rng);
                true
            }
            Class::Indication => {
                self.stats.indications_received += 1;
                true
            }
            Class::Success | Class::Error => self.handle_response(now, rx, &msg, rng),
        };
        self.update_state();
        self.arm_timers();
        mine
    }

    fn handle_request(
        &mut self,
        now: Instant,
        rx: &Receive<'_>,
        msg: &Message<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) {
        if self.state == IceConnectionState::Failed {
            self.stats.stun_dropped_state += 1;
            return;
        }
        if msg.check_fingerprint().is_err() {
            self.stats.stun_malformed += 1;
            return;
        }
        // USERNAME is "local ufrag:remote ufrag" from our side's point of view.
        let Some(session) = self.authenticate(msg) else {
            self.stats.stun_unauthenticated += 1;
            return;
        };
        // RFC 8489 section 6.3.1, after the authentication checks: unknown
        // comprehension-required attributes earn a 420 listing them, with MESSAGE-INTEGRITY
        // so that the peer can trust it. Nothing else changes.
        let unknown = msg.unknown_comprehension_required();
        if !unknown.is_empty() {
            self.stats.stun_malformed += 1;
            if let Some(host) = self.host_for(rx.destination) {
                let reply = Reply::unknown_attributes(&unknown);
                let old = session == Session::Old;
                self.respond(msg.transaction_id(), host.addr(), rx.source, reply, old);
            }
            return;
        }
        let controlling = msg.ice_controlling();
        let controlled = msg.ice_controlled();
        if controlling.is_none() && controlled.is_none() {
            self.stats.stun_malformed += 1;
            return;
        }
        let Some(host) = self.host_for(rx.destination) else {
            self.stats.stun_dropped_limit += 1;
            return;
        };
        let tid = msg.transaction_id();
        if session == Session::Old {
            // The previous session's selected pair: keep answering its consent checks until a
            // pair of the new session is selected. No state changes.
            if let Some(sel) = &mut self.selected
                && self.config.lite
                && sel.remote == rx.source
            {
                sel.last_response = now;
            }
            self.respond(tid, host.addr(), rx.source, Reply::Success, true);
            return;
        }

        // Role conflict (RFC 8445 section 7.3.1.1).
        match (self.role, controlling, controlled) {
            (Role::Controlling, Some(theirs), _) => {
                self.stats.role_conflicts += 1;
                if self.tie_breaker >= theirs {
                    self.respond(tid, host.addr(), rx.source, Reply::RoleConflict, false);
                    return;
                }
                self.set_role(Role::Controlled);
            }
            (Role::Controlled, None, Some(theirs)) => {
                self.stats.role_conflicts += 1;
                if self.config.lite || self.tie_breaker < theirs {
                    self.respond(tid, host.addr(), rx.source, Reply::RoleConflict, false);
                    return;
                }
                self.set_role(Role::Controlling);
            }
            _ => {}
        }

        if self.responses_queued() >= MAX_QUEUED_RESPONSES {
            self.stats.stun_dropped_limit += 1;
            return;
        }
        let use_candidate = msg.use_candidate() && self.role == Role::Controlled;
        let peer_priority = msg.priority();

        if self.config.lite {
            self.respond(tid, host.addr(), rx.source, Reply::Success, false);
            self.last_activity = Some(now);
            if self.state == IceConnectionState::New {
                self.set_state(IceConnectionState::Checking);
            }
            if let Some(sel) = &mut self.selected
                && sel.local == host.addr()
                && sel.remote == rx.source
            {
                sel.last_response = now;
            }
            if use_candidate {
                // The full peer is controlling: its candidate priority is G.
                let g = peer_priority.unwrap_or(0);
                let priority = pair_priority(g, host.priority());
                let prflx = host.peer_reflexive_priority();
                self.select(host.addr(), rx.source, priority, prflx, now, rng);
            }
            return;
        }

        // Peer-reflexive remote candidate (RFC 8445 section 7.3.1.3).
        let remote = match self.remote.iter().find(|r| r.addr() == rx.source) {
            Some(r) => r.clone(),
            None => {
                let Some(priority) = peer_priority else {
                    self.stats.stun_malformed += 1;
                    return;
                };
                if self.remote.len() >= self.config.max_remote_candidates {
                    self.stats.stun_dropped_limit += 1;
                    return;
                }
                let c = Candidate::remote_peer_reflexive(rx.source, priority);
                self.remote.push(c.clone());
                self.stats.remote_peer_reflexive += 1;
                c
            }
        };
        self.respond(tid, host.addr(), rx.source, Reply::Success, false);
        self.last_activity = Some(now);
        if self.state == IceConnectionState::New {
            self.set_state(IceConnectionState::Checking);
        }

        // Triggered check (RFC 8445 section 7.3.1.4) and nomination (7.3.1.5).
        let i = match self.checklist.add(&host, &remote, self.role) {
            Added::New(i) | Added::Existing(i) => i,
            Added::Dropped => {
                self.stats.pairs_dropped += 1;
                return;
            }
        };
        let state = self.checklist.pairs[i].state;
        match state {
            PairState::Succeeded => {
                if use_candidate {
                    self.checklist.pairs[i].nominated = true;
                    self.select_pair(i, now, rng);
                }
            }
            PairState::InProgress => {
                let pair = &mut self.checklist.pairs[i];
                if use_candidate {
                    pair.nominate_on_success = true;
                }
                // RFC 8445 section 7.3.1.4: an in-progress check is replaced by a triggered
                // one. Its earlier transmissions may have hit a NAT filter that this request
                // has just opened, so a fresh transaction now beats waiting for the backed-off
                // retransmissions. A nomination check of our own is left to run.
                if !pair.check.as_ref().is_some_and(|c| c.use_candidate) {
                    self.checklist.trigger(i);
                }
            }
            PairState::Frozen | PairState::Waiting | PairState::Failed => {
                if use_candidate {
                    self.checklist.pairs[i].nominate_on_success = true;
                }
                self.checklist.trigger(i);
            }
        }
    }

    /// Checks USERNAME and MESSAGE-INTEGRITY against the current local credentials, or those
    /// of the selected pair's session.
    fn authenticate(&self, msg: &Message<&[u8]>) -> Option<Session> {
        let username = msg.username()?;
        let ours = username.split(|&b| b == b':').next()?;
        let current = &self.local_creds;
        if ours == current.ufrag.as_bytes() {
            return msg
                .check_integrity(current.pwd.as_bytes())
                .ok()
                .map(|()| Session::Current);
        }
        let old = &self.selected.as_ref()?.local_creds;
        if ours == old.ufrag.as_bytes() {
            return msg
                .check_integrity(old.pwd.as_bytes())
                .ok()
                .map(|()| Session::Old);
        }
        None
    }

    /// The host (or relayed) candidate a datagram arrived on: the exact address, else the first host with
    /// the same port and family (a driver on a wildcard socket may not know the interface).
    fn host_for(&self, destination: SocketAddr) -> Option<Candidate> {
        // Relayed data arrives addressed to the relayed candidate itself.
        if let Some(relayed) = self
            .local
            .iter()
            .find(|c| c.kind() == CandidateKind::Relayed && c.addr() == destination)
        {
            return Some(relayed.clone());
        }
        if self.config.relay_only {
            return None;
        }
        let mut hosts = self
            .local
            .iter()
            .filter(|c| c.kind() == CandidateKind::Host);
        hosts
            .clone()
            .find(|h| h.addr() == destination)
            .or_else(|| {
                hosts.find(|h| {
                    h.addr().port() == destination.port()
                        && h.addr().is_ipv4() == destination.is_ipv4()
                })
            })
            .cloned()
    }

    fn responses_queued(&self) -> usize {
        self.outbox
            .iter()
            .filter(|o| matches!(o, Outgoing::Response { .. }))
            .count()
    }

    fn respond(
        &mut self,
        tid: crate::stun::TransactionId,
        local: SocketAddr,
        remote: SocketAddr,
        reply: Reply,
        old_session: bool,
    ) {
        if self.responses_queued() >= MAX_QUEUED_RESPONSES {
            self.stats.stun_dropped_limit += 1;
            return;
        }
        let out = Outgoing::Response {
            tid,
            local,
            remote,
            reply,
            old_session,
        };
        if !push_out(&mut self.outbox, out) {
            self.stats.stun_dropped_limit += 1;
        }
    }

    /// Returns whether the response belonged to a transaction of this agent.
    fn handle_response(
        &mut self,
        now: Instant,
        rx: &Receive<'_>,
        msg: &Message<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) -> bool {
        let tid = msg.transaction_id();
        if let Some(g) = self
            .gathers
            .iter()
            .position(|g| matches!(g.state, GatherState::InFlight { tid: t, .. } if t == tid))
        {
            self.handle_gather_response(g, rx, msg);
            return true;
        }
        if let Some(i) = self.checklist.find_by_tid(&tid) {
            self.handle_check_response(i, now, rx, msg, rng);
            return true;
        }
        if let Some(sel) = &self.selected
            && sel.consent_tids.contains(&Some(tid))
        {
            self.handle_consent_response(now, rx, msg);
            return true;
        }
        self.stats.stun_dropped_unknown_transaction += 1;
        false
    }

    /// A STUN server's answer (RFC 8445 section 5.1.1.2). Public STUN servers sign nothing;
    /// a FINGERPRINT, when present, must be right.
    fn handle_gather_response(&mut self, g: usize, rx: &Receive<'_>, msg: &Message<&[u8]>) {
        let Some(gather) = self.gathers.get(g) else {
            return;
        };
        if rx.source != gather.server {
            self.stats.stun_dropped_asymmetric += 1;
            return;
        }
        let has_fingerprint = msg
            .attributes()
            .any(|a| a.kind == AttributeType::FINGERPRINT);
        if has_fingerprint && msg.check_fingerprint().is_err() {
            self.stats.stun_malformed += 1;
            return;
        }
        let (server, base) = (gather.server, gather.base);
        if let Some(gather) = self.gathers.get_mut(g) {
            gather.state = GatherState::Done;
        }
        if msg.class() != Class::Success {
            return;
        }
        let Some(mapped) = msg.xor_mapped_address().or_else(|| msg.mapped_address()) else {
            return;
        };
        if mapped == base
            || self
                .local
                .iter()
                .any(|c| c.addr() == mapped && c.kind() != CandidateKind::PeerReflexive)
        {
            return;
        }
        // A peer-reflexive candidate learned first from a check gives way to the signalled
        // server-reflexive one.
        self.local
            .retain(|c| !(c.addr() == mapped && c.kind() == CandidateKind::PeerReflexive));
        let Some(host) = self.hosts().find(|h| h.addr() == base).cloned() else {
            return;
        };
        if self.local.len() >= MAX_LOCAL_CANDIDATES {
            return;
        }
        let c = Candidate::server_reflexive(mapped, &host, server);
        self.events.push_back(IceEvent::LocalCandidate(c.clone()));
        self.local.push(c);
    }

    /// A response to a check (RFC 8445 section 7.2.5).
    fn handle_check_response(
        &mut self,
        i: usize,
        now: Instant,
        rx: &Receive<'_>,
        msg: &Message<&[u8]>,
        rng: &mut dyn CryptoRng,
    ) {
        if msg.check_fingerprint().is_err() {
            self.stats.stun_malformed += 1;
            return;
        }
        let Some(creds) = &self.remote_creds else {
            self.stats.stun_unauthenticated += 1;
            return;
        };
        if msg.check_integrity(creds.pwd.as_bytes()).is_err() {
            self.stats.stun_unauthenticated += 1;
            return;
        }
        let pair = &mut self.checklist.pairs[i];
        let Some(check) = pair.check.take() else {
            return;
        };
        // Non-symmetric transport addresses (section 7.2.5.2.1).
        if rx.source != pair.remote {
            self.stats.stun_dropped_asymmetric += 1;
            self.stats.checks_failed += 1;
            pair.state = PairState::Failed;
            pair.valid = false;
            return;
        }
        if msg.class() == Class::Error {
            let code = msg.error_code().map(|e| e.code);
            if code == Some(ROLE_CONFLICT) {
                // Section 7.2.5.1: switch role (unless already switched) and retry.
                self.stats.role_conflicts += 1;
                if check.role == self.role {
                    self.set_role(self.role.opposite());
                }
                self.checklist.pairs[i].state = PairState::Waiting;
                self.checklist.trigger(i);
            } else {
                self.stats.checks_failed += 1;
                pair.state = PairState::Failed;
                pair.valid = false;
            }
            return;
        }

        self.stats.checks_succeeded += 1;
        // Karn's rule: only an answer to a transaction sent once.
        let sent_at = if check.tid == msg.transaction_id() {
            (check.timer.transmits() == 1).then_some(check.sent_at)
        } else {
            check.cancelled_sent_at
        };
        if let Some(sent_at) = sent_at {
            self.rtt = Some(now.saturating_duration_since(sent_at));
        }
        let (local, prflx_priority) = (pair.local, pair.prflx_priority);
        pair.state = PairState::Succeeded;
        pair.valid = true;
        pair.last_success = Some(now);
        let nominate = (check.use_candidate && self.role == Role::Controlling)
            || (pair.nominate_on_success && self.role == Role::Controlled);
        if nominate {
            pair.nominated = true;
        }
        pair.nominate_on_success = false;

        // Local peer-reflexive candidate (section 7.2.5.3.1); not signalled.
        if let Some(mapped) = msg.xor_mapped_address()
            && !self.local.iter().any(|c| c.addr() == mapped)
            && self.local.len() < MAX_LOCAL_CANDIDATES
        {
            self.local.push(Candidate::local_peer_reflexive(
                mapped,
                local,
                prflx_priority,
            ));
        }
        self.checklist.unfreeze_foundation(i);
        self.first_valid_at.get_or_insert(now);
        if nominate {
            self.select_pair(i, now, rng);
        }
    }

    /// A response to a consent check (RFC 7675 section 5.1): refreshes consent.
    fn handle_consent_response(&mut self, now: Instant, rx: &Receive<'_>, msg: &Message<&[u8]>) {
        let Some(sel) = &mut self.selected else {
            return;
        };
        if msg.check_fingerprint().is_err() {
            self.stats.stun_malformed += 1;
            return;
        }
        if msg.check_integrity(sel.remote_pwd.as_bytes()).is_err() {
            self.stats.stun_unauthenticated += 1;
            return;
        }
        if rx.source != sel.remote {
            self.stats.stun_dropped_asymmetric += 1;
            return;
        }
        if msg.class() != Class::Success {
            // An error (a 487 after a role change, say) still shows the peer is there, but
            // RFC 7675 counts only success responses.
            return;
        }
        self.stats.consent_responses_received += 1;
        sel.last_response = now;
        if sel.unanswered_since.take().is_some() {
            sel.consent_next = sel.consent_after_answer;
        }
        if self.state == IceConnectionState::Disconnected {
            self.set_state(self.resume_state);
        }
    }
}
