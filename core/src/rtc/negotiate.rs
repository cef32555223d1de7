//! SDP offer/answer (RFC 8829) for the peer connection: our [`LocalConfig`], the descriptions
//! exchanged so far, and applying a remote description to ICE, DTLS, SCTP and media.
//!
//! Every remote description is read whole before anything changes: a refused description
//! leaves the peer connection as it was.

use std::time::Instant;

use rand_core::CryptoRng;

use crate::datachannel::DtlsRole;
use crate::dtls::{self, HashAlgorithm};
use crate::ice::{Candidate, CandidateError, Credentials, Role};
use crate::rtc::config::RtcConfig;
use crate::rtc::error::NegotiationError;
use crate::rtc::event::PeerState;
use crate::rtc::peer::Rtc;
use crate::sctp::PeerInit;
use crate::sdp::{
    Attribute, Fingerprint, LocalConfig, MediaKind, MediaRequest, MediaSection, Mid,
    SessionDescription, Setup, create_answer, create_offer, create_reoffer,
};

/// The signalling state of one peer connection.
#[derive(Debug)]
pub(crate) struct Negotiation {
    /// What we offer and accept; its media requests grow with tracks and data.
    pub(crate) local: LocalConfig,
    /// Our offer waiting for its answer.
    pending_offer: Option<SessionDescription>,
    /// The last local and remote descriptions that completed an exchange.
    current_local: Option<SessionDescription>,
    current_remote: Option<SessionDescription>,
    /// Data channels were asked for (a data section is offered).
    want_data: bool,
    /// The peer rejected our data section.
    data_rejected: bool,
    /// Every local candidate has been gathered.
    pub(crate) gathering_complete: bool,
}

impl Negotiation {
    pub(crate) fn new(config: &RtcConfig, creds: &Credentials, rng: &mut dyn CryptoRng) -> Self {
        let fp = config.certificate.fingerprint(HashAlgorithm::Sha256);
        let fingerprint = Fingerprint {
            hash: fp.algorithm().name().to_owned(),
            bytes: fp.value().to_vec(),
        };
        // RFC 8829 5.2.1: a session id of up to 63 bits.
        let session_id = rng.next_u64() >> 1;
        let mut local = LocalConfig::new(session_id, &creds.ufrag, &creds.pwd, fingerprint);
        local.ice_lite = config.ice.lite;
        local.audio_codecs = config.audio_codecs.clone();
        local.video_codecs = config.video_codecs.clone();
        local.extensions = config.extensions.clone();
        local.max_message_size = config.sctp.max_message_size as u64;
        local.cname = if config.cname.is_empty() {
            format!("{:016x}", rng.next_u64())
        } else {
            config.cname.clone()
        };
        Self {
            local,
            pending_offer: None,
            current_local: None,
            current_remote: None,
            want_data: false,
            data_rejected: false,
            gathering_complete: false,
        }
    }

    pub(crate) fn want_data(&mut self) {
        self.want_data = true;
    }

    pub(crate) fn data_rejected(&self) -> bool {
        self.data_rejected
    }

    /// Whether an offer/answer exchange has completed.
    pub(crate) fn is_negotiated(&self) -> bool {
        self.current_remote.is_some()
    }

    /// A mid not used by any request yet.
    pub(crate) fn next_mid(&self) -> Mid {
        let taken = |mid: &Mid| {
            self.local.media.iter().any(|r| &r.mid == mid)
                || self
                    .current_remote
                    .iter()
                    .flat_map(|d| d.media.iter())
                    .any(|m| m.mid() == Some(mid))
        };
        (0..)
            .map(Mid::from_index)
            .find(|m| !taken(m))
            .unwrap_or_else(|| Mid::from_index(0))
    }

    fn ensure_data_request(&mut self) {
        let has_data = self
            .local
            .media
            .iter()
            .any(|r| r.kind == MediaKind::Application);
        let no_media = self.local.media.is_empty();
        if !has_data && (self.want_data || no_media) {
            let mid = self.next_mid();
            self.local.media.push(MediaRequest::data(mid));
        }
    }
}

/// What a remote description says about the transport, read before anything changes.
struct RemoteTransport {
    credentials: Credentials,
    fingerprint: dtls::Fingerprint,
    role: DtlsRole,
    candidates: Vec<Candidate>,
    end_of_candidates: bool,
    /// `Some(max-message-size)` when data channels were negotiated.
    data: Option<u64>,
    /// The peer's SCTP INIT, when both descriptions carry `a=sctp-init` (SNAP) and the
    /// peer's is a valid INIT; otherwise the association runs its handshake.
    sctp_init: Option<PeerInit>,
    data_offered_by_us_rejected: bool,
}

