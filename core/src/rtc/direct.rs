//! The direct API: two peers that skip SDP exchange ICE credentials, candidates and the DTLS
//! fingerprint in any form they like, and set up data channels.

use std::time::Instant;

use crate::datachannel::DtlsRole;
use crate::dtls::{Fingerprint, HashAlgorithm};
use crate::ice::{Candidate, Credentials, Role};
use crate::rtc::error::NegotiationError;
use crate::rtc::event::PeerState;
use crate::rtc::peer::Rtc;
use crate::sctp::PeerInit;

/// What one side tells the other in the direct API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectParameters {
    /// ICE username fragment and password.
    pub credentials: Credentials,
    /// The SHA-256 fingerprint of the DTLS certificate.
    pub fingerprint: Fingerprint,
    /// The candidates gathered so far (more may be trickled with
    /// [`Rtc::add_remote_candidate`]).
    pub candidates: Vec<Candidate>,
    /// Our SCTP INIT chunk for SNAP (see [`RtcConfig::sctp_snap`](crate::RtcConfig)), or
    /// `None` when SNAP is off. Each side starts its association from the other's INIT when
    /// given one, so both sides must pass theirs, or neither.
    pub sctp_init: Option<Vec<u8>>,
}

impl Rtc {
    /// Our parameters to hand to the peer: credentials, fingerprint and the candidates
    /// gathered so far (add host addresses first).
    pub fn direct_parameters(&self) -> DirectParameters {
        DirectParameters {
            credentials: self.ice.local_credentials().clone(),
            fingerprint: self.config.certificate.fingerprint(HashAlgorithm::Sha256),
            candidates: self.ice.local_candidates().cloned().collect(),
            sctp_init: self.negotiation.local.sctp_init.clone(),
        }
    }

    /// Connects to a peer from its parameters, without SDP. Exactly one side passes
    /// `controlling = true`: it is the controlling ICE agent and the DTLS client. Data
    /// channels are set up; channels opened before or after work alike. Negotiated channels
    /// (with [`ChannelConfig::negotiated`](crate::datachannel::ChannelConfig::negotiated)) need
    /// no DCEP.
    pub fn direct_connect(
        &mut self,
        now: Instant,
        remote: DirectParameters,
        controlling: bool,
    ) -> Result<(), NegotiationError> {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return Err(NegotiationError::Closed);
        }
        if self.transport.is_started()
            && !self
                .transport
                .remote_fingerprint_matches(&remote.fingerprint)
        {
            return Err(NegotiationError::FingerprintChanged);
        }
        let (ice_role, dtls_role) = if controlling {
            (Role::Controlling, DtlsRole::Client)
        } else {
            (Role::Controlled, DtlsRole::Server)
        };
        self.ice.set_negotiated_role(ice_role);
        self.ice.set_remote_credentials(now, remote.credentials);
        for c in remote.candidates {
            // Unusable or duplicate candidates are counted by the agent.
            let _ = self.ice.add_remote_candidate(now, c);
        }
        self.negotiation.want_data();
        let peer_init = remote
            .sctp_init
            .as_deref()
            .filter(|_| self.config.sctp_snap)
            .and_then(|init| PeerInit::parse(init).ok());
        self.transport.set_peer_sctp_init(peer_init);
        self.start_transport(now, dtls_role, remote.fingerprint, true);
        self.process(now);
        Ok(())
    }
}
