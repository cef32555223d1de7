//! `sansrtc-mio`: runs the sans-IO [`sansrtc`] core on a mio UDP socket, from a loop you own.
//!
//! A [`Driver`] holds one machine — a peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — and its non-blocking socket. Nothing runs unless you
//! call it, and nothing it does blocks except [`Driver::run_until`]:
//!
//! - a game loop calls [`Driver::tick`] once a frame: it receives what is waiting, fires the
//!   machine's timer, and sends what the machine wrote;
//! - [`Driver::poll_event`] hands out what the machine reports;
//! - [`Driver::machine_mut`] gives commands (they are sent on the next tick);
//! - a loop with nothing else to do calls [`Driver::run_until`], which waits in a
//!   [`mio::Poll`] for a datagram or the machine's [`next_deadline`](Driver::next_deadline).
//!
//! The driver does no protocol work of its own: it follows the loop described in
//! [`sansrtc::driver`], with one reused receive buffer and one reused send buffer.
//!
//! ```no_run
//! # fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use sansrtc::dtls::Certificate;
//! use sansrtc::{Event, RtcConfig};
//!
//! let cert = Arc::new(Certificate::generate().expect("certificate"));
//! let mut peer = sansrtc_mio::bind_rtc("127.0.0.1:0".parse().unwrap(), RtcConfig::new(cert))?;
//! let ours = peer.machine().direct_parameters();
//! // ... signal `ours`, get the peer's parameters, then:
//! # let theirs = ours.clone();
//! peer.machine_mut().direct_connect(Instant::now(), theirs, true).expect("parameters");
//! loop {
//!     // One frame of a game loop: never blocks.
//!     let now = Instant::now();
//!     peer.tick(now)?;
//!     while let Some(event) = peer.poll_event() {
//!         if let Event::ChannelOpen { id, .. } = event {
//!             peer.machine_mut().send(now, id, b"hello", false).expect("open");
//!         }
//!     }
//!     std::thread::sleep(Duration::from_millis(16));
//! }
//! # }
//! ```
//!
//! Bind a specific local address (not `0.0.0.0` or `::`): the socket's address is the host
//! candidate and the destination of every datagram the core sees.
//!
//! For many peers on one socket, run an [`Endpoint`](sansrtc::Endpoint):
//! `Driver::new(mio::net::UdpSocket::bind(addr)?, Endpoint::new(config))`, then for each peer
//! create an [`Rtc`] with [`os_rng`], give it [`Driver::local_addr`] as its host address, and
//! add it through [`Driver::machine_mut`]. A `std::net::UdpSocket` works too, through
//! `mio::net::UdpSocket::from_std` once it is non-blocking.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::driver::{
    MAX_RECEIVES_PER_TURN, MAX_TRANSMITS_PER_TURN, Machine, is_transient_receive_error,
};
use sansrtc::net::{Receive, Transmit};
use sansrtc::{Rtc, RtcConfig};

/// The mio this crate is built on, for [`Driver::new`]'s socket.
pub use mio;

/// The socket's token in the driver's own [`Poll`].
const SOCKET: Token = Token(0);

/// Binds a machine to a non-blocking mio UDP socket; see the [crate docs](crate).
pub struct Driver<M: Machine> {
    socket: UdpSocket,
    local: SocketAddr,
    machine: M,
    poll: Poll,
    readiness: Events,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    /// A datagram the socket would not take yet; its bytes are still in `tx_buf`.
    blocked: Option<Transmit>,
    /// Whether the socket is registered for writability (only while `blocked` is set).
    writable: bool,
    /// The last tick stopped at a budget: more may be waiting, so do not sleep.
    busy: bool,
    /// The last tick's `now`.
    last_now: Instant,
    /// An event [`Driver::run_until`] took from the machine to see whether there was one.
    pending: Option<M::Event>,
}

