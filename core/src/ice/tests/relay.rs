//! Relayed candidates: an agent with a TURN server against a scripted server (the responses of
//! `crate::turn::tests`), RFC 8445 section 5.1.1.2 with RFC 8656.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::epoch;
use crate::ice::{
    Agent, Candidate, CandidateKind, Credentials, IceConfig, IceEvent, RelayInput, Role,
};
use crate::net::{Receive, Transmit};
use crate::stun::{Class, Message, MessageBuilder, Method, TransactionId};
use crate::turn::tests::{
    PASS, USER, allocated, challenge, key, mapped, relayed, respond, server_addr,
};
use crate::turn::wire::{CHANNEL_BIND, CREATE_PERMISSION, DATA, DATA_ATTR, REFRESH, SEND};
use crate::turn::wire::{XOR_PEER_ADDRESS, lifetime};
use crate::turn::{TurnError, TurnServer};

fn host() -> SocketAddr {
    "10.0.0.2:5000".parse().unwrap()
}
fn peer() -> SocketAddr {
    "203.0.113.9:7000".parse().unwrap()
}

struct Setup {
    agent: Agent,
    rng: ChaCha20Rng,
    now: Instant,
}

impl Setup {
    fn new(relay_only: bool, password: &str) -> Self {
        let now = epoch();
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let config = IceConfig::default().relay_only(relay_only);
        let mut agent = Agent::new(config, Role::Controlling, now, &mut rng);
        agent.add_host_address(now, host()).unwrap();
        let server = TurnServer::new(server_addr(), USER, password);
        agent.add_turn_server(now, server, &mut rng).unwrap();
        Self { agent, rng, now }
    }

    /// Every datagram the agent sends now.
    fn out(&mut self) -> Vec<(Transmit, Vec<u8>)> {
        let mut buf = [0u8; 1500];
        let mut out = Vec::new();
        while let Some(t) = self.agent.poll_transmit(self.now, &mut buf) {
            out.push((t, buf[..t.len].to_vec()));
        }
        out
    }

    /// The one request to the TURN server the agent sends now.
    fn request(&mut self) -> Vec<u8> {
        let out = self.out();
        assert_eq!(out.len(), 1, "{out:?}");
        let (t, bytes) = &out[0];
        assert_eq!((t.source, t.destination), (host(), server_addr()));
        bytes.clone()
    }

    /// Hands the agent a datagram from the TURN server.
    fn deliver_from_server(&mut self, bytes: &[u8]) -> Option<(SocketAddr, SocketAddr, Vec<u8>)> {
        let mut bytes = bytes.to_vec();
        let rx = Receive::udp(server_addr(), host(), &mut bytes);
        match self.agent.handle_relay(self.now, rx) {
            RelayInput::Consumed => None,
            RelayInput::Relayed(rx) => Some((rx.source, rx.destination, rx.contents.to_vec())),
            RelayInput::Direct(rx) => panic!("not taken as TURN: {rx:?}"),
        }
    }

    fn events(&mut self) -> Vec<IceEvent> {
        std::iter::from_fn(|| self.agent.poll_event()).collect()
    }

    fn tick(&mut self) {
        self.agent.handle_timeout(self.now, &mut self.rng);
    }

    /// Runs the 401 and the authenticated Allocate.
    fn allocate(&mut self) {
        let first = self.request();
        assert!(self.deliver_from_server(&challenge(&first, "n")).is_none());
        let second = self.request();
        assert!(self.deliver_from_server(&allocated(&second, 600)).is_none());
    }
}

#[test]
fn relay_only_agent_signals_the_relayed_candidate_alone() {
    let mut s = Setup::new(true, PASS);
    let first = s.request();
    assert_eq!(
        Message::new_checked(&first[..]).unwrap().method(),
        Method(0x003)
    );
    s.tick();
    let before = s.events();
    assert!(
        !before
            .iter()
            .any(|e| matches!(e, IceEvent::LocalCandidate(_) | IceEvent::GatheringComplete)),
        "no host candidate, and gathering waits for the allocation: {before:?}"
    );
    assert!(s.deliver_from_server(&challenge(&first, "n")).is_none());
    let second = s.request();
    assert!(s.deliver_from_server(&allocated(&second, 600)).is_none());
    s.tick();
    let events = s.events();
    let candidate = events.iter().find_map(|e| match e {
        IceEvent::LocalCandidate(c) => Some(c.clone()),
        _ => None,
    });
    let candidate = candidate.expect("a relayed candidate");
    assert_eq!(candidate.kind(), CandidateKind::Relayed);
    assert_eq!(candidate.addr(), relayed());
    assert_eq!(candidate.base(), relayed());
    assert_eq!(candidate.related_address(), Some(mapped()));
    assert!(events.contains(&IceEvent::GatheringComplete));
    let locals: Vec<&Candidate> = s.agent.local_candidates().collect();
    assert_eq!(locals, vec![&candidate]);
}

