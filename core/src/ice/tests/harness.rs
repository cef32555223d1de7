//! The in-memory two-agent loop: two agents, a FIFO link with fixed latency, optional STUN
//! server and full-cone NAT, virtual time that jumps to the next deadline.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::{A_ADDR, B_ADDR, NAT_ADDR, STUN_ADDR, addr, epoch};
use crate::Receive;
use crate::ice::{Agent, IceConfig, IceConnectionState, IceEvent, Role};
use crate::stun::Responder;

pub(super) struct Peer {
    pub(super) agent: Agent,
    pub(super) rng: ChaCha20Rng,
    pub(super) addrs: Vec<SocketAddr>,
    pub(super) events: Vec<IceEvent>,
    /// Datagrams this peer sends are dropped.
    pub(super) mute: bool,
    /// Datagrams to this peer are dropped.
    pub(super) deaf: bool,
}

impl Peer {
    pub(super) fn new(
        config: IceConfig,
        role: Role,
        addr: SocketAddr,
        now: Instant,
        seed: u64,
    ) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut agent = Agent::new(config, role, now, &mut rng);
        agent.add_host_address(now, addr).unwrap();
        Self {
            agent,
            rng,
            addrs: vec![addr],
            events: Vec::new(),
            mute: false,
            deaf: false,
        }
    }

    pub(super) fn states(&self) -> Vec<IceConnectionState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                IceEvent::StateChanged(s) => Some(*s),
                _ => None,
            })
            .collect()
    }
}

pub(super) struct Datagram {
    at: Instant,
    src: SocketAddr,
    dst: SocketAddr,
    bytes: Vec<u8>,
}

/// Two agents, a FIFO link with fixed latency between them, virtual time that jumps to the
/// next deadline, and optional signalling of candidates through the events.
pub(super) struct Net {
    pub(super) start: Instant,
    pub(super) now: Instant,
    pub(super) a: Peer,
    pub(super) b: Peer,
    pub(super) latency: Duration,
    pub(super) queue: VecDeque<Datagram>,
    /// Pass local candidates and end-of-candidates to the other agent as they appear.
    pub(super) signal: bool,
    pub(super) server: Option<Responder>,
    /// Full-cone NAT in front of `a`: its datagrams leave from `NAT_ADDR`.
    pub(super) nat_a: bool,
    pub(super) sent: usize,
}

impl Net {
    pub(super) fn new(ca: IceConfig, ra: Role, cb: IceConfig, rb: Role) -> Self {
        let start = epoch();
        let a = Peer::new(ca, ra, addr(A_ADDR), start, 1);
        let b = Peer::new(cb, rb, addr(B_ADDR), start, 2);
        Self {
            start,
            now: start,
            a,
            b,
            latency: Duration::from_millis(10),
            queue: VecDeque::new(),
            signal: true,
            server: None,
            nat_a: false,
            sent: 0,
        }
    }

    pub(super) fn pair() -> Self {
        Self::new(
            IceConfig::default(),
            Role::Controlling,
            IceConfig::default(),
            Role::Controlled,
        )
    }

    pub(super) fn exchange_credentials(&mut self) {
        let ca = self.a.agent.local_credentials().clone();
        let cb = self.b.agent.local_credentials().clone();
        self.a.agent.set_remote_credentials(self.now, cb);
        self.b.agent.set_remote_credentials(self.now, ca);
    }

