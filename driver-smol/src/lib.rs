//! `sansrtc-smol`: runs the sans-IO [`sansrtc`] core on smol UDP sockets and smol timers.
//!
//! [`spawn`] moves a machine — one peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — into a task on smol's executor that owns its sockets,
//! and returns a [`Handle`] to give it commands and [`Events`] to read what it reports. The
//! task does no protocol work of its own: it receives datagrams into one reused buffer, hands
//! them to the machine, sends what the machine writes from one reused buffer, fires its
//! timer, and forwards its events (the loop described in [`sansrtc::driver`]).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use sansrtc::dtls::Certificate;
//! use sansrtc::{Event, RtcConfig};
//!
//! let cert = Arc::new(Certificate::generate().expect("certificate"));
//! let (peer, mut events) = sansrtc_smol::bind_rtc("127.0.0.1:0".parse().unwrap(), RtcConfig::new(cert)).await?;
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
//! [`Handle::local_addrs`] as a host address.
//!
//! # Idioms
//!
//! [`Events`] is a [`Stream`] (and has [`Events::next`]); channels the
//! peer opens arrive on it as [`Event::ChannelOpen`](sansrtc::Event::ChannelOpen). A
//! `Handle<Rtc>` has typed commands for channels and media (`open_channel`, `send`,
//! `close_channel`, `add_track`, `write_frame`, `request_keyframe`, SDP and direct
//! negotiation), and [`close`](Handle::close) sends the close and waits for the task to end.

use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::driver::host::{self, InterfaceAddr};
use sansrtc::driver::{Machine, SOCKET_BUFFER_SIZE, receive_waiting, send_pending, socket_for};
use sansrtc::net::Transmit;
use sansrtc::{Rtc, RtcConfig};
use smol::channel::{Receiver, Sender};
use smol::future::{self, FutureExt};
use smol::stream::Stream;
use smol::{Async, Timer};

pub use sansrtc::driver::Stopped;
pub use sansrtc::driver::host::Loopback;

/// A command: a closure run inside the driver task with the machine and the current time.
type Command<M> = Box<dyn FnOnce(&mut M, Instant) + Send>;

