//! What a router of many agents behind one socket needs to know about a datagram.

use std::net::SocketAddr;

use smallvec::SmallVec;

use super::Agent;
use crate::stun::{AttributeType, Class, Message, Method};

/// Username fragments up to this long are held inline (ICE's are 4 to 256 characters;
/// browsers and this crate use 4 to 16).
const INLINE_UFRAG: usize = 32;

/// The username fragment a Binding request is addressed to: the part of its USERNAME before
/// the colon (RFC 8445 section 7.2.2: `<receiver ufrag>:<sender ufrag>`). `None` for anything
/// that is not a well-formed Binding request with a USERNAME.
///
/// This only reads the message; MESSAGE-INTEGRITY is checked by the agent it is routed to.
pub fn local_ufrag_of_request(datagram: &[u8]) -> Option<SmallVec<[u8; INLINE_UFRAG]>> {
    let message = Message::new_checked(datagram).ok()?;
    if message.class() != Class::Request || message.method() != Method::BINDING {
        return None;
    }
    let username = message.attribute(AttributeType::USERNAME)?;
    let local = username.split(|&b| b == b':').next()?;
    Some(SmallVec::from_slice(local))
}

impl Agent {
    /// The highest-priority valid pair of the current session (local base, remote), before
    /// or besides the selected one: a check on it succeeded both ways, so the peer consented
    /// to traffic on it (RFC 7675). The peer connection starts DTLS on it rather than wait
    /// for nomination, which saves a round trip.
    pub fn best_valid_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.checklist
            .pairs
            .iter()
            .filter(|p| p.valid)
            .max_by_key(|p| p.priority)
            .map(|p| (p.local, p.remote))
    }

    /// Whether `addr` is the peer's address on the selected pair or a remote candidate of
    /// this session (signalled or peer-reflexive): datagrams from it belong to this agent.
    pub fn knows_remote(&self, addr: SocketAddr) -> bool {
        self.selected_pair()
            .is_some_and(|(_, remote)| remote == addr)
            || self.remote.iter().any(|c| c.addr() == addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ufrag_of_garbage_is_none() {
        assert_eq!(local_ufrag_of_request(&[]), None);
        assert_eq!(local_ufrag_of_request(&[0; 20]), None);
        assert_eq!(local_ufrag_of_request(&[0xff; 64]), None);
    }
}
