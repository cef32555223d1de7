//! NAT boxes in the terms of RFC 4787 (NAT behavioural requirements for UDP).
//!
//! A NAT has one public IP address in its outer realm (usually the public internet) and a
//! private realm behind it. Hosts behind it reach the outer realm through it:
//!
//! - Outbound, the internal endpoint `X:x` sending to `Y:y` gets a mapping to the external
//!   endpoint `public_ip:x1`. Whether a later datagram to another destination reuses it is the
//!   mapping behaviour (section 4.1): [`MappingBehavior::EndpointIndependent`] reuses it for
//!   every destination, [`MappingBehavior::AddressDependent`] for the same `Y` only,
//!   [`MappingBehavior::AddressAndPortDependent`] for the same `Y:y` only.
//! - Inbound, a datagram from `Z:z` to `public_ip:x1` is translated to `X:x` if the filtering
//!   behaviour (section 5) lets it in: [`FilteringBehavior::EndpointIndependent`] lets anyone
//!   in, [`FilteringBehavior::AddressDependent`] only addresses `X:x` has sent to through this
//!   mapping, [`FilteringBehavior::AddressAndPortDependent`] only exact endpoints it has sent
//!   to.
//! - Mappings and their permissions expire [`NatConfig::mapping_timeout`] after the last
//!   outbound datagram that used them (section 4.3; inbound refresh is optional, REQ-6).
//! - Hairpinning (section 6): a datagram from behind the NAT to its own public address loops
//!   back in, with the sender's external address as source, when [`NatConfig::hairpinning`] is
//!   on; otherwise it is dropped.
//!
//! The classic names map to: full cone = EIM + EIF, restricted cone = EIM + ADF, port
//! restricted cone = EIM + APDF, symmetric = APDM + APDF.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use super::Realm;
use super::trace::DropCause;

/// When a NAT reuses a mapping (RFC 4787 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MappingBehavior {
    /// Same external endpoint for every destination (EIM, REQ-1).
    EndpointIndependent,
    /// Same external endpoint per destination IP address.
    AddressDependent,
    /// Same external endpoint per destination IP address and port ("symmetric").
    AddressAndPortDependent,
}

/// Which inbound datagrams a NAT lets through a mapping (RFC 4787 section 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilteringBehavior {
    /// Anyone may send to a mapped external endpoint.
    EndpointIndependent,
    /// Only IP addresses the internal endpoint has sent to.
    AddressDependent,
    /// Only IP address and port pairs the internal endpoint has sent to.
    AddressAndPortDependent,
}

/// How a NAT picks the external port of a new mapping (RFC 4787 section 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortAllocation {
    /// The next free port from [`NatConfig::first_port`] up, wrapping around.
    Sequential,
    /// A free port drawn uniformly from `first_port..=65535` with the NAT's seeded RNG.
    Random,
    /// The internal port if it is free, else sequential (port preservation, REQ-3 note).
    Preserve,
}

/// A NAT's behaviour. Start from one of the constructors and set fields as needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct NatConfig {
    /// Mapping behaviour.
    pub mapping: MappingBehavior,
    /// Filtering behaviour.
    pub filtering: FilteringBehavior,
    /// External port allocation.
    pub ports: PortAllocation,
    /// Lowest external port handed out (and where sequential allocation starts).
    pub first_port: u16,
    /// Idle time after which a mapping and its permissions expire (RFC 4787 REQ-5 asks for at
    /// least 2 minutes; the default is 120 s).
    pub mapping_timeout: Duration,
    /// Whether inbound datagrams refresh the mapping too.
    pub inbound_refresh: bool,
    /// Whether the NAT hairpins (RFC 4787 REQ-9).
    pub hairpinning: bool,
}

impl NatConfig {
    /// A NAT with the given behaviours, sequential ports from 49152, 120 s timeout, no
    /// hairpinning.
    pub fn new(mapping: MappingBehavior, filtering: FilteringBehavior) -> Self {
        Self {
            mapping,
            filtering,
            ports: PortAllocation::Sequential,
            first_port: 49152,
            mapping_timeout: Duration::from_secs(120),
            inbound_refresh: false,
            hairpinning: false,
        }
    }

    /// Full cone: EIM + EIF.
    pub fn full_cone() -> Self {
        Self::new(
            MappingBehavior::EndpointIndependent,
            FilteringBehavior::EndpointIndependent,
        )
    }

    /// Restricted cone: EIM + ADF.
    pub fn restricted_cone() -> Self {
        Self::new(
            MappingBehavior::EndpointIndependent,
            FilteringBehavior::AddressDependent,
        )
    }

    /// Port restricted cone: EIM + APDF (the RFC 4787 recommendation for filtering strictness
    /// with EIM, and the common home router).
    pub fn port_restricted_cone() -> Self {
        Self::new(
            MappingBehavior::EndpointIndependent,
            FilteringBehavior::AddressAndPortDependent,
        )
    }

    /// Symmetric: APDM + APDF.
    pub fn symmetric() -> Self {
        Self::new(
            MappingBehavior::AddressAndPortDependent,
            FilteringBehavior::AddressAndPortDependent,
        )
    }
}

