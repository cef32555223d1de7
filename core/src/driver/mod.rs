//! What the runtime drivers (`sansrtc-tokio`, `sansrtc-mio`, `sansrtc-smol`) share, kept
//! sans-IO: one trait over the machines a driver runs ([`Rtc`] and [`Endpoint`]), and the
//! work budgets of one turn of a driver's loop.
//!
//! A driver's loop, whatever the runtime:
//!
//! 1. receive up to [`MAX_RECEIVES_PER_TURN`] datagrams into one reused buffer and hand each
//!    to [`Machine::handle_datagram`];
//! 2. run queued commands; fire [`Machine::handle_timeout`] when [`Machine::poll_timeout`]
//!    has passed;
//! 3. send what [`Machine::poll_transmit`] writes (at most [`MAX_TRANSMITS_PER_TURN`] before
//!    going back to receiving, so a busy sender cannot starve the receive side); a datagram
//!    the socket refuses with "would block" is kept and sent first next turn;
//! 4. forward [`Machine::poll_event`] to the application;
//! 5. sleep until the deadline, a datagram or a command.
//!
//! A driver may run several sockets, one per local address (see [`host`] for which): it reads
//! them all into the one receive buffer, marks each datagram with the receiving socket's
//! address as [`Receive::destination`], and sends each [`Transmit`] from the socket
//! [`socket_for`] picks for its [`Transmit::source`].
//!
//! [`rtc_handle_commands!`](crate::rtc_handle_commands) writes the typed helpers of the async
//! drivers' `Handle<Rtc>` once for both, and [`Stopped`] is their error.

pub mod host;
mod macros;

use std::net::SocketAddr;
use std::time::Instant;

use crate::endpoint::{Endpoint, PeerId};
use crate::net::{Receive, Transmit};
use crate::rtc::{Event, PeerState, Rtc};

/// Datagrams sent in one turn before the loop reads the socket again.
pub const MAX_TRANSMITS_PER_TURN: usize = 256;

/// Datagrams received in one turn before the loop sends again.
pub const MAX_RECEIVES_PER_TURN: usize = 64;

/// The receive and send buffer size a driver asks the OS for on each socket (`SO_RCVBUF`,
/// `SO_SNDBUF`): 2 MiB holds about 1,500 full datagrams, so a burst is not dropped while the
/// loop is busy (on loopback the kernel drops what a slow receiver has no room for). Linux
/// caps the request at `net.core.rmem_max` / `wmem_max`.
pub const SOCKET_BUFFER_SIZE: usize = 2 * 1024 * 1024;

/// Which of a driver's sockets, bound to `locals`, sends a datagram whose
/// [`Transmit::source`] is `source`: the one bound to that address; else the first of the
/// same family (a machine given a host address other than its socket's); else the first.
/// `locals` must not be empty.
pub fn socket_for(locals: &[SocketAddr], source: SocketAddr) -> usize {
    locals
        .iter()
        .position(|l| *l == source)
        .or_else(|| locals.iter().position(|l| l.is_ipv4() == source.is_ipv4()))
        .unwrap_or(0)
}

/// The driver task has stopped (the machine finished, the socket failed, or every handle was
/// dropped): the error of the async drivers' handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("driver stopped")]
pub struct Stopped;

/// A machine a driver runs: the vocabulary of [`Rtc`] and [`Endpoint`].
pub trait Machine {
    /// What `poll_event` returns.
    type Event;

    /// See [`Rtc::handle_datagram`].
    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>);
    /// See [`Rtc::handle_timeout`].
    fn handle_timeout(&mut self, now: Instant);
    /// See [`Rtc::poll_transmit`].
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit>;
    /// See [`Rtc::poll_event`].
    fn poll_event(&mut self) -> Option<Self::Event>;
    /// See [`Rtc::poll_timeout`].
    fn poll_timeout(&self) -> Option<Instant>;
    /// The send buffer's size.
    fn max_datagram_size(&self) -> usize;
    /// True once nothing more will ever be sent or reported: the driver may stop.
    fn is_finished(&self) -> bool;
}

