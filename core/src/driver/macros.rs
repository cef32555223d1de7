//! The typed commands of the async drivers' `Handle<Rtc>`, written once.

/// Expands, inside `impl Handle<Rtc>` of an async driver, to the typed commands of one peer
/// connection: `direct_parameters`, `direct_connect`, `create_offer`, `accept_offer`,
/// `accept_answer`, `open_channel`, `send`, `close_channel`, `add_track`, `write_frame`,
/// `request_keyframe`, `set_delivery` and a graceful `close`.
///
/// Each is one `Handle::with` call into the driver task, so the driver must provide
/// `async fn with(&self, f) -> Result<R, Stopped>` (runs `f(&mut Rtc, now)` in the task) and
/// `async fn stopped(&self)` (waits for the task to end). The macro holds no runtime code;
/// it exists so the tokio and smol handles say the same thing in the same words.
#[macro_export]
macro_rules! rtc_handle_commands {
    () => {
        /// Our parameters for the direct API (credentials, fingerprint, candidates).
        pub async fn direct_parameters(
            &self,
        ) -> ::std::result::Result<$crate::rtc::DirectParameters, $crate::driver::Stopped> {
            self.with(|rtc, _| rtc.direct_parameters()).await
        }

        /// Connects to the peer without SDP; see [`Rtc::direct_connect`].
        pub async fn direct_connect(
            &self,
            remote: $crate::rtc::DirectParameters,
            controlling: bool,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::NegotiationError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.direct_connect(now, remote, controlling))
                .await
        }

        /// Writes an SDP offer; see [`Rtc::create_offer`].
        pub async fn create_offer(
            &self,
        ) -> ::std::result::Result<
            ::std::result::Result<::std::string::String, $crate::rtc::NegotiationError>,
            $crate::driver::Stopped,
        > {
            self.with(|rtc, now| rtc.create_offer(now)).await
        }

        /// Answers the peer's SDP offer; see [`Rtc::accept_offer`].
        pub async fn accept_offer(
            &self,
            offer: ::std::string::String,
        ) -> ::std::result::Result<
            ::std::result::Result<::std::string::String, $crate::rtc::NegotiationError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.accept_offer(now, &offer))
                .await
        }

        /// Takes the peer's SDP answer to our offer; see [`Rtc::accept_answer`].
        pub async fn accept_answer(
            &self,
            answer: ::std::string::String,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::NegotiationError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.accept_answer(now, &answer))
                .await
        }

        /// Opens a data channel; see [`Rtc::open_channel`]. Channels the peer opens are
        /// accepted by reading [`Event::ChannelOpen`](sansrtc::Event::ChannelOpen) from the
        /// events stream.
        pub async fn open_channel(
            &self,
            config: $crate::datachannel::ChannelConfig,
        ) -> ::std::result::Result<
            ::std::result::Result<$crate::rtc::ChannelId, $crate::rtc::ChannelError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.open_channel(now, config))
                .await
        }

        /// Sends a message; see [`Rtc::send`].
        pub async fn send(
            &self,
            id: $crate::rtc::ChannelId,
            data: impl AsRef<[u8]> + Send + 'static,
            binary: bool,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::SendError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.send(now, id, data.as_ref(), binary))
                .await
        }

        /// Closes a data channel; see [`Rtc::close_channel`].
        pub async fn close_channel(
            &self,
            id: $crate::rtc::ChannelId,
        ) -> ::std::result::Result<(), $crate::driver::Stopped> {
            self.with(move |rtc, now| rtc.close_channel(now, id)).await
        }

        /// Adds a media track for the next offer; see [`Rtc::add_track`].
        pub async fn add_track(
            &self,
            kind: $crate::sdp::MediaKind,
            direction: $crate::sdp::Direction,
        ) -> ::std::result::Result<$crate::sdp::Mid, $crate::driver::Stopped> {
            self.with(move |rtc, _| rtc.add_track(kind, direction))
                .await
        }

        /// Sends one media frame on a track; see [`Rtc::write_frame`].
        pub async fn write_frame(
            &self,
            mid: $crate::sdp::Mid,
            pt: ::std::option::Option<$crate::rtp::Pt>,
            rtp_time: $crate::rtp::RtpTimestamp,
            frame: impl AsRef<[u8]> + Send + 'static,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::MediaError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.write_frame(now, &mid, pt, rtp_time, frame.as_ref()))
                .await
        }

        /// Asks the peer for a keyframe on a track we receive; see [`Rtc::request_keyframe`].
        pub async fn request_keyframe(
            &self,
            mid: $crate::sdp::Mid,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::MediaError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, now| rtc.request_keyframe(now, &mid))
                .await
        }

        /// Chooses frames, packets or both for a track we receive; see
        /// [`Rtc::set_delivery`].
        pub async fn set_delivery(
            &self,
            mid: $crate::sdp::Mid,
            delivery: $crate::rtc::Delivery,
        ) -> ::std::result::Result<
            ::std::result::Result<(), $crate::rtc::MediaError>,
            $crate::driver::Stopped,
        > {
            self.with(move |rtc, _| rtc.set_delivery(&mid, delivery))
                .await
        }

        /// Closes the peer connection gracefully: the close (DTLS close_notify, SCTP ABORT)
        /// is sent, the last events are reported, and this returns once the driver task has
        /// ended (the machine is finished). `Err(Stopped)` if the task had already stopped.
        pub async fn close(&self) -> ::std::result::Result<(), $crate::driver::Stopped> {
            self.with(|rtc, now| rtc.close(now)).await?;
            self.stopped().await;
            Ok(())
        }
    };
}
