//! Runs a real coturn TURN server on loopback for the TURN tests (included by a test file with
//! `#[path]`).
//!
//! [`Coturn::start`] runs Debian's `turnserver` as a child in the foreground, on a free UDP port of
//! 127.0.0.1 (or of ::1, [`Coturn::start_on`]), with no configuration file and only what a TURN
//! client test needs: UDP on that address for listening and relaying, the long-term credential mechanism with one user
//! ([`Coturn::username`], [`Coturn::password`], [`Coturn::realm`]), and loopback peers allowed.
//! No TCP, TLS, DTLS, CLI or RFC 5780 listeners, no other interface, no database but an SQLite
//! file in the server's own scratch directory (so it runs as any user). It returns once the
//! server answers a STUN Binding request. Dropping the [`Coturn`] stops the server with
//! SIGTERM and removes the directory. A missing `turnserver` is a failure naming the Debian
//! package, never a skip.

use std::collections::hash_map::RandomState;
use std::fs::{self, File};
use std::hash::BuildHasher;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};
use std::{env, process};

/// How long the server may take to answer its first Binding request.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the readiness probe resends its Binding request.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// Attempts at a listening port, in case another process takes the free port first.
const PORT_ATTEMPTS: usize = 5;

/// The relay port range (RFC 8656 section 7.2 recommends the dynamic range; coturn's default).
const RELAY_PORTS: (u16, u16) = (49152, 65535);

/// STUN's magic cookie (RFC 8489 section 5).
const MAGIC_COOKIE: u32 = 0x2112_A442;

/// A running coturn server on loopback; stopped and cleaned up on drop.
pub(crate) struct Coturn {
    /// The UDP address it listens on (127.0.0.1 or ::1, a free port).
    pub(crate) addr: SocketAddr,
    /// The long-term credential user name.
    #[allow(dead_code, reason = "not every test binary authenticates")]
    pub(crate) username: String,
    /// That user's password.
    #[allow(dead_code, reason = "not every test binary authenticates")]
    pub(crate) password: String,
    /// The server's realm (sent in REALM with every 401).
    #[allow(dead_code, reason = "not every test binary checks the realm")]
    pub(crate) realm: String,
    child: Child,
    /// Scratch directory: log, pid file and user database.
    dir: PathBuf,
}

