//! Association settings.

use std::time::Duration;

/// The largest SCTP packet by default: a 1200-byte UDP payload (the size WebRTC stacks keep
/// to so that no IPv4 or IPv6 path fragments it) less the DTLS 1.2 record overhead for
/// AES-GCM: a 13-byte record header, an 8-byte explicit nonce and a 16-byte tag
/// (RFC 6347 section 4.1, RFC 5288 section 3). 1200 - 37 = 1163, rounded down to a multiple
/// of 4: 1160.
pub const DEFAULT_MTU: usize = 1160;

/// The default largest user message, announced as `a=max-message-size` (RFC 8841
/// section 6): 256 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// Settings of one [`super::Association`]. Start from [`SctpConfig::default`] and set fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SctpConfig {
    /// Our SCTP port (RFC 8841 `a=sctp-port`; 5000 by default).
    pub local_port: u16,
    /// The peer's SCTP port.
    pub remote_port: u16,
    /// The largest SCTP packet we send (path MTU fixed by configuration, RFC 8261
    /// section 5). See [`DEFAULT_MTU`].
    pub mtu: usize,
    /// The largest user message we send or accept ([`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub max_message_size: usize,
    /// Our receive window (a_rwnd) in bytes: the bound on user data held for the peer
    /// (out-of-order chunks, partial and undelivered messages). At least `max_message_size`.
    pub receive_window: u32,
    /// Bound on user data held for sending (queued plus unacknowledged), in bytes; a send
    /// past it fails with `BufferFull`.
    pub send_buffer_limit: usize,
    /// RTO.Initial. RFC 9260 section 16 says 1 s; kept.
    pub rto_initial: Duration,
    /// RTO.Min. RFC 9260 says 1 s; WebRTC stacks go lower for interactive traffic, and so
    /// do we: 200 ms.
    pub rto_min: Duration,
    /// RTO.Max (RFC 9260: 60 s).
    pub rto_max: Duration,
    /// Association.Max.Retrans: consecutive timeouts before the association is given up
    /// (RFC 9260: 10).
    pub max_retransmits: u32,
    /// Max.Init.Retransmits (RFC 9260: 8).
    pub max_init_retransmits: u32,
    /// The delayed-SACK timeout (RFC 9260 section 6.2: at most 500 ms; 200 ms here). A SACK
    /// also goes out for every second packet with DATA.
    pub delayed_ack: Duration,
    /// HB.interval (RFC 9260: 30 s).
    pub heartbeat_interval: Duration,
    /// Announce Zero Checksum Acceptable with method 1, "DTLS" (RFC 9653 sections 5 and 6),
    /// and accept packets with a zero checksum. Set it only when the packets travel inside
    /// DTLS, which authenticates them. Off by default.
    pub zero_checksum: bool,
    /// Outbound and inbound stream counts we announce (RFC 8831 section 6.2: 65535).
    pub streams: u16,
    /// Valid.Cookie.Life (RFC 9260: 60 s).
    pub cookie_lifetime: Duration,
    /// How many TSNs past the cumulative ack we track; chunks further out are dropped.
    pub max_out_of_order: usize,
}

impl Default for SctpConfig {
    fn default() -> Self {
        Self {
            local_port: 5000,
            remote_port: 5000,
            mtu: DEFAULT_MTU,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            receive_window: 1024 * 1024,
            send_buffer_limit: 4 * 1024 * 1024,
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
            max_retransmits: 10,
            max_init_retransmits: 8,
            delayed_ack: Duration::from_millis(200),
            heartbeat_interval: Duration::from_secs(30),
            zero_checksum: false,
            streams: u16::MAX,
            cookie_lifetime: Duration::from_secs(60),
            max_out_of_order: 16 * 1024,
        }
    }
}

impl SctpConfig {
    /// Clamps values that would break an invariant: MTU in 256..=65535, the receive window
    /// at least the largest message, tracked TSNs in 16..=65535, at least one stream.
    pub(super) fn sanitized(mut self) -> Self {
        self.mtu = self.mtu.clamp(256, 65_535);
        self.max_message_size = self.max_message_size.max(1);
        let min_window = u32::try_from(self.max_message_size).unwrap_or(u32::MAX);
        self.receive_window = self.receive_window.max(min_window);
        self.max_out_of_order = self.max_out_of_order.clamp(16, 65_535);
        self.streams = self.streams.max(1);
        self.rto_min = self.rto_min.max(Duration::from_millis(1));
        self.rto_max = self.rto_max.max(self.rto_min);
        self
    }
}
