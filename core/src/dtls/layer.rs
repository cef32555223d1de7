//! The record layer's per-connection state: epochs, sequence numbers, keys, replay window.

use super::protection::{Protection, ReplayWindow};
use super::wire::{ContentType, ProtocolVersion, RecordHeader, WireError, record::MAX_SEQUENCE};

/// Epochs and keys of one connection. Epoch 0 is plaintext; epoch 1 is protected with the
/// keys from the handshake (renegotiation, and so later epochs, is refused).
#[derive(Debug, Default)]
pub(crate) struct RecordLayer {
    /// Next sequence number to send in epochs 0 and 1.
    write_seq: [u64; 2],
    /// The epoch new records are written in.
    write_epoch: u16,
    write_keys: Option<Protection>,
    read_keys: Option<Protection>,
    replay: ReplayWindow,
}

impl RecordLayer {
    /// Starts epoch 0 sending at `seq` (a stateless server continues the client's number).
    pub(crate) fn set_epoch0_seq(&mut self, seq: u64) {
        self.write_seq[0] = seq;
    }

    pub(crate) fn install_read(&mut self, keys: Protection) {
        self.read_keys = Some(keys);
    }

    pub(crate) fn install_write(&mut self, keys: Protection) {
        self.write_keys = Some(keys);
    }

    pub(crate) fn has_read_keys(&self) -> bool {
        self.read_keys.is_some()
    }

    pub(crate) fn write_epoch(&self) -> u16 {
        self.write_epoch
    }

    /// Switches new records to epoch 1 (after sending ChangeCipherSpec).
    pub(crate) fn set_write_epoch(&mut self, epoch: u16) {
        self.write_epoch = epoch.min(1);
    }

    /// Bytes a record of `epoch` adds to its plaintext.
    pub(crate) fn overhead(&self, epoch: u16) -> usize {
        RecordHeader::LEN
            + match (&self.write_keys, epoch) {
                (Some(k), 1) => k.overhead(),
                _ => 0,
            }
    }

    /// Writes one record of `epoch` into `out`: `fill` writes the plaintext into the slice
    /// it is given and returns its length. Returns the record's length.
    pub(crate) fn write_record(
        &mut self,
        out: &mut [u8],
        epoch: u16,
        content_type: ContentType,
        fill: impl FnOnce(&mut [u8]) -> usize,
    ) -> Result<usize, WireError> {
        let idx = usize::from(epoch.min(1));
        let sequence = self.write_seq[idx];
        if sequence > MAX_SEQUENCE {
            // RFC 6347 section 4.1: never wrap; renegotiation is refused, so stop sending.
            return Err(WireError::BadValue("sequence number exhausted"));
        }
        let n = if epoch == 0 {
            let body = out
                .get_mut(RecordHeader::LEN..)
                .ok_or(WireError::BufferTooSmall)?;
            let len = fill(body);
            RecordHeader {
                content_type,
                version: ProtocolVersion::DTLS1_2,
                epoch: 0,
                sequence,
                length: u16::try_from(len).map_err(|_| WireError::BadLength)?,
            }
            .emit(out)?;
            RecordHeader::LEN + len
        } else {
            let keys = self
                .write_keys
                .as_ref()
                .ok_or(WireError::BadValue("no write keys"))?;
            let start = keys.plaintext_offset();
            let room = out
                .len()
                .checked_sub(start + super::protection::TAG_LEN)
                .ok_or(WireError::BufferTooSmall)?;
            let len = fill(&mut out[start..start + room]);
            keys.seal(out, content_type, 1, sequence, len)?
        };
        self.write_seq[idx] = sequence + 1;
        Ok(n)
    }

    /// Checks replay and authenticates a protected record in place; returns the plaintext
    /// range within `fragment`. `Err(true)` means replayed, `Err(false)` failed
    /// authentication or no keys.
    pub(crate) fn open(
        &mut self,
        header: &RecordHeader,
        fragment: &mut [u8],
    ) -> Result<std::ops::Range<usize>, bool> {
        let keys = self.read_keys.as_ref().ok_or(false)?;
        if !self.replay.is_fresh(header.sequence) {
            return Err(true);
        }
        let range = keys.open(header, fragment).ok_or(false)?;
        self.replay.mark(header.sequence);
        Ok(range)
    }
}
