//! `sansrtc-mio`: runs the sans-IO [`sansrtc`] core on mio UDP sockets, from a loop you own.
//!
//! A [`Driver`] holds one machine — a peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — and its non-blocking sockets. Nothing runs unless you
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
//! # Sockets and host candidates
//!
//! [`bind_rtc`] with a specific address (`127.0.0.1:0`, `[::1]:0`, `192.0.2.7:5000`) binds one
//! socket there, and its address is the one host candidate. With an unspecified address
//! (`0.0.0.0:0` or `[::]:0`; [`bind_rtc_on`] takes both) it enumerates the host's interface
//! addresses and binds one socket per usable address, each a host candidate of its own, by the
//! policy of [`sansrtc::driver::host`]: interfaces that are up, no IPv6 link-local, loopback
//! only when there is nothing else (or as [`Loopback`] says), the bind's port on each. IPv6
//! sockets are IPv6-only, so each family has its own candidates; every socket asks the OS for
//! [`SOCKET_BUFFER_SIZE`] of buffer each way. A tick reads all the sockets into one buffer (the receiving socket's address is each datagram's
//! destination; each socket has its own [`Token`] in the poll) and sends each datagram from
//! the socket bound to its source address.
//!
//! For many peers on one socket (or one per address), run an [`Endpoint`](sansrtc::Endpoint):
//! `Driver::with_sockets(bind_sockets(&[addr], Loopback::default())?, Endpoint::new(config))`
//! (or [`Driver::new`] on one `mio::net::UdpSocket`), then for each peer create an [`Rtc`] with
//! [`os_rng`], give it every one of [`Driver::local_addrs`] as a host address, and add it
//! through [`Driver::machine_mut`]. A `std::net::UdpSocket` works too, through
//! `mio::net::UdpSocket::from_std` once it is non-blocking.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::driver::host::{self, InterfaceAddr};
use sansrtc::driver::{Machine, SOCKET_BUFFER_SIZE, receive_waiting, send_pending, socket_for};
use sansrtc::net::Transmit;
use sansrtc::{Rtc, RtcConfig};

/// The mio this crate is built on, for [`Driver::new`]'s socket.
pub use mio;
pub use sansrtc::driver::host::Loopback;

/// Binds a machine to non-blocking mio UDP sockets; see the [crate docs](crate).
pub struct Driver<M: Machine> {
    /// The sockets; socket `i` is registered in the poll as `Token(i)`.
    sockets: Vec<UdpSocket>,
    locals: Vec<SocketAddr>,
    machine: M,
    poll: Poll,
    readiness: Events,
    rx_buf: Vec<u8>,
    tx_buf: Vec<u8>,
    /// A datagram the socket would not take yet; its bytes are still in `tx_buf`.
    blocked: Option<Transmit>,
    /// The socket registered for writability (only while `blocked` is set).
    writable: Option<usize>,
    /// The last tick stopped at a budget: more may be waiting, so do not sleep.
    busy: bool,
    /// The last tick's `now`.
    last_now: Instant,
    /// An event [`Driver::run_until`] took from the machine to see whether there was one.
    pending: Option<M::Event>,
}

impl<M: Machine> Driver<M> {
    /// Drives `machine` on `socket`, registered with a [`Poll`] of the driver's own.
    pub fn new(socket: UdpSocket, machine: M) -> io::Result<Self> {
        Self::with_sockets(vec![socket], machine)
    }