impl Coturn {
    /// Starts a coturn server on a free UDP port of 127.0.0.1 and waits until it answers
    /// STUN.
    ///
    /// Panics (with the server's log) if `turnserver` is missing, exits, or never answers.
    pub(crate) fn start() -> Self {
        Self::start_on(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// [`start`](Self::start) on another loopback address (`::1` for IPv6): listening and
    /// relaying there.
    pub(crate) fn start_on(ip: IpAddr) -> Self {
        assert!(ip.is_loopback(), "coturn runs on loopback only, not {ip}");
        let turnserver = require_turnserver();
        for attempt in 1..=PORT_ATTEMPTS {
            let port = free_udp_port(ip);
            let mut server = spawn(&turnserver, ip, port);
            match server.wait_ready() {
                Ready::Yes => return server,
                // Another process bound the port between our probe and the server's bind.
                Ready::PortTaken if attempt < PORT_ATTEMPTS => continue,
                Ready::PortTaken => {
                    panic!("coturn: port {port} was taken; log:\n{}", server.log())
                }
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    /// The server's log so far (stdout and stderr), for failing tests to print.
    pub(crate) fn log(&self) -> String {
        fs::read(self.log_path())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("(no coturn log at {}: {e})", self.log_path().display()))
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("turnserver.log")
    }

    /// Sends Binding requests until a Binding success response with the same transaction ID
    /// arrives. Panics with the log if the server exits or stays silent.
    fn wait_ready(&mut self) -> Ready {
        let socket = UdpSocket::bind(SocketAddr::new(self.addr.ip(), 0))
            .expect("bind the coturn readiness probe");
        socket
            .set_read_timeout(Some(PROBE_INTERVAL))
            .expect("set the probe's read timeout");
        let transaction = transaction_id();
        let mut request = [0u8; 20];
        request[0..2].copy_from_slice(&0x0001u16.to_be_bytes()); // Binding request
        request[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        request[8..20].copy_from_slice(&transaction);
        let started = Instant::now();
        let mut buf = [0u8; 1500];
        loop {
            if let Some(status) = self.child.try_wait().expect("poll turnserver") {
                panic!(
                    "coturn exited ({status}) before answering STUN on {}; log:\n{}",
                    self.addr,
                    self.log()
                );
            }
            if self.log().contains("Address already in use") {
                return Ready::PortTaken;
            }
            assert!(
                started.elapsed() < READY_TIMEOUT,
                "coturn did not answer a STUN Binding request on {} within {READY_TIMEOUT:?}; \
                 log:\n{}",
                self.addr,
                self.log()
            );
            // Refused (ICMP port unreachable) until the server binds: keep probing.
            let _ = socket.send_to(&request, self.addr);
            let deadline = Instant::now() + PROBE_INTERVAL;
            while let Ok((len, from)) = socket.recv_from(&mut buf) {
                let response = &buf[..len];
                if from == self.addr
                    && len >= 20
                    && response[0..2] == [0x01, 0x01] // Binding success response
                    && response[8..20] == transaction
                {
                    return Ready::Yes;
                }
                if Instant::now() >= deadline {
                    break;
                }
            }
        }
    }
}

impl Drop for Coturn {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // SIGTERM (with `kill`, as std has no signals), then SIGKILL after a grace period.
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.child.try_wait().ok().flatten().is_none() {
                if Instant::now() >= deadline {
                    let _ = self.child.kill();
                    break;
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The outcome of [`Coturn::wait_ready`] that does not panic.
enum Ready {
    Yes,
    PortTaken,
}

/// Spawns `turnserver` on `ip` and `port` with its own scratch directory.
fn spawn(turnserver: &Path, ip: IpAddr, port: u16) -> Coturn {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = env::temp_dir().join(format!("sansrtc-coturn-{}-{n}", process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create coturn's scratch directory");
    let log = File::create(dir.join("turnserver.log")).expect("create coturn's log file");
    let stderr = log.try_clone().expect("share coturn's log file");
    let (username, password, realm) = ("sansrtc", "secret", "sansrtc.test");
    let mut command = Command::new(turnserver);
    command
        .arg("-n") // no configuration file: the command line is all of it
        .arg(format!("--listening-ip={ip}"))
        .arg(format!("--relay-ip={ip}"))
        .arg(format!("--listening-port={port}"))
        .arg(format!("--min-port={}", RELAY_PORTS.0))
        .arg(format!("--max-port={}", RELAY_PORTS.1))
        .arg("--lt-cred-mech")
        .arg(format!("--user={username}:{password}"))
        .arg(format!("--realm={realm}"))
        // Peers are other loopback sockets of the test; coturn refuses them by default.
        .arg("--allow-loopback-peers")
        .args([
            "--no-tcp",
            "--no-tls",
            "--no-dtls",
            "--no-tcp-relay",
            "--no-cli",
        ])
        .args(["--no-rfc5780", "--no-stun-backward-compatibility"])
        // The log goes to stdout, which is the log file (with stderr).
        .args(["--log-file=stdout", "--simple-log", "--verbose"])
        .arg(format!(
            "--pidfile={}",
            dir.join("turnserver.pid").display()
        ))
        .arg(format!("--userdb={}", dir.join("turndb").display()))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start coturn ({command:?}): {e}"));
    Coturn {
        addr: SocketAddr::new(ip, port),
        username: username.to_owned(),
        password: password.to_owned(),
        realm: realm.to_owned(),
        child,
        dir,
    }
}

/// `turnserver` on `PATH` (or in /usr/bin), or a panic naming its Debian package.
fn require_turnserver() -> PathBuf {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|dir| dir.join("turnserver"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "turnserver is missing: the TURN tests need Debian's coturn \
                 (`apt-get install coturn`; `bash .ci/run` installs it)"
            )
        })
}

/// A UDP port that was free on `ip` a moment ago.
fn free_udp_port(ip: IpAddr) -> u16 {
    UdpSocket::bind(SocketAddr::new(ip, 0))
        .and_then(|s| s.local_addr())
        .unwrap_or_else(|e| panic!("find a free UDP port on {ip}: {e}"))
        .port()
}

/// Twelve bytes for a STUN transaction ID, from std's randomly keyed hasher.
fn transaction_id() -> [u8; 12] {
    let state = RandomState::new();
    let mut id = [0u8; 12];
    id[..8].copy_from_slice(&state.hash_one(1u8).to_le_bytes());
    id[8..].copy_from_slice(&state.hash_one(2u8).to_le_bytes()[..4]);
    id
}
