//! Which local addresses a driver binds its sockets to, and so which host candidates a peer
//! connection offers: a pure function of what the caller asked to bind and of the addresses the
//! OS reports on its interfaces, so the three drivers share one policy and it is tested without
//! a network.
//!
//! A driver enumerates the host's interface addresses (`getifaddrs` on Unix) only when a bind
//! address is unspecified, turns each into an [`InterfaceAddr`], asks [`host_addresses`] what
//! to bind, binds one UDP socket per answer, and adds each socket's address as a host
//! candidate ([`Rtc::add_host_address`](crate::Rtc::add_host_address)).
//!
//! # The policy
//!
//! - A specific bind address (`192.0.2.1:5000`, `[::1]:0`) is bound as given, loopback or
//!   not: that is today's one-socket behaviour.
//! - An unspecified bind address (`0.0.0.0` or `::`) stands for every usable address of its
//!   family on the host, each bound with the bind's port (`0` lets the OS pick one per
//!   socket). Give both `0.0.0.0` and `::` for both families: IPv6 sockets are IPv6-only, so
//!   each family gets candidates of its own.
//! - Usable means: on an interface that is up (running), and not unspecified, multicast, or
//!   IPv6 link-local (`fe80::/10`, which needs a scope id that candidates cannot carry and that
//!   browsers do not offer either). IPv4 link-local (`169.254.0.0/16`) is kept: on a network
//!   without DHCP it may be the only address there is.
//! - Loopback (`127.0.0.0/8`, `::1`) follows [`Loopback`]: by default it is left out, since a
//!   peer on another host cannot reach it and its checks only cost time, unless the host has
//!   nothing else to offer (a container or namespace whose only interface is `lo`).
//! - Duplicates go, and the list stops at [`MAX_HOST_ADDRESSES`] (the ICE agent's limit),
//!   specific bind addresses first, then interface addresses in the order the OS gave them.

use std::io;
use std::net::{IpAddr, SocketAddr};

use crate::ice::MAX_HOSTS;

/// The most host addresses [`host_addresses`] returns: as many as one ICE agent takes.
pub const MAX_HOST_ADDRESSES: usize = MAX_HOSTS;

/// One address the OS reports on one of its interfaces: what [`host_addresses`] chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceAddr {
    /// The address.
    pub ip: IpAddr,
    /// Whether the interface is up and running (a down interface's addresses are skipped).
    pub is_up: bool,
}

/// Whether loopback interface addresses become host candidates when a bind address is
/// unspecified. A specific loopback bind address (`127.0.0.1:0`) is always bound.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Loopback {
    /// Only when the host has no other usable address for the unspecified binds (the default).
    #[default]
    WhenAlone,
    /// Always: for peers on the same host (tests, local tools).
    Always,
    /// Never.
    Never,
}

/// The local addresses to bind one UDP socket each to, for the bind addresses the caller
/// gave and the host's `interfaces` (consulted only for unspecified binds); see the
/// [module docs](self) for the policy. Empty when nothing usable is left (no interface up),
/// which a driver reports as an error.
pub fn host_addresses(
    binds: &[SocketAddr],
    interfaces: &[InterfaceAddr],
    loopback: Loopback,
) -> Vec<SocketAddr> {
    let mut chosen: Vec<SocketAddr> = Vec::with_capacity(MAX_HOST_ADDRESSES);
    let push = |chosen: &mut Vec<SocketAddr>, addr: SocketAddr| {
        if chosen.len() < MAX_HOST_ADDRESSES && !chosen.contains(&addr) {
            chosen.push(addr);
        }
    };
    for bind in binds.iter().filter(|b| !b.ip().is_unspecified()) {
        push(&mut chosen, *bind);
    }
    let expanded = |want_loopback: bool| {
        binds
            .iter()
            .filter(|b| b.ip().is_unspecified())
            .flat_map(move |bind| {
                interfaces
                    .iter()
                    .filter(move |i| {
                        i.is_up
                            && i.ip.is_ipv4() == bind.is_ipv4()
                            && is_usable_host(i.ip)
                            && i.ip.is_loopback() == want_loopback
                    })
                    .map(move |i| SocketAddr::new(i.ip, bind.port()))
            })
    };
    let mut others = 0;
    for addr in expanded(false) {
        push(&mut chosen, addr);
        others += 1;
    }
    let loopback = match loopback {
        Loopback::Always => true,
        Loopback::WhenAlone => others == 0,
        Loopback::Never => false,
    };
    if loopback {
        for addr in expanded(true) {
            push(&mut chosen, addr);
        }
    }
    chosen
}

