//! Our codecs and header extensions, and how an offered payload format is matched to one of
//! ours (RFC 8829 section 5.3.1: same encoding name, clock rate and channels, and for
//! H.264, VP9 and AV1 the same bitstream parameters).

use crate::sdp::attribute::fmtp_param;
use crate::sdp::config::{CodecSpec, ExtensionSpec};
use crate::sdp::model::Codec;
use crate::sdp::types::Pt;

/// `urn:ietf:params:rtp-hdrext:sdes:mid` (RFC 8843 section 15.1).
pub const EXT_MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
/// Absolute send time (webrtc.org experiment, used by REMB).
pub const EXT_ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
/// Transport-wide sequence numbers for transport-cc (draft-holmer-rmcat-transport-wide-cc).
pub const EXT_TWCC: &str =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
/// Client-to-mixer audio level (RFC 6464).
pub const EXT_AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
/// Coordination of video orientation (3GPP TS 26.114).
pub const EXT_VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
/// RTP stream id (RFC 8852 section 3.1).
pub const EXT_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
/// Repaired RTP stream id (RFC 8852 section 3.2).
pub const EXT_REPAIRED_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";

/// The RTCP feedback we use on video: REMB, transport-cc, FIR, NACK and PLI.
const VIDEO_FEEDBACK: [&str; 5] = ["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"];

fn pt(n: u8) -> Pt {
    // Only called with the constants below, all under 128.
    Pt::new(n).expect("payload type constants are under 128")
}

fn spec(
    name: &str,
    rate: u32,
    channels: Option<u16>,
    p: u8,
    rtx: Option<u8>,
    fmtp: Option<&str>,
    fb: &[&str],
) -> CodecSpec {
    CodecSpec {
        name: name.to_owned(),
        clock_rate: rate,
        channels,
        pt: pt(p),
        rtx_pt: rtx.map(pt),
        fmtp: fmtp.map(str::to_owned),
        feedback: fb.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// Opus/111 (RFC 7587), PCMU/0 and PCMA/8 (RFC 3551), with the payload types browsers use.
pub fn default_audio_codecs() -> Vec<CodecSpec> {
    vec![
        spec(
            "opus",
            48_000,
            Some(2),
            111,
            None,
            Some("minptime=10;useinbandfec=1"),
            &["transport-cc"],
        ),
        spec("PCMU", 8_000, None, 0, None, None, &[]),
        spec("PCMA", 8_000, None, 8, None, None, &[]),
    ]
}

/// VP8/96, VP9/98 (profile 0), H.264/102 (constrained baseline, packetization-mode 1) and
/// AV1/45, each with an RTX payload type.
pub fn default_video_codecs() -> Vec<CodecSpec> {
    vec![
        spec("VP8", 90_000, None, 96, Some(97), None, &VIDEO_FEEDBACK),
        spec(
            "VP9",
            90_000,
            None,
            98,
            Some(99),
            Some("profile-id=0"),
            &VIDEO_FEEDBACK,
        ),
        spec(
            "H264",
            90_000,
            None,
            102,
            Some(103),
            Some("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"),
            &VIDEO_FEEDBACK,
        ),
        spec(
            "AV1",
            90_000,
            None,
            45,
            Some(46),
            Some("level-idx=5;profile=0;tier=0"),
            &VIDEO_FEEDBACK,
        ),
    ]
}

/// mid, abs-send-time, transport-wide cc and audio level on audio; mid, abs-send-time,
/// transport-wide cc, video orientation, rid and repaired-rid on video.
pub fn default_extensions() -> Vec<ExtensionSpec> {
    let ext = |id, uri: &str, audio, video| ExtensionSpec {
        id,
        uri: uri.to_owned(),
        audio,
        video,
    };
    vec![
        ext(1, EXT_AUDIO_LEVEL, true, false),
        ext(2, EXT_ABS_SEND_TIME, true, true),
        ext(3, EXT_TWCC, true, true),
        ext(4, EXT_MID, true, true),
        ext(5, EXT_VIDEO_ORIENTATION, false, true),
        ext(10, EXT_RID, false, true),
        ext(11, EXT_REPAIRED_RID, false, true),
    ]
}

/// True if `offered` is the same codec as `ours`.
pub fn codec_matches(ours: &CodecSpec, offered: &Codec<'_>) -> bool {
    let r = offered.rtpmap;
    if !r.encoding.eq_ignore_ascii_case(&ours.name) || r.clock_rate != ours.clock_rate {
        return false;
    }
    if r.channels.unwrap_or(1) != ours.channels.unwrap_or(1) {
        return false;
    }
    let ours_fmtp = ours.fmtp.as_deref().unwrap_or("");
    let theirs = offered.fmtp.map_or("", |f| f.params.as_str());
    let same = |name: &str, default: &str| {
        fmtp_param(ours_fmtp, name).unwrap_or(default)
            == fmtp_param(theirs, name).unwrap_or(default)
    };
    match ours.name.to_ascii_lowercase().as_str() {
        "h264" => same("packetization-mode", "0") && h264_profile_matches(ours_fmtp, theirs),
        "vp9" => same("profile-id", "0"),
        "av1" => same("profile", "0"),
        _ => true,
    }
}

/// True if the encoding is a bitstream format whose fmtp the answer repeats from the offer
/// (the offerer's profile and level), rather than writing its own.
pub(crate) fn answer_echoes_fmtp(name: &str) -> bool {
    ["h264", "vp9", "av1"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// The H.264 profile of `profile-level-id` (RFC 6184 section 8.1): `profile_idc` and, for
/// baseline (0x42), whether constraint_set1 makes it constrained baseline. The level is not
/// compared: with `level-asymmetry-allowed` each side sends at the level the other accepts.
fn h264_profile_matches(ours: &str, theirs: &str) -> bool {
    fn profile(fmtp: &str) -> Option<(u8, bool)> {
        let id = fmtp_param(fmtp, "profile-level-id").unwrap_or("42001f");
        let idc = u8::from_str_radix(id.get(0..2)?, 16).ok()?;
        let iop = u8::from_str_radix(id.get(2..4)?, 16).ok()?;
        if id.len() != 6 {
            return None;
        }
        Some((idc, idc == 0x42 && iop & 0x40 != 0))
    }
    matches!((profile(ours), profile(theirs)), (Some(a), Some(b)) if a == b)
}
