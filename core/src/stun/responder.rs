//! A tiny sans-IO STUN server: answers Binding requests (RFC 8489 sections 6.3 and 8).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use super::attributes::MAX_UNKNOWN;
use super::builder::MessageBuilder;
use super::wire::{AttributeType, Class, Message, Method, TransactionId, WireError};
use crate::net::{DatagramKind, Receive, Transmit, Transport};

/// Default bound on queued responses: enough for a burst of requests between two drains.
const DEFAULT_MAX_QUEUED: usize = 64;

/// How a [`Responder`] behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponderConfig {
    /// The SOFTWARE attribute to put in every response (RFC 8489 section 14.14), or `None`
    /// to leave it out. Default: `sansrtc` and the crate version.
    pub software: Option<String>,
    /// How many responses may wait for [`Responder::poll_transmit`]; requests beyond this are
    /// dropped and counted in [`ResponderStats::dropped_queue_full`]. Default 64.
    pub max_queued: usize,
}

impl Default for ResponderConfig {
    fn default() -> Self {
        Self {
            software: Some(concat!("sansrtc ", env!("CARGO_PKG_VERSION")).to_owned()),
            max_queued: DEFAULT_MAX_QUEUED,
        }
    }
}

/// What a [`Responder`] has seen and done. Every STUN datagram it is handed lands in exactly
/// one of `requests`, `malformed` or `ignored`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponderStats {
    /// Well-formed requests accepted for a response (success or error).
    pub requests: u64,
    /// Responses written by [`Responder::poll_transmit`], errors included.
    pub responses_sent: u64,
    /// Error responses among `responses_sent` (420 Unknown Attribute, 400 Bad Request).
    pub error_responses_sent: u64,
    /// Datagrams in the STUN range (RFC 7983) that did not parse or whose FINGERPRINT was
    /// wrong.
    pub malformed: u64,
    /// Well-formed indications and responses, which need no answer.
    pub ignored: u64,
    /// Well-formed requests dropped because the response queue was full.
    pub dropped_queue_full: u64,
}

/// Which response to send.
#[derive(Debug, Clone, Copy)]
enum ResponseKind {
    /// Binding success with XOR-MAPPED-ADDRESS.
    Success,
    /// 420 Unknown Attribute with UNKNOWN-ATTRIBUTES (RFC 8489 section 6.3.1).
    UnknownAttributes {
        list: [AttributeType; MAX_UNKNOWN],
        len: usize,
    },
    /// 400 Bad Request: a request for a method this server does not implement.
    BadRequest,
}

/// A response waiting to be written: fixed size, no bytes.
#[derive(Debug, Clone, Copy)]
struct Pending {
    /// Our address, where the request arrived.
    local: SocketAddr,
    /// The requester's address, as we saw it: what XOR-MAPPED-ADDRESS reports.
    remote: SocketAddr,
    transport: Transport,
    method: Method,
    tid: TransactionId,
    kind: ResponseKind,
}

/// A sans-IO STUN Binding server, for tests, simulations and users who need a reflexive
/// address service.
///
/// It answers each Binding request with a success response carrying XOR-MAPPED-ADDRESS (the
/// source address the request came from), SOFTWARE if configured, and FINGERPRINT. A request
/// with comprehension-required attributes it does not understand gets a 420 listing them;
/// a request for another method gets a 400. Indications and responses are ignored. It does
/// no authentication: MESSAGE-INTEGRITY in a request is not checked (RFC 8489 section 9 leaves
/// authentication to the usage).
///
/// # Driving it
///
/// - input: [`Responder::handle_stun`] for each received datagram;
/// - output: drain [`Responder::poll_transmit`] until it returns `None` after every
///   `handle_stun`;
/// - timers: none; [`Responder::poll_timeout`] is always `None`;
/// - getters: [`Responder::stats`].
///
/// Memory is bounded: responses wait in a queue of at most
/// [`ResponderConfig::max_queued`] fixed-size entries, allocated at construction.
#[derive(Debug)]
pub struct Responder {
    config: ResponderConfig,
    queue: VecDeque<Pending>,
    stats: ResponderStats,
}

