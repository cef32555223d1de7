//! Offers (RFC 8829 section 5.2): the initial offer and subsequent offers that add, keep or
//! stop m-sections and may restart ICE.

use std::collections::HashSet;

use crate::sdp::attribute::{
    Attribute, Extmap, Group, Rid, RidDirection, SctpInit, Simulcast, SimulcastRid,
};
use crate::sdp::build::{self, CodecLines};
use crate::sdp::config::{LocalConfig, MediaRequest};
use crate::sdp::error::OfferError;
use crate::sdp::model::{MediaSection, SessionDescription};
use crate::sdp::types::{FORMAT_DATACHANNEL, MediaKind, PROTO_RTP, PROTO_SCTP, Setup};

/// The initial offer (RFC 8829 5.2.1): one m-section per request in `config.media`, in order,
/// all in one BUNDLE group (max-bundle: one transport for everything), `a=setup:actpass`,
/// `o=` version `config.session_version`.
///
/// Stopped requests are written as port-0 sections outside the group.
pub fn create_offer(config: &LocalConfig) -> Result<SessionDescription, OfferError> {
    check_requests(config)?;
    let sections = config
        .media
        .iter()
        .map(|r| offered_section(config, r))
        .collect();
    Ok(finish(
        config,
        config.session_id,
        config.session_version,
        sections,
    ))
}

/// A subsequent offer (RFC 8829 5.2.2) after `previous`, our last local description (offer
/// or answer) of this session.
///
/// Every m-section of `previous` keeps its place and mid: a section whose mid is still in
/// `config.media` is written afresh from its request (its kind must not change); one whose
/// request is gone or stopped, or that was already rejected, is written with port 0. Requests
/// with new mids are appended. The `o=` line keeps the session id and increments the version.
/// ICE credentials come from `config`: new ones make this an ICE-restart offer (RFC 8839
/// 4.4.1.1.1).
pub fn create_reoffer(
    previous: &SessionDescription,
    config: &LocalConfig,
) -> Result<SessionDescription, OfferError> {
    check_requests(config)?;
    let mut sections = Vec::with_capacity(previous.media.len() + config.media.len());
    for old in &previous.media {
        let request = old.mid().and_then(|mid| config.request(mid));
        match request {
            Some(r) if r.kind != old.kind => {
                return Err(OfferError::KindChanged(r.mid.to_string()));
            }
            Some(r) if !old.is_rejected() => sections.push(offered_section(config, r)),
            _ => sections.push(build::rejected_section(
                old.kind.clone(),
                &old.proto,
                old.formats.clone(),
                old.mid(),
            )),
        }
    }
    let known: HashSet<_> = previous
        .media
        .iter()
        .filter_map(MediaSection::mid)
        .collect();
    for r in config.media.iter().filter(|r| !known.contains(&r.mid)) {
        sections.push(offered_section(config, r));
    }
    let version = previous.origin.session_version.saturating_add(1);
    Ok(finish(
        config,
        previous.origin.session_id,
        version,
        sections,
    ))
}

fn check_requests(config: &LocalConfig) -> Result<(), OfferError> {
    let mut seen = HashSet::new();
    for r in &config.media {
        if !seen.insert(&r.mid) {
            return Err(OfferError::DuplicateMid(r.mid.to_string()));
        }
        if matches!(r.kind, MediaKind::Audio | MediaKind::Video)
            && config.codecs(&r.kind).is_empty()
        {
            return Err(OfferError::NoCodecs(r.mid.to_string()));
        }
    }
    Ok(())
}

/// The session around `sections`: ice-lite, the BUNDLE group of the live sections (if any),
/// extmap-allow-mixed.
fn finish(
    config: &LocalConfig,
    session_id: u64,
    version: u64,
    sections: Vec<MediaSection>,
) -> SessionDescription {
    let mut sd = build::session(session_id, version);
    if config.ice_lite {
        sd.attributes.push(Attribute::IceLite);
    }
    let mids: Vec<_> = sections
        .iter()
        .filter(|m| !m.is_rejected())
        .filter_map(|m| m.mid().cloned())
        .collect();
    // An empty group is left out: nothing is bundled.
    if !mids.is_empty() {
        sd.attributes.push(Attribute::Group(Group::bundle(mids)));
    }
    sd.attributes.push(Attribute::ExtmapAllowMixed);
    sd.media = sections;
    sd
}

/// The m-section for one request.
fn offered_section(config: &LocalConfig, r: &MediaRequest) -> MediaSection {
    let (proto, formats) = match r.kind {
        MediaKind::Application => (PROTO_SCTP, vec![FORMAT_DATACHANNEL.to_owned()]),
        _ => {
            let codecs = config.codecs(&r.kind);
            let pts = codecs
                .iter()
                .flat_map(|c| std::iter::once(c.pt).chain(c.rtx_pt));
            (PROTO_RTP, pts.map(|p| p.to_string()).collect())
        }
    };
    if r.stopped {
        return build::rejected_section(r.kind.clone(), proto, formats, Some(&r.mid));
    }
    let mut m = build::bundled_section(
        config,
        r.kind.clone(),
        proto,
        formats,
        Setup::ActPass,
        &r.mid,
    );
    if r.kind == MediaKind::Application {
        m.attributes.push(Attribute::SctpPort(config.sctp_port));
        m.attributes
            .push(Attribute::MaxMessageSize(config.max_message_size));
        if let Some(chunk) = &config.sctp_init {
            m.attributes.push(Attribute::SctpInit(SctpInit {
                chunk: chunk.clone(),
            }));
        }
        return m;
    }
    let a = &mut m.attributes;
    for ext in config.extensions.iter().filter(|e| e.applies_to(&r.kind)) {
        a.push(Attribute::Extmap(Extmap {
            id: ext.id,
            direction: None,
            uri: ext.uri.clone(),
            attributes: None,
        }));
    }
    a.push(Attribute::Direction(r.direction));
    let track = r.track.as_ref().filter(|_| r.direction.is_sending());
    if let Some(t) = track {
        a.push(build::msid(t));
    }
    a.push(Attribute::RtcpMux);
    if config.rtcp_mux_only {
        a.push(Attribute::RtcpMuxOnly);
    }
    a.push(Attribute::RtcpRsize);
    for c in config.codecs(&r.kind) {
        CodecLines {
            rtpmap: c.rtpmap(),
            feedback: c.feedback.clone(),
            fmtp: c.fmtp.clone(),
        }
        .push_to(a);
        if let Some(rtx) = c.rtx_pt {
            CodecLines::rtx(rtx, c.clock_rate, c.pt).push_to(a);
        }
    }
    if r.direction.is_sending() && !r.send_rids.is_empty() {
        for id in &r.send_rids {
            a.push(Attribute::Rid(Rid {
                id: id.clone(),
                direction: RidDirection::Send,
                restrictions: None,
            }));
        }
        let send = r
            .send_rids
            .iter()
            .map(|id| {
                vec![SimulcastRid {
                    id: id.clone(),
                    paused: false,
                }]
            })
            .collect();
        a.push(Attribute::Simulcast(Simulcast {
            send,
            recv: Vec::new(),
        }));
    } else if let Some(t) = track {
        build::ssrc_lines(t, &config.cname, a);
    }
    m
}
