//! `sansrtc-tokio`: runs the sans-IO [`sansrtc`] core on tokio UDP sockets and tokio timers.
//!
//! [`spawn`] moves a machine — one peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — into a task that owns its sockets, and returns a
//! [`Handle`] to give it commands and [`Events`] to read what it reports. The task does no
//! protocol work of its own: it receives datagrams into one reused buffer, hands them to the
//! machine, sends what the machine writes from one reused buffer, fires its timer, and
//! forwards its events (the loop described in [`sansrtc::driver`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use sansrtc::dtls::Certificate;
//! use sansrtc::{Event, RtcConfig};
//!
//! let cert = Arc::new(Certificate::generate().expect("certificate"));
//! let (peer, mut events) = sansrtc_tokio::bind_rtc("127.0.0.1:0".parse().unwrap(), RtcConfig::new(cert)).await?;
//! let ours = peer.direct_parameters().await.expect("running");
//! // ... signal `ours`, get the peer's parameters, then:
//! # let theirs = ours.clone();
//! peer.direct_connect(theirs, true).await.expect("running").expect("parameters");
//! while let Some(event) = events.next().await {
//!     if let Event::ChannelOpen { id, .. } = event {
//!         peer.send(id, b"hello".to_vec(), false).await.expect("running").expect("open");
//!     }
//! }
//! # Ok(()) }
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
//! [`SOCKET_BUFFER_SIZE`] of buffer each way. The task reads all its sockets into one buffer
//! (the receiving socket's address is each datagram's destination) and sends each datagram
//! from the socket bound to its source address.
//!
//! For many peers on one socket (or one per address), [`spawn_sockets`] an
//! [`Endpoint`](sansrtc::Endpoint) on [`bind_sockets`], then add each peer inside
//! [`Handle::with`]: an [`Rtc`] created with [`os_rng`], given every one of
//! [`Handle::local_addrs`] as a host address (the browser echo example does this).
//!
//! # Idioms
//!
//! [`Events`] is a [`Stream`](futures_core::Stream) (and has [`Events::next`]); channels the
//! peer opens arrive on it as [`Event::ChannelOpen`](sansrtc::Event::ChannelOpen). A
//! `Handle<Rtc>` has typed commands for channels and media (`open_channel`, `send`,
//! `close_channel`, `add_track`, `write_frame`, `request_keyframe`, SDP and direct
//! negotiation), and [`close`](Handle::close) sends the close and waits for the task to end.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::driver::host::{self, InterfaceAddr};
use sansrtc::driver::{
    Machine, SOCKET_BUFFER_SIZE, is_transient_receive_error, receive_waiting, send_pending,
    socket_for,
};
use sansrtc::net::{Receive, Transmit};
use sansrtc::{Rtc, RtcConfig};
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};

pub use sansrtc::driver::Stopped;
pub use sansrtc::driver::host::Loopback;

/// A command: a closure run inside the driver task with the machine and the current time.
type Command<M> = Box<dyn FnOnce(&mut M, Instant) + Send>;

/// Gives commands to a machine running in a driver task. Cheap to clone.
pub struct Handle<M> {
    commands: mpsc::UnboundedSender<Command<M>>,
    local_addrs: Arc<[SocketAddr]>,
    /// Changes never; ends (its sender dropped) when the task ends.
    running: watch::Receiver<()>,
}

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Self {
            commands: self.commands.clone(),
            local_addrs: self.local_addrs.clone(),
            running: self.running.clone(),
        }
    }
}

/// What the machine reports, in order: a [`Stream`](futures_core::Stream), or read with
/// [`Events::next`].
pub struct Events<E> {
    events: mpsc::UnboundedReceiver<E>,
}

impl<E> Events<E> {
    /// The next event; `None` once the driver has stopped and every event was read.
    pub async fn next(&mut self) -> Option<E> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<E> {
        self.events.try_recv().ok()
    }
}

impl<E> futures_core::Stream for Events<E> {
    type Item = E;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.get_mut().events.poll_recv(cx)
    }
}