impl Responder {
    /// A responder with the given configuration.
    pub fn new(config: ResponderConfig) -> Self {
        Self {
            queue: VecDeque::with_capacity(config.max_queued),
            config,
            stats: ResponderStats::default(),
        }
    }

    /// Handles a received datagram. Returns `false` if it is not in the STUN range of
    /// RFC 7983 (first byte 0 to 3), so the caller can route it elsewhere; `true` otherwise,
    /// whether it was answered, ignored or counted as malformed.
    pub fn handle_stun(&mut self, _now: Instant, rx: &Receive<'_>) -> bool {
        if DatagramKind::classify(rx.contents) != DatagramKind::Stun {
            return false;
        }
        let msg = match Message::new_checked(&*rx.contents) {
            Ok(msg) => msg,
            Err(error) => {
                tracing::trace!(%error, source = %rx.source, "malformed stun");
                self.stats.malformed += 1;
                return true;
            }
        };
        // FINGERPRINT is optional in a request, but a wrong one means corruption.
        if msg.find(AttributeType::FINGERPRINT).is_some() && msg.check_fingerprint().is_err() {
            self.stats.malformed += 1;
            return true;
        }
        if msg.class() != Class::Request {
            self.stats.ignored += 1;
            return true;
        }
        let unknown = msg.unknown_comprehension_required();
        let kind = if !unknown.is_empty() {
            let mut list = [AttributeType(0); MAX_UNKNOWN];
            for (slot, kind) in list.iter_mut().zip(&unknown) {
                *slot = *kind;
            }
            ResponseKind::UnknownAttributes {
                list,
                len: unknown.len().min(MAX_UNKNOWN),
            }
        } else if msg.method() == Method::BINDING {
            ResponseKind::Success
        } else {
            ResponseKind::BadRequest
        };
        if self.queue.len() >= self.config.max_queued {
            self.stats.dropped_queue_full += 1;
            return true;
        }
        self.stats.requests += 1;
        self.queue.push_back(Pending {
            local: rx.destination,
            remote: rx.source,
            transport: rx.transport,
            method: msg.method(),
            tid: msg.transaction_id(),
            kind,
        });
        true
    }

    /// Writes the next queued response into `buf` and says where to send it. Call after every
    /// [`Responder::handle_stun`] until it returns `None`.
    ///
    /// `buf` should hold at least 1,280 bytes (any response fits in far less). If it cannot
    /// hold the response, nothing is written, the response stays queued, and `None` is
    /// returned.
    pub fn poll_transmit(&mut self, _now: Instant, buf: &mut [u8]) -> Option<Transmit> {
        let pending = *self.queue.front()?;
        match self.write_response(&pending, buf) {
            Ok(len) => {
                self.queue.pop_front();
                self.stats.responses_sent += 1;
                if !matches!(pending.kind, ResponseKind::Success) {
                    self.stats.error_responses_sent += 1;
                }
                Some(Transmit {
                    source: pending.local,
                    destination: pending.remote,
                    transport: pending.transport,
                    len,
                })
            }
            Err(WireError::BufferTooSmall) => None,
            Err(error) => {
                // Cannot happen: the method came from a parsed header and every value is
                // bounded. Drop the entry rather than stall the queue.
                debug_assert!(false, "unwritable stun response: {error}");
                self.queue.pop_front();
                None
            }
        }
    }

    /// Always `None`: the responder keeps no timers.
    pub fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// What the responder has seen and done so far.
    pub fn stats(&self) -> &ResponderStats {
        &self.stats
    }

