//! ICE credentials: the username fragment and password (RFC 8445 section 5.3, RFC 8839
//! section 5.4).

use rand_core::CryptoRng;

/// Length of a generated username fragment: 8 `ice-char`s, 48 random bits (RFC 8445 section
/// 5.3 asks for at least 24).
const UFRAG_LEN: usize = 8;
/// Length of a generated password: 24 `ice-char`s, 144 random bits (at least 128 required).
const PWD_LEN: usize = 24;

/// The `ice-char` alphabet (RFC 8839 section 5.4): 64 characters, 6 bits each.
const ICE_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A username fragment and password (`ice-ufrag` and `ice-pwd`).
///
/// Checks carry `USERNAME = remote ufrag ":" local ufrag` and are authenticated with the
/// receiving side's password (RFC 8445 section 7.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// The username fragment.
    pub ufrag: String,
    /// The password.
    pub pwd: String,
}

impl Credentials {
    /// Credentials with the given fragment and password.
    pub fn new(ufrag: impl Into<String>, pwd: impl Into<String>) -> Self {
        Self {
            ufrag: ufrag.into(),
            pwd: pwd.into(),
        }
    }

    /// Fresh random credentials.
    pub fn random(rng: &mut dyn CryptoRng) -> Self {
        Self {
            ufrag: random_ice_chars(rng, UFRAG_LEN),
            pwd: random_ice_chars(rng, PWD_LEN),
        }
    }
}

fn random_ice_chars(rng: &mut dyn CryptoRng, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut bits = 0u64;
    let mut left = 0;
    for _ in 0..len {
        if left < 6 {
            bits = rng.next_u64();
            left = 64;
        }
        out.push(char::from(ICE_CHARS[(bits & 63) as usize]));
        bits >>= 6;
        left -= 6;
    }
    out
}
