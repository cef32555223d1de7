//! Property test of the agent as a state machine: arbitrary sequences of inputs, commands and
//! time steps, against invariants (no panic, bounded memory, `poll_timeout() >= now`,
//! nothing sent after close).

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::{A_ADDR, B_ADDR, addr, check_from, lone_agent};
use crate::Receive;
use crate::ice::agent::OUTBOX_LIMIT;
use crate::ice::{Agent, Candidate, IceConfig, IceConnectionState, Role};
use crate::stun::{Class, MessageBuilder, Method, TransactionId};

#[derive(Debug, Clone)]
enum Op {
    /// A valid check, as a second agent would send, from one of many source ports.
    ValidCheck {
        port: u16,
        controlling: bool,
        use_candidate: bool,
    },
    /// A response-looking message with a fresh transaction ID.
    Response {
        port: u16,
        error: bool,
    },
    Garbage(Vec<u8>),
    /// A STUN header (right cookie and length) followed by random attribute bytes.
    StunLike(u8, Vec<u8>),
    AddRemote {
        port: u16,
        v6: bool,
    },
    /// Tell the agent about the real peer agent's candidate.
    AddPeer,
    /// Exchange credentials with the real peer agent.
    SetRemoteCredentials,
    /// Deliver what the agent and the real peer agent sent each other.
    Deliver,
    EndOfCandidates,
    Restart,
    Close,
    Advance(Duration),
}

fn arb_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u16..300, any::<bool>(), any::<bool>()).prop_map(
            |(port, controlling, use_candidate)| Op::ValidCheck {
                port,
                controlling,
                use_candidate
            }
        ),
        1 => (0u16..300, any::<bool>()).prop_map(|(port, error)| Op::Response { port, error }),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Op::Garbage),
        2 => (
            0u8..4,
            proptest::collection::vec(any::<u8>(), 0..16).prop_map(|mut v| {
                v.truncate(v.len() / 4 * 4);
                v
            })
        )
            .prop_map(|(class, v)| Op::StunLike(class, v)),
        2 => (1u16..200, any::<bool>()).prop_map(|(port, v6)| Op::AddRemote { port, v6 }),
        1 => Just(Op::AddPeer),
        2 => Just(Op::SetRemoteCredentials),
        6 => Just(Op::Deliver),
        1 => Just(Op::EndOfCandidates),
        1 => Just(Op::Restart),
        1 => Just(Op::Close),
        4 => (0u64..40_000).prop_map(|ms| Op::Advance(Duration::from_millis(ms))),
    ]
}

type Link = VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>;

/// Drains `agent`'s datagrams; those for `to` go on `link`. Returns how many were sent.
fn drain(agent: &mut Agent, now: Instant, to: SocketAddr, link: &mut Link) -> usize {
    let mut out = [0u8; 1500];
    let mut sent = 0;
    while let Some(t) = agent.poll_transmit(now, &mut out) {
        sent += 1;
        if t.destination == to && sent < 1000 {
            link.push_back((t.source, t.destination, out[..t.len].to_vec()));
        }
        if sent >= 1000 {
            break;
        }
    }
    while agent.poll_event().is_some() {}
    sent
}

