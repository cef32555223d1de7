//! Configuration of an [`Agent`](super::Agent).

use std::time::Duration;

/// Settings of an ICE [`Agent`](super::Agent).
///
/// Built from [`IceConfig::default`] and adjusted with the chained setters, each named after
/// the field it sets:
///
/// ```
/// use std::time::Duration;
/// use sansrtc::ice::IceConfig;
///
/// let config = IceConfig::default().ta(Duration::from_millis(20)).max_remote_candidates(20);
/// assert_eq!(config.max_remote_candidates, 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceConfig {
    /// Run as an ice-lite agent (RFC 8445 section 2.5): host candidates only, never send
    /// checks, always controlled, answer checks and use the pair the full peer nominates.
    /// Default `false`.
    pub lite: bool,
    /// Ta, the pacing of new STUN transactions (RFC 8445 section 14.2). Default 50 ms.
    pub ta: Duration,
    /// Initial retransmission timeout of connectivity checks and server-reflexive gathering
    /// requests. RFC 8445 section 14.3 suggests at least 500 ms for paced checks; browsers
    /// use less. Default 250 ms; the timeout doubles per retransmission.
    pub check_rto: Duration,
    /// How many times a check (or gathering request) is sent before it fails. With
    /// `check_rto` 250 ms, [`check_max_rto`](Self::check_max_rto) 1 s and 8 transmits a check
    /// is sent at 0, 0.25, 0.75, 1.75, 2.75, 3.75, 4.75 and 5.75 s and fails at 7.75 s: a
    /// path that loses a third of round trips still fails a check only 0.03% of the time.
    /// Default 8.
    pub check_max_transmits: u32,
    /// The longest wait between two sends of one check: the doubling from `check_rto` stops
    /// here, so a path is tried about once a second until the check gives up. Default 1 s.
    pub check_max_rto: Duration,
    /// The most remote candidates (signalled and peer-reflexive) kept per ICE session, so a
    /// hostile peer cannot make the agent allocate without bound. Default 50.
    pub max_remote_candidates: usize,
    /// The most candidate pairs in the check list (RFC 8445 section 6.1.2.5). Default 100.
    pub max_pairs: usize,
    /// How long the controlling agent waits, after its first valid pair, for higher-priority
    /// pairs to finish their checks before it nominates the best valid pair. Default 1 s.
    pub nomination_timeout: Duration,
    /// Base interval of consent freshness checks on the selected pair (RFC 7675 section 5.1);
    /// each interval is drawn uniformly from 0.8 to 1.2 times this. Default 5 s.
    pub consent_interval: Duration,
    /// Interval of consent checks while the previous one is unanswered, so a recovering path
    /// is noticed quickly. Default 1 s.
    pub consent_retry_interval: Duration,
    /// Consent is lost, and the agent fails, when no consent response has arrived for this
    /// long (RFC 7675 section 5.1). Default 30 s.
    pub consent_timeout: Duration,
    /// The agent reports [`Disconnected`](super::IceConnectionState::Disconnected) when a
    /// consent check has been unanswered this long. Browsers switch to "disconnected" after
    /// about five seconds without traffic; default 5 s.
    pub disconnected_timeout: Duration,
    /// Keepalive interval Tr on the selected pair (RFC 8445 section 11, at least 15 s). A full
    /// agent's consent checks, sent every few seconds, double as keepalives; an ice-lite
    /// agent sends a Binding indication at this interval. Default 15 s.
    pub keepalive_interval: Duration,
    /// With trickle ICE and no end-of-candidates, the agent fails when no pair has been
    /// selected, every pair has failed (or there are none), and no remote candidate or check
    /// has arrived for this long. Default 30 s.
    pub trickle_timeout: Duration,
    /// Use relayed candidates only (a browser's `iceTransportPolicy: "relay"`): host
    /// addresses serve as bases for TURN allocations but are not signalled, paired or sent
    /// to STUN servers, so the peer never learns them. Default `false`.
    pub relay_only: bool,
}

impl Default for IceConfig {
    fn default() -> Self {
        Self {
            lite: false,
            ta: Duration::from_millis(50),
            check_rto: Duration::from_millis(250),
            check_max_transmits: 8,
            check_max_rto: Duration::from_secs(1),
            max_remote_candidates: 50,
            max_pairs: 100,
            nomination_timeout: Duration::from_secs(1),
            consent_interval: Duration::from_secs(5),
            consent_retry_interval: Duration::from_secs(1),
            consent_timeout: Duration::from_secs(30),
            disconnected_timeout: Duration::from_secs(5),
            keepalive_interval: Duration::from_secs(15),
            trickle_timeout: Duration::from_secs(30),
            relay_only: false,
        }
    }
}

macro_rules! setter {
    ($(#[$doc:meta] $name:ident: $ty:ty;)*) => {
        impl IceConfig {
            $(
                #[$doc]
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setter! {
    /// Sets [`IceConfig::lite`].
    lite: bool;
    /// Sets [`IceConfig::ta`].
    ta: Duration;
    /// Sets [`IceConfig::check_rto`].
    check_rto: Duration;
    /// Sets [`IceConfig::check_max_transmits`].
    check_max_transmits: u32;
    /// Sets [`IceConfig::check_max_rto`].
    check_max_rto: Duration;
    /// Sets [`IceConfig::max_remote_candidates`].
    max_remote_candidates: usize;
    /// Sets [`IceConfig::max_pairs`].
    max_pairs: usize;
    /// Sets [`IceConfig::nomination_timeout`].
    nomination_timeout: Duration;
    /// Sets [`IceConfig::consent_interval`].
    consent_interval: Duration;
    /// Sets [`IceConfig::consent_retry_interval`].
    consent_retry_interval: Duration;
    /// Sets [`IceConfig::consent_timeout`].
    consent_timeout: Duration;
    /// Sets [`IceConfig::disconnected_timeout`].
    disconnected_timeout: Duration;
    /// Sets [`IceConfig::keepalive_interval`].
    keepalive_interval: Duration;
    /// Sets [`IceConfig::trickle_timeout`].
    trickle_timeout: Duration;
    /// Sets [`IceConfig::relay_only`].
    relay_only: bool;
}
