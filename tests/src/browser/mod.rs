//! The Chromium harness: headless Chromium, driven through chromedriver, against the browser
//! echo example (`driver-tokio/examples/echo`), all inside a network namespace whose only
//! interface is loopback.
//!
//! # How a test runs
//!
//! A test calls [`isolated`] with its own name and a body. The first (outer) run:
//!
//! 1. checks that `setpriv`, `unshare`, `ip`, `chromium` and `chromedriver` are installed, and panics naming
//!    the Debian package when one is missing (never a silent skip);
//! 2. builds the echo example with `cargo build --workspace --example echo` (the `cargo` running
//!    the tests, found through `$CARGO`, with the same target directory, `--locked`, and
//!    `--release` when the tests are optimised) and takes the binary's path from cargo's JSON
//!    messages, so the binary is never stale; `SANSRTC_ECHO_BIN=/path` skips the build;
//! 3. re-executes its own test binary, filtered to that one test, under
//!    `setpriv --pdeathsig KILL unshare --net --pid --mount-proc --kill-child`, which brings `lo`
//!    up first. The body runs there (the inner run). The new PID namespace is the backstop
//!    against stray processes: when the inner run ends, or the outer one kills it or dies (even
//!    by SIGKILL, through the parent-death signal), the kernel kills every process left in it,
//!    Chromium's helpers included;
//! 4. prints the inner run's output, indented, and fails unless that test passed in it.
//!
//! In the inner run, [`open_page`] starts the echo server on `127.0.0.1:8080`, chromedriver on
//! `127.0.0.1:9515` and Chromium (headless, fake camera and microphone, a fresh profile under a
//! short temporary directory, since Chromium does not start when its socket path exceeds 107
//! bytes), opens the page with the test's query, polls `document.title` until it starts with
//! `PASS` or `FAIL`, and returns the title and the page's `#log`. Each process sits in a guard
//! that kills it on drop, panics included. Browser tests in one binary run one at a time.

mod webdriver;

use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use std::{env, thread};

use serde_json::{Value, json};

pub use webdriver::Session;

/// Set in the inner run to the name of the test it runs.
const INNER_ENV: &str = "SANSRTC_BROWSER_INNER";
/// The echo example's binary: set by the caller to skip the build, and always for the inner run.
const ECHO_BIN_ENV: &str = "SANSRTC_ECHO_BIN";
/// The inner run's scratch directory (short, for Chromium's socket path).
const DIR_ENV: &str = "SANSRTC_BROWSER_DIR";

/// Where the echo server listens in the namespace.
const ECHO_HTTP: &str = "127.0.0.1:8080";
/// Where chromedriver listens in the namespace.
const DRIVER_PORT: u16 = 9515;

/// How long the inner run may take beyond its page timeout (starting the processes, teardown).
const SETUP_ALLOWANCE: Duration = Duration::from_secs(90);

/// Chromium's flags: headless, no network features that would reach beyond loopback, fake
/// camera and microphone that need no permission prompt, and
/// `--allow-loopback-in-peer-connection`: without it Chromium 156 leaves loopback out of ICE
/// gathering, so in a loopback-only namespace it gathers no candidate at all (found on this
/// machine: gathering never completed, even with camera permission).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
];

