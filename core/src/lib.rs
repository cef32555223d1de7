//! sansrtc: a WebRTC stack whose protocol core does no I/O.
//!
//! The core is a set of deterministic state machines. It is handed datagrams and the current
//! time, and it hands back datagrams to send, events for the application, and the next time
//! it wants to be woken. It never reads a clock, never touches a socket, never calls the OS
//! random source and spawns no threads; drivers (`sansrtc-tokio`, `sansrtc-mio`,
//! `sansrtc-smol`) bind it to real sockets and timers.
//!
//! # The drain rule
//!
//! Every machine in this crate — [`ice::Agent`], [`stun::Responder`], and the machines that
//! follow — speaks the same vocabulary:
//!
//! - `handle_<pdu>(now, ..)` feeds network input; bad input is counted, never returned;
//! - `handle_timeout(now)` fires timers; early or repeated calls do nothing;
//! - commands are plain verbs that take `now` when they can start a timer or a transmission;
//! - `poll_transmit(now, buf)` writes one datagram into `buf` and returns a [`Transmit`];
//! - `poll_event()` returns the next application event;
//! - `poll_timeout()` returns the next deadline.
//!
//! After any `handle_*` or command, drain `poll_transmit` and then `poll_event` until both
//! return `None`, then read `poll_timeout` and sleep until that instant or the next datagram.
//! Polling more than needed is always correct.
//!
//! # Determinism
//!
//! Time enters only as the `now: Instant` arguments; an `Instant` earlier than one already
//! seen is treated as the latest one seen. Randomness enters only through a `rand_core`
//! [`CryptoRng`](rand_core::CryptoRng) that the owner of a machine is given at construction
//! and lends to the methods that draw (`&mut dyn CryptoRng` parameters), so every source of
//! non-determinism shows at the call site. Given the same inputs and the same seed, a session
//! replays bit for bit.
//!
//! # Panics and errors
//!
//! Bytes from the network never cause a panic: a malformed or unwanted datagram is dropped and
//! counted in the machine's statistics. Mistakes by the caller are returned as `Err` from the
//! command that made them.

#![deny(clippy::unwrap_used)]

pub mod net;

pub use net::{DatagramKind, Receive, Transmit, Transport};
pub mod ice;
pub mod stun;
