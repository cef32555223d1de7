//! Answers (RFC 8829 section 5.3): which offered m-sections we accept, with which payload
//! types, header extensions, direction, DTLS role and simulcast layers.

use std::collections::{HashMap, HashSet};

use crate::sdp::attribute::{
    Attribute, Extmap, Group, Rid, RidDirection, SctpInit, Simulcast, SimulcastRid, fmtp_param,
};
use crate::sdp::build::{self, CodecLines};
use crate::sdp::codec::{answer_echoes_fmtp, codec_matches};
use crate::sdp::config::{CodecSpec, LocalConfig};
use crate::sdp::error::AnswerError;
use crate::sdp::model::{Codec, MediaSection, SessionDescription};
use crate::sdp::types::{
    Direction, FORMAT_DATACHANNEL, MediaKind, Mid, PROTO_RTP, PROTO_SCTP, Pt, Setup,
};

/// The answer to `offer` (RFC 8829 5.3.1, and 5.3.2 for subsequent offers: the same rules
/// apply, section by section).
///
/// - An m-section is accepted if it is in the offer's BUNDLE group (or it is the only one),
///   its port is not 0 (unless it is `a=bundle-only`), and: for audio/video, the protocol is
///   `UDP/TLS/RTP/SAVPF`, it offers `a=rtcp-mux`, at least one codec matches ours, and
///   `config` accepts that kind or names its mid; for data, the protocol is
///   `UDP/DTLS/SCTP webrtc-datachannel` and `config` accepts data. Other sections are
///   answered with port 0 (rejected).
/// - Accepted sections keep the offer's payload types, RTX payload types for accepted codecs
///   (`apt` mapped), the offered `rtcp-fb` we also support, the offered header-extension ids
///   for URIs we support, and the reverse of the offered direction limited by ours.
/// - `a=setup:active` when the offer is `actpass` (or [`LocalConfig::answer_setup`]), the
///   opposite role when the offer is `active` or `passive`.
/// - An offered `a=simulcast` send list is answered as a recv list with `a=rid .. recv` lines.
/// - ICE credentials, candidates and fingerprint come from `config`; the `o=` line uses
///   `config.session_id` and `config.session_version`.
pub fn create_answer(
    offer: &SessionDescription,
    config: &LocalConfig,
) -> Result<SessionDescription, AnswerError> {
    let mut mids = Vec::with_capacity(offer.media.len());
    let mut index = HashMap::with_capacity(offer.media.len());
    for (i, m) in offer.media.iter().enumerate() {
        let mid = m.mid().ok_or(AnswerError::MissingMid(i))?;
        if index.insert(mid, i).is_some() {
            return Err(AnswerError::DuplicateMid(mid.to_string()));
        }
        mids.push(mid);
    }
    let bundle = offer.bundle_group();
    let grouped: Option<HashSet<&Mid>> = bundle.map(|g| g.mids.iter().collect());
    let accepted: Vec<bool> = offer
        .media
        .iter()
        .zip(&mids)
        .map(|(m, mid)| accepts(m, mid, grouped.as_ref(), config))
        .collect();
    if bundle.is_none() && accepted.iter().filter(|a| **a).count() > 1 {
        return Err(AnswerError::NotBundled);
    }
    let is_accepted = |mid: &Mid| {
        index
            .get(mid)
            .is_some_and(|i| accepted.get(*i) == Some(&true))
    };

    // The transport is the tagged section's: the first accepted mid of the BUNDLE group.
    let tag = match bundle {
        Some(g) => g
            .mids
            .iter()
            .find(|t| is_accepted(t))
            .and_then(|t| index.get(t).copied()),
        None => accepted.iter().position(|a| *a),
    };
    let setup = match tag {
        Some(i) => check_transport(offer, i, config)?,
        None => config.answer_setup,
    };

    let mut sd = build::session(config.session_id, config.session_version);
    if config.ice_lite {
        sd.attributes.push(Attribute::IceLite);
    }
    if let Some(g) = bundle {
        let mut seen = HashSet::new();
        let kept: Vec<Mid> = g
            .mids
            .iter()
            .filter(|t| is_accepted(t) && seen.insert(*t))
            .cloned()
            .collect();
        // An empty group is left out: nothing is bundled.
        if !kept.is_empty() {
            sd.attributes.push(Attribute::Group(Group::bundle(kept)));
        }
    }
    if offer.attributes.contains(&Attribute::ExtmapAllowMixed) {
        sd.attributes.push(Attribute::ExtmapAllowMixed);
    }
    for ((m, mid), ok) in offer.media.iter().zip(&mids).zip(&accepted) {
        let section = if *ok {
            answered_section(offer.direction(m), m, mid, setup, config)
        } else {
            build::rejected_section(m.kind.clone(), &m.proto, m.formats.clone(), Some(mid))
        };
        sd.media.push(section);
    }
    Ok(sd)
}