/// Runs `body` as test `test` inside a fresh loopback-only network namespace (see the module
/// docs); `test` must be the calling test's name as libtest knows it.
///
/// Outside the namespace this re-executes the test binary there and returns once that run has
/// passed, panicking with its output otherwise; inside, it runs `body`.
pub fn isolated(test: &str, timeout: Duration, body: impl FnOnce()) {
    if env::var(INNER_ENV).is_ok_and(|t| t == test) {
        check_loopback_only();
        body();
        return;
    }
    // One browser at a time: two cores do not run several Chromiums and echo servers well.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());

    let setpriv = require_tool("setpriv", "util-linux");
    let unshare = require_tool("unshare", "util-linux");
    require_tool("ip", "iproute2");
    chromium();
    chromedriver();
    let echo = echo_binary();
    let dir = ScratchDir::new();

    let exe = env::current_exe().expect("the test binary's own path");
    let log_path = dir.path.join("inner.log");
    let log = File::create(&log_path).expect("create the inner run's log");
    // setpriv --pdeathsig: unshare dies with this thread even if this process is SIGKILLed
    // (no Drop runs then), and --kill-child takes the whole namespace with it.
    let mut command = Command::new(setpriv);
    command.args(["--pdeathsig", "KILL"]).arg(unshare);
    if !is_root() {
        command.arg("--map-root-user");
    }
    command
        .args(["--net", "--pid", "--mount-proc", "--kill-child", "--"])
        .args(["sh", "-c", r#"ip link set lo up && exec "$0" "$@""#])
        .arg(exe)
        .args([test, "--exact", "--include-ignored", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(INNER_ENV, test)
        .env(ECHO_BIN_ENV, echo)
        .env(DIR_ENV, &dir.path)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone the log's handle"))
        .stderr(log);
    let child = ChildGuard::spawn("unshare", &mut command);
    let (status, timed_out) = child.wait_until(Instant::now() + timeout + SETUP_ALLOWANCE);

    let output = fs::read_to_string(&log_path).unwrap_or_default();
    println!("---- {test}, inside a loopback-only network namespace:");
    for line in output.lines() {
        println!("  | {line}");
    }
    assert!(
        !timed_out,
        "{test}: the inner run took too long and was killed"
    );
    // `--exact` leaves only this test, so "1 passed" means it ran and passed (its own name and
    // "ok" need not share a line, since --nocapture interleaves the body's output).
    let passed = output.contains("test result: ok. 1 passed;");
    // The inner panic's message (its first line after "panicked at"), to name the failure here.
    let reason = output
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .nth(1)
        .unwrap_or("no panic message");
    assert!(
        status.is_some_and(|s| s.success()) && passed,
        "{test}: failed inside the namespace ({status:?}): {reason}\n(its whole output is above)"
    );
}

/// What the page showed: its title (`PASS ...` or `FAIL ...`) and the text of `#log`.
#[derive(Debug)]
pub struct Page {
    /// `document.title` when polling stopped.
    pub title: String,
    /// The text of the element with id `log`.
    pub log: String,
    /// What the echo server printed.
    pub server_log: String,
    /// Wall time from navigation to the final title.
    pub elapsed: Duration,
    /// The title did not reach `PASS` or `FAIL` in time.
    pub timed_out: bool,
    /// How the echo server exited after SIGTERM, or `None` if it had not within 5 s (it was
    /// killed then).
    pub server_exit: Option<ExitStatus>,
}

impl Page {
    /// Whether the page passed.
    pub fn passed(&self) -> bool {
        !self.timed_out && self.title.starts_with("PASS")
    }

    /// Panics with the title and both logs unless the page passed.
    pub fn assert_pass(&self) {
        assert!(
            self.passed(),
            "page did not pass{}: {:?}\n--- page log:\n{}\n--- echo server:\n{}",
            if self.timed_out { " in time" } else { "" },
            self.title,
            self.log,
            self.server_log
        );
    }
}

/// In the inner run: starts the echo server, chromedriver and Chromium, opens the echo page with
/// `query` (`dc=..&count=..&media=..`, see `page.html`) and returns what it showed once its title
/// says `PASS` or `FAIL`, or after `timeout`. The page gets `timeout` less 5 s as its own, so it
/// reports its progress before the harness gives up. Prints the page's log.
pub fn open_page(query: &str, timeout: Duration) -> Page {
    let dir = PathBuf::from(env::var_os(DIR_ENV).expect("open_page runs inside `isolated`"));
    let echo_bin = env::var_os(ECHO_BIN_ENV).expect("open_page runs inside `isolated`");

    let server_log_path = dir.join("echo.log");
    let server_log = File::create(&server_log_path).expect("create the echo server's log");
    let mut echo = ChildGuard::spawn(
        "echo server",
        Command::new(echo_bin)
            .args(["--http", ECHO_HTTP])
            .stdin(Stdio::null())
            .stdout(server_log.try_clone().expect("clone the log's handle"))
            .stderr(server_log),
    );
    let http: SocketAddr = ECHO_HTTP.parse().expect("a socket address");
    wait_for(&mut echo, "the echo server to listen", || {
        TcpStream::connect(http).is_ok()
    });

    let driver_addr = SocketAddr::from(([127, 0, 0, 1], DRIVER_PORT));
    let mut driver = ChildGuard::spawn(
        "chromedriver",
        Command::new(chromedriver())
            .arg(format!("--port={DRIVER_PORT}"))
            .arg(format!(
                "--log-path={}",
                dir.join("chromedriver.log").display()
            ))
            .env("TMPDIR", &dir)
            .env("HOME", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    wait_for(&mut driver, "chromedriver to be ready", || {
        webdriver::is_ready(driver_addr)
    });

    let page_timeout = timeout.saturating_sub(Duration::from_secs(5));
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
    args.push(format!("--user-data-dir={}", dir.join("profile").display()));
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium(), "args": args },
        "timeouts": { "pageLoad": 30_000, "script": 30_000 },
    });
    let session = Session::new(driver_addr, capabilities)
        .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));

    let url = format!(
        "http://{ECHO_HTTP}/?{query}&timeout={}",
        page_timeout.as_millis()
    );
    println!("browser: opening {url}");
    let started = Instant::now();
    session
        .navigate(&url)
        .unwrap_or_else(|e| panic!("opening the page failed: {e}"));
    let mut title = String::new();
    let mut timed_out = true;
    while started.elapsed() < timeout {
        title = session
            .title()
            .unwrap_or_else(|e| panic!("reading the title failed: {e}"));
        if title.starts_with("PASS") || title.starts_with("FAIL") {
            timed_out = false;
            break;
        }
        thread::sleep(Duration::from_millis(200));
    }
    let elapsed = started.elapsed();
    let log = session
        .execute("const e = document.getElementById('log'); return e ? e.textContent : '';")
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .unwrap_or_else(|e| format!("(reading #log failed: {e})"));

    // Close the browser, stop chromedriver, then ask the server to exit as a user would.
    drop(session);
    drop(driver);
    let server_exit = echo.terminate(Duration::from_secs(5));
    drop(echo);
    let mut server_log = fs::read_to_string(&server_log_path).unwrap_or_default();
    // The namespace's UDP counters: datagrams the kernel dropped for a full receive buffer
    // show as RcvbufErrors, which tells a lost message's cause apart from a protocol bug.
    server_log.push_str(&udp_counters());
    println!(
        "browser: title {title:?} after {elapsed:?}\n--- page log:\n{log}\n\
         --- echo server (exit after SIGTERM: {server_exit:?}):\n{server_log}"
    );
    Page {
        title,
        log,
        server_log,
        elapsed,
        timed_out,
        server_exit,
    }
}

/// The `Udp:` lines of this network namespace's `/proc/net/snmp` (names, then values), as
/// `name=value` pairs on one line.
fn udp_counters() -> String {
    let snmp = fs::read_to_string("/proc/self/net/snmp").unwrap_or_default();
    let udp: Vec<&str> = snmp.lines().filter(|l| l.starts_with("Udp:")).collect();
    let [names, values] = udp[..] else {
        return "kernel UDP counters: unavailable\n".to_owned();
    };
    let pairs: Vec<String> = names
        .split_whitespace()
        .zip(values.split_whitespace())
        .skip(1)
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    format!("kernel UDP counters: {}\n", pairs.join(" "))
}

/// Panics unless this process's network namespace has loopback as its only interface.
fn check_loopback_only() {
    // /proc/self/net/dev lists the interfaces of the reader's network namespace.
    let dev = fs::read_to_string("/proc/self/net/dev").expect("read /proc/self/net/dev");
    let interfaces: Vec<&str> = dev
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(
        interfaces,
        ["lo"],
        "the inner run is not in a loopback-only namespace"
    );
}

/// The Chromium binary's path: `$SANSRTC_CHROMIUM`, else `chromium` in `PATH`.
fn chromium() -> PathBuf {
    let name = env::var("SANSRTC_CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
    require_tool(&name, "chromium")
}

/// The chromedriver binary's path: `$SANSRTC_CHROMEDRIVER`, else `chromedriver` in `PATH`.
fn chromedriver() -> PathBuf {
    let name = env::var("SANSRTC_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    require_tool(&name, "chromium-driver")
}

/// The full path of `tool` (a name looked up in `PATH`, or a path); panics naming the Debian
/// package that provides it when it is missing.
fn require_tool(tool: &str, package: &str) -> PathBuf {
    let found = if tool.contains('/') {
        Some(PathBuf::from(tool)).filter(|p| p.is_file())
    } else {
        env::var_os("PATH").and_then(|paths| {
            env::split_paths(&paths)
                .chain(["/usr/sbin".into(), "/sbin".into()])
                .map(|dir| dir.join(tool))
                .find(|p| p.is_file())
        })
    };
    found.unwrap_or_else(|| {
        panic!(
            "{tool} is missing: the browser tests need Debian's {package} \
             (`apt-get install {package}`; `bash .ci/run` installs it)"
        )
    })
}

/// Whether this process runs as root (else `unshare` needs a user namespace too).
fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

/// The echo example's binary, built once per test process (see the module docs).
fn echo_binary() -> PathBuf {
    static ECHO: OnceLock<PathBuf> = OnceLock::new();
    ECHO.get_or_init(|| {
        if let Some(path) = env::var_os(ECHO_BIN_ENV) {
            return path.into();
        }
        let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let mut command = Command::new(cargo);
        // --workspace: the same features as `cargo test --workspace`, so what that built is
        // reused instead of rebuilt with other features.
        command
            .args(["build", "--locked", "--workspace", "--example", "echo"])
            .args(["--message-format", "json-render-diagnostics"])
            .arg("--manifest-path")
            .arg(manifest);
        if !cfg!(debug_assertions) {
            command.arg("--release");
        }
        let started = Instant::now();
        let output = command
            .output()
            .expect("run cargo to build the echo example");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "building the echo example failed:\n{stderr}"
        );
        let path = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "echo")
            .filter(|m| m["target"]["kind"] == json!(["example"]))
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .unwrap_or_else(|| panic!("cargo named no echo executable:\n{stderr}"));
        eprintln!(
            "browser: echo example {} ready in {:.1?}",
            path.display(),
            started.elapsed()
        );
        path
    })
    .clone()
}

/// Polls `ready` every 100 ms for up to 30 s; panics if it stays false or `child` exits.
fn wait_for(child: &mut ChildGuard, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if ready() {
            return;
        }
        if let Some(status) = child.try_wait() {
            panic!("{} exited ({status}) while waiting for {what}", child.name);
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(100));
    }
}

