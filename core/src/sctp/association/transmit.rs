//! Building packets: handshake chunks alone (but COOKIE ECHO with DATA behind it), otherwise
//! control chunks bundled ahead of DATA (RFC 9260 section 6.10).

use std::time::Instant;

use super::{Association, AssociationState, cookie::millis_since};
use crate::sctp::wire::{ChunkType, PacketWriter, VerificationTag};

impl Association {
    /// Writes the next SCTP packet into `buf` and returns its length, or `None` when nothing
    /// is due. `buf` should hold at least [`super::SctpConfig::mtu`] bytes; packets never
    /// exceed the MTU (nor `buf`).
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        let now = self.clamp(now);
        debug_assert!(
            buf.len() >= self.config.mtu,
            "transmit buffer under the mtu"
        );
        let len = buf.len().min(self.config.mtu);
        let buf = &mut buf[..len];
        let (src, dst) = (self.config.local_port, self.config.remote_port);

        if let Some(cause) = self.ctl.abort.take() {
            // Without the peer's tag we reflect our own, with the T bit (section 3.3.7).
            let (tag, reflected) = if self.peer_tag.0 != 0 {
                (self.peer_tag, false)
            } else {
                (self.local_tag, true)
            };
            let mut w = PacketWriter::new(buf, src, dst, tag).ok()?;
            w.push_abort(reflected, cause, &[]).ok()?;
            return self.finish(w, false);
        }
        if self.state == AssociationState::Closed {
            if std::mem::take(&mut self.ctl.shutdown_complete) {
                let mut w = PacketWriter::new(buf, src, dst, self.peer_tag).ok()?;
                w.push_empty(ChunkType::SHUTDOWN_COMPLETE, 0).ok()?;
                return self.finish(w, false);
            }
            return None;
        }
        if std::mem::take(&mut self.ctl.init) {
            let params = self.init_params(None);
            let mut w = PacketWriter::new(buf, src, dst, VerificationTag(0)).ok()?;
            w.push_init(false, &params).ok()?;
            return self.finish(w, false);
        }
        if let Some(pending) = self.ctl.init_ack.take() {
            let params = self.init_params(Some(&pending.cookie));
            let mut w = PacketWriter::new(buf, src, dst, pending.peer_tag).ok()?;
            w.push_init(true, &params).ok()?;
            return self.finish(w, false);
        }
        if self.state == AssociationState::CookieEchoed && std::mem::take(&mut self.ctl.cookie_echo)
        {
            let mut w = PacketWriter::new(buf, src, dst, self.peer_tag).ok()?;
            w.push_cookie_echo(&self.ctl.cookie).ok()?;
            // DATA may follow COOKIE ECHO in its packet, which must come first; nothing else
            // goes out until COOKIE ACK (RFC 9260 section 5.1, step C).
            self.write_data(now, &mut w);
            return self.finish(w, false);
        }
        if matches!(
            self.state,
            AssociationState::Listening
                | AssociationState::CookieWait
                | AssociationState::CookieEchoed
        ) {
            return None;
        }

        let mut w = PacketWriter::new(buf, src, dst, self.peer_tag).ok()?;
        if self.ctl.cookie_ack && w.push_empty(ChunkType::COOKIE_ACK, 0).is_ok() {
            self.ctl.cookie_ack = false;
        }
        if self.ctl.shutdown_ack && w.push_empty(ChunkType::SHUTDOWN_ACK, 0).is_ok() {
            self.ctl.shutdown_ack = false;
        }
        if self.ctl.shutdown && w.push_shutdown(self.inb.cum).is_ok() {
            self.ctl.shutdown = false;
        }
        if let Some((info, len)) = self.ctl.heartbeat_ack
            && w.push_heartbeat(true, &info[..len]).is_ok()
        {
            self.ctl.heartbeat_ack = None;
        }
        if self.ctl.heartbeat {
            let info = millis_since(self.epoch, now).to_be_bytes();
            if w.push_heartbeat(false, &info).is_ok() {
                self.ctl.heartbeat = false;
            }
        }
        if let Some((cause, info)) = self.ctl.error
            && w.push_error(cause, &info).is_ok()
        {
            self.ctl.error = None;
        }
        if self.sack_due() {
            self.write_sack(&mut w);
        }
        self.write_forward_tsn(now, &mut w);
        self.write_reconfig(&mut w);
        self.write_data(now, &mut w);
        if w.is_empty() {
            return None;
        }
        let zero = self.uses_zero_checksum();
        self.finish(w, zero)
    }

    fn finish(&mut self, w: PacketWriter<'_>, zero_checksum: bool) -> Option<usize> {
        self.stats.packets_sent += 1;
        Some(w.finish(zero_checksum))
    }
}
