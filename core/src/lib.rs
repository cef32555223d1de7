//! sansrtc: a WebRTC stack whose protocol core does no I/O.
//!
//! The core is a set of deterministic state machines. It is handed datagrams and the current
//! time, and it hands back datagrams to send, events for the application, and the next time
//! it wants to be woken. It never reads a clock, never touches a socket, never calls the OS
//! random source and spawns no threads; drivers (`sansrtc-tokio`, `sansrtc-mio`,
//! `sansrtc-smol`) bind it to real sockets and timers.
//!
//! # The paved path
//!
//! - [`Rtc`]: one peer connection (ICE, DTLS, SRTP/RTP media, SCTP data channels over one
//!   bundled transport), negotiated by SDP offer/answer ([`Rtc::create_offer`],
//!   [`Rtc::accept_offer`], [`Rtc::accept_answer`]) or by the direct API for peers that skip
//!   SDP ([`Rtc::direct_parameters`], [`Rtc::direct_connect`]).
//! - [`Endpoint`]: many `Rtc`s behind one socket, each datagram routed to its peer.
//! - [`driver`]: what the runtime drivers share (the loop's steps and budgets, which host
//!   addresses to bind in [`driver::host`]); `sansrtc-tokio`, `sansrtc-mio` and `sansrtc-smol`
//!   run an `Rtc` or an `Endpoint` on real sockets, one per host address when asked.
//!
//! Underneath, each protocol is a module with its own machine: [`ice`], [`stun`], [`turn`],
//! [`dtls`], [`srtp`], [`rtp`], [`sctp`], [`datachannel`], and [`sdp`] for descriptions.
//!
//! # The drain rule
//!
//! Every machine in this crate — [`Rtc`], [`Endpoint`], [`ice::Agent`], and the machines
//! under them — speaks the same vocabulary:
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
//! One complete loop, a peer connection on a blocking `std` socket that echoes every
//! data-channel message. The driver owns the clock and the entropy; here they come in as
//! `clock` and `rng` (a driver passes the system clock and an OS-seeded RNG, a simulation
//! passes virtual time and a seeded one), and the peer's parameters come from `signal`:
//!
//! ```no_run
//! use std::io::ErrorKind;
//! use std::net::UdpSocket;
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//!
//! use rand_core::CryptoRng;
//! use sansrtc::dtls::Certificate;
//! use sansrtc::net::Receive;
//! use sansrtc::rtc::DirectParameters;
//! use sansrtc::{Event, Rtc, RtcConfig};
//!
//! fn run(
//!     clock: impl Fn() -> Instant,
//!     rng: Box<dyn CryptoRng + Send>,
//!     signal: impl Fn(DirectParameters) -> DirectParameters,
//! ) -> std::io::Result<()> {
//!     let socket = UdpSocket::bind("127.0.0.1:5000")?;
//!     let local = socket.local_addr()?;
//!     let cert = Arc::new(Certificate::generate().expect("a certificate"));
//!     let start = clock();
//!     let mut rtc = Rtc::new(RtcConfig::new(cert), start, rng);
//!     rtc.add_host_address(start, local).expect("a usable address");
//!     // Hand our parameters to the peer, take theirs; the other side passes `true`.
//!     let theirs = signal(rtc.direct_parameters());
//!     rtc.direct_connect(start, theirs, false).expect("valid parameters");
//!
//!     let mut rx_buf = vec![0; 2048];
//!     let mut tx_buf = vec![0; rtc.max_datagram_size()];
//!     loop {
//!         let now = clock();
//!         // Drain transmits, then events, until both are empty.
//!         while let Some(t) = rtc.poll_transmit(now, &mut tx_buf) {
//!             socket.send_to(&tx_buf[..t.len], t.destination)?;
//!         }
//!         while let Some(event) = rtc.poll_event() {
//!             if let Event::ChannelMessage { id, data, binary } = event {
//!                 // A command: its output goes out on the next turn of the loop.
//!                 let _ = rtc.send(now, id, &data, binary);
//!             }
//!         }
//!         // Sleep until the deadline or the next datagram, whichever comes first.
//!         let wait = rtc.poll_timeout().map(|t| t.saturating_duration_since(now));
//!         let wait = wait.unwrap_or(Duration::from_secs(1)).max(Duration::from_millis(1));
//!         socket.set_read_timeout(Some(wait))?;
//!         match socket.recv_from(&mut rx_buf) {
//!             Ok((n, source)) => {
//!                 let rx = Receive::udp(source, local, &mut rx_buf[..n]);
//!                 rtc.handle_datagram(clock(), rx);
//!             }
//!             Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
//!                 rtc.handle_timeout(clock());
//!             }
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//! ```
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
//! One exception, kept to one place: ring's `SecureRandom` is sealed, so DTLS's ephemeral
//! ECDHE keys and ECDSA signatures draw from ring's `SystemRandom` (in `dtls/crypto.rs` only),
//! and rcgen does the same when [`dtls::Certificate::generate`] makes a key. Those bytes differ
//! from run to run; everything else in a DTLS handshake (randoms, cookies, sequence numbers)
//! comes from the RNG the caller lends.
//!
//! # Panics and errors
//!
//! Bytes from the network never cause a panic: a malformed or unwanted datagram is dropped and
//! counted in the machine's statistics. Mistakes by the caller are returned as `Err` from the
//! command that made them.

#![deny(clippy::unwrap_used)]

pub mod datachannel;
pub mod driver;
pub mod dtls;
pub mod endpoint;
#[cfg(feature = "_fuzz")]
#[doc(hidden)]
pub mod fuzz;
pub mod ice;
pub mod net;
pub mod rtc;
pub mod rtp;
pub mod sctp;
pub mod sdp;
pub mod srtp;
pub mod stun;
pub mod turn;

pub use endpoint::{Endpoint, EndpointConfig, PeerId};
pub use net::{DatagramKind, Receive, Transmit, Transport};
pub use rtc::{Event, Rtc, RtcConfig};

/// Helpers shared by the unit tests (the one clock read of the crate, for a test's epoch).
#[cfg(test)]
mod test_support;
