//! STUN output: writing checks, consent checks, keepalives, gathering requests and responses
//! into the caller's buffer (RFC 8445 sections 7.1 and 7.3.1, RFC 7675, RFC 8489).
//!
//! Messages are written when polled, from the state at that moment, so nothing is encoded
//! twice and nothing allocates.

use std::net::SocketAddr;

use crate::ice::Role;
use crate::ice::agent::{Agent, GatherState, Outgoing, Reply};
use crate::ice::inbound::ROLE_CONFLICT;
use crate::stun::{Class, MessageBuilder, Method, TransactionId, WireError};
use crate::{Transmit, Transport};

/// ERROR-CODE for unknown comprehension-required attributes (RFC 8489 section 6.3.1).
const UNKNOWN_ATTRIBUTE: u16 = 420;

/// What a check-like request carries.
struct Request<'a> {
    tid: TransactionId,
    username: &'a str,
    key: &'a str,
    priority: u32,
    role: Role,
    tie_breaker: u64,
    use_candidate: bool,
}

impl Agent {
    /// Writes `out` into `buf`; `None` if it no longer applies or does not fit.
    pub(crate) fn encode(&mut self, out: Outgoing, buf: &mut [u8]) -> Option<Transmit> {
        let written = match out {
            Outgoing::Check(tid) => self.encode_check(tid, buf),
            Outgoing::Gather(tid) => self.encode_gather(tid, buf),
            Outgoing::Consent(tid) => self.encode_consent(tid, buf),
            Outgoing::Keepalive(tid) => self.encode_keepalive(tid, buf),
            Outgoing::Response {
                tid,
                local,
                remote,
                reply,
                old_session,
            } => self.encode_response(tid, local, remote, reply, old_session, buf),
        };
        match written {
            Some(Ok(t)) => Some(t),
            Some(Err(_)) => {
                self.stats.transmit_errors += 1;
                None
            }
            None => None,
        }
    }

    fn encode_check(
        &mut self,
        tid: TransactionId,
        buf: &mut [u8],
    ) -> Option<Result<Transmit, WireError>> {
        let i = self.checklist.find_by_tid(&tid)?;
        let pair = &self.checklist.pairs[i];
        let check = pair.check.as_ref()?;
        let creds = self.remote_creds.as_ref()?;
        let req = Request {
            tid,
            username: &self.check_username,
            key: &creds.pwd,
            priority: pair.prflx_priority,
            role: self.role,
            tie_breaker: self.tie_breaker,
            use_candidate: check.use_candidate,
        };
        let (local, remote) = (pair.local, pair.remote);
        let result = write_request(&req, buf).map(|len| transmit(local, remote, len));
        if result.is_ok() {
            self.stats.checks_sent += 1;
        }
        Some(result)
    }

    fn encode_consent(
        &self,
        tid: TransactionId,
        buf: &mut [u8],
    ) -> Option<Result<Transmit, WireError>> {
        let sel = self.selected.as_ref()?;
        let req = Request {
            tid,
            username: &sel.username,
            key: &sel.remote_pwd,
            priority: sel.prflx_priority,
            role: self.role,
            tie_breaker: self.tie_breaker,
            use_candidate: false,
        };
        Some(write_request(&req, buf).map(|len| transmit(sel.local, sel.remote, len)))
    }

    fn encode_keepalive(
        &self,
        tid: TransactionId,
        buf: &mut [u8],
    ) -> Option<Result<Transmit, WireError>> {
        let sel = self.selected.as_ref()?;
        let written = MessageBuilder::new(buf, Class::Indication, Method::BINDING, tid)
            .and_then(MessageBuilder::finish_with_fingerprint);
        Some(written.map(|len| transmit(sel.local, sel.remote, len)))
    }

    fn encode_gather(
        &mut self,
        tid: TransactionId,
        buf: &mut [u8],
    ) -> Option<Result<Transmit, WireError>> {
        let g = self
            .gathers
            .iter()
            .find(|g| matches!(g.state, GatherState::InFlight { tid: t, .. } if t == tid))?;
        let written = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid)
            .and_then(MessageBuilder::finish_with_fingerprint);
        let result = written.map(|len| transmit(g.base, g.server, len));
        if result.is_ok() {
            self.stats.gather_requests_sent += 1;
        }
        Some(result)
    }

    fn encode_response(
        &mut self,
        tid: TransactionId,
        local: SocketAddr,
        remote: SocketAddr,
        reply: Reply,
        old_session: bool,
        buf: &mut [u8],
    ) -> Option<Result<Transmit, WireError>> {
        let key = if old_session {
            &self.selected.as_ref()?.local_creds.pwd
        } else {
            &self.local_creds.pwd
        };
        let class = match reply {
            Reply::Success => Class::Success,
            Reply::RoleConflict | Reply::UnknownAttributes { .. } => Class::Error,
        };
        let written = (|| {
            let mut b = MessageBuilder::new(buf, class, Method::BINDING, tid)?;
            match reply {
                Reply::Success => b.add_xor_mapped_address(remote)?,
                Reply::RoleConflict => b.add_error_code(ROLE_CONFLICT, "Role Conflict")?,
                Reply::UnknownAttributes { list, len } => {
                    b.add_error_code(UNKNOWN_ATTRIBUTE, "Unknown Attribute")?;
                    let listed = list.get(..usize::from(len)).unwrap_or_default();
                    b.add_unknown_attributes(listed)?;
                }
            }
            b.add_message_integrity(key.as_bytes())?;
            b.finish_with_fingerprint()
        })();
        let result = written.map(|len| transmit(local, remote, len));
        if result.is_ok() {
            if reply != Reply::Success {
                self.stats.error_responses_sent += 1;
            } else {
                self.stats.responses_sent += 1;
            }
        }
        Some(result)
    }
}

/// A connectivity check (RFC 8445 section 7.1): USERNAME, PRIORITY, the role attribute with
/// the tie-breaker, USE-CANDIDATE when nominating, MESSAGE-INTEGRITY, FINGERPRINT.
fn write_request(req: &Request<'_>, buf: &mut [u8]) -> Result<usize, WireError> {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, req.tid)?;
    b.add_username(req.username.as_bytes())?;
    b.add_priority(req.priority)?;
    match req.role {
        Role::Controlling => {
            b.add_ice_controlling(req.tie_breaker)?;
            if req.use_candidate {
                b.add_use_candidate()?;
            }
        }
        Role::Controlled => b.add_ice_controlled(req.tie_breaker)?,
    }
    b.add_message_integrity(req.key.as_bytes())?;
    b.finish_with_fingerprint()
}

fn transmit(source: SocketAddr, destination: SocketAddr, len: usize) -> Transmit {
    Transmit {
        source,
        destination,
        transport: Transport::Udp,
        len,
    }
}