/// Whether we accept the offered section `m`.
fn accepts(
    m: &MediaSection,
    mid: &Mid,
    bundle: Option<&HashSet<&Mid>>,
    config: &LocalConfig,
) -> bool {
    let in_bundle = bundle.is_some_and(|g| g.contains(mid));
    // A port-0 section marked bundle-only is offered into the BUNDLE group (RFC 8843 7.3.3).
    let live = !m.is_rejected() || (in_bundle && m.has(&Attribute::BundleOnly));
    if !live || (bundle.is_some() && !in_bundle) {
        return false;
    }
    let request = config.request(mid);
    if request.is_some_and(|r| r.stopped || r.kind != m.kind) {
        return false;
    }
    let wanted = request.is_some()
        || match m.kind {
            MediaKind::Audio => config.accept_audio,
            MediaKind::Video => config.accept_video,
            MediaKind::Application => config.accept_data,
            MediaKind::Other(_) => false,
        };
    if !wanted {
        return false;
    }
    match m.kind {
        MediaKind::Audio | MediaKind::Video => {
            m.proto == PROTO_RTP
                && m.has(&Attribute::RtcpMux)
                && !matched_codecs(m, config).is_empty()
        }
        MediaKind::Application => {
            m.proto == PROTO_SCTP && m.formats.iter().any(|f| f == FORMAT_DATACHANNEL)
        }
        MediaKind::Other(_) => false,
    }
}

/// Checks the tagged section's ICE credentials and fingerprint and picks our DTLS role.
fn check_transport(
    offer: &SessionDescription,
    i: usize,
    config: &LocalConfig,
) -> Result<Setup, AnswerError> {
    let m = offer.media.get(i).ok_or(AnswerError::MissingMid(i))?;
    if offer.ice_ufrag(m).is_none() || offer.ice_pwd(m).is_none() {
        return Err(AnswerError::MissingIceCredentials(i));
    }
    if offer.fingerprint(m).is_none() {
        return Err(AnswerError::MissingFingerprint(i));
    }
    match offer.setup(m) {
        Some(Setup::ActPass) => Ok(match config.answer_setup {
            Setup::Passive => Setup::Passive,
            _ => Setup::Active,
        }),
        Some(Setup::Active) => Ok(Setup::Passive),
        Some(Setup::Passive) => Ok(Setup::Active),
        // RFC 4145 section 4: without the attribute the offerer is active.
        None => Ok(Setup::Passive),
        Some(Setup::HoldConn) => Err(AnswerError::BadSetup(i)),
    }
}

/// The offered codecs that match ours (not RTX), in offer order, with our spec.
fn matched_codecs<'a>(
    m: &'a MediaSection,
    config: &'a LocalConfig,
) -> Vec<(Codec<'a>, &'a CodecSpec)> {
    let ours = config.codecs(&m.kind);
    m.codecs()
        .into_iter()
        .filter_map(|c| {
            let spec = ours.iter().find(|s| codec_matches(s, &c))?;
            Some((c, spec))
        })
        .collect()
}