#[test]
fn checks_go_through_the_server_and_answers_come_back_relayed() {
    let mut s = Setup::new(false, PASS);
    s.allocate();
    let creds = Credentials {
        ufrag: "peer".into(),
        pwd: "peer-password-0123456789".into(),
    };
    s.agent.set_remote_credentials(s.now, creds.clone());
    s.agent
        .add_remote_candidate(s.now, Candidate::host(peer()))
        .unwrap();
    // The remote candidate is let through the relay at once.
    let permission = s.request();
    let msg = Message::new_checked(&permission[..]).unwrap();
    assert_eq!(msg.method(), CREATE_PERMISSION);
    assert_eq!(
        msg.xor_address(XOR_PEER_ADDRESS).map(|a| a.ip()),
        Some(peer().ip())
    );
    assert!(
        s.deliver_from_server(&respond(&permission, Class::Success, Some(&key()), |_| {}))
            .is_none()
    );

    // Checks: the host pair directly, the relayed pair as a Send indication to the server.
    let mut relayed_check = None;
    for _ in 0..20 {
        s.tick();
        for (t, bytes) in s.out() {
            let msg = Message::new_checked(&bytes[..]).unwrap();
            if msg.method() == SEND {
                assert_eq!((t.source, t.destination), (host(), server_addr()));
                assert_eq!(msg.xor_address(XOR_PEER_ADDRESS), Some(peer()));
                relayed_check = msg.attribute(DATA_ATTR).map(<[u8]>::to_vec);
            } else if msg.method() == CHANNEL_BIND {
                assert_eq!(t.destination, server_addr());
            } else {
                assert_eq!(
                    (t.source, t.destination),
                    (host(), peer()),
                    "a direct check"
                );
            }
        }
        if relayed_check.is_some() {
            break;
        }
        s.now += Duration::from_millis(50);
    }
    let check = relayed_check.expect("a check from the relayed candidate");
    let check = Message::new_checked(&check[..]).unwrap();
    assert_eq!(check.method(), Method::BINDING);

    // The peer answers; the server hands it to us in a Data indication.
    let mut answer = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut answer,
        Class::Success,
        Method::BINDING,
        check.transaction_id(),
    )
    .unwrap();
    b.add_xor_mapped_address(relayed()).unwrap();
    b.add_message_integrity(creds.pwd.as_bytes()).unwrap();
    let n = b.finish_with_fingerprint().unwrap();
    let mut data = [0u8; 512];
    let mut b = MessageBuilder::new(
        &mut data,
        Class::Indication,
        DATA,
        TransactionId::new([4; 12]),
    )
    .unwrap();
    b.add_xor_address(XOR_PEER_ADDRESS, peer()).unwrap();
    b.add_raw(DATA_ATTR, &answer[..n]).unwrap();
    let len = b.finish();
    let (source, destination, mut inner) =
        s.deliver_from_server(&data[..len]).expect("relayed data");
    assert_eq!((source, destination), (peer(), relayed()));
    let rx = Receive::udp(source, destination, &mut inner);
    assert!(s.agent.handle_stun(s.now, &rx, &mut s.rng));
    assert_eq!(s.agent.stats().checks_succeeded, 1);
    assert_eq!(s.agent.best_valid_pair(), Some((relayed(), peer())));
    assert!(s.agent.stats().turn.relayed_received >= 1);
}

#[test]
fn a_refused_allocation_is_reported_and_gathering_completes_without_it() {
    let mut s = Setup::new(true, "wrong");
    let first = s.request();
    s.deliver_from_server(&challenge(&first, "n"));
    let second = s.request();
    s.deliver_from_server(&challenge(&second, "n"));
    s.tick();
    let events = s.events();
    assert!(events.contains(&IceEvent::RelayFailed {
        server: server_addr(),
        error: TurnError::Unauthorized
    }));
    assert!(events.contains(&IceEvent::GatheringComplete));
    assert_eq!(s.agent.local_candidates().count(), 0);
}

#[test]
fn close_releases_the_allocation_after_everything_else() {
    let mut s = Setup::new(true, PASS);
    s.allocate();
    s.agent.close(s.now);
    assert!(s.out().is_empty(), "the agent sends nothing after close");
    let mut buf = [0u8; 512];
    let t = s.agent.poll_release(&mut buf).expect("a release");
    assert_eq!((t.source, t.destination), (host(), server_addr()));
    let msg = Message::new_checked(&buf[..t.len]).unwrap();
    assert_eq!(msg.method(), REFRESH);
    assert_eq!(lifetime(&msg), Some(0));
    assert!(s.agent.poll_release(&mut buf).is_none(), "sent once");
}

#[test]
fn datagrams_from_other_addresses_pass_through() {
    let mut s = Setup::new(false, PASS);
    s.allocate();
    let mut bytes = *b"\x40\x00\x00\x01x";
    let rx = Receive::udp(peer(), host(), &mut bytes);
    assert!(matches!(
        s.agent.handle_relay(s.now, rx),
        RelayInput::Direct(_)
    ));
}