    /// Drives `machine` on `sockets` (at least one, as [`bind_sockets`] makes them), each
    /// registered with a [`Poll`] of the driver's own under its own token.
    pub fn with_sockets(mut sockets: Vec<UdpSocket>, machine: M) -> io::Result<Self> {
        if sockets.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no socket"));
        }
        let poll = Poll::new()?;
        let mut locals = Vec::with_capacity(sockets.len());
        for (i, socket) in sockets.iter_mut().enumerate() {
            locals.push(socket.local_addr()?);
            poll.registry()
                .register(socket, Token(i), Interest::READABLE)?;
        }
        let tx_buf = vec![0u8; machine.max_datagram_size()];
        Ok(Self {
            readiness: Events::with_capacity(sockets.len() + 1),
            sockets,
            locals,
            machine,
            poll,
            rx_buf: vec![0u8; 65_536],
            tx_buf,
            blocked: None,
            writable: None,
            busy: false,
            last_now: Instant::now(),
            pending: None,
        })
    }

    /// One turn of the loop, without blocking: receives up to
    /// [`MAX_RECEIVES_PER_TURN`](sansrtc::driver::MAX_RECEIVES_PER_TURN) waiting datagrams
    /// from all the sockets, fires the machine's timer if it has passed, then sends up to
    /// [`MAX_TRANSMITS_PER_TURN`](sansrtc::driver::MAX_TRANSMITS_PER_TURN) datagrams (first
    /// the one a socket refused last time). Call it every frame, and after commands to send
    /// their output.
    ///
    /// Errors only when a socket is broken; refused or lost datagrams are the network's
    /// business and the protocols retransmit.
    pub fn tick(&mut self, now: Instant) -> io::Result<()> {
        self.last_now = now;
        let sockets = &self.sockets;
        self.busy = receive_waiting(
            &mut self.machine,
            now,
            &self.locals,
            &mut self.rx_buf,
            0,
            |i, buf| sockets[i].recv_from(buf),
        )?;
        if self.machine.poll_timeout().is_some_and(|at| at <= now) {
            self.machine.handle_timeout(now);
        }
        self.send(now);
        self.register_writable()
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

    /// The first socket's local address (the only one unless an unspecified address was
    /// bound).
    pub fn local_addr(&self) -> SocketAddr {
        self.locals[0]
    }

    /// Every socket's local address, in the order they were bound.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.locals
    }

    /// True once the machine will never send or report anything again.
    pub fn is_finished(&self) -> bool {
        self.machine.is_finished()
    }

    /// Sends the blocked datagram, then what the machine writes, up to the budget, each from
    /// the socket bound to its source; keeps the datagram the socket would not take.
    fn send(&mut self, now: Instant) {
        let sockets = &self.sockets;
        let blocked = self.blocked.take();
        let more;
        (self.blocked, more) = send_pending(
            &mut self.machine,
            now,
            &self.locals,
            &mut self.tx_buf,
            blocked,
            |i, bytes, to| sockets[i].send_to(bytes, to),
        );
        // The budget ran out with the machine perhaps still writing: come back at once.
        self.busy |= more;
    }

    /// Waits in the poll for readiness or `timeout`.
    fn wait(&mut self, timeout: Duration) -> io::Result<()> {
        match self.poll.poll(&mut self.readiness, Some(timeout)) {
            Err(e) if e.kind() != io::ErrorKind::Interrupted => Err(e),
            // Which readiness it was does not matter: the next tick tries both directions.
            _ => Ok(()),
        }
    }

    /// Asks the poll to report writability only while a datagram waits for it, and only on
    /// the socket it waits for.
    fn register_writable(&mut self) -> io::Result<()> {
        let want = self.blocked.map(|t| socket_for(&self.locals, t.source));
        if want == self.writable {
            return Ok(());
        }
        let registry = self.poll.registry();
        if let Some(i) = self.writable {
            registry.reregister(&mut self.sockets[i], Token(i), Interest::READABLE)?;
        }
        if let Some(i) = want {
            let both = Interest::READABLE | Interest::WRITABLE;
            registry.reregister(&mut self.sockets[i], Token(i), both)?;
        }
        self.writable = want;
        Ok(())
    }
}

/// A new RNG for the core, seeded from the OS (the one place entropy enters).
pub fn os_rng() -> Box<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the OS random source is available");
    Box::new(ChaCha20Rng::from_seed(seed))
}

/// Binds at `addr` (one socket, or one per host address when `addr` is unspecified; see the
/// [crate docs](crate)), creates a peer connection with `config` and an OS-seeded RNG, adds
/// every socket's address as a host candidate, and returns its driver.
pub fn bind_rtc(addr: SocketAddr, config: RtcConfig) -> io::Result<Driver<Rtc>> {
    bind_rtc_on(&[addr], Loopback::default(), config)
}

/// [`bind_rtc`] for several bind addresses (`0.0.0.0:0` and `[::]:0` for both families), with
/// the loopback policy of [`Loopback`].
pub fn bind_rtc_on(
    addrs: &[SocketAddr],
    loopback: Loopback,
    config: RtcConfig,
) -> io::Result<Driver<Rtc>> {
    let sockets = bind_sockets(addrs, loopback)?;
    let now = Instant::now();
    let mut rtc = Rtc::new(config, now, os_rng());
    for socket in &sockets {
        rtc.add_host_address(now, socket.local_addr()?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    Driver::with_sockets(sockets, rtc)
}

/// Binds one UDP socket per local address `addrs` stands for (see the [crate docs](crate)):
/// IPv6-only for IPv6, with larger buffers. For [`Driver::with_sockets`].
pub fn bind_sockets(addrs: &[SocketAddr], loopback: Loopback) -> io::Result<Vec<UdpSocket>> {
    host::bind_each(addrs, loopback, interfaces, |addr| {
        Ok(UdpSocket::from_std(bind_one(addr)?))
    })
}

/// The host's interface addresses.
fn interfaces() -> io::Result<Vec<InterfaceAddr>> {
    let found = if_addrs::get_if_addrs()?;
    Ok(found
        .iter()
        .map(|i| InterfaceAddr {
            ip: i.ip(),
            is_up: i.is_oper_up(),
        })
        .collect())
}

/// A non-blocking UDP socket bound at `addr`: IPv6-only for IPv6, larger buffers.
fn bind_one(addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    // Best effort: the OS caps the size (or refuses), and its default still works.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER_SIZE);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER_SIZE);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}