/// Gives commands to a machine running in a driver task. Cheap to clone; the task stops
/// once every handle is dropped.
pub struct Handle<M> {
    commands: Sender<Command<M>>,
    local_addrs: Arc<[SocketAddr]>,
    /// Never carries anything; closed when the task ends.
    running: Receiver<()>,
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

/// What the machine reports, in order: a [`Stream`], or read with [`Events::next`].
pub struct Events<E> {
    /// Pinned once here: the channel's receiver is `!Unpin` (it holds a listener).
    events: Pin<Box<Receiver<E>>>,
}

impl<E> Events<E> {
    /// The next event; `None` once the driver has stopped and every event was read.
    pub async fn next(&mut self) -> Option<E> {
        self.events.recv().await.ok()
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<E> {
        self.events.try_recv().ok()
    }
}

impl<E> Stream for Events<E> {
    type Item = E;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.get_mut().events.as_mut().poll_next(cx)
    }
}

impl<M: Machine + Send + 'static> Handle<M> {
    /// Runs `f` inside the driver task with the machine and the current time, and returns
    /// its result; the machine's output is sent right after.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M, Instant) -> R + Send + 'static,
    ) -> Result<R, Stopped> {
        let (tx, rx) = smol::channel::bounded(1);
        let command: Command<M> = Box::new(move |m, now| {
            // The caller may have stopped waiting; the command ran all the same.
            let _ = tx.try_send(f(m, now));
        });
        self.commands.send(command).await.map_err(|_| Stopped)?;
        rx.recv().await.map_err(|_| Stopped)
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
        self.commands.is_closed()
    }

    /// Waits until the driver task has stopped.
    pub async fn stopped(&self) {
        // Err once the task dropped the sender; it never sends.
        let _ = self.running.recv().await;
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
        rtc.add_host_address(now, socket.get_ref().local_addr()?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    Ok(spawn_sockets(sockets, rtc))
}

/// Binds one UDP socket per local address `addrs` stands for (see the [crate docs](crate)):
/// IPv6-only for IPv6, with larger buffers. For an [`Endpoint`](sansrtc::Endpoint) on
/// [`spawn_sockets`]; give each peer every socket's address as a host address.
pub fn bind_sockets(addrs: &[SocketAddr], loopback: Loopback) -> io::Result<Vec<Async<UdpSocket>>> {
    host::bind_each(addrs, loopback, interfaces, |addr| {
        Async::new(bind_one(addr)?)
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
fn bind_one(addr: SocketAddr) -> io::Result<UdpSocket> {
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

/// Runs `machine` on `socket` in a new task on smol's global executor.
pub fn spawn<M>(socket: Async<UdpSocket>, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    spawn_sockets(vec![socket], machine)
}

/// Runs `machine` on `sockets` (at least one) in a new task on smol's global executor:
/// datagrams from any of them go to the machine with that socket's address as their
/// destination, and each datagram the machine writes leaves from the socket bound to its
/// source address.
///
/// # Panics
///
/// If `sockets` is empty.
pub fn spawn_sockets<M>(sockets: Vec<Async<UdpSocket>>, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    assert!(!sockets.is_empty(), "spawn_sockets needs a socket");
    let unknown = SocketAddr::from(([0, 0, 0, 0], 0));
    let local_addrs: Arc<[SocketAddr]> = sockets
        .iter()
        .map(|s| s.get_ref().local_addr().unwrap_or(unknown))
        .collect();
    let (commands, command_rx) = smol::channel::unbounded();
    let (event_tx, events) = smol::channel::unbounded();
    let (running_tx, running) = smol::channel::bounded::<()>(1);
    let locals = local_addrs.clone();
    // The task ends by itself when every handle is gone; its io::Error has nobody to go to
    // but the handles, which see the task stopped.
    smol::spawn(async move {
        let result = run(&sockets, &locals, machine, &command_rx, &event_tx).await;
        // Handles see the task stopped before the events stream ends.
        command_rx.close();
        drop(running_tx);
        drop(event_tx);
        result
    })
    .detach();
    let handle = Handle {
        commands,
        local_addrs,
        running,
    };
    let events = Box::pin(events);
    (handle, Events { events })
}

/// Why the task woke.
enum Wake<M> {
    Readable,
    Command(Option<Command<M>>),
    Timeout,
    Writable(io::Result<()>),
}

/// The loop of [`sansrtc::driver`]: receive what is waiting, send, report, wait for a
/// datagram, a command or the deadline.
async fn run<M: Machine>(
    sockets: &[Async<UdpSocket>],
    locals: &[SocketAddr],
    mut machine: M,
    commands: &Receiver<Command<M>>,
    events: &Sender<M::Event>,
) -> io::Result<()> {
    let mut rx_buf = vec![0u8; 65_536];
    let mut tx_buf = vec![0u8; machine.max_datagram_size()];
    // A datagram the socket would not take yet: (transmit, still in tx_buf).
    let mut blocked: Option<Transmit> = None;
    let mut timer = Timer::never();
    loop {
        // Non-blocking reads first: async-io reports readiness only for datagrams that
        // arrive after it is asked, so what is already queued is taken here.
        let now = Instant::now();
        receive_waiting(&mut machine, now, locals, &mut rx_buf, 0, |i, buf| {
            sockets[i].get_ref().recv_from(buf)
        })?;
        let more;
        (blocked, more) = send_pending(
            &mut machine,
            now,
            locals,
            &mut tx_buf,
            blocked,
            |i, b, to| sockets[i].get_ref().send_to(b, to),
        );
        while let Some(event) = machine.poll_event() {
            // The application dropped its Events: keep running for the handles.
            let _ = events.try_send(event);
        }
        if machine.is_finished() {
            return Ok(());
        }
        // With the send budget spent the machine may have more to write: come back at once
        // (an early handle_timeout does nothing).
        match machine.poll_timeout() {
            _ if more => {
                timer.set_at(now);
            }
            Some(at) => {
                timer.set_at(at);
            }
            None => timer = Timer::never(),
        }
        let blocked_on = blocked.map(|t| &sockets[socket_for(locals, t.source)]);
        // `race` polls in random order, so a flood of datagrams cannot starve commands.
        let wake = async {
            poll_fn(|cx| poll_readable_any(sockets, cx)).await;
            Wake::Readable
        }
        .race(async { Wake::Command(commands.recv().await.ok()) })
        .race(async {
            (&mut timer).await;
            Wake::Timeout
        })
        .race(async {
            match blocked_on {
                Some(socket) => Wake::Writable(socket.writable().await),
                None => future::pending().await,
            }
        })
        .await;
        match wake {
            // Read at the top of the loop.
            Wake::Readable => {}
            Wake::Command(Some(f)) => f(&mut machine, Instant::now()),
            // Every handle is gone: nobody can command or close the machine any more.
            Wake::Command(None) => return Ok(()),
            Wake::Timeout => machine.handle_timeout(Instant::now()),
            Wake::Writable(ready) => ready?,
        }
    }
}

/// Ready once any socket is readable (or failed: the read will tell).
fn poll_readable_any(sockets: &[Async<UdpSocket>], cx: &mut Context<'_>) -> Poll<()> {
    // Poll them all, so each registers the waker.
    let mut ready = false;
    for socket in sockets {
        ready |= socket.poll_readable(cx).is_ready();
    }
    if ready {
        Poll::Ready(())
    } else {
        Poll::Pending
    }
}
