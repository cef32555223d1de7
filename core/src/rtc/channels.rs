//! Data channels through the peer connection: stable [`ChannelId`] handles over SCTP stream
//! ids, which are only known once the DTLS role is (RFC 8832 section 6: even for the DTLS
//! client, odd for the server).

use std::collections::HashMap;
use std::time::Instant;

use crate::datachannel::{ChannelConfig, ChannelEvent, DataChannels};
use crate::rtc::error::{ChannelError, SendError};
use crate::rtc::event::{ChannelId, Event, PeerState};
use crate::rtc::peer::Rtc;
use crate::sctp::wire::StreamId;

/// One channel's handle.
#[derive(Debug)]
struct Slot {
    stream: Option<StreamId>,
    /// Opened before the association existed: opened on it when it does.
    pending: Option<ChannelConfig>,
    stats: ChannelStats,
}

/// Counters of one data channel (W3C `RTCDataChannelStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelStats {
    /// Messages handed to [`Rtc::send`] and accepted.
    pub messages_sent: u64,
    /// Their bytes.
    pub bytes_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Their bytes.
    pub bytes_received: u64,
}

/// The handles of every channel and their stream ids.
#[derive(Debug, Default)]
pub(crate) struct ChannelTable {
    next: u32,
    slots: HashMap<ChannelId, Slot>,
    by_stream: HashMap<StreamId, ChannelId>,
}

impl ChannelTable {
    fn allocate(&mut self, slot: Slot) -> ChannelId {
        let id = ChannelId(self.next);
        self.next = self.next.wrapping_add(1);
        if let Some(stream) = slot.stream {
            self.by_stream.insert(stream, id);
        }
        self.slots.insert(id, slot);
        id
    }

    fn stream(&self, id: ChannelId) -> Option<StreamId> {
        self.slots.get(&id).and_then(|s| s.stream)
    }

    fn remove(&mut self, stream: StreamId) -> Option<ChannelId> {
        let id = self.by_stream.remove(&stream)?;
        self.slots.remove(&id);
        Some(id)
    }

    /// A data-channel event as the application sees it.
    pub(crate) fn translate(
        &mut self,
        event: ChannelEvent,
        sctp: Option<&DataChannels>,
    ) -> Option<Event> {
        Some(match event {
            ChannelEvent::Open(stream) => {
                let id = match self.by_stream.get(&stream) {
                    Some(&id) => id,
                    None => self.allocate(Slot {
                        stream: Some(stream),
                        pending: None,
                        stats: ChannelStats::default(),
                    }),
                };
                let label = sctp
                    .and_then(|s| s.channel(stream))
                    .map(|c| c.label.to_owned())
                    .unwrap_or_default();
                Event::ChannelOpen { id, label }
            }
            ChannelEvent::Message { id, data, binary } => {
                let id = *self.by_stream.get(&id)?;
                if let Some(slot) = self.slots.get_mut(&id) {
                    slot.stats.messages_received += 1;
                    slot.stats.bytes_received += data.len() as u64;
                }
                Event::ChannelMessage { id, data, binary }
            }
            ChannelEvent::BufferedAmountLow(stream) => {
                Event::ChannelBufferedAmountLow(*self.by_stream.get(&stream)?)
            }
            ChannelEvent::Closed(stream) => Event::ChannelClosed(self.remove(stream)?),
            ChannelEvent::AssociationClosed(reason) => Event::ChannelsClosed(reason),
            _ => return None,
        })
    }
}

impl Rtc {
    /// Opens a data channel. Before the transport is up the channel waits (and an offer
    /// created after this call carries a data-channel section); it reports
    /// [`Event::ChannelOpen`] once the SCTP association is established.
    pub fn open_channel(
        &mut self,
        now: Instant,
        config: ChannelConfig,
    ) -> Result<ChannelId, ChannelError> {
        let now = self.clamp(now);
        if self.state == PeerState::Closed {
            return Err(ChannelError::Closed);
        }
        if self.negotiation.data_rejected() {
            return Err(ChannelError::Rejected);
        }
        self.negotiation.want_data();
        let id = match self.transport.sctp_mut() {
            Some(sctp) => {
                let stream = sctp.open(now, config)?;
                self.channels.allocate(Slot {
                    stream: Some(stream),
                    pending: None,
                    stats: ChannelStats::default(),
                })
            }
            None => self.channels.allocate(Slot {
                stream: None,
                pending: Some(config),
                stats: ChannelStats::default(),
            }),
        };
        self.process(now);
        Ok(id)
    }