/// The answer to an accepted section.
fn answered_section(
    offered: Direction,
    m: &MediaSection,
    mid: &Mid,
    setup: Setup,
    config: &LocalConfig,
) -> MediaSection {
    if m.kind == MediaKind::Application {
        let formats = vec![FORMAT_DATACHANNEL.to_owned()];
        let mut a = build::bundled_section(config, m.kind.clone(), PROTO_SCTP, formats, setup, mid);
        a.attributes.push(Attribute::SctpPort(config.sctp_port));
        a.attributes
            .push(Attribute::MaxMessageSize(config.max_message_size));
        // SNAP only when both sides carry an INIT: answer one with ours, never volunteer.
        if let (Some(chunk), Some(_)) = (&config.sctp_init, m.sctp_init()) {
            a.attributes.push(Attribute::SctpInit(SctpInit {
                chunk: chunk.clone(),
            }));
        }
        return a;
    }
    let request = config.request(mid);
    let ours = request.map_or(config.default_direction, |r| r.direction);
    let direction = offered.reverse().intersect(ours);

    // Accepted primary codecs, then RTX formats whose apt is one of them.
    let primary = matched_codecs(m, config);
    let mut lines: Vec<(Pt, CodecLines)> = Vec::new();
    for (c, spec) in &primary {
        // The offered feedback we support, each once, in the offer's order.
        let mut feedback: Vec<String> = Vec::new();
        for f in c
            .feedback
            .iter()
            .filter(|f| spec.feedback.iter().any(|s| s == *f))
        {
            if !feedback.iter().any(|g| g == f) {
                feedback.push((*f).to_owned());
            }
        }
        let fmtp = if answer_echoes_fmtp(&spec.name) {
            c.fmtp.map(|f| f.params.clone())
        } else {
            spec.fmtp.clone()
        };
        lines.push((
            c.pt(),
            CodecLines {
                rtpmap: c.rtpmap.clone(),
                feedback,
                fmtp,
            },
        ));
    }
    for c in m
        .codecs()
        .iter()
        .filter(|c| c.rtpmap.encoding.eq_ignore_ascii_case("rtx"))
    {
        let apt = c
            .fmtp
            .and_then(|f| fmtp_param(&f.params, "apt"))
            .and_then(|a| a.parse::<Pt>().ok());
        let Some(apt) = apt else { continue };
        let retransmitted = primary
            .iter()
            .any(|(p, spec)| p.pt() == apt && spec.rtx_pt.is_some());
        if retransmitted {
            lines.push((c.pt(), CodecLines::rtx(c.pt(), c.rtpmap.clock_rate, apt)));
        }
    }
    // Formats in the offer's m-line order, each once (a `Pt` is below 128: no panic).
    let mut seen = [false; 128];
    let pts: Vec<Pt> = m
        .formats
        .iter()
        .filter_map(|f| f.parse().ok())
        .filter(|p| lines.iter().any(|(q, _)| q == p))
        .filter(|p: &Pt| !std::mem::replace(&mut seen[usize::from(p.get())], true))
        .collect();
    let formats = pts.iter().map(Pt::to_string).collect();

    let mut a = build::bundled_section(config, m.kind.clone(), PROTO_RTP, formats, setup, mid);
    let attrs = &mut a.attributes;
    for e in m.extmaps() {
        let supported = config
            .extensions
            .iter()
            .any(|s| s.applies_to(&m.kind) && s.uri == e.uri);
        if supported {
            let direction = e.direction.map(Direction::reverse);
            attrs.push(Attribute::Extmap(Extmap {
                id: e.id,
                direction,
                uri: e.uri.clone(),
                attributes: None,
            }));
        }
    }
    attrs.push(Attribute::Direction(direction));
    let track = request
        .and_then(|r| r.track.as_ref())
        .filter(|_| direction.is_sending());
    if let Some(t) = track {
        attrs.push(build::msid(t));
    }
    attrs.push(Attribute::RtcpMux);
    if m.has(&Attribute::RtcpRsize) {
        attrs.push(Attribute::RtcpRsize);
    }
    for pt in pts {
        if let Some(i) = lines.iter().position(|(p, _)| *p == pt) {
            lines.swap_remove(i).1.push_to(attrs);
        }
    }
    if direction.is_receiving() {
        answer_simulcast(m, attrs);
    }
    if let Some(t) = track {
        build::ssrc_lines(t, &config.cname, attrs);
    }
    a
}

/// Answers an offered simulcast send list (RFC 8853 section 5.3): the RIDs the offer
/// declares with `a=rid .. send` become `a=rid .. recv`, and the list becomes a recv list.
fn answer_simulcast(m: &MediaSection, attrs: &mut Vec<Attribute>) {
    let Some(sim) = m.simulcast() else { return };
    let declared: Vec<&Rid> = m
        .rids()
        .filter(|r| r.direction == RidDirection::Send)
        .collect();
    let recv: Vec<Vec<SimulcastRid>> = sim
        .send
        .iter()
        .map(|s| {
            s.iter()
                .filter(|r| declared.iter().any(|d| d.id == r.id))
                .cloned()
                .collect::<Vec<SimulcastRid>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if recv.is_empty() {
        return;
    }
    for rid in recv.iter().flatten() {
        attrs.push(Attribute::Rid(Rid {
            id: rid.id.clone(),
            direction: RidDirection::Recv,
            restrictions: None,
        }));
    }
    attrs.push(Attribute::Simulcast(Simulcast {
        send: Vec::new(),
        recv,
    }));
}
