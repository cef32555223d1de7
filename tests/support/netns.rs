//! Runs a driver test inside a network namespace it creates itself, with two veth ends of
//! its own (included by each driver's tests with `#[path]`).
//!
//! The tests send datagrams only to loopback or inside namespaces they create, never to this
//! machine's own addresses: a test that needs non-loopback host addresses calls
//! [`in_namespace`], which re-executes the test binary, filtered to that one test, under
//! `unshare --net` (as root; else with `--map-root-user`). The inner run brings `lo` up, adds
//! a veth pair `v0`/`v1` with [`ADDRS`] on it (IPv6 without duplicate address detection, so
//! the addresses bind at once), waits for both links, and runs the body. The outer run prints
//! the inner output and fails unless that one test passed. A missing `unshare` or `ip` is a
//! failure naming the Debian package, never a skip.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use std::{env, fs};

/// Set (to the test's name) in the inner run.
const INNER_ENV: &str = "SANSRTC_NETNS_INNER";

/// The namespace's non-loopback addresses: `v0` has the first of each family, `v1` the second.
pub(crate) const ADDRS: [&str; 4] = ["10.200.0.1", "10.200.0.2", "fd00:200::1", "fd00:200::2"];

/// The binds that stand for every host address of both families.
pub(crate) const ANY: [&str; 2] = ["0.0.0.0:0", "[::]:0"];

/// [`ANY`], parsed.
pub(crate) fn any() -> Vec<SocketAddr> {
    ANY.iter().map(|a| a.parse().expect("address")).collect()
}

/// Asserts that a peer bound at [`ANY`] with the default loopback policy (or with
/// `loopback_too`, `Loopback::Always`) has exactly the namespace's host addresses, as host
/// candidates and as sockets.
pub(crate) fn assert_hosts(
    loopback_too: bool,
    candidates: impl IntoIterator<Item = SocketAddr>,
    sockets: &[SocketAddr],
) {
    let ips = |list: &mut dyn Iterator<Item = IpAddr>| {
        let mut list: Vec<IpAddr> = list.collect();
        list.sort();
        list
    };
    let loopback = ["127.0.0.1", "::1"].into_iter().filter(|_| loopback_too);
    let want = ips(&mut ADDRS
        .into_iter()
        .chain(loopback)
        .map(|a| a.parse().expect("address")));
    let hosts = ips(&mut candidates.into_iter().map(|a| a.ip()));
    assert_eq!(
        hosts, want,
        "host candidates (loopback too: {loopback_too})"
    );
    let bound = ips(&mut sockets.iter().map(|a| a.ip()));
    assert_eq!(bound, want, "sockets (loopback too: {loopback_too})");
}

/// Outside the namespace: re-executes this test there and panics unless it passed. Inside:
/// sets up the links and runs `body`.
pub(crate) fn in_namespace(test: &str, body: impl FnOnce()) {
    if env::var(INNER_ENV).is_ok_and(|t| t == test) {
        set_up_links();
        body();
        return;
    }
    let unshare = require_tool("unshare", "util-linux");
    require_tool("ip", "iproute2");
    let mut command = Command::new(unshare);
    if !is_root() {
        command.arg("--map-root-user");
    }
    let output = command
        .args(["--net", "--"])
        .arg(env::current_exe().expect("the test binary's own path"))
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env(INNER_ENV, test)
        .stdin(Stdio::null())
        .output()
        .expect("run unshare");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("---- {test}, inside a network namespace of its own:");
    for line in text.lines() {
        println!("  | {line}");
    }
    assert!(
        output.status.success() && text.contains("test result: ok. 1 passed;"),
        "{test}: failed inside the namespace ({}); its output is above",
        output.status
    );
}

/// `lo` up, the veth pair with [`ADDRS`], both ends up and running.
fn set_up_links() {
    let [v4a, v4b, v6a, v6b] = ADDRS;
    let (v4a, v4b) = (format!("{v4a}/24"), format!("{v4b}/24"));
    let (v6a, v6b) = (format!("{v6a}/64"), format!("{v6b}/64"));
    ip(&["link", "set", "lo", "up"]);
    ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    ip(&["addr", "add", &v4a, "dev", "v0"]);
    ip(&["addr", "add", &v4b, "dev", "v1"]);
    ip(&["-6", "addr", "add", &v6a, "dev", "v0", "nodad"]);
    ip(&["-6", "addr", "add", &v6b, "dev", "v1", "nodad"]);
    ip(&["link", "set", "v0", "up"]);
    ip(&["link", "set", "v1", "up"]);
    // A veth end runs once its peer is up; wait for the carrier on both (usually at once).
    let started = Instant::now();
    while !["v0", "v1"]
        .iter()
        .all(|l| ip(&["-o", "link", "show", l]).contains("LOWER_UP"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "veth links never came up"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `ip` with `args`, panicking on failure; returns its output.
fn ip(args: &[&str]) -> String {
    let output = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The tool's path on `PATH` (or the sbin directories), or a panic naming its package.
fn require_tool(tool: &str, package: &str) -> PathBuf {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into(), "/usr/bin".into()])
        .map(|dir| dir.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{tool} is missing: the namespace tests need Debian's {package} \
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