impl<M: Machine + Send + 'static> Handle<M> {
    /// Runs `f` inside the driver task with the machine and the current time, and returns
    /// its result; the machine's output is sent right after.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M, Instant) -> R + Send + 'static,
    ) -> Result<R, Stopped> {
        let (tx, rx) = oneshot::channel();
        let command: Command<M> = Box::new(move |m, now| {
            // The caller may have stopped waiting; the command ran all the same.
            let _ = tx.send(f(m, now));
        });
        self.commands.send(command).map_err(|_| Stopped)?;
        rx.await.map_err(|_| Stopped)
    }

    /// Queues `f` to run inside the driver task, without waiting for it (the driver runs
    /// commands in the order they were queued).
    pub fn submit(&self, f: impl FnOnce(&mut M, Instant) + Send + 'static) -> Result<(), Stopped> {
        self.commands.send(Box::new(f)).map_err(|_| Stopped)
    }

    /// The first socket's local address (the only one unless an unspecified address was
    /// bound).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs[0]
    }

    /// Every socket's local address, in the order they were bound.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local_addrs
    }

    /// Whether the driver task has stopped.
    pub fn is_stopped(&self) -> bool {
        self.running.has_changed().is_err()
    }

    /// Waits until the driver task has stopped.
    pub async fn stopped(&self) {
        // Err once the task dropped the sender; it never sends.
        let _ = self.running.clone().changed().await;
    }
}

impl Handle<Rtc> {
    sansrtc::rtc_handle_commands!();
}

/// A new RNG for the core, seeded from the OS (the one place entropy enters).
pub fn os_rng() -> Box<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the OS random source is available");
    Box::new(ChaCha20Rng::from_seed(seed))
}

/// Binds at `addr` (one socket, or one per host address when `addr` is unspecified; see the
/// [crate docs](crate)), creates a peer connection with `config` and an OS-seeded RNG, adds
/// every socket's address as a host candidate, and runs it.
pub async fn bind_rtc(
    addr: SocketAddr,
    config: RtcConfig,
) -> io::Result<(Handle<Rtc>, Events<sansrtc::Event>)> {
    bind_rtc_on(&[addr], Loopback::default(), config).await
}