    /// Puts a data-channel m-section in the next offer even though no channel is open yet, so
    /// the peer can open channels (they arrive as [`Event::ChannelOpen`]). Opening a channel
    /// does this too.
    pub fn add_data_section(&mut self) {
        self.negotiation.want_data();
    }

    /// Sends a message on an open channel: `binary` picks the PPID (text must be UTF-8 for
    /// the peer to read it as a string). Refused when the channel is not open, the message is
    /// larger than the peer's `a=max-message-size` or ours, or the send buffer is full (wait
    /// for [`Event::ChannelBufferedAmountLow`]).
    pub fn send(
        &mut self,
        now: Instant,
        id: ChannelId,
        data: &[u8],
        binary: bool,
    ) -> Result<(), SendError> {
        let now = self.clamp(now);
        if !self.channels.slots.contains_key(&id) {
            return Err(SendError::UnknownChannel);
        }
        let stream = self.channels.stream(id).ok_or(SendError::NotOpen)?;
        let sctp = self.transport.sctp_mut().ok_or(SendError::NotOpen)?;
        sctp.send(now, stream, data, binary)?;
        if let Some(slot) = self.channels.slots.get_mut(&id) {
            slot.stats.messages_sent += 1;
            slot.stats.bytes_sent += data.len() as u64;
        }
        Ok(())
    }

    /// Closes a channel: queued messages go first, then its stream is reset and both sides
    /// report [`Event::ChannelClosed`].
    pub fn close_channel(&mut self, now: Instant, id: ChannelId) {
        let now = self.clamp(now);
        match self.channels.stream(id) {
            Some(stream) => {
                if let Some(sctp) = self.transport.sctp_mut() {
                    sctp.close(now, stream);
                }
            }
            None => {
                if self.channels.slots.remove(&id).is_some() {
                    self.push_event(Event::ChannelClosed(id));
                }
            }
        }
        self.process(now);
    }

    /// Bytes queued on a channel and not yet sent (`bufferedAmount`).
    pub fn buffered_amount(&self, id: ChannelId) -> usize {
        match (self.channels.stream(id), self.transport.sctp()) {
            (Some(stream), Some(sctp)) => sctp.buffered_amount(stream),
            _ => 0,
        }
    }

    /// Sets `bufferedAmountLowThreshold`: [`Event::ChannelBufferedAmountLow`] fires when the
    /// buffered amount falls to it.
    pub fn set_buffered_amount_low_threshold(&mut self, id: ChannelId, threshold: usize) {
        if let (Some(stream), Some(sctp)) = (self.channels.stream(id), self.transport.sctp_mut()) {
            sctp.set_buffered_amount_low_threshold(stream, threshold);
        }
    }

    /// A channel's counters, while it exists.
    pub fn channel_stats(&self, id: ChannelId) -> Option<ChannelStats> {
        self.channels.slots.get(&id).map(|s| s.stats)
    }

    /// A channel's label, while it exists.
    pub fn channel_label(&self, id: ChannelId) -> Option<&str> {
        let stream = self.channels.stream(id)?;
        self.transport.sctp()?.channel(stream).map(|c| c.label)
    }

    /// Opens on the new association the channels opened before it existed.
    pub(crate) fn open_pending_channels(&mut self, now: Instant) {
        let Some(sctp) = self.transport.sctp_mut() else {
            return;
        };
        let mut pending: Vec<ChannelId> = self
            .channels
            .slots
            .iter()
            .filter(|(_, s)| s.pending.is_some())
            .map(|(id, _)| *id)
            .collect();
        pending.sort();
        for id in pending {
            let Some(slot) = self.channels.slots.get_mut(&id) else {
                continue;
            };
            let Some(config) = slot.pending.take() else {
                continue;
            };
            match sctp.open(now, config) {
                Ok(stream) => {
                    slot.stream = Some(stream);
                    self.channels.by_stream.insert(stream, id);
                }
                Err(_) => {
                    self.channels.slots.remove(&id);
                    self.events.push_back(Event::ChannelClosed(id));
                }
            }
        }
    }
}