impl Rtc {
    /// Creates an offer (RFC 8829 section 5.2) with every track added and, when a channel was
    /// opened (or nothing else is offered), a data-channel section; the first offer makes us
    /// the controlling ICE agent. Pass the returned SDP to the peer, then its answer to
    /// [`Rtc::accept_answer`]. A second call before the answer replaces the first offer.
    pub fn create_offer(&mut self, now: Instant) -> Result<String, NegotiationError> {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return Err(NegotiationError::Closed);
        }
        self.refresh_local_config();
        self.negotiation.ensure_data_request();
        let n = &mut self.negotiation;
        let offer = match &n.current_local {
            Some(previous) => create_reoffer(previous, &n.local)?,
            None => create_offer(&n.local)?,
        };
        n.local.session_version += 1;
        if !n.is_negotiated() {
            self.ice.set_negotiated_role(Role::Controlling);
        }
        let text = offer.to_sdp();
        self.negotiation.pending_offer = Some(offer);
        self.process(now);
        Ok(text)
    }

    /// Applies the peer's answer to our outstanding offer: ICE credentials and candidates,
    /// the DTLS role and fingerprint (DTLS starts), data channels and media.
    pub fn accept_answer(&mut self, now: Instant, answer: &str) -> Result<(), NegotiationError> {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return Err(NegotiationError::Closed);
        }
        let Some(offer) = self.negotiation.pending_offer.as_ref() else {
            return Err(NegotiationError::WrongState("answer"));
        };
        let answer = SessionDescription::parse(answer)?;
        let remote = read_remote(offer, &answer, true)?;
        self.check_remote(&remote)?;
        let offer = self.negotiation.pending_offer.take();
        self.media
            .apply(offer.as_ref().unwrap_or(&answer), &answer, &mut *self.rng);
        self.apply_remote(now, remote);
        self.negotiation.current_local = offer;
        self.negotiation.current_remote = Some(answer);
        self.process(now);
        Ok(())
    }

    /// Answers the peer's offer (RFC 8829 section 5.3): accepts what we support (data
    /// channels, audio and video with our codecs, sending back on every audio/video section
    /// the peer lets us), applies it, and returns the answer SDP to send back. The first
    /// offer makes us the controlled ICE agent and, when the offer says `actpass`, the DTLS
    /// client.
    pub fn accept_offer(&mut self, now: Instant, offer: &str) -> Result<String, NegotiationError> {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return Err(NegotiationError::Closed);
        }
        if self.negotiation.pending_offer.is_some() {
            return Err(NegotiationError::WrongState("offer"));
        }
        let offer = SessionDescription::parse(offer)?;
        self.refresh_local_config();
        let requests =
            self.media
                .requests_for_offer(&offer, &self.negotiation.local, &mut *self.rng);
        let saved = self.negotiation.local.media.clone();
        self.negotiation.local.media.extend(requests);
        let answer = match create_answer(&offer, &self.negotiation.local) {
            Ok(a) => a,
            Err(e) => {
                self.negotiation.local.media = saved;
                return Err(e.into());
            }
        };
        let remote = match read_remote(&answer, &offer, false).and_then(|r| {
            self.check_remote(&r)?;
            Ok(r)
        }) {
            Ok(r) => r,
            Err(e) => {
                self.negotiation.local.media = saved;
                return Err(e);
            }
        };
        self.negotiation.local.session_version += 1;
        if !self.negotiation.is_negotiated() {
            self.ice.set_negotiated_role(Role::Controlled);
        }
        self.media.apply(&answer, &offer, &mut *self.rng);
        self.apply_remote(now, remote);
        let text = answer.to_sdp();
        self.negotiation.current_local = Some(answer);
        self.negotiation.current_remote = Some(offer);
        self.process(now);
        Ok(text)
    }

    /// Adds a candidate the peer trickled (the `candidate:...` value of an
    /// `a=candidate` line, or an `RTCIceCandidate.candidate` string).
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        candidate: &str,
    ) -> Result<(), CandidateError> {
        let now = self.clamp(now);
        let c: Candidate = candidate
            .trim()
            .trim_start_matches("a=")
            .parse()
            .map_err(|_| CandidateError::Malformed("candidate line"))?;
        self.ice.add_remote_candidate(now, c)?;
        self.process(now);
        Ok(())
    }

    /// The peer has no more candidates (trickle ICE end-of-candidates).
    pub fn end_of_remote_candidates(&mut self, now: Instant) {
        let now = self.clamp(now);
        self.ice.end_of_remote_candidates(now);
        self.process(now);
    }

    /// Restarts ICE: new local credentials, which the next [`Rtc::create_offer`] carries.
    /// Media and data keep flowing on the current path until the new one is selected.
    pub fn restart_ice(&mut self, now: Instant) {
        let now = self.clamp(now);
        self.ice.restart(now, &mut *self.rng);
        self.negotiation.gathering_complete = false;
        self.process(now);
    }

    fn refresh_local_config(&mut self) {
        let creds = self.ice.local_credentials();
        let local = &mut self.negotiation.local;
        local.ice_ufrag.clone_from(&creds.ufrag);
        local.ice_pwd.clone_from(&creds.pwd);
        local.candidates = self.ice.local_candidates().cloned().collect();
        local.end_of_candidates = self.negotiation.gathering_complete;
    }

    fn check_remote(&self, remote: &RemoteTransport) -> Result<(), NegotiationError> {
        if self.transport.is_started()
            && !self
                .transport
                .remote_fingerprint_matches(&remote.fingerprint)
        {
            return Err(NegotiationError::FingerprintChanged);
        }
        Ok(())
    }

    fn apply_remote(&mut self, now: Instant, remote: RemoteTransport) {
        self.ice.set_remote_credentials(now, remote.credentials);
        for c in remote.candidates {
            // Unusable or duplicate candidates are counted by the agent; the rest are checked.
            let _ = self.ice.add_remote_candidate(now, c);
        }
        if remote.end_of_candidates {
            self.ice.end_of_remote_candidates(now);
        }
        if remote.data_offered_by_us_rejected {
            self.negotiation.data_rejected = true;
        }
        if let Some(max) = remote.data {
            self.transport.set_remote_max_message_size(max);
            self.transport.set_peer_sctp_init(remote.sctp_init);
        }
        let role = self.transport.role().unwrap_or(remote.role);
        self.start_transport(now, role, remote.fingerprint, remote.data.is_some());
    }
}