    /// How many responses are waiting for [`Responder::poll_transmit`].
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    fn write_response(&self, pending: &Pending, buf: &mut [u8]) -> Result<usize, WireError> {
        let class = match pending.kind {
            ResponseKind::Success => Class::Success,
            _ => Class::Error,
        };
        let mut builder = MessageBuilder::new(buf, class, pending.method, pending.tid)?;
        match pending.kind {
            ResponseKind::Success => builder.add_xor_mapped_address(pending.remote)?,
            ResponseKind::UnknownAttributes { list, len } => {
                builder.add_error_code(420, "Unknown Attribute")?;
                builder.add_unknown_attributes(list.get(..len).unwrap_or_default())?;
            }
            ResponseKind::BadRequest => builder.add_error_code(400, "Bad Request")?,
        }
        if let Some(software) = &self.config.software {
            // A SOFTWARE value over 763 bytes is left out rather than failing the response.
            if let Err(WireError::BufferTooSmall) = builder.add_software(software) {
                return Err(WireError::BufferTooSmall);
            }
        }
        builder.finish_with_fingerprint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_support::epoch;

    const CLIENT: &str = "198.51.100.7:40000";
    const SERVER: &str = "192.0.2.10:3478";

    fn request(attrs: impl FnOnce(&mut MessageBuilder<'_>), buf: &mut [u8]) -> usize {
        let tid = TransactionId::new([9; 12]);
        let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid).unwrap();
        attrs(&mut b);
        b.finish_with_fingerprint().unwrap()
    }

    fn feed(responder: &mut Responder, bytes: &mut [u8]) -> bool {
        let rx = Receive::udp(CLIENT.parse().unwrap(), SERVER.parse().unwrap(), bytes);
        responder.handle_stun(epoch(), &rx)
    }

    #[test]
    fn stun_responder_binding_success() {
        let mut responder = Responder::new(ResponderConfig::default());
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        assert!(feed(&mut responder, &mut buf[..len]));
        assert_eq!(responder.stats().requests, 1);

        let mut out = [0; 1280];
        let tx = responder.poll_transmit(epoch(), &mut out).unwrap();
        assert_eq!(tx.source, SERVER.parse().unwrap());
        assert_eq!(tx.destination, CLIENT.parse().unwrap());
        assert_eq!(tx.transport, Transport::Udp);
        let msg = Message::new_checked(&out[..tx.len]).unwrap();
        assert_eq!(msg.class(), Class::Success);
        assert_eq!(msg.method(), Method::BINDING);
        assert_eq!(msg.transaction_id(), TransactionId::new([9; 12]));
        assert_eq!(msg.xor_mapped_address(), Some(CLIENT.parse().unwrap()));
        assert!(msg.software().is_some_and(|s| s.starts_with(b"sansrtc")));
        assert_eq!(msg.check_fingerprint(), Ok(()));
        assert!(responder.poll_transmit(epoch(), &mut out).is_none());
        assert_eq!(responder.stats().responses_sent, 1);
        assert_eq!(responder.poll_timeout(), None);
    }

    #[test]
    fn stun_responder_no_software() {
        let mut responder = Responder::new(ResponderConfig {
            software: None,
            ..ResponderConfig::default()
        });
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        feed(&mut responder, &mut buf[..len]);
        let mut out = [0; 1280];
        let tx = responder.poll_transmit(epoch(), &mut out).unwrap();
        let msg = Message::new_checked(&out[..tx.len]).unwrap();
        assert_eq!(msg.software(), None);
        // Header, XOR-MAPPED-ADDRESS (IPv4), FINGERPRINT.
        assert_eq!(tx.len, 20 + 12 + 8);
    }

    #[test]
    fn stun_responder_unknown_attribute_420() {
        let mut responder = Responder::new(ResponderConfig::default());
        let mut buf = [0; 128];
        let len = request(
            |b| {
                b.add_raw(AttributeType(0x7001), b"x").unwrap();
                b.add_raw(AttributeType(0x8F00), b"optional").unwrap();
            },
            &mut buf,
        );
        assert!(feed(&mut responder, &mut buf[..len]));
        let mut out = [0; 1280];
        let tx = responder.poll_transmit(epoch(), &mut out).unwrap();
        let msg = Message::new_checked(&out[..tx.len]).unwrap();
        assert_eq!(msg.class(), Class::Error);
        assert_eq!(msg.error_code().map(|e| e.code), Some(420));
        let listed: Vec<_> = msg.unknown_attributes().collect();
        assert_eq!(listed, [AttributeType(0x7001)]);
        assert_eq!(msg.xor_mapped_address(), None);
        assert_eq!(msg.check_fingerprint(), Ok(()));
        assert_eq!(responder.stats().error_responses_sent, 1);
    }

    #[test]
    fn stun_responder_other_method_400() {
        let mut responder = Responder::new(ResponderConfig::default());
        let mut buf = [0; 128];
        let tid = TransactionId::new([1; 12]);
        let b = MessageBuilder::new(&mut buf, Class::Request, Method(0x003), tid).unwrap();
        let len = b.finish();
        assert!(feed(&mut responder, &mut buf[..len]));
        let mut out = [0; 1280];
        let tx = responder.poll_transmit(epoch(), &mut out).unwrap();
        let msg = Message::new_checked(&out[..tx.len]).unwrap();
        assert_eq!((msg.class(), msg.method()), (Class::Error, Method(0x003)));
        assert_eq!(msg.error_code().map(|e| e.code), Some(400));
    }

    #[test]
    fn stun_responder_garbage_counted() {
        let mut responder = Responder::new(ResponderConfig::default());
        // Not in the STUN range at all: not ours, not counted.
        assert!(!feed(&mut responder, &mut [0x80, 1, 2, 3]));
        assert!(!feed(&mut responder, &mut []));
        // In the STUN range but malformed.
        assert!(feed(&mut responder, &mut [0, 1, 0, 0, 1, 2, 3]));
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        buf[len - 1] ^= 1; // wrong FINGERPRINT
        assert!(feed(&mut responder, &mut buf[..len]));
        // Responses and indications need no answer.
        for class in [Class::Success, Class::Indication] {
            let mut buf = [0; 64];
            let tid = TransactionId::new([2; 12]);
            let len = MessageBuilder::new(&mut buf, class, Method::BINDING, tid)
                .unwrap()
                .finish();
            assert!(feed(&mut responder, &mut buf[..len]));
        }
        let stats = responder.stats();
        assert_eq!((stats.malformed, stats.ignored, stats.requests), (2, 2, 0));
        assert!(responder.poll_transmit(epoch(), &mut [0; 1280]).is_none());
    }

    #[test]
    fn stun_responder_queue_bound() {
        let mut responder = Responder::new(ResponderConfig {
            max_queued: 3,
            ..ResponderConfig::default()
        });
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        for _ in 0..5 {
            assert!(feed(&mut responder, &mut buf[..len]));
        }
        assert_eq!(responder.queued(), 3);
        assert_eq!(responder.stats().dropped_queue_full, 2);
        assert_eq!(responder.stats().requests, 3);
        let capacity = responder.queue.capacity();
        let mut out = [0; 1280];
        let mut sent = 0;
        while responder.poll_transmit(epoch(), &mut out).is_some() {
            sent += 1;
        }
        assert_eq!(sent, 3);
        assert_eq!(responder.queue.capacity(), capacity, "no reallocation");
    }

    #[test]
    fn stun_responder_small_buffer_keeps_response() {
        let mut responder = Responder::new(ResponderConfig::default());
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        feed(&mut responder, &mut buf[..len]);
        assert!(responder.poll_transmit(epoch(), &mut [0; 16]).is_none());
        assert_eq!(responder.queued(), 1);
        assert!(responder.poll_transmit(epoch(), &mut [0; 1280]).is_some());
    }

    #[test]
    fn stun_responder_ipv6() {
        let mut responder = Responder::new(ResponderConfig::default());
        let mut buf = [0; 128];
        let len = request(|_| {}, &mut buf);
        let client: SocketAddr = "[2001:db8::7]:5000".parse().unwrap();
        let rx = Receive::udp(
            client,
            "[2001:db8::1]:3478".parse().unwrap(),
            &mut buf[..len],
        );
        assert!(responder.handle_stun(epoch(), &rx));
        let mut out = [0; 1280];
        let tx = responder.poll_transmit(epoch(), &mut out).unwrap();
        let msg = Message::new_checked(&out[..tx.len]).unwrap();
        assert_eq!(msg.xor_mapped_address(), Some(client));
    }
}
