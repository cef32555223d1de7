//! `sansrtc-tokio`: runs the sans-IO [`sansrtc`] core on a tokio UDP socket and tokio timers.
//!
//! [`spawn`] moves a machine — one peer connection ([`Rtc`]) or many behind one socket
//! ([`Endpoint`](sansrtc::Endpoint)) — into a task that owns the socket, and returns a
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
//! Bind a specific local address (not `0.0.0.0` or `::`): the socket's address is the host
//! candidate and the destination of every datagram the core sees.

use std::io;
use std::net::SocketAddr;
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
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

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

/// Gives commands to a machine running in a driver task. Cheap to clone.
pub struct Handle<M> {
    commands: mpsc::UnboundedSender<Command<M>>,
    local_addr: SocketAddr,
    task: std::sync::Arc<JoinHandle<io::Result<()>>>,
}

impl<M> Clone for Handle<M> {
    fn clone(&self) -> Self {
        Self {
            commands: self.commands.clone(),
            local_addr: self.local_addr,
            task: self.task.clone(),
        }
    }
}

/// What the machine reports, in order: read with [`Events::next`].
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

    /// The socket's local address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the driver task has stopped.
    pub fn is_stopped(&self) -> bool {
        self.task.is_finished()
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
    let socket = UdpSocket::bind(addr).await?;
    let local = socket.local_addr()?;
    let now = Instant::now();
    let mut rtc = Rtc::new(config, now, os_rng());
    rtc.add_host_address(now, local)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Ok(spawn(socket, rtc))
}

/// Runs `machine` on `socket` in a new tokio task.
pub fn spawn<M>(socket: UdpSocket, machine: M) -> (Handle<M>, Events<M::Event>)
where
    M: Machine + Send + 'static,
    M::Event: Send + 'static,
{
    let local_addr = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (event_tx, events) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(socket, local_addr, machine, command_rx, event_tx));
    let handle = Handle {
        commands,
        local_addr,
        task: std::sync::Arc::new(task),
    };
    (handle, Events { events })
}

/// The loop of [`sansrtc::driver`]: send, report, wait for a datagram, a command or the
/// deadline.
async fn run<M: Machine>(
    socket: UdpSocket,
    local: SocketAddr,
    mut machine: M,
    mut commands: mpsc::UnboundedReceiver<Command<M>>,
    events: mpsc::UnboundedSender<M::Event>,
) -> io::Result<()> {
    let mut rx_buf = vec![0u8; 65_536];
    let mut tx_buf = vec![0u8; machine.max_datagram_size()];
    // A datagram the socket would not take yet: (transmit, still in tx_buf).
    let mut blocked: Option<Transmit> = None;
    loop {
        let now = Instant::now();
        let more;
        (blocked, more) = send(&socket, &mut machine, now, &mut tx_buf, blocked);
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
        tokio::select! {
            received = socket.recv_from(&mut rx_buf) => {
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
                    match socket.try_recv_from(&mut rx_buf) {
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
            command = commands.recv() => match command {
                Some(f) => f(&mut machine, Instant::now()),
                // Every handle is gone: nobody can command or close the machine any more.
                None => return Ok(()),
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                machine.handle_timeout(Instant::now());
            }
            ready = socket.writable(), if blocked.is_some() => ready?,
        }
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(at) = deadline {
        tokio::time::sleep_until(at).await;
    }
}

/// Sends the blocked datagram, then what the machine writes, up to the budget. Returns the
/// datagram the socket would not take, if any (its bytes stay in `buf`), and whether the
/// budget ran out.
fn send<M: Machine>(
    socket: &UdpSocket,
    machine: &mut M,
    now: Instant,
    buf: &mut [u8],
    mut blocked: Option<Transmit>,
) -> (Option<Transmit>, bool) {
    for _ in 0..MAX_TRANSMITS_PER_TURN {
        let Some(t) = blocked.take().or_else(|| machine.poll_transmit(now, buf)) else {
            return (None, false);
        };
        match socket.try_send_to(&buf[..t.len], t.destination) {
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
