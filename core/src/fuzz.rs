//! Fuzzing entry points, behind the private `_fuzz` feature (not a public API).
//!
//! Each function takes arbitrary bytes and drives one parser or machine with them; none may
//! panic. The caller hands in the starting `now`: the core reads no clock, not even here. cargo-fuzz targets in `fuzz/` (outside the workspace, nightly) call these, and an
//! ordinary test in `tests/` replays `fuzz/corpus/*` through the same functions on stable.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use crate::ice::{Agent, Candidate, Credentials, IceConfig, RelayInput, Role};
use crate::net::Receive;
use crate::stun::{Message, Responder, ResponderConfig};
use crate::turn::TurnServer;

/// The largest datagram the harnesses write into.
const BUF: usize = 2048;

/// Parses `data` as a STUN message and reads every attribute, checks integrity and
/// fingerprint, and hands it to a [`Responder`].
pub fn stun_message(now: Instant, data: &[u8]) {
    if let Ok(msg) = Message::new_checked(data) {
        let _ = (msg.class(), msg.method(), msg.transaction_id());
        for attr in msg.attributes() {
            let _ = (attr.kind, attr.value.len());
        }
        let _ = (
            msg.username(),
            msg.xor_mapped_address(),
            msg.mapped_address(),
        );
        let _ = (msg.priority(), msg.use_candidate(), msg.ice_controlling());
        let _ = (msg.ice_controlled(), msg.error_code(), msg.software());
        let _ = (
            msg.realm(),
            msg.nonce(),
            msg.unknown_comprehension_required(),
        );
        let _ = msg.unknown_attributes().count();
        let _ = msg.check_integrity(b"fuzz-password");
        let _ = msg.check_fingerprint();
    }
    let mut responder = Responder::new(ResponderConfig::default());
    let mut bytes = [0u8; BUF];
    let len = data.len().min(BUF);
    bytes[..len].copy_from_slice(&data[..len]);
    let rx = Receive::udp(addr(1, 5000), addr(2, 3478), &mut bytes[..len]);
    responder.handle_stun(now, &rx);
    let mut out = [0u8; BUF];
    while responder.poll_transmit(now, &mut out).is_some() {}
}