/// Binds one socket per address of [`host_addresses`] with `bind`, reading the host's
/// interfaces with `interfaces` only when a bind address is unspecified. An address the
/// enumeration found that will not bind (an IPv6 address still in duplicate address detection)
/// is skipped; one the caller named must bind. Errors with `AddrNotAvailable` when no socket
/// is left. The I/O is the driver's, in the two closures.
pub fn bind_each<S>(
    binds: &[SocketAddr],
    loopback: Loopback,
    interfaces: impl FnOnce() -> io::Result<Vec<InterfaceAddr>>,
    mut bind: impl FnMut(SocketAddr) -> io::Result<S>,
) -> io::Result<Vec<S>> {
    let found = if binds.iter().any(|b| b.ip().is_unspecified()) {
        interfaces()?
    } else {
        Vec::new()
    };
    let mut sockets = Vec::new();
    for addr in host_addresses(binds, &found, loopback) {
        match bind(addr) {
            Ok(socket) => sockets.push(socket),
            Err(e) if binds.contains(&addr) => return Err(e),
            Err(_) => {}
        }
    }
    if sockets.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            "no usable local address to bind",
        ));
    }
    Ok(sockets)
}

/// Whether an interface address can be a host candidate at all (loopback aside).
fn is_usable_host(ip: IpAddr) -> bool {
    if ip.is_unspecified() || ip.is_multicast() {
        return false;
    }
    match ip {
        IpAddr::V4(v4) => !v4.is_broadcast(),
        // fe80::/10: link-local needs a scope id.
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 != 0xfe80 && v6.to_ipv4_mapped().is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(ip: &str) -> InterfaceAddr {
        InterfaceAddr {
            ip: ip.parse().unwrap(),
            is_up: true,
        }
    }

    fn down(ip: &str) -> InterfaceAddr {
        InterfaceAddr {
            is_up: false,
            ..up(ip)
        }
    }

    fn addrs(list: &[&str]) -> Vec<SocketAddr> {
        list.iter().map(|a| a.parse().unwrap()).collect()
    }

    /// A host with loopback, one LAN address of each family, a v6 link-local, a down
    /// interface and a v4 link-local.
    fn host() -> Vec<InterfaceAddr> {
        vec![
            up("127.0.0.1"),
            up("::1"),
            up("192.168.1.10"),
            up("fe80::1"),
            up("2001:db8::10"),
            down("10.9.9.9"),
            down("2001:db8::99"),
            up("169.254.3.4"),
        ]
    }

    #[test]
    fn specific_bind_is_kept_as_is() {
        let binds = addrs(&["192.0.2.7:5000", "[::1]:0"]);
        assert_eq!(host_addresses(&binds, &host(), Loopback::Never), binds);
    }

    #[test]
    fn unspecified_v4_takes_up_v4_non_loopback() {
        let got = host_addresses(&addrs(&["0.0.0.0:4000"]), &host(), Loopback::WhenAlone);
        assert_eq!(got, addrs(&["192.168.1.10:4000", "169.254.3.4:4000"]));
    }

    #[test]
    fn unspecified_v6_skips_link_local_and_down() {
        let got = host_addresses(&addrs(&["[::]:0"]), &host(), Loopback::WhenAlone);
        assert_eq!(got, addrs(&["[2001:db8::10]:0"]));
    }

    #[test]
    fn both_families() {
        let got = host_addresses(
            &addrs(&["0.0.0.0:0", "[::]:0"]),
            &host(),
            Loopback::default(),
        );
        assert_eq!(
            got,
            addrs(&["192.168.1.10:0", "169.254.3.4:0", "[2001:db8::10]:0"])
        );
    }

    #[test]
    fn loopback_when_alone() {
        let lo_only = [up("127.0.0.1"), up("::1"), up("fe80::1"), down("10.0.0.1")];
        let binds = addrs(&["0.0.0.0:0", "[::]:0"]);
        let got = host_addresses(&binds, &lo_only, Loopback::WhenAlone);
        assert_eq!(got, addrs(&["127.0.0.1:0", "[::1]:0"]));
        assert!(host_addresses(&binds, &lo_only, Loopback::Never).is_empty());
    }

    #[test]
    fn loopback_always() {
        let got = host_addresses(&addrs(&["0.0.0.0:9"]), &host(), Loopback::Always);
        assert_eq!(
            got,
            addrs(&["192.168.1.10:9", "169.254.3.4:9", "127.0.0.1:9"])
        );
    }

    #[test]
    fn nothing_up_gives_nothing() {
        let none = [down("127.0.0.1"), down("192.168.1.10")];
        assert!(host_addresses(&addrs(&["0.0.0.0:0"]), &none, Loopback::Always).is_empty());
        assert!(host_addresses(&addrs(&["[::]:0"]), &[], Loopback::default()).is_empty());
    }

    #[test]
    fn duplicates_go_and_the_list_is_capped() {
        let mut many: Vec<_> = (1..=20).map(|n| up(&format!("10.0.0.{n}"))).collect();
        many.push(up("10.0.0.1"));
        let binds = addrs(&["10.0.0.3:0", "0.0.0.0:0"]);
        let got = host_addresses(&binds, &many, Loopback::Never);
        assert_eq!(got.len(), MAX_HOST_ADDRESSES);
        assert_eq!(got[0], "10.0.0.3:0".parse().unwrap());
        assert_eq!(got[1], "10.0.0.1:0".parse().unwrap());
        let mut sorted = got.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), got.len());
    }

    #[test]
    fn bind_each_skips_found_addresses_that_fail_but_not_named_ones() {
        let found = || Ok(vec![up("10.0.0.1"), up("10.0.0.2")]);
        let fail_on = |bad: &'static str| {
            move |a: SocketAddr| {
                if a.ip().to_string() == bad {
                    Err(io::Error::new(io::ErrorKind::AddrNotAvailable, "tentative"))
                } else {
                    Ok(a)
                }
            }
        };
        let any = addrs(&["0.0.0.0:0"]);
        let got = bind_each(&any, Loopback::Never, found, fail_on("10.0.0.1")).unwrap();
        assert_eq!(got, addrs(&["10.0.0.2:0"]));
        let named = addrs(&["10.0.0.1:0"]);
        assert!(bind_each(&named, Loopback::Never, found, fail_on("10.0.0.1")).is_err());
        let none = || Ok(vec![]);
        let err = bind_each(&any, Loopback::Never, none, Ok).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
        // A specific bind never enumerates.
        let never = || -> io::Result<Vec<InterfaceAddr>> { panic!("enumerated") };
        assert_eq!(
            bind_each(&named, Loopback::Never, never, Ok).unwrap(),
            named
        );
    }

    #[test]
    fn odd_addresses_are_skipped() {
        let odd = [
            up("0.0.0.0"),
            up("224.0.0.1"),
            up("255.255.255.255"),
            up("ff02::1"),
            up("::ffff:10.0.0.1"),
            up("febf::1"),
            up("fec0::1"),
        ];
        let got = host_addresses(&addrs(&["0.0.0.0:0", "[::]:0"]), &odd, Loopback::Never);
        // fec0::/10 (deprecated site-local) is outside fe80::/10 and kept.
        assert_eq!(got, addrs(&["[fec0::1]:0"]));
    }
}