    pub(super) fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Drains both agents; returns whether anything happened.
    pub(super) fn drain(&mut self) -> bool {
        let mut busy = false;
        let mut buf = [0u8; 1500];
        for which in 0..2 {
            let (me, other) = if which == 0 {
                (&mut self.a, &mut self.b)
            } else {
                (&mut self.b, &mut self.a)
            };
            while let Some(t) = me.agent.poll_transmit(self.now, &mut buf) {
                busy = true;
                self.sent += 1;
                if me.mute {
                    continue;
                }
                let src = if which == 0 && self.nat_a {
                    addr(NAT_ADDR)
                } else {
                    t.source
                };
                assert!(me.addrs.contains(&t.source), "{t:?}");
                self.queue.push_back(Datagram {
                    at: self.now + self.latency,
                    src,
                    dst: t.destination,
                    bytes: buf[..t.len].to_vec(),
                });
            }
            while let Some(e) = me.agent.poll_event() {
                busy = true;
                if self.signal {
                    match &e {
                        IceEvent::LocalCandidate(c) => {
                            let _ = other.agent.add_remote_candidate(self.now, c.clone());
                        }
                        IceEvent::GatheringComplete => {
                            other.agent.end_of_remote_candidates(self.now)
                        }
                        _ => {}
                    }
                }
                me.events.push(e);
            }
        }
        if let Some(server) = &mut self.server {
            while let Some(t) = server.poll_transmit(self.now, &mut buf) {
                busy = true;
                self.queue.push_back(Datagram {
                    at: self.now + self.latency,
                    src: t.source,
                    dst: t.destination,
                    bytes: buf[..t.len].to_vec(),
                });
            }
        }
        busy
    }

    pub(super) fn deliver(&mut self) -> bool {
        let mut busy = false;
        while self.queue.front().is_some_and(|d| d.at <= self.now) {
            let Some(mut d) = self.queue.pop_front() else {
                break;
            };
            busy = true;
            let mut dst = d.dst;
            if self.nat_a && dst == addr(NAT_ADDR) {
                dst = addr(A_ADDR);
            }
            let peer = if self.a.addrs.contains(&dst) {
                &mut self.a
            } else if self.b.addrs.contains(&dst) {
                &mut self.b
            } else {
                if let Some(server) = &mut self.server
                    && dst == addr(STUN_ADDR)
                {
                    server.handle_stun(self.now, &Receive::udp(d.src, dst, &mut d.bytes));
                }
                continue;
            };
            if peer.deaf {
                continue;
            }
            let rx = Receive::udp(d.src, dst, &mut d.bytes);
            peer.agent.handle_stun(self.now, &rx, &mut peer.rng);
        }
        busy
    }

    pub(super) fn next_wakeup(&self) -> Option<Instant> {
        [
            self.a.agent.poll_timeout(),
            self.b.agent.poll_timeout(),
            self.queue.front().map(|d| d.at),
            self.server.as_ref().and_then(Responder::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until `cond` holds or `limit` of virtual time has passed; returns `cond`.
    pub(super) fn run_until(&mut self, limit: Duration, cond: impl Fn(&Self) -> bool) -> bool {
        let end = self.now + limit;
        let mut spins = 0;
        loop {
            let busy = self.deliver() | self.drain();
            if cond(self) {
                return true;
            }
            if busy {
                continue;
            }
            let Some(next) = self.next_wakeup() else {
                return false;
            };
            if next > end {
                self.now = end;
                return cond(self);
            }
            if next <= self.now {
                spins += 1;
                assert!(spins < 10_000, "busy loop at {:?}", self.elapsed());
            } else {
                spins = 0;
                self.now = next;
            }
            for p in [&mut self.a, &mut self.b] {
                if p.agent.poll_timeout().is_some_and(|t| t <= self.now) {
                    p.agent.handle_timeout(self.now, &mut p.rng);
                }
            }
        }
    }

    pub(super) fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    pub(super) fn both_connected(&self) -> bool {
        let up = |p: &Peer| {
            matches!(
                p.agent.state(),
                IceConnectionState::Connected | IceConnectionState::Completed
            )
        };
        up(&self.a) && up(&self.b)
    }

    pub(super) fn assert_same_pair(&self) {
        let (al, ar) = self.a.agent.selected_pair().expect("a has a pair");
        let (bl, br) = self.b.agent.selected_pair().expect("b has a pair");
        assert!(self.a.addrs.contains(&al));
        assert!(self.b.addrs.contains(&bl));
        assert_eq!(ar, bl);
        assert_eq!(br, if self.nat_a { addr(NAT_ADDR) } else { al });
    }
}