/// A child process that is killed and reaped when dropped.
struct ChildGuard {
    name: &'static str,
    child: Child,
}

impl ChildGuard {
    fn spawn(name: &'static str, command: &mut Command) -> Self {
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({command:?}): {e}"));
        Self { name, child }
    }

    /// The exit status, if the process has exited.
    fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Sends SIGTERM (with `kill`, as std has no signals) and waits up to `grace` for the exit.
    fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.try_wait() {
            return Some(status);
        }
        let kill = require_tool("kill", "procps");
        let sent = Command::new(kill)
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if !sent.is_ok_and(|s| s.success()) {
            return None;
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// Waits for the process to exit until `deadline`; returns its status and whether the
    /// deadline passed first (the process is killed then).
    fn wait_until(mut self, deadline: Instant) -> (Option<ExitStatus>, bool) {
        while Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return (Some(status), false);
            }
            thread::sleep(Duration::from_millis(100));
        }
        (None, true) // dropping self kills it
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// A short-named scratch directory under /tmp, removed on drop.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        // /tmp rather than $TMPDIR: Chromium's socket path must stay under 108 bytes.
        remove_stale_scratch_dirs();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = PathBuf::from(format!("/tmp/srtc-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).expect("create the browser test's scratch directory");
        Self { path }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Removes the scratch directories of test processes that died without cleaning up (killed).
fn remove_stale_scratch_dirs() {
    let Ok(entries) = fs::read_dir("/tmp") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("srtc-"))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