/// A live mapping, as shown by [`Sim::nat_mappings`](super::Sim::nat_mappings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MappingInfo {
    /// The internal endpoint.
    pub internal: SocketAddr,
    /// The external endpoint it is mapped to.
    pub external: SocketAddr,
    /// When it expires unless refreshed.
    pub expires: Instant,
}

#[derive(Debug)]
struct Mapping {
    internal: SocketAddr,
    /// The destination part of the mapping key: `None` for EIM, the IP (port 0) for ADM, the
    /// endpoint for APDM.
    key: Option<SocketAddr>,
    external_port: u16,
    expires: Instant,
    /// Endpoints the internal endpoint sent to through this mapping, with their expiry.
    permits: Vec<(SocketAddr, Instant)>,
}

/// The running state of one NAT.
#[derive(Debug)]
pub(super) struct Nat {
    pub(super) name: &'static str,
    pub(super) public_ip: IpAddr,
    pub(super) outer: Realm,
    pub(super) config: NatConfig,
    rng: ChaCha8Rng,
    next_port: u16,
    mappings: Vec<Mapping>,
}

impl Nat {
    pub(super) fn new(
        name: &'static str,
        public_ip: IpAddr,
        outer: Realm,
        config: NatConfig,
        rng: ChaCha8Rng,
    ) -> Self {
        Self {
            name,
            public_ip,
            outer,
            config,
            rng,
            next_port: config.first_port,
            mappings: Vec::new(),
        }
    }

    /// Translates an outbound datagram `src -> dst`: finds or creates its mapping, refreshes
    /// it and its permission for `dst`, and returns the external source address.
    ///
    /// Allocates only when it creates a mapping or a permission.
    pub(super) fn outbound(
        &mut self,
        now: Instant,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Result<SocketAddr, DropCause> {
        let key = match self.config.mapping {
            MappingBehavior::EndpointIndependent => None,
            MappingBehavior::AddressDependent => Some(SocketAddr::new(dst.ip(), 0)),
            MappingBehavior::AddressAndPortDependent => Some(dst),
        };
        let expires = now + self.config.mapping_timeout;
        let live = self
            .mappings
            .iter()
            .position(|m| m.internal == src && m.key == key && m.expires > now);
        let index = match live {
            Some(i) => i,
            None => {
                self.mappings.retain(|m| m.expires > now);
                let port = self.allocate(now, src.port()).ok_or(DropCause::NatFilter)?;
                self.mappings.push(Mapping {
                    internal: src,
                    key,
                    external_port: port,
                    expires,
                    permits: Vec::new(),
                });
                self.mappings.len() - 1
            }
        };
        let m = &mut self.mappings[index];
        m.expires = expires;
        match m.permits.iter_mut().find(|(peer, _)| *peer == dst) {
            Some(p) => p.1 = expires,
            None => {
                m.permits.retain(|p| p.1 > now);
                m.permits.push((dst, expires));
            }
        }
        Ok(SocketAddr::new(self.public_ip, m.external_port))
    }

    /// Filters and translates an inbound datagram from `src` to external port `port`; returns
    /// the internal destination.
    pub(super) fn inbound(
        &mut self,
        now: Instant,
        src: SocketAddr,
        port: u16,
    ) -> Result<SocketAddr, DropCause> {
        let filtering = self.config.filtering;
        let m = self
            .mappings
            .iter_mut()
            .find(|m| m.external_port == port && m.expires > now)
            .ok_or(DropCause::NatFilter)?;
        let allowed = match filtering {
            FilteringBehavior::EndpointIndependent => true,
            FilteringBehavior::AddressDependent => m
                .permits
                .iter()
                .any(|&(p, e)| p.ip() == src.ip() && e > now),
            FilteringBehavior::AddressAndPortDependent => {
                m.permits.iter().any(|&(p, e)| p == src && e > now)
            }
        };
        if !allowed {
            return Err(DropCause::NatFilter);
        }
        if self.config.inbound_refresh {
            m.expires = now + self.config.mapping_timeout;
        }
        Ok(m.internal)
    }

    /// The live mappings.
    pub(super) fn mappings(&self, now: Instant) -> impl Iterator<Item = MappingInfo> + '_ {
        self.mappings
            .iter()
            .filter(move |m| m.expires > now)
            .map(|m| MappingInfo {
                internal: m.internal,
                external: SocketAddr::new(self.public_ip, m.external_port),
                expires: m.expires,
            })
    }

    fn in_use(&self, now: Instant, port: u16) -> bool {
        self.mappings
            .iter()
            .any(|m| m.external_port == port && m.expires > now)
    }

    fn allocate(&mut self, now: Instant, internal_port: u16) -> Option<u16> {
        let first = self.config.first_port;
        match self.config.ports {
            PortAllocation::Preserve
                if internal_port >= first && !self.in_use(now, internal_port) =>
            {
                return Some(internal_port);
            }
            PortAllocation::Random => {
                let span = u64::from(u16::MAX - first) + 1;
                for _ in 0..64 {
                    let port = first + (self.rng.next_u64() % span) as u16;
                    if !self.in_use(now, port) {
                        return Some(port);
                    }
                }
            }
            _ => {}
        }
        for _ in first..=u16::MAX {
            let port = self.next_port;
            self.next_port = if port == u16::MAX { first } else { port + 1 };
            if !self.in_use(now, port) {
                return Some(port);
            }
        }
        None
    }
}
