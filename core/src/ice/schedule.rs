//! What happens on timers: Ta pacing of checks and gathering requests (RFC 8445 section
//! 14.2), retransmissions, nomination (section 8.1.1), consent freshness and keepalives
//! (RFC 7675, RFC 8445 section 11), failure (section 8.1.2, RFC 8838 section 8.2), derived state
//! transitions, and arming the timer table.

use std::time::Instant;

use rand_core::CryptoRng;

use crate::ice::agent::{
    Agent, CHECK_LAST_WAIT_FACTOR, CONSENT_TIDS, GatherState, Outgoing, after, jitter, push_out,
};
use crate::ice::pair::{Check, MAX_NOMINATION_ATTEMPTS, PairState};
use crate::ice::timer::{Timer, TimerTable};
use crate::ice::{IceConfig, IceConnectionState, IceEvent, Role};
use crate::stun::{RetransmitTimer, TimerOutcome, TransactionId};

impl Agent {
    /// Fires the timers due at `now`: Ta-paced checks and gathering requests,
    /// retransmissions, nomination, consent checks, keepalives, and the Disconnected and
    /// Failed transitions. Early or repeated calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant, rng: &mut dyn CryptoRng) {
        let now = self.clamp(now);
        if self.is_closed() {
            return;
        }
        // Failed or not, TURN allocations are kept alive for an ICE restart.
        self.run_relays(now);
        if !self.is_active() {
            self.arm_timers();
            return;
        }
        self.run_transactions(now);
        if self.is_active() {
            self.pace(now, rng);
            self.maybe_nominate(now, rng);
            self.run_consent(now, rng);
            self.check_failure(now);
        }
        if self.is_active()
            && !self.gathering_reported
            && self.hosts().next().is_some()
            && self.gathering_done()
        {
            self.gathering_reported = true;
            self.events.push_back(IceEvent::GatheringComplete);
        }
        self.update_state();
        self.arm_timers();
    }

    /// Retransmissions and timeouts of checks and gathering requests.
    fn run_transactions(&mut self, now: Instant) {
        let mut failed_any = false;
        for pair in &mut self.checklist.pairs {
            let Some(check) = &mut pair.check else {
                continue;
            };
            match check.timer.handle_timeout(now) {
                TimerOutcome::Wait => {}
                TimerOutcome::Retransmit => {
                    let tid = check.tid;
                    if push_out(&mut self.outbox, Outgoing::Check(tid)) {
                        self.stats.check_retransmits += 1;
                    }
                }
                TimerOutcome::TimedOut => {
                    let nominating = check.use_candidate;
                    pair.check = None;
                    if nominating
                        && pair.valid
                        && pair.nominations_timed_out + 1 < MAX_NOMINATION_ATTEMPTS
                    {
                        // Lost nomination on a valid pair: nominate again (maybe_nominate).
                        pair.nominations_timed_out += 1;
                        self.stats.checks_failed += 1;
                        continue;
                    }
                    pair.state = PairState::Failed;
                    pair.valid = false;
                    pair.nominate_on_success = false;
                    self.stats.checks_failed += 1;
                    failed_any = true;
                }
            }
        }
        if failed_any {
            self.first_valid_at = self
                .first_valid_at
                .filter(|_| self.checklist.best_valid().is_some());
        }
        for g in &mut self.gathers {
            if let GatherState::InFlight { tid, timer } = &mut g.state {
                match timer.handle_timeout(now) {
                    TimerOutcome::Wait => {}
                    TimerOutcome::Retransmit => {
                        let tid = *tid;
                        push_out(&mut self.outbox, Outgoing::Gather(tid));
                    }
                    TimerOutcome::TimedOut => g.state = GatherState::Done,
                }
            }
        }
    }

    /// One Ta tick: a triggered check, else a gathering request, else the best waiting check.
    fn pace(&mut self, now: Instant, rng: &mut dyn CryptoRng) {
        if self
            .last_paced
            .is_some_and(|t| now < after(t, self.config.ta))
        {
            return;
        }
        let can_check = !self.config.lite && self.remote_creds.is_some();
        if can_check && let Some(i) = self.checklist.pop_triggered() {
            self.start_check(i, false, now, rng);
            return;
        }
        if let Some(g) = self
            .gathers
            .iter_mut()
            .find(|g| matches!(g.state, GatherState::Pending))
        {
            let tid = TransactionId::random(rng);
            let timer = check_timer(&self.config, now);
            g.state = GatherState::InFlight { tid, timer };
            push_out(&mut self.outbox, Outgoing::Gather(tid));
            self.last_paced = Some(now);
            return;
        }
        if can_check && let Some(i) = self.checklist.next_ordinary() {
            self.start_check(i, false, now, rng);
        }
    }

    /// Sends a new check on pair `i` (a new transaction, replacing any in flight).
    pub(crate) fn start_check(
        &mut self,
        i: usize,
        use_candidate: bool,
        now: Instant,
        rng: &mut dyn CryptoRng,
    ) {
        let role = self.role;
        let timer = check_timer(&self.config, now);
        let Some(pair) = self.checklist.pairs.get_mut(i) else {
            return;
        };
        let tid = TransactionId::random(rng);
        let cancelled_tid = pair.check.as_ref().map(|c| c.tid);
        let cancelled_sent_at = pair
            .check
            .as_ref()
            .filter(|c| c.timer.transmits() == 1)
            .map(|c| c.sent_at);
        pair.check = Some(Check {
            tid,
            timer,
            use_candidate,
            role,
            cancelled_tid,
            sent_at: now,
            cancelled_sent_at,
        });
        pair.triggered = None;
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
        push_out(&mut self.outbox, Outgoing::Check(tid));
        self.last_paced = Some(now);
        if self.state == IceConnectionState::New {
            self.set_state(IceConnectionState::Checking);
        }
    }

    /// Regular nomination by the controlling agent (RFC 8445 section 8.1.1): once the best
    /// valid pair cannot be beaten by a pair still being checked, or
    /// [`IceConfig::nomination_timeout`](crate::ice::IceConfig::nomination_timeout) after the first valid pair, it is checked again with
    /// USE-CANDIDATE. A better pair that becomes valid later is nominated in turn (the pair is
    /// switched, as browsers do; RFC 8445 would keep the first).
    fn maybe_nominate(&mut self, now: Instant, rng: &mut dyn CryptoRng) {
        if self.config.lite || self.role != Role::Controlling || self.remote_creds.is_none() {
            return;
        }
        let Some(best) = self.checklist.best_valid() else {
            return;
        };
        let pairs = &self.checklist.pairs;
        if pairs[best].nominated
            || pairs
                .iter()
                .any(|p| p.check.as_ref().is_some_and(|c| c.use_candidate))
        {
            return;
        }
        let waited = self
            .first_valid_at
            .is_none_or(|t| now >= after(t, self.config.nomination_timeout));
        if self.checklist.better_pending(pairs[best].priority) && !waited {
            return;
        }
        self.start_check(best, true, now, rng);
    }

    /// Consent freshness checks (RFC 7675), keepalives (RFC 8445 section 11), and the
    /// Disconnected and consent-lost transitions.
    fn run_consent(&mut self, now: Instant, rng: &mut dyn CryptoRng) {
        let lite = self.config.lite;
        let Some(sel) = &mut self.selected else {
            return;
        };
        if now >= after(sel.last_response, self.config.consent_timeout) {
            self.fail();
            return;
        }
        if !lite && now >= sel.consent_next {
            let tid = TransactionId::random(rng);
            if push_out(&mut self.outbox, Outgoing::Consent(tid)) {
                sel.consent_tids[sel.consent_cursor % CONSENT_TIDS] = Some(tid);
                sel.consent_cursor = (sel.consent_cursor + 1) % CONSENT_TIDS;
                self.stats.consent_checks_sent += 1;
            }
            sel.last_sent = now;
            sel.unanswered_since.get_or_insert(now);
            sel.consent_after_answer = after(now, jitter(self.config.consent_interval, rng));
            sel.consent_next =
                after(now, self.config.consent_retry_interval).min(sel.consent_after_answer);
        }
        if now >= after(sel.last_sent, self.config.keepalive_interval) {
            let tid = TransactionId::random(rng);
            if push_out(&mut self.outbox, Outgoing::Keepalive(tid)) {
                self.stats.keepalives_sent += 1;
            }
            sel.last_sent = now;
        }
    }

    /// Fails the agent when the check list is exhausted (RFC 8445 section 8.1.2 with RFC 8838
    /// section 8.2: end-of-candidates, or the trickle timeout).
    fn check_failure(&mut self, now: Instant) {
        if self.selected.is_some() {
            return;
        }
        if let Some(deadline) = self.failure_deadline()
            && now >= deadline
        {
            self.fail();
        }
    }

    /// When the agent fails for lack of a working pair, if nothing changes.
    fn failure_deadline(&self) -> Option<Instant> {
        if self.selected.is_some() || !self.is_active() {
            return None;
        }
        let started = self.last_activity?;
        let exhausted = self.config.lite || self.checklist.all_failed();
        if !exhausted {
            return None;
        }
        if self.end_of_candidates && !self.config.lite {
            Some(self.last_now)
        } else {
            Some(after(started, self.config.trickle_timeout))
        }
    }

    /// Consent lost or checks exhausted: stop sending and report Failed.
    pub(crate) fn fail(&mut self) {
        self.selected = None;
        self.outbox.clear();
        for p in &mut self.checklist.pairs {
            p.check = None;
            p.triggered = None;
        }
        self.set_state(IceConnectionState::Failed);
    }

    /// Derived transitions: Connected to Completed, and Disconnected.
    pub(crate) fn update_state(&mut self) {
        let Some(sel) = &self.selected else {
            return;
        };
        let unanswered = sel
            .unanswered_since
            .is_some_and(|t| self.last_now >= after(t, self.config.disconnected_timeout));
        match self.state {
            IceConnectionState::Connected | IceConnectionState::Completed if unanswered => {
                self.resume_state = self.state;
                self.set_state(IceConnectionState::Disconnected);
            }
            IceConnectionState::Connected
                if self.end_of_candidates
                    && sel.generation == self.generation
                    && (self.config.lite || self.checklist.is_finished()) =>
            {
                self.set_state(IceConnectionState::Completed);
            }
            _ => {}
        }
    }

    /// Applies derived transitions, then sets every timer from the current state. Called at
    /// the end of each public method.
    pub(crate) fn arm_timers(&mut self) {
        self.update_state();
        if !self.is_active() {
            self.timers.stop_all();
            if !self.is_closed() {
                self.timers.set_opt(Timer::Relay, self.relay_deadline());
            }
            return;
        }
        let now = self.last_now;
        let mut t = TimerTable::default();
        let can_check = !self.config.lite && self.remote_creds.is_some();
        let pacing = self
            .gathers
            .iter()
            .any(|g| matches!(g.state, GatherState::Pending))
            || (can_check && self.checklist.has_work());
        if pacing {
            t.set(
                Timer::Pacing,
                self.last_paced.map_or(now, |p| after(p, self.config.ta)),
            );
        }
        let checks = self
            .checklist
            .pairs
            .iter()
            .filter_map(|p| p.check.as_ref().map(|c| c.timer.deadline()));
        let gathers = self.gathers.iter().filter_map(|g| match &g.state {
            GatherState::InFlight { timer, .. } => Some(timer.deadline()),
            _ => None,
        });
        t.set_opt(Timer::Transaction, checks.chain(gathers).min());
        t.set_opt(Timer::Relay, self.relay_deadline());
        if can_check
            && self.role == Role::Controlling
            && let Some(best) = self.checklist.best_valid()
        {
            let pairs = &self.checklist.pairs;
            let nominating = pairs
                .iter()
                .any(|p| p.check.as_ref().is_some_and(|c| c.use_candidate));
            if !pairs[best].nominated && !nominating {
                let at = if self.checklist.better_pending(pairs[best].priority) {
                    self.first_valid_at
                        .map_or(now, |f| after(f, self.config.nomination_timeout))
                } else {
                    now
                };
                t.set(Timer::Nomination, at);
            }
        }
        if let Some(sel) = &self.selected {
            if !self.config.lite {
                t.set(Timer::Consent, sel.consent_next);
                if self.state != IceConnectionState::Disconnected
                    && let Some(u) = sel.unanswered_since
                {
                    t.set(
                        Timer::Disconnected,
                        after(u, self.config.disconnected_timeout),
                    );
                }
            }
            t.set(
                Timer::Keepalive,
                after(sel.last_sent, self.config.keepalive_interval),
            );
            t.set(
                Timer::ConsentExpiry,
                after(sel.last_response, self.config.consent_timeout),
            );
        }
        t.set_opt(Timer::Fail, self.failure_deadline());
        let gathering_pending =
            !self.gathering_reported && self.hosts().next().is_some() && self.gathering_done();
        if gathering_pending {
            t.set(Timer::Immediate, now);
        }
        self.timers = t;
    }
}

/// The retransmission schedule of a check or gathering request started at `now`.
fn check_timer(config: &IceConfig, now: Instant) -> RetransmitTimer {
    RetransmitTimer::with_limits(
        now,
        config.check_rto,
        config.check_max_transmits,
        CHECK_LAST_WAIT_FACTOR,
    )
    .with_max_interval(config.check_max_rto)
}