/// Drives an ICE agent with a script read from `data`: each step is an opcode byte, then its
/// argument. Datagrams, remote candidates, end-of-candidates, restarts, close and time jumps,
/// in any order; every output is drained after each step.
pub fn ice_agent(start: Instant, data: &[u8]) {
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let mut now = start;
    let (role, lite) = match data.first().copied().unwrap_or(0) % 3 {
        0 => (Role::Controlling, false),
        1 => (Role::Controlled, false),
        _ => (Role::Controlled, true),
    };
    let config = IceConfig::default().lite(lite);
    let mut agent = Agent::new(config, role, now, &mut rng);
    let _ = agent.add_host_address(now, addr(1, 5000));
    agent.set_remote_credentials(now, Credentials::new("fuzz", "fuzz-password-22-chars"));
    let mut out = [0u8; BUF];
    let mut bytes = [0u8; BUF];
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 7 {
            0 | 1 => {
                // A datagram: source host byte, then the datagram.
                let Some((&host, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let Some(len) = take_datagram(&mut rest, &mut bytes) else {
                    break;
                };
                let rx = Receive::udp(addr(host, 6000), addr(1, 5000), &mut bytes[..len]);
                agent.handle_stun(now, &rx, &mut rng);
            }
            2 => {
                let [host, prio, tail @ ..] = rest else { break };
                rest = tail;
                let c = Candidate::host(addr(*host, 6000 + u16::from(*prio)));
                let _ = agent.add_remote_candidate(now, c);
            }
            3 => agent.end_of_remote_candidates(now),
            4 => {
                let Some(jump) = take_jump(&mut rest) else {
                    break;
                };
                now += jump;
                agent.handle_timeout(now, &mut rng);
            }
            5 => agent.restart(now, &mut rng),
            _ => {
                if take_close(&mut rest) {
                    agent.close(now);
                }
            }
        }
        while agent.poll_transmit(now, &mut out).is_some() {}
        while agent.poll_event().is_some() {}
        if let Some(deadline) = agent.poll_timeout() {
            assert!(deadline >= now, "deadline in the past");
        }
    }
}

/// Drives a relay-only ICE agent with a TURN server by a script read from `data`, as
/// [`ice_agent`] does: datagrams from the TURN server (through `handle_relay`, and what it
/// unwraps on to `handle_stun`), remote candidates, time jumps, restarts and close. Every
/// datagram the agent sends must leave from its host address, and the release after close too.
pub fn turn_relay(start: Instant, data: &[u8]) {
    let mut rng = ChaCha20Rng::seed_from_u64(0);
    let mut now = start;
    let role = if data.first().is_some_and(|b| b % 2 == 0) {
        Role::Controlling
    } else {
        Role::Controlled
    };
    let host = addr(1, 5000);
    let server = addr(9, 3478);
    let mut agent = Agent::new(IceConfig::default().relay_only(true), role, now, &mut rng);
    let _ = agent.add_host_address(now, host);
    let turn = TurnServer::new(server, "fuzz", "fuzz-password");
    let _ = agent.add_turn_server(now, turn, &mut rng);
    agent.set_remote_credentials(now, Credentials::new("fuzz", "fuzz-password-22-chars"));
    let mut out = [0u8; BUF];
    let mut bytes = [0u8; BUF];
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 7 {
            0..=2 => {
                // A datagram from the server.
                let Some(len) = take_datagram(&mut rest, &mut bytes) else {
                    break;
                };
                let rx = Receive::udp(server, host, &mut bytes[..len]);
                if let RelayInput::Relayed(inner) = agent.handle_relay(now, rx) {
                    agent.handle_stun(now, &inner, &mut rng);
                }
            }
            3 => {
                let [peer, tail @ ..] = rest else { break };
                rest = tail;
                let _ = agent.add_remote_candidate(now, Candidate::host(addr(*peer, 6000)));
            }
            4 => {
                let Some(jump) = take_jump(&mut rest) else {
                    break;
                };
                now += jump;
                agent.handle_timeout(now, &mut rng);
            }
            5 => agent.restart(now, &mut rng),
            _ => {
                if take_close(&mut rest) {
                    agent.close(now);
                }
            }
        }
        while let Some(t) = agent.poll_transmit(now, &mut out) {
            assert_eq!(
                t.source, host,
                "relay-only: everything leaves from the host"
            );
        }
        while let Some(t) = agent.poll_release(&mut out) {
            assert_eq!((t.source, t.destination), (host, server));
        }
        while agent.poll_event().is_some() {}
        if let Some(deadline) = agent.poll_timeout() {
            assert!(deadline >= now, "deadline in the past");
        }
    }
}

/// A script's datagram: a length byte (times 8), then that many bytes (fewer at the end),
/// copied into `bytes`; its length.
fn take_datagram(rest: &mut &[u8], bytes: &mut [u8; BUF]) -> Option<usize> {
    let (&len8, tail) = rest.split_first()?;
    let len = (usize::from(len8) * 8).min(tail.len()).min(BUF);
    bytes[..len].copy_from_slice(&tail[..len]);
    *rest = &tail[len..];
    Some(len)
}

/// A script's time jump: two bytes of milliseconds, big-endian.
fn take_jump(rest: &mut &[u8]) -> Option<Duration> {
    let [hi, lo, tail @ ..] = *rest else {
        return None;
    };
    *rest = tail;
    Some(Duration::from_millis(u64::from(u16::from_be_bytes([
        *hi, *lo,
    ]))))
}

/// A script's close: the next byte, consumed, is 0.
fn take_close(rest: &mut &[u8]) -> bool {
    let close = rest.first() == Some(&0);
    *rest = rest.get(1..).unwrap_or_default();
    close
}

fn addr(host: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, host)), port)
}
