//! ICE: Interactive Connectivity Establishment (RFC 8445), with trickle ICE (RFC 8838) and
//! consent freshness (RFC 7675), over STUN ([`crate::stun`]).
//!
//! [`Agent`] finds a working path between two peers for one data stream with one component
//! (WebRTC bundles everything and multiplexes RTP and RTCP), in either role, as a full or an
//! ice-lite agent. It is a sans-IO state machine: see the drain rule and method groups on
//! [`Agent`].
//!
//! # What is implemented
//!
//! - Candidates (RFC 8445 section 5.1): host candidates from the addresses the driver reports
//!   (IPv4 and IPv6), server-reflexive candidates from Binding requests to STUN servers
//!   (5.1.1.2), peer-reflexive candidates learned from checks, local (7.2.5.3.1) and remote
//!   (7.3.1.3). Priorities by the formula of 5.1.2 with type preferences host 126,
//!   peer-reflexive 110, server-reflexive 100, relayed 0, and a local preference that ranks
//!   IPv6 above IPv4. Foundations per 5.1.1.3. [`Candidate`] parses and formats the SDP
//!   `candidate` attribute (RFC 8839 section 5.1).
//! - The check list (6.1.2): pairing by address family, pruning (local reflexive candidates
//!   are replaced by their base, so pairs are formed from host candidates only), pair
//!   priorities (6.1.2.3), a limit on pairs (6.1.2.5) and on remote candidates, freezing by
//!   foundation (simplified: see `checklist.rs`), Ta pacing (14.2) shared with gathering,
//!   retransmission with a short RTO and few transmits ([`IceConfig::check_rto`]), the
//!   triggered-check queue (7.3.1.4).
//! - Checks and answers (7.2, 7.3): USERNAME, PRIORITY, ICE-CONTROLLING/ICE-CONTROLLED with
//!   the tie-breaker, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT; role conflicts by
//!   request (7.3.1.1) and by 487 response (7.2.5.1); non-symmetric responses fail the pair
//!   (7.2.5.2.1).
//! - Regular nomination (8.1.1) by the controlling agent: the best valid pair is nominated
//!   once no better pair is still being checked, or after [`IceConfig::nomination_timeout`].
//!   A better pair that becomes valid later is nominated too and the selection switches to
//!   it, as browsers do (RFC 8445 would keep the first nomination). The controlled agent uses
//!   the highest-priority nominated pair (8.1.1), or any newly nominated pair once the
//!   selected one is Disconnected (the controlling peer has moved to another path).
//! - Trickle ICE (RFC 8838): remote candidates may be added at any time;
//!   end-of-candidates lets the agent fail at once when every pair has failed, and
//!   otherwise it fails [`IceConfig::trickle_timeout`] after the last remote activity.
//! - Relayed candidates (5.1.1.2) from TURN servers ([`Agent::add_turn_server`], RFC 8656
//!   through [`crate::turn`]): an allocation from every host address of the server's family,
//!   permissions for the remote candidates they are paired with, checks and data framed for
//!   the server ([`Agent::wrap_relayed`]) and unwrapped from it ([`Agent::handle_relay`]);
//!   [`IceConfig::relay_only`] keeps host addresses out of signalling and pairing.
//! - Consent freshness (RFC 7675): authenticated checks on the selected pair every
//!   [`IceConfig::consent_interval`] × 0.8..1.2, every
//!   [`IceConfig::consent_retry_interval`] while one is unanswered; Disconnected after
//!   [`IceConfig::disconnected_timeout`] without an answer, back when answers resume; Failed
//!   (and silent) after [`IceConfig::consent_timeout`]. Consent checks double as keepalives
//!   (RFC 8445 section 11); an ice-lite agent sends Binding indications every
//!   [`IceConfig::keepalive_interval`] instead and loses consent when checks stop arriving
//!   for the consent timeout.
//! - ICE restart (section 2.4): new local credentials, remote side cleared, check list
//!   rebuilt, gathering redone. The selected pair keeps working, and checks under the old
//!   session's credentials are still answered, until a pair of the new session is selected.
//!   A change of remote credentials without a local restart is treated as the peer's
//!   restart in the same way.
//! - ice-lite (section 2.5): answers checks, never sends checks, always controlled, uses the
//!   pair the full agent nominates; refuses role switches with 487.
//! - Connection states ([`IceConnectionState`]) after the W3C `RTCIceConnectionState`.
//!
//! # Robustness
//!
//! No input can make the agent panic or grow without bound: remote candidates
//! ([`IceConfig::max_remote_candidates`]), pairs ([`IceConfig::max_pairs`]), queued responses,
//! host addresses (8), STUN servers (4) and local candidates (64) are limited. Their storage
//! starts empty and grows to what the session uses, never past those limits, so an idle
//! agent holds a few entries rather than room for the limits. Once the session is set up,
//! answering checks and running consent does not allocate. Requests that fail FINGERPRINT, USERNAME or MESSAGE-INTEGRITY are dropped
//! without an answer (no 400/401: silence gives a probing sender nothing), and every drop is
//! counted in [`IceStats`].
//!
//! # Left out
//!
//! - TCP candidates (RFC 6544), and TURN over TCP or TLS (see [`crate::turn`]).
//! - Aggressive nomination (deprecated by RFC 8445), multiple data streams and components.
//! - Resolving mDNS (`.local`) candidate addresses: they are refused when parsed.
//! - 400/401 error responses to bad requests (dropped and counted instead). An authenticated
//!   request with unknown comprehension-required attributes is answered with a 420 listing
//!   them (RFC 8489 section 6.3.1).
//! - The ICE option `ice2` negotiation and `ice-pacing`; Ta is configured locally.

mod agent;
mod candidate;
mod checklist;
mod config;
mod credentials;
mod error;
mod event;
mod inbound;
mod outbound;
mod pair;
mod relay;
mod routing;
mod schedule;
mod stats;
mod timer;

#[cfg(test)]
mod tests;

pub use agent::Agent;
/// How many host addresses one agent takes (the drivers' enumeration stops there).
pub(crate) use agent::MAX_HOSTS;
pub use candidate::{Candidate, CandidateKind};
pub use config::IceConfig;
pub use credentials::Credentials;
pub use error::CandidateError;
pub use event::{IceConnectionState, IceEvent, Role};
pub use relay::RelayInput;
pub use routing::local_ufrag_of_request;
pub use stats::IceStats;