/// [`bind_rtc`] for several bind addresses (`0.0.0.0:0` and `[::]:0` for both families), with
/// the loopback policy of [`Loopback`].
pub async fn bind_rtc_on(
    addrs: &[SocketAddr],
    loopback: Loopback,
    config: RtcConfig,
) -> io::Result<(Handle<Rtc>, Events<sansrtc::Event>)> {
    let sockets = bind_sockets(addrs, loopback)?;
    let now = Instant::now();
    let mut rtc = Rtc::new(config, now, os_rng());
    for socket in &sockets {
        rtc.add_host_address(now, socket.local_addr()?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    Ok(spawn_sockets(sockets, rtc))
}

/// Binds one UDP socket per local address `addrs` stands for (see the [crate docs](crate)):
/// IPv6-only for IPv6, with larger buffers. For an [`Endpoint`](sansrtc::Endpoint) on
/// [`spawn_sockets`]; give each peer every socket's address as a host address.
pub fn bind_sockets(addrs: &[SocketAddr], loopback: Loopback) -> io::Result<Vec<UdpSocket>> {
    host::bind_each(addrs, loopback, interfaces, |addr| {
        UdpSocket::from_std(bind_one(addr)?)
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

/// Runs `machine` on `socket` in a new tokio task.
pub fn spawn<M>(socket: UdpSocket, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    spawn_sockets(vec![socket], machine)
}

/// Runs `machine` on `sockets` (at least one) in a new tokio task: datagrams from any of them
/// go to the machine with that socket's address as their destination, and each datagram the
/// machine writes leaves from the socket bound to its source address.
///
/// # Panics
///
/// If `sockets` is empty.
pub fn spawn_sockets<M>(sockets: Vec<UdpSocket>, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    assert!(!sockets.is_empty(), "spawn_sockets needs a socket");
    let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
    let local_addrs: Arc<[SocketAddr]> = sockets
        .iter()
        .map(|s| s.local_addr().unwrap_or(unknown))
        .collect();
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    let (running_tx, running) = watch::channel(());
    let locals = local_addrs.clone();
    tokio::spawn(async move {
        // Dropped when the task ends (or is dropped with the runtime): handles see it.
        let _running = running_tx;
        run(sockets, &locals, machine, command_rx, event_tx).await
    });
    let handle = Handle {
        commands,
        local_addrs,
        running,
    };
    (handle, Events { events })
}

/// The loop of [`sansrtc::driver`]: send, report, wait for a datagram, a command or the
/// deadline.
async fn run<M: Machine>(
    sockets: Vec<UdpSocket>,
    locals: &[SocketAddr],
    mut machine: M,
    mut commands: mpsc::UnboundedReceiver<Command<M>>,
    events: mpsc::UnboundedSender<M::Event>,
) -> io::Result<()> {
    let mut rx_buf = vec![0u8; 65_536];
    let mut tx_buf = vec![0u8; machine.max_datagram_size()];
    // A datagram the socket would not take yet: (transmit, still in tx_buf).
    let mut blocked: Option<Transmit> = None;
    // The socket polled first for datagrams, turning so none starves the others.
    let mut first = 0;
    loop {
        let now = Instant::now();
        let more;
        (blocked, more) = send_pending(
            &mut machine,
            now,
            locals,
            &mut tx_buf,
            blocked,
            |i, b, to| sockets[i].try_send_to(b, to),
        );
        while let Some(event) = machine.poll_event() {
            // The application dropped its Events: keep running for the handles.
            let _ = events.send(event);
        }
        if machine.is_finished() {
            return Ok(());
        }
        // With the send budget spent the machine may have more to write: come back at once
        // (an early handle_timeout does nothing).
        let deadline = if more {
            Some(now)
        } else {
            machine.poll_timeout()
        };
        let deadline = deadline.map(tokio::time::Instant::from_std);
        let blocked_on = &sockets[blocked.map_or(0, |t| socket_for(locals, t.source))];
        first = (first + 1) % sockets.len();
        tokio::select! {
            (i, received) = poll_fn(|cx| poll_recv_any(&sockets, first, &mut rx_buf, cx)) => {
                match received {
                    Ok((n, source)) => {
                        let rx = Receive::udp(source, locals[i], &mut rx_buf[..n]);
                        machine.handle_datagram(Instant::now(), rx);
                    }
                    Err(e) if is_transient_receive_error(&e) => {}
                    Err(e) => return Err(e),
                }
                // More may be waiting: take them without sleeping, up to the budget (if it runs
                // out, the sockets are still readable and the next turn comes at once).
                receive_waiting(&mut machine, Instant::now(), locals, &mut rx_buf, 1, |i, buf| {
                    sockets[i].try_recv_from(buf)
                })?;
            }
            command = commands.recv() => match command {
                Some(f) => f(&mut machine, Instant::now()),
                // Every handle is gone: nobody can command or close the machine any more.
                None => return Ok(()),
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                machine.handle_timeout(Instant::now());
            }
            ready = blocked_on.writable(), if blocked.is_some() => ready?,
        }
    }
}

/// Polls every socket for a datagram, starting at `first`; returns the socket's index.
fn poll_recv_any(
    sockets: &[UdpSocket],
    first: usize,
    buf: &mut [u8],
    cx: &mut Context<'_>,
) -> Poll<(usize, io::Result<(usize, SocketAddr)>)> {
    for k in 0..sockets.len() {
        let i = (first + k) % sockets.len();
        let mut read = ReadBuf::new(buf);
        if let Poll::Ready(received) = sockets[i].poll_recv_from(cx, &mut read) {
            return Poll::Ready((i, received.map(|source| (read.filled().len(), source))));
        }
    }
    Poll::Pending
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(at) = deadline {
        tokio::time::sleep_until(at).await;
    }
}
