//! The event loop (`step`, `run_*`) and the path of one datagram: sender's uplink, routing
//! through realms and NATs, receiver's downlink, delivery. Every step of a datagram is traced;
//! nothing here allocates once the buffer pool and event queue have grown to the run's peak
//! (NATs excepted when they create a mapping).

use std::time::{Duration, Instant};

use sansrtc::net::{Receive, Transmit};

use super::link::Transit;
use super::queue::{Event, Stage};
use super::trace::{DropCause, Fnv64, TraceEntry, Verdict};
use super::{HostId, LIVELOCK_STEPS, MAX_DRAIN, Owner, Realm, Sim};

/// Hops through NATs one datagram may take before it is called a routing loop.
const MAX_HOPS: usize = 16;

impl Sim {
    /// Runs one step: drains the peers, advances to the next wakeup and handles everything
    /// due then. Returns `false`, without moving time, when nothing is scheduled at all.
    ///
    /// # Panics
    ///
    /// On a livelock: 100 000 steps in a row without virtual time advancing (a peer
    /// whose `poll_timeout` stays in the past, or zero-delay datagrams bouncing forever).
    pub fn step(&mut self) -> bool {
        self.drain();
        match self.next_wakeup() {
            Some(t) => {
                self.advance_to(t);
                true
            }
            None => false,
        }
    }

    /// Runs until virtual time `t` (everything due at or before `t` is handled), then sets
    /// the clock to `t`.
    pub fn run_until(&mut self, t: Instant) {
        loop {
            self.drain();
            match self.next_wakeup() {
                Some(next) if next <= t => self.advance_to(next),
                _ => break,
            }
        }
        self.set_now(t);
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        self.run_until(self.now + d);
    }

    /// Runs until `cond` holds (checked before each step) or `limit` of virtual time has
    /// passed; returns whether `cond` held. On `false`, the clock is at the limit.
    pub fn run_until_cond(&mut self, limit: Duration, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let deadline = self.now + limit;
        loop {
            if cond(self) {
                return true;
            }
            self.drain();
            match self.next_wakeup() {
                Some(next) if next <= deadline => self.advance_to(next),
                _ => {
                    self.set_now(deadline);
                    return cond(self);
                }
            }
        }
    }

    /// The earliest of the next delivery and every peer's timeout, never before now.
    fn next_wakeup(&self) -> Option<Instant> {
        let timers = self.hosts.iter().filter_map(|h| h.peer.poll_timeout());
        let next = timers.chain(self.queue.next_at()).min()?;
        Some(next.max(self.now))
    }

