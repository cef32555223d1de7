//! `a=sctp-init:<base64>` (SNAP, draft-hancke-tsvwg-snap): the SCTP INIT chunk the writer's
//! association would send, in base64 (RFC 4648 section 4, with padding). When offer and answer
//! both carry one, each side starts its association from the two INITs and skips the SCTP
//! handshake; the SCTP layer checks the chunk ([`crate::sctp::PeerInit::parse`]), this module
//! only carries its bytes.

use std::fmt;

/// The longest INIT chunk accepted: ours is 36 bytes and every stack's is under 100; the
/// limit bounds what a description can make us hold.
pub const MAX_SCTP_INIT_LEN: usize = 1024;

/// The value of `a=sctp-init`: an INIT chunk (type, flags, length, value; no common header).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SctpInit {
    /// The chunk's bytes, decoded.
    pub chunk: Vec<u8>,
}

impl SctpInit {
    /// Decodes the attribute value: padded base64 of 1 to [`MAX_SCTP_INIT_LEN`] bytes.
    pub(crate) fn parse(v: &str) -> Option<Self> {
        if v.is_empty() || v.len() > MAX_SCTP_INIT_LEN.div_ceil(3) * 4 {
            return None;
        }
        let chunk = decode(v.as_bytes())?;
        (!chunk.is_empty() && chunk.len() <= MAX_SCTP_INIT_LEN).then_some(Self { chunk })
    }
}

impl fmt::Display for SctpInit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for group in self.chunk.chunks(3) {
            let b = [
                group[0],
                group.get(1).copied().unwrap_or(0),
                group.get(2).copied().unwrap_or(0),
            ];
            let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
            for i in 0..4 {
                if i <= group.len() {
                    let six = (n >> (18 - 6 * i)) & 0x3f;
                    f.write_str(ALPHABET.get(six as usize..six as usize + 1).unwrap_or("A"))?;
                } else {
                    f.write_str("=")?;
                }
            }
        }
        Ok(())
    }
}

/// The base64 alphabet (RFC 4648 section 4, table 1).
const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of one base64 character.
fn sextet(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    }))
}

/// Decodes padded base64: groups of four characters, `=` only to pad the last group, and
/// no stray bits in the last character (so that every value has one spelling).
fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let groups = text.len() / 4;
    for (g, quad) in text.chunks_exact(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && g + 1 != groups) {
            return None;
        }
        let mut n = 0;
        for &c in &quad[..4 - pad] {
            n = n << 6 | sextet(c)?;
        }
        n <<= 6 * pad;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = 3 - pad;
        // Bits below the last whole byte must be zero.
        if bytes[keep..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// RFC 4648 section 10's test vectors.
    const VECTORS: [(&[u8], &str); 6] = [
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg=="),
        (b"fooba", "Zm9vYmE="),
        (b"foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn emit() {
        for (bytes, text) in VECTORS {
            let attr = SctpInit {
                chunk: bytes.to_vec(),
            };
            assert_eq!(attr.to_string(), text);
        }
    }

    #[test]
    fn parse() {
        for (bytes, text) in VECTORS {
            assert_eq!(SctpInit::parse(text).map(|a| a.chunk), Some(bytes.to_vec()));
        }
    }

    #[test]
    fn impossible() {
        for bad in [
            "", "Zg", "Zg=", "Zg===", "Z===", "Zh==", "Zm9=", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm-_",
            "====",
        ] {
            assert_eq!(SctpInit::parse(bad), None, "{bad:?}");
        }
        let long = "A".repeat(MAX_SCTP_INIT_LEN.div_ceil(3) * 4 + 4);
        assert_eq!(SctpInit::parse(&long), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = SctpInit::parse(&text);
        }

        #[test]
        fn parse_arbitrary_base64_text_never_panics(text in "[A-Za-z0-9+/=]{0,48}") {
            if let Some(attr) = SctpInit::parse(&text) {
                prop_assert_eq!(attr.to_string(), text);
            }
        }

        #[test]
        fn round_trip(chunk in proptest::collection::vec(any::<u8>(), 1..200)) {
            let attr = SctpInit { chunk };
            prop_assert_eq!(SctpInit::parse(&attr.to_string()), Some(attr));
        }
    }
}