/// Reads the transport parameters of `remote` (the peer's description) given `local` (ours,
/// of the same exchange); `we_offered` says which one is the offer.
fn read_remote(
    local: &SessionDescription,
    remote: &SessionDescription,
    we_offered: bool,
) -> Result<RemoteTransport, NegotiationError> {
    // Max-bundle: the first accepted section carries the transport of all (RFC 8843).
    let accepted = |d: &SessionDescription| -> Vec<usize> {
        d.media
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.is_rejected() || m.has(&Attribute::BundleOnly))
            .map(|(i, _)| i)
            .collect()
    };
    let remote_accepted = accepted(remote);
    let first = *remote_accepted
        .first()
        .ok_or(NegotiationError::Missing("accepted m-section"))?;
    let media = &remote.media[first];
    let ufrag = remote
        .ice_ufrag(media)
        .ok_or(NegotiationError::Missing("ice-ufrag"))?;
    let pwd = remote
        .ice_pwd(media)
        .ok_or(NegotiationError::Missing("ice-pwd"))?;
    let fingerprint = remote
        .fingerprint(media)
        .ok_or(NegotiationError::Missing("fingerprint"))?;
    let fingerprint = dtls::Fingerprint::from_parts(&fingerprint.hash, &fingerprint.bytes)
        .map_err(|_| NegotiationError::Bad("fingerprint"))?;
    let local_media = local
        .media
        .iter()
        .find(|m| !m.is_rejected())
        .ok_or(NegotiationError::Missing("accepted m-section"))?;
    let ours = local.setup(local_media);
    let theirs = remote.setup(media);
    let role = match (ours, theirs) {
        (Some(Setup::Active), _) => DtlsRole::Client,
        (Some(Setup::Passive), _) => DtlsRole::Server,
        (_, Some(Setup::Active)) => DtlsRole::Server,
        (_, Some(Setup::Passive)) => DtlsRole::Client,
        // RFC 8842 5.3: an answerer without a=setup is passive... but WebRTC requires it.
        _ => return Err(NegotiationError::Missing("setup")),
    };
    let mut candidates = Vec::new();
    let mut end_of_candidates = false;
    for &i in &remote_accepted {
        let m = &remote.media[i];
        candidates.extend(m.candidates().cloned());
        end_of_candidates |= m.has(&Attribute::EndOfCandidates);
    }
    let is_data = |m: &MediaSection| m.kind == MediaKind::Application;
    let data_local = local.media.iter().find(|m| is_data(m));
    let data_remote = remote.media.iter().find(|m| is_data(m));
    let data = match (data_local, data_remote) {
        (Some(l), Some(r)) if !l.is_rejected() && !r.is_rejected() => {
            Some(r.max_message_size().unwrap_or(65_536))
        }
        _ => None,
    };
    let sctp_init = match (data_local, data_remote) {
        (Some(l), Some(r)) if data.is_some() && l.sctp_init().is_some() => {
            r.sctp_init().and_then(|init| PeerInit::parse(init).ok())
        }
        _ => None,
    };
    let data_offered_by_us_rejected = we_offered && data_local.is_some() && data.is_none();
    Ok(RemoteTransport {
        credentials: Credentials::new(ufrag, pwd),
        fingerprint,
        role,
        candidates,
        end_of_candidates,
        data,
        sctp_init,
        data_offered_by_us_rejected,
    })
}
