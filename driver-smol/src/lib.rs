//! `sansrtc-smol`: runs the sans-IO [`sansrtc`] core on a smol UDP socket and smol timers.
//!
//! [`spawn`] moves a machine — one peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — into a task on smol's executor that owns the socket,
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
//! Bind a specific local address (not `0.0.0.0` or `::`): the socket's address is the host
//! candidate and the destination of every datagram the core sees.
//!
//! For many peers on one socket, [`spawn`] an [`Endpoint`](sansrtc::Endpoint) on
//! `Async::<UdpSocket>::bind(addr)?`, then add each peer inside [`Handle::with`]: an [`Rtc`]
//! created with [`os_rng`], given [`Handle::local_addr`] as its host address.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;
use sansrtc::datachannel::ChannelConfig;
use sansrtc::driver::{
    MAX_RECEIVES_PER_TURN, MAX_TRANSMITS_PER_TURN, Machine, is_transient_receive_error,
};
use sansrtc::net::{Receive, Transmit};
use sansrtc::rtc::{ChannelError, ChannelId, DirectParameters, NegotiationError, SendError};
use sansrtc::{Rtc, RtcConfig};
use smol::channel::{Receiver, Sender};
use smol::future::{self, FutureExt};
use smol::{Async, Timer};

/// A command: a closure run inside the driver task with the machine and the current time.
type Command<M> = Box<dyn FnOnce(&mut M, Instant) + Send>;

/// The driver task has stopped (the machine finished, or the socket failed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("driver stopped")
    }
}

impl std::error::Error for Stopped {}

/// Gives commands to a machine running in a driver task. Cheap to clone; the task stops
/// once every handle is dropped.
pub struct Handle<M> {
    commands: Sender<Command<M>>,
    local_addr: SocketAddr,
}

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Self {
            commands: self.commands.clone(),
            local_addr: self.local_addr,
        }
    }
}

/// What the machine reports, in order: read with [`Events::next`].
pub struct Events<E> {
    events: Receiver<E>,
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

    /// The socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the driver task has stopped.
    pub fn is_stopped(&self) -> bool {
        self.commands.is_closed()
    }
}

impl Handle<Rtc> {
    /// Our parameters for the direct API (credentials, fingerprint, candidates).
    pub async fn direct_parameters(&self) -> Result<DirectParameters, Stopped> {
        self.with(|rtc, _| rtc.direct_parameters()).await
    }

    /// Connects to the peer without SDP; see [`Rtc::direct_connect`].
    pub async fn direct_connect(
        &self,
        remote: DirectParameters,
        controlling: bool,
    ) -> Result<Result<(), NegotiationError>, Stopped> {
        self.with(move |rtc, now| rtc.direct_connect(now, remote, controlling))
            .await
    }

    /// Opens a data channel; see [`Rtc::open_channel`].
    pub async fn open_channel(
        &self,
        config: ChannelConfig,
    ) -> Result<Result<ChannelId, ChannelError>, Stopped> {
        self.with(move |rtc, now| rtc.open_channel(now, config))
            .await
    }

    /// Sends a message; see [`Rtc::send`].
    pub async fn send(
        &self,
        id: ChannelId,
        data: impl AsRef<[u8]> + Send + 'static,
        binary: bool,
    ) -> Result<Result<(), SendError>, Stopped> {
        self.with(move |rtc, now| rtc.send(now, id, data.as_ref(), binary))
            .await
    }

    /// Closes the peer connection; the task sends the close and stops.
    pub async fn close(&self) -> Result<(), Stopped> {
        self.with(|rtc, now| rtc.close(now)).await
    }
}

/// A new RNG for the core, seeded from the OS (the one place entropy enters).
pub fn os_rng() -> Box<ChaCha20Rng> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the OS random source is available");
    Box::new(ChaCha20Rng::from_seed(seed))
}