    fn set_now(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
            self.stalled = 0;
        }
    }

    fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.set_now(t);
        } else {
            self.stalled += 1;
            if self.stalled > LIVELOCK_STEPS {
                self.livelock();
            }
        }
        let now = self.now;
        while let Some(event) = self.queue.pop_due(now) {
            self.handle_event(event);
        }
        for host in &mut self.hosts {
            if host.peer.poll_timeout().is_some_and(|d| d <= now) {
                host.peer.handle_timeout(now);
            }
        }
        self.drain();
    }

    /// Drains every peer's `poll_transmit` into the network.
    fn drain(&mut self) {
        for i in 0..self.hosts.len() {
            let id = HostId(i as u32);
            let mut count = 0;
            while let Some(tx) = self.hosts[i]
                .peer
                .poll_transmit(self.now, &mut self.scratch)
            {
                count += 1;
                assert!(
                    count <= MAX_DRAIN,
                    "host {} emitted {MAX_DRAIN} datagrams in one drain; {}",
                    self.hosts[i].name,
                    self.replay_hint()
                );
                self.transmit(id, tx);
            }
        }
    }

    fn livelock(&self) -> ! {
        let stuck: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| h.peer.poll_timeout().is_some_and(|t| t <= self.now))
            .map(|h| h.name)
            .collect();
        panic!(
            "livelock: {LIVELOCK_STEPS} steps without virtual time advancing at {:?}; \
             peers whose poll_timeout is not in the future: {stuck:?}; {} in flight; {}",
            self.elapsed(),
            self.queue.len(),
            self.replay_hint()
        );
    }

    /// Takes a datagram a peer wrote into `self.scratch` and puts it on its host's uplink.
    pub(super) fn transmit(&mut self, from: HostId, tx: Transmit) {
        let Some(bytes) = self.scratch.get(..tx.len) else {
            let name = self.hosts[from.0 as usize].name;
            panic!("host {name}: Transmit::len {} exceeds the buffer", tx.len);
        };
        let hash = Fnv64::hash(bytes);
        let mut event = Event {
            at: self.now,
            seq: 0,
            stage: Stage::Routed { from },
            src: tx.source,
            dst: tx.destination,
            buf: 0,
            len: tx.len as u32,
            hash,
        };
        self.note(&event, Verdict::Sent);
        let host = &mut self.hosts[from.0 as usize];
        let transit = if host.addrs.contains(&tx.source.ip()) {
            host.up.transit(self.now, tx.len)
        } else {
            Transit::Dropped(DropCause::BadSource)
        };
        match transit {
            Transit::Dropped(cause) => self.note(&event, Verdict::Dropped(cause)),
            Transit::Pass { at, duplicate } => {
                event.buf = self.pool.take(&self.scratch[..tx.len]);
                event.at = at;
                self.schedule(event, duplicate);
            }
        }
    }

    /// Handles an event that has come due.
    pub(super) fn handle_event(&mut self, event: Event) {
        match event.stage {
            Stage::Routed { from } => self.route(event, from),
            Stage::Deliver { to } => self.deliver(event, to),
        }
    }

    /// Routes a datagram that left `from`'s uplink to its destination's downlink, through
    /// NATs: into a NAT when it is addressed to the NAT's public address in the NAT's outer
    /// realm, out of one when its destination is not in the private realm it is in.
    fn route(&mut self, mut event: Event, from: HostId) {
        let mut realm = self.hosts[from.0 as usize].realm;
        for _ in 0..MAX_HOPS {
            match self.owners.get(&(realm, event.dst.ip())).copied() {
                Some(Owner::Host(to)) => return self.downlink(event, to),
                Some(Owner::Nat(n)) => {
                    let nat = &mut self.nats[n.0 as usize];
                    match nat.inbound(self.now, event.src, event.dst.port()) {
                        Ok(internal) => {
                            event.dst = internal;
                            realm = Realm::Behind(n);
                        }
                        Err(cause) => return self.drop_event(&event, cause),
                    }
                }
                None => {
                    let Realm::Behind(n) = realm else {
                        return self.drop_event(&event, DropCause::NoRoute);
                    };
                    let nat = &mut self.nats[n.0 as usize];
                    if event.dst.ip() == nat.public_ip && !nat.config.hairpinning {
                        return self.drop_event(&event, DropCause::Hairpin);
                    }
                    match nat.outbound(self.now, event.src, event.dst) {
                        Ok(external) => {
                            event.src = external;
                            realm = nat.outer;
                        }
                        Err(cause) => return self.drop_event(&event, cause),
                    }
                }
            }
        }
        self.drop_event(&event, DropCause::NoRoute);
    }

    /// Puts a routed datagram on `to`'s downlink.
    fn downlink(&mut self, mut event: Event, to: HostId) {
        match self.hosts[to.0 as usize]
            .down
            .transit(self.now, event.len as usize)
        {
            Transit::Dropped(cause) => self.drop_event(&event, cause),
            Transit::Pass { at, duplicate } => {
                event.at = at;
                event.stage = Stage::Deliver { to };
                self.schedule(event, duplicate);
            }
        }
    }

    /// Hands a datagram to its host's peer and frees its buffer.
    fn deliver(&mut self, event: Event, to: HostId) {
        self.note(&event, Verdict::Delivered);
        let bytes = &mut self.pool.get_mut(event.buf)[..event.len as usize];
        let rx = Receive::udp(event.src, event.dst, bytes);
        self.hosts[to.0 as usize].peer.handle_datagram(self.now, rx);
        self.pool.release(event.buf);
    }

    /// Queues `event` (its buffer already taken) and, if the link duplicated it, a copy.
    fn schedule(&mut self, event: Event, duplicate: Option<Instant>) {
        self.queue.push(event);
        if let Some(at) = duplicate {
            self.note(&event, Verdict::Duplicated);
            let copy = Event {
                at,
                buf: self.pool.duplicate(event.buf),
                ..event
            };
            self.queue.push(copy);
        }
    }

    fn drop_event(&mut self, event: &Event, cause: DropCause) {
        self.note(event, Verdict::Dropped(cause));
        self.pool.release(event.buf);
    }

    fn note(&mut self, event: &Event, verdict: Verdict) {
        self.trace.record(TraceEntry {
            at: self.now - self.epoch,
            from: event.src,
            to: event.dst,
            len: event.len,
            verdict,
            payload_hash: event.hash,
        });
    }
}
