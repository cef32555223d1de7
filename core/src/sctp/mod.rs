//! SCTP as WebRTC uses it: RFC 9260 carried in DTLS (RFC 8261), profiled by RFC 8831.
//!
//! # What is here
//!
//! - [`wire`]: the common header and CRC32c (RFC 9260 section 3.1 and appendix B, with the
//!   zero checksum of RFC 9653), a lazy chunk iterator and typed views of DATA, INIT,
//!   INIT ACK (state cookie, Supported Extensions of RFC 5061, Forward-TSN-Supported of
//!   RFC 3758, Zero Checksum Acceptable), SACK (gap blocks, duplicate TSNs),
//!   HEARTBEAT/ACK, ABORT, SHUTDOWN/ACK/COMPLETE, ERROR causes, COOKIE ECHO/ACK,
//!   FORWARD-TSN (RFC 3758 section 3.2) and RE-CONFIG (RFC 6525 sections 4.1, 4.2, 4.4),
//!   plus a [`wire::PacketWriter`] that bundles chunks into a caller's buffer.
//! - [`Association`]: the state machine. It consumes and produces whole SCTP packets as byte
//!   slices (`handle_packet(now, &[u8])`, `poll_transmit(now, buf) -> Option<usize>`), so a
//!   DTLS connection's application data feeds it directly.
//!   - Handshake (RFC 9260 sections 5.1 and 5.2): INIT, INIT ACK with a state cookie signed
//!     by HMAC-SHA256 (ring) under a key drawn from the caller's RNG at construction, COOKIE
//!     ECHO, COOKIE ACK. Nothing is kept for an INIT but the reply; crossing INITs resolve
//!     per section 5.2.1 (one tag and initial TSN for INIT and every INIT ACK), a repeated
//!     COOKIE ECHO is acknowledged again (section 5.2.4 case D). T1-init and T1-cookie back
//!     off from RTO.Initial up to Max.Init.Retransmits (8). DATA may ride behind COOKIE
//!     ECHO in its packet (section 5.1, step C), so the initiator's first messages go one
//!     round trip earlier.
//!   - SNAP (draft-hancke-tsvwg-snap): with the peer's INIT received out of band
//!     ([`PeerInit`]) and ours signalled ([`LocalInit::chunk`]), the association starts
//!     ESTABLISHED without any handshake chunk on the wire.
//!   - Data (sections 6.1 to 6.10): DATA and SACK with gap blocks and duplicate TSNs, SACK
//!     every second packet or after 200 ms and at once on gaps, duplicates or the I bit;
//!     T3-rtx with RTO per RFC 6298 (RTO.Initial 1 s as RFC 9260 says; RTO.Min 200 ms, lower
//!     than the RFC's 1 s as WebRTC stacks do; RTO.Max 60 s; Karn's rule); fast retransmit
//!     on three miss indications (HTNA), once per chunk; Association.Max.Retrans (10).
//!   - Congestion control (section 7.2): initial cwnd min(4 MTU, max(2 MTU, 4380)), slow
//!     start by at most one MTU per SACK, congestion avoidance by partial_bytes_acked, fast
//!     recovery (no further cuts until the recovery point is acknowledged), cwnd to one MTU
//!     on T3; the peer's receive window with the zero-window probe.
//!   - One path with a fixed MTU: [`association::DEFAULT_MTU`] = 1160 bytes, that is a
//!     1200-byte UDP payload less 37 bytes of DTLS 1.2 AES-GCM record overhead.
//!   - Fragmentation and reassembly up to `max_message_size` (256 KiB by default, the
//!     number to announce as `a=max-message-size`), ordered and unordered delivery per
//!     stream, SSNs, any PPID (WebRTC's string, binary, empty string, empty binary in
//!     [`wire::Ppid`]).
//!   - Partial reliability (RFC 3758): per message max-retransmits or max-lifetime;
//!     abandoned messages are counted in [`SctpStats::messages_abandoned`] and skipped
//!     with FORWARD-TSN. Messages that expire before their first chunk is sent take no TSN
//!     and no SSN; a message abandoned with its tail unsent is named in the next
//!     FORWARD-TSNs even when no TSN is skipped, so the peer drops its head. The receiver
//!     drops ordered fragments up to each named SSN and unordered ones up to the new
//!     cumulative TSN.
//!   - Stream scheduling: weighted fair queueing by message among the streams with data
//!     queued, weighted by [`Association::set_stream_priority`] (RFC 8831 section 6.4:
//!     128, 256, 512, 1024); equal priorities take turns.
//!   - Stream reset (RFC 6525): Outgoing SSN Reset Requests and responses, deferred until
//!     the peer's last TSN has arrived; this is how data channels close. A refusal is
//!     reported as [`Event::OutgoingStreamResetRefused`].
//!   - HEARTBEAT every 30 s (RTT sample, error counting), ABORT (both ways, T bit), the
//!     SHUTDOWN sequence (section 9.2), ERROR chunks for unrecognised chunk types, stale
//!     cookies, invalid streams.
//!   - Zero checksum (RFC 9653) when configured on both sides: Zero Checksum Acceptable
//!     with method 1 (DTLS) is announced, packets other than INIT, INIT ACK and COOKIE ECHO
//!     go out with a zero checksum, and zero checksums are accepted.
//!
//! # Memory and copies
//!
//! - Sending copies a message once into a reused arena and slices it into chunks as
//!   `Bytes` without copying; [`Association::send_bytes`] takes a `Bytes` without any copy.
//!   Queued plus unacknowledged bytes are bounded by `send_buffer_limit`
//!   ([`SendError::BufferFull`]); the per-stream buffered amount and its low-threshold event
//!   give back-pressure.
//! - Receiving copies each chunk payload once into a reused arena; a message that came in
//!   one chunk, or in consecutive chunks that arrived in order, is delivered as `Bytes`
//!   without a further copy. Held bytes (out-of-order chunks, partial and undelivered
//!   messages) stay under the receive window plus one message; tracked out-of-order TSNs
//!   under `max_out_of_order`.
//! - The arenas are pools of buffers of up to 256 KiB: a full buffer is retired, and a
//!   retired one whose slices have all been dropped is taken back without allocating, so a
//!   steady transfer allocates nothing once the pools hold what is in flight (bounded by
//!   the send buffer limit and by the receive window plus one message). A pool holds
//!   nothing until the first message; its first buffer is 16 KiB and each fresh one twice
//!   the last, up to 256 KiB, so a peer that sends little holds little. Buffers no longer
//!   used (the current one too) are freed at each heartbeat interval, and the sizes start
//!   over; all of them on close. The outstanding-chunk and gap queues and the event queue
//!   grow with use rather than being sized up front, and the first two are given back at
//!   the same interval once empty. A message's first fragment
//!   starts where 32 KiB fit behind it, so fragments that arrive in order join without a
//!   copy. Zero allocations per message after warm-up, asserted by
//!   `tests/tests/sctp_alloc.rs` and, over DTLS, `tests/tests/dcdtls_alloc.rs`.
//! - The scan of outstanding chunks for retransmissions runs only once one is marked, and
//!   per-stream state is found through a multiplicative hash of the stream id.
//!
//! # Not yet
//!
//! - No I-DATA (RFC 8260): a message is sent to its end before the scheduler picks the
//!   next, so a large low-priority message delays a high-priority one by its own length.
//! - No association restart (a COOKIE ECHO with new tags while established is ignored);
//!   Incoming SSN Reset Requests are answered "denied"; no SSN/TSN reset or Add Streams.
//! - No cwnd decay after idle periods or max-burst limit; gap-ack reneging is not handled.
//! - Unrecognised INIT parameters are skipped, not reported.
//! - The receiver does not enforce its max-message-size (memory is bounded by the window).
//! - Not yet wired to DTLS or the fuzz harness (`core/src/fuzz.rs`).

pub mod association;
pub(crate) mod stream_map;
pub mod wire;

pub use self::association::{
    Association, AssociationState, CloseReason, Event, LocalInit, Message, PeerInit, Reliability,
    SctpConfig, SctpStats, SendError, SendOptions,
};