/// Binds a UDP socket at `addr`, creates a peer connection with `config` and an OS-seeded
/// RNG, adds the socket's address as its host candidate, and runs it.
pub async fn bind_rtc(
    addr: SocketAddr,
    config: RtcConfig,
) -> io::Result<(Handle<Rtc>, Events<sansrtc::Event>)> {
    let socket = Async::<UdpSocket>::bind(addr)?;
    let local = socket.get_ref().local_addr()?;
    let now = Instant::now();
    let mut rtc = Rtc::new(config, now, os_rng());
    rtc.add_host_address(now, local)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Ok(spawn(socket, rtc))
}

/// Runs `machine` on `socket` in a new task on smol's global executor.
pub fn spawn<M>(socket: Async<UdpSocket>, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    let local_addr = socket
        .get_ref()
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let (commands, command_rx) = smol::channel::unbounded();
    let (event_tx, events) = smol::channel::unbounded();
    // The task ends by itself when every handle is gone; its io::Error has nobody to go to
    // but the handles, which see the task stopped.
    smol::spawn(async move {
        let result = run(socket, local_addr, machine, &command_rx, &event_tx).await;
        // Handles see the task stopped before the events stream ends.
        command_rx.close();
        drop(event_tx);
        result
    })
    .detach();
    let handle = Handle {
        commands,
        local_addr,
    };
    (handle, Events { events })
}

/// Why the task woke.
enum Wake<M> {
    Datagram(io::Result<(usize, SocketAddr)>),
    Command(Option<Command<M>>),
    Timeout,
    Writable(io::Result<()>),
}

/// The loop of [`sansrtc::driver`]: send, report, wait for a datagram, a command or the
/// deadline.
async fn run<M: Machine>(
    socket: Async<UdpSocket>,
    local: SocketAddr,
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
        let now = Instant::now();
        let more;
        (blocked, more) = send(&socket, &mut machine, now, &mut tx_buf, blocked);
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
        let wait_writable = blocked.is_some();
        // `race` polls in random order, so a flood of datagrams cannot starve commands.
        let wake = async { Wake::Datagram(socket.recv_from(&mut rx_buf).await) }
            .race(async { Wake::Command(commands.recv().await.ok()) })
            .race(async {
                (&mut timer).await;
                Wake::Timeout
            })
            .race(async {
                if !wait_writable {
                    future::pending::<()>().await;
                }
                Wake::Writable(socket.writable().await)
            })
            .await;
        match wake {
            Wake::Datagram(received) => {
                match received {
                    Ok((n, source)) => {
                        let rx = Receive::udp(source, local, &mut rx_buf[..n]);
                        machine.handle_datagram(Instant::now(), rx);
                    }
                    Err(e) if is_transient_receive_error(&e) => {}
                    Err(e) => return Err(e),
                }
                // More may be waiting: take them without sleeping, up to the budget.
                for _ in 1..MAX_RECEIVES_PER_TURN {
                    match socket.get_ref().recv_from(&mut rx_buf) {
                        Ok((n, source)) => {
                            let rx = Receive::udp(source, local, &mut rx_buf[..n]);
                            machine.handle_datagram(Instant::now(), rx);
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if is_transient_receive_error(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Wake::Command(Some(f)) => f(&mut machine, Instant::now()),
            // Every handle is gone: nobody can command or close the machine any more.
            Wake::Command(None) => return Ok(()),
            Wake::Timeout => machine.handle_timeout(Instant::now()),
            Wake::Writable(ready) => ready?,
        }
    }
}

/// Sends the blocked datagram, then what the machine writes, up to the budget. Returns the
/// datagram the socket would not take, if any (its bytes stay in `buf`), and whether the
/// budget ran out.
fn send<M: Machine>(
    socket: &Async<UdpSocket>,
    machine: &mut M,
    now: Instant,
    buf: &mut [u8],
    mut blocked: Option<Transmit>,
) -> (Option<Transmit>, bool) {
    for _ in 0..MAX_TRANSMITS_PER_TURN {
        let Some(t) = blocked.take().or_else(|| machine.poll_transmit(now, buf)) else {
            return (None, false);
        };
        match socket.get_ref().send_to(&buf[..t.len], t.destination) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (Some(t), false),
            // Any other refusal (unreachable, too big, a bad address) loses this datagram
            // like the network would; the protocols above retransmit. A broken socket shows
            // on the receive side.
            Err(_) => {}
        }
    }
    (None, true)
}