impl Machine for Rtc {
    type Event = Event;

    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        Self::handle_datagram(self, now, rx);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        Self::poll_transmit(self, now, buf)
    }
    fn poll_event(&mut self) -> Option<Event> {
        Self::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
    fn max_datagram_size(&self) -> usize {
        Self::max_datagram_size(self)
    }
    fn is_finished(&self) -> bool {
        self.state() == PeerState::Closed && self.poll_timeout().is_none()
    }
}

impl Machine for Endpoint {
    type Event = (PeerId, Event);

    fn handle_datagram(&mut self, now: Instant, rx: Receive<'_>) {
        Self::handle_datagram(self, now, rx);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        Self::poll_transmit(self, now, buf).map(|(_, t)| t)
    }
    fn poll_event(&mut self) -> Option<(PeerId, Event)> {
        Self::poll_event(self)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
    fn max_datagram_size(&self) -> usize {
        // Every peer's send buffer fits in this: 1200-byte MTU defaults plus DTLS overhead,
        // with room for peers configured up to a 1500-byte path.
        1500 + 128
    }
    fn is_finished(&self) -> bool {
        false
    }
}

/// Step 1 of a turn: hands `machine` the datagrams waiting on a driver's sockets, bound to
/// `locals`, taking them in turn so none starves the others, until every socket would block
/// or [`MAX_RECEIVES_PER_TURN`] minus `already` were taken. `recv_from(i, buf)` is socket
/// `i`'s non-blocking receive into the driver's one receive buffer; each datagram reaches the
/// machine with `locals[i]` as its destination. Transient errors
/// ([`is_transient_receive_error`]) are skipped; any other ends the turn with that error.
/// Returns whether the budget ran out (more may be waiting).
pub fn receive_waiting<M: Machine>(
    machine: &mut M,
    now: Instant,
    locals: &[SocketAddr],
    buf: &mut [u8],
    already: usize,
    mut recv_from: impl FnMut(usize, &mut [u8]) -> std::io::Result<(usize, SocketAddr)>,
) -> std::io::Result<bool> {
    let mut budget = MAX_RECEIVES_PER_TURN.saturating_sub(already);
    while budget > 0 {
        let before = budget;
        for (i, local) in locals.iter().enumerate() {
            match recv_from(i, buf) {
                Ok((n, source)) => {
                    let Some(contents) = buf.get_mut(..n) else {
                        continue;
                    };
                    machine.handle_datagram(now, Receive::udp(source, *local, contents));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(e) if is_transient_receive_error(&e) => {}
                Err(e) => return Err(e),
            }
            budget -= 1;
            if budget == 0 {
                return Ok(true);
            }
        }
        if budget == before {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Step 3 of a turn: sends `blocked` (a datagram a socket refused last turn, still in `buf`),
/// then what `machine` writes into `buf`, up to [`MAX_TRANSMITS_PER_TURN`], each through
/// `send_to(i, bytes, destination)` on the socket [`socket_for`] picks from `locals`. Returns
/// the datagram a socket would not take ("would block"; its bytes stay in `buf`, send it
/// first next turn) and whether the budget ran out (the machine may have more: come back at
/// once). Any other refusal (unreachable, too big, a bad address) loses that datagram as the
/// network would, and the protocols above retransmit; a broken socket shows on the receive
/// side.
pub fn send_pending<M: Machine>(
    machine: &mut M,
    now: Instant,
    locals: &[SocketAddr],
    buf: &mut [u8],
    mut blocked: Option<Transmit>,
    mut send_to: impl FnMut(usize, &[u8], SocketAddr) -> std::io::Result<usize>,
) -> (Option<Transmit>, bool) {
    for _ in 0..MAX_TRANSMITS_PER_TURN {
        let Some(t) = blocked.take().or_else(|| machine.poll_transmit(now, buf)) else {
            return (None, false);
        };
        let Some(bytes) = buf.get(..t.len) else {
            continue;
        };
        match send_to(socket_for(locals, t.source), bytes, t.destination) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return (Some(t), false),
            _ => {}
        }
    }
    (None, true)
}

/// Whether a UDP receive error only reports an earlier datagram's fate and the socket is
/// fine: ICMP port unreachable shows as `ECONNRESET` or `ECONNREFUSED` on some systems, a
/// too-big datagram as `EMSGSIZE`, and a signal as `EINTR`. A driver ignores these and keeps
/// reading; any other error means the socket is broken.
pub fn is_transient_receive_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused | ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(EMSGSIZE)
}

/// `EMSGSIZE` on Linux; other systems report a too-big datagram differently (and rarely on
/// receive).
const EMSGSIZE: i32 = 90;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_for_picks_the_source_then_the_family() {
        let locals: Vec<SocketAddr> = ["10.0.0.1:5", "10.0.0.2:6", "[fd00::1]:7"]
            .iter()
            .map(|a| a.parse().unwrap())
            .collect();
        let pick = |s: &str| socket_for(&locals, s.parse().unwrap());
        assert_eq!(pick("10.0.0.2:6"), 1);
        assert_eq!(pick("[fd00::1]:7"), 2);
        assert_eq!(pick("10.9.9.9:1"), 0);
        assert_eq!(pick("[fd00::9]:1"), 2);
        assert_eq!(socket_for(&locals[..1], "[::1]:1".parse().unwrap()), 0);
    }

    fn machine() -> Endpoint {
        Endpoint::new(crate::endpoint::EndpointConfig::default())
    }

    #[test]
    fn receive_waiting_takes_every_socket_in_turn_within_the_budget() {
        let locals: Vec<SocketAddr> = vec!["10.0.0.1:5".parse().unwrap(); 2];
        let from: SocketAddr = "10.0.0.9:9".parse().unwrap();
        let now = crate::test_support::epoch();
        let mut buf = [0u8; 64];
        // Socket 0 has 3 datagrams waiting, socket 1 has one.
        let mut left = [3, 1];
        let mut calls = Vec::new();
        let busy = receive_waiting(&mut machine(), now, &locals, &mut buf, 0, |i, _| {
            calls.push(i);
            if left[i] > 0 {
                left[i] -= 1;
                return Ok((4, from));
            }
            Err(std::io::ErrorKind::WouldBlock.into())
        })
        .unwrap();
        assert!(!busy);
        assert_eq!(calls, [0, 1, 0, 1, 0, 1, 0, 1]);
        // An endless socket stops at the budget.
        let mut taken = 0;
        let busy = receive_waiting(&mut machine(), now, &locals, &mut buf, 4, |_, _| {
            taken += 1;
            Ok((4, from))
        })
        .unwrap();
        assert!(busy);
        assert_eq!(taken, MAX_RECEIVES_PER_TURN - 4);
        // A broken socket ends the turn.
        let broken = receive_waiting(&mut machine(), now, &locals, &mut buf, 0, |_, _| {
            Err(std::io::ErrorKind::NotConnected.into())
        });
        assert!(broken.is_err());
    }

    #[test]
    fn send_pending_keeps_what_would_block() {
        let locals: Vec<SocketAddr> = vec!["10.0.0.1:5".parse().unwrap()];
        let blocked = Transmit {
            source: locals[0],
            destination: "10.0.0.9:9".parse().unwrap(),
            transport: crate::net::Transport::Udp,
            len: 3,
        };
        let now = crate::test_support::epoch();
        let mut buf = [7u8; 1628];
        let (kept, more) = send_pending(
            &mut machine(),
            now,
            &locals,
            &mut buf,
            Some(blocked),
            |_, _, _| Err(std::io::ErrorKind::WouldBlock.into()),
        );
        assert_eq!((kept, more), (Some(blocked), false));
        let mut sent = Vec::new();
        let (kept, more) = send_pending(
            &mut machine(),
            now,
            &locals,
            &mut buf,
            Some(blocked),
            |i, b, to| {
                sent.push((i, b.len(), to));
                Ok(b.len())
            },
        );
        assert_eq!((kept, more), (None, false));
        assert_eq!(sent, [(0, 3, blocked.destination)]);
    }
}