impl<M: Machine> Driver<M> {
    /// Drives `machine` on `socket`, registered with a [`Poll`] of the driver's own.
    pub fn new(mut socket: UdpSocket, machine: M) -> io::Result<Self> {
        let local = socket.local_addr()?;
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut socket, SOCKET, Interest::READABLE)?;
        let tx_buf = vec![0u8; machine.max_datagram_size()];
        Ok(Self {
            socket,
            local,
            machine,
            poll,
            readiness: Events::with_capacity(4),
            rx_buf: vec![0u8; 65_536],
            tx_buf,
            blocked: None,
            writable: false,
            busy: false,
            last_now: Instant::now(),
            pending: None,
        })
    }

    /// One turn of the loop, without blocking: receives up to
    /// [`MAX_RECEIVES_PER_TURN`] waiting datagrams, fires the machine's timer if it has
    /// passed, then sends up to [`MAX_TRANSMITS_PER_TURN`] datagrams (first the one the socket
    /// refused last time). Call it every frame, and after commands to send their output.
    ///
    /// Errors only when the socket is broken; refused or lost datagrams are the network's
    /// business and the protocols retransmit.
    pub fn tick(&mut self, now: Instant) -> io::Result<()> {
        self.last_now = now;
        self.busy = true;
        for _ in 0..MAX_RECEIVES_PER_TURN {
            match self.socket.recv_from(&mut self.rx_buf) {
                Ok((n, source)) => {
                    let rx = Receive::udp(source, self.local, &mut self.rx_buf[..n]);
                    self.machine.handle_datagram(now, rx);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.busy = false;
                    break;
                }
                Err(e) if is_transient_receive_error(&e) => {}
                Err(e) => return Err(e),
            }
        }
        if self.machine.poll_timeout().is_some_and(|at| at <= now) {
            self.machine.handle_timeout(now);
        }
        self.send(now);
        self.register_writable(self.blocked.is_some())
    }

    /// The next event the machine reports, if any. Drain it after every tick.
    pub fn poll_event(&mut self) -> Option<M::Event> {
        self.pending.take().or_else(|| self.machine.poll_event())
    }

    /// When to tick next if no datagram arrives: the machine's deadline, or the last tick's
    /// `now` when that tick stopped at a budget with work left. `None`: only a datagram or a
    /// command can give the machine work.
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.busy {
            return Some(self.last_now);
        }
        self.machine.poll_timeout()
    }

    /// Ticks, and between ticks blocks in a [`Poll`] until a datagram arrives, the socket can
    /// take a refused datagram, or the [`next_deadline`](Self::next_deadline) passes; returns
    /// once an event is waiting (`true`), or once `deadline` has passed or the machine is
    /// finished (`false`). Read the events with [`poll_event`](Self::poll_event).
    pub fn run_until(&mut self, deadline: Instant) -> io::Result<bool> {
        loop {
            let now = Instant::now();
            self.tick(now)?;
            if self.pending.is_none() {
                self.pending = self.machine.poll_event();
            }
            if self.pending.is_some() {
                return Ok(true);
            }
            if now >= deadline || self.machine.is_finished() {
                return Ok(false);
            }
            let wake = self.next_deadline().map_or(deadline, |at| at.min(deadline));
            self.wait(wake.saturating_duration_since(Instant::now()))?;
        }
    }

    /// The machine, to read its state.
    pub fn machine(&self) -> &M {
        &self.machine
    }

    /// The machine, to give it commands; what they send goes out on the next
    /// [`tick`](Self::tick) or [`run_until`](Self::run_until).
    pub fn machine_mut(&mut self) -> &mut M {
        &mut self.machine
    }

    /// The socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// True once the machine will never send or report anything again.
    pub fn is_finished(&self) -> bool {
        self.machine.is_finished()
    }

    /// Sends the blocked datagram, then what the machine writes, up to the budget; keeps the
    /// datagram the socket would not take.
    fn send(&mut self, now: Instant) {
        for _ in 0..MAX_TRANSMITS_PER_TURN {
            let next = self.blocked.take();
            let Some(t) = next.or_else(|| self.machine.poll_transmit(now, &mut self.tx_buf)) else {
                return;
            };
            match self.socket.send_to(&self.tx_buf[..t.len], t.destination) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked = Some(t);
                    return;
                }
                // Any other refusal (unreachable, too big, a bad address) loses this datagram
                // like the network would; the protocols above retransmit. A broken socket
                // shows on the receive side.
                Err(_) => {}
            }
        }
        // The budget ran out with the machine perhaps still writing: come back at once.
        self.busy = true;
    }

    /// Waits in the poll for readiness or `timeout`.
    fn wait(&mut self, timeout: Duration) -> io::Result<()> {
        match self.poll.poll(&mut self.readiness, Some(timeout)) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
            // Which readiness it was does not matter: the next tick tries both directions.
            _ => Ok(()),
        }
    }

    /// Asks the poll to report writability only while a datagram waits for it.
    fn register_writable(&mut self, on: bool) -> io::Result<()> {
        if on == self.writable {
            return Ok(());
        }
        self.writable = on;
        let interest = if on {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        self.poll
            .registry()
            .reregister(&mut self.socket, SOCKET, interest)
    }
}

/// A new RNG for the core, seeded from the OS (the one place entropy enters).
pub fn os_rng() -> Box<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the OS random source is available");
    Box::new(ChaCha20Rng::from_seed(seed))
}

/// Binds a UDP socket at `addr`, creates a peer connection with `config` and an OS-seeded
/// RNG, adds the socket's address as its host candidate, and returns its driver.
pub fn bind_rtc(addr: SocketAddr, config: RtcConfig) -> io::Result<Driver<Rtc>> {
    let socket = UdpSocket::bind(addr)?;
    let local = socket.local_addr()?;
    let now = Instant::now();
    let mut rtc = Rtc::new(config, now, os_rng());
    rtc.add_host_address(now, local)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Driver::new(socket, rtc)
}