/// Runs `ops` against a fresh agent; returns its final state.
fn run_ops(ops: &[Op], lite: bool, seed: u64) -> Result<IceConnectionState, TestCaseError> {
    let config = IceConfig::default()
        .lite(lite)
        .max_remote_candidates(12)
        .max_pairs(10);
    let (mut agent, mut rng, start) = lone_agent(config.clone(), Role::Controlling, seed);
    agent
        .add_host_address(start, addr("[2001:db8::1]:5000"))
        .unwrap();
    // A real full agent to talk to, controlling or controlled by the seed.
    let mut peer_rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5eed);
    let peer_role = if seed.is_multiple_of(2) {
        Role::Controlled
    } else {
        Role::Controlling
    };
    let mut peer = Agent::new(IceConfig::default(), peer_role, start, &mut peer_rng);
    peer.add_host_address(start, addr(B_ADDR)).unwrap();
    peer.add_remote_candidate(start, Candidate::host(addr(A_ADDR)))
        .unwrap();
    let mut to_agent = Link::new();
    let mut to_peer = Link::new();

    let mut now = start;
    let mut closed = false;
    let mut buf = [0u8; 1500];
    let mut tid_counter = 0u32;
    let src = |port: u16| SocketAddr::new("198.51.100.7".parse().unwrap(), 20_000 + port);
    for op in ops {
        tid_counter += 1;
        let mut tid = [0u8; 12];
        tid[..4].copy_from_slice(&tid_counter.to_be_bytes());
        let tid = TransactionId::new(tid);
        match op {
            Op::ValidCheck {
                port,
                controlling,
                use_candidate,
            } => {
                let creds = agent.local_credentials().clone();
                let len = check_from(&creds, "peer", tid, *controlling, *use_candidate, &mut buf);
                let rx = Receive::udp(src(*port), addr(A_ADDR), &mut buf[..len]);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::Response { port, error } => {
                let class = if *error { Class::Error } else { Class::Success };
                let mut b = MessageBuilder::new(&mut buf, class, Method::BINDING, tid).unwrap();
                b.add_xor_mapped_address(src(*port)).unwrap();
                let len = b.finish_with_fingerprint().unwrap();
                let rx = Receive::udp(src(*port), addr(A_ADDR), &mut buf[..len]);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::Garbage(bytes) => {
                let mut bytes = bytes.clone();
                let rx = Receive::udp(src(1), addr(A_ADDR), &mut bytes);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::StunLike(class, body) => {
                let mut bytes = vec![(class & 2) >> 1, 1 | ((class & 1) << 4), 0, 0];
                bytes[3] = u8::try_from(body.len()).unwrap();
                bytes.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
                bytes.extend_from_slice(tid.as_bytes());
                bytes.extend_from_slice(body);
                let rx = Receive::udp(src(2), addr(A_ADDR), &mut bytes);
                agent.handle_stun(now, &rx, &mut rng);
            }
            Op::AddRemote { port, v6 } => {
                let ip: IpAddr = if *v6 {
                    "2001:db8::9".parse().unwrap()
                } else {
                    "10.9.0.1".parse().unwrap()
                };
                let c = Candidate::host(SocketAddr::new(ip, *port));
                let _ = agent.add_remote_candidate(now, c);
            }
            Op::AddPeer => {
                let _ = agent.add_remote_candidate(now, Candidate::host(addr(B_ADDR)));
            }
            Op::SetRemoteCredentials => {
                agent.set_remote_credentials(now, peer.local_credentials().clone());
                peer.set_remote_credentials(now, agent.local_credentials().clone());
            }
            Op::Deliver => {
                while let Some((s, d, mut bytes)) = to_peer.pop_front() {
                    peer.handle_stun(now, &Receive::udp(s, d, &mut bytes), &mut peer_rng);
                }
                while let Some((s, d, mut bytes)) = to_agent.pop_front() {
                    agent.handle_stun(now, &Receive::udp(s, d, &mut bytes), &mut rng);
                }
            }
            Op::EndOfCandidates => agent.end_of_remote_candidates(now),
            Op::Restart => {
                agent.restart(now, &mut rng);
                // The peer goes along (new credentials for both) half of the time.
                if tid_counter.is_multiple_of(2) {
                    peer.restart(now, &mut peer_rng);
                    peer.add_remote_candidate(now, Candidate::host(addr(A_ADDR)))
                        .unwrap();
                }
            }
            Op::Close => {
                agent.close(now);
                closed = true;
            }
            Op::Advance(d) => {
                now += *d;
                for _ in 0..10_000 {
                    let due = |a: &Agent| a.poll_timeout().is_some_and(|t| t <= now);
                    if !due(&agent) && !due(&peer) {
                        break;
                    }
                    if due(&agent) {
                        agent.handle_timeout(now, &mut rng);
                    }
                    if due(&peer) {
                        peer.handle_timeout(now, &mut peer_rng);
                    }
                    let sent = drain(&mut agent, now, addr(B_ADDR), &mut to_peer);
                    prop_assert!(!closed || sent == 0, "sent after close");
                    drain(&mut peer, now, addr(A_ADDR), &mut to_agent);
                }
                prop_assert!(agent.poll_timeout().is_none_or(|t| t > now), "timer stuck");
            }
        }
        let sent = drain(&mut agent, now, addr(B_ADDR), &mut to_peer);
        prop_assert!(sent < 1000, "unbounded transmits");
        prop_assert!(!closed || sent == 0, "sent after close");
        drain(&mut peer, now, addr(A_ADDR), &mut to_agent);
        prop_assert!(agent.remote_candidate_count() <= config.max_remote_candidates);
        prop_assert!(agent.pair_count() <= config.max_pairs);
        prop_assert!(agent.poll_timeout().is_none_or(|t| t >= now));
        prop_assert!(!closed || agent.poll_timeout().is_none());
        prop_assert!(agent.outbox.len() <= OUTBOX_LIMIT);
    }
    Ok(agent.state())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ice_state_props(ops in proptest::collection::vec(arb_op(), 1..60), seed in any::<u64>()) {
        run_ops(&ops, false, seed)?;
    }

    #[test]
    fn ice_state_props_lite(ops in proptest::collection::vec(arb_op(), 1..40), seed in any::<u64>()) {
        run_ops(&ops, true, seed)?;
    }
}

/// The scripted happy path through `run_ops`: the test's peer agent really connects, so
/// the property test reaches the connected states too.
#[test]
fn ice_state_props_reach_connected() {
    let mut ops = vec![Op::AddPeer, Op::SetRemoteCredentials];
    for _ in 0..40 {
        ops.push(Op::Advance(Duration::from_millis(50)));
        ops.push(Op::Deliver);
    }
    for seed in 0..4 {
        for lite in [false, true] {
            let state = run_ops(&ops, lite, seed).unwrap();
            assert!(
                matches!(
                    state,
                    IceConnectionState::Connected | IceConnectionState::Completed
                ),
                "seed {seed} lite {lite}: {state:?}"
            );
        }
    }
}
