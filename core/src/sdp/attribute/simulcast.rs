//! RTP stream identifiers and simulcast: `a=rid` (RFC 8851) and `a=simulcast` (RFC 8853).

use std::fmt;

/// The direction of a RID (RFC 8851 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`: the writer of the description sends this stream.
    Send,
    /// `recv`: the writer receives it.
    Recv,
}

impl RidDirection {
    /// The keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }

    /// The other direction.
    pub const fn reverse(self) -> Self {
        match self {
            Self::Send => Self::Recv,
            Self::Recv => Self::Send,
        }
    }
}

/// `a=rid:<id> <send|recv> [<restrictions>]` (RFC 8851 section 10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid {
    /// The RTP stream id (`rid-id`: alphanumerics, `-` and `_`).
    pub id: String,
    /// Its direction.
    pub direction: RidDirection,
    /// `pt=` and restrictions such as `max-width=1280`, as written.
    pub restrictions: Option<String>,
}

impl Rid {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let mut it = v.splitn(3, ' ');
        let id = it.next()?;
        if !is_rid_id(id) {
            return None;
        }
        let direction = match it.next()? {
            "send" => RidDirection::Send,
            "recv" => RidDirection::Recv,
            _ => return None,
        };
        let restrictions = it.next().map(str::to_owned);
        Some(Self {
            id: id.to_owned(),
            direction,
            restrictions,
        })
    }
}

impl fmt::Display for Rid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction.as_str())?;
        match &self.restrictions {
            Some(r) => write!(f, " {r}"),
            None => Ok(()),
        }
    }
}

/// True for a valid `rid-id` (RFC 8851 section 10: `1*(alpha-numeric / "-" / "_")`).
fn is_rid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One RID in a simulcast stream list, possibly paused (`~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastRid {
    /// The RID.
    pub id: String,
    /// True if written with `~` (initially paused).
    pub paused: bool,
}

/// `a=simulcast:[send <streams>] [recv <streams>]` (RFC 8853 section 5.1). Written with the
/// send list first; the rarer `recv .. send ..` order is kept as
/// [`Attribute::Other`](super::Attribute::Other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Simulcast {
    /// The streams the writer sends, in order of preference; each stream lists alternative
    /// RIDs (separated by `,` when written; usually just one).
    pub send: Vec<Vec<SimulcastRid>>,
    /// The streams the writer receives.
    pub recv: Vec<Vec<SimulcastRid>>,
}

impl Simulcast {
    pub(super) fn parse(v: &str) -> Option<Self> {
        let mut out = Self {
            send: Vec::new(),
            recv: Vec::new(),
        };
        let mut it = v.split(' ');
        while let Some(dir) = it.next() {
            let list = match dir {
                "send" if out.send.is_empty() => &mut out.send,
                "recv" if out.recv.is_empty() => &mut out.recv,
                _ => return None,
            };
            for stream in it.next()?.split(';') {
                let alts: Vec<SimulcastRid> = stream
                    .split(',')
                    .map(|r| {
                        let (paused, id) = match r.strip_prefix('~') {
                            Some(id) => (true, id),
                            None => (false, r),
                        };
                        is_rid_id(id).then(|| SimulcastRid {
                            id: id.to_owned(),
                            paused,
                        })
                    })
                    .collect::<Option<_>>()?;
                list.push(alts);
            }
        }
        (!out.send.is_empty() || !out.recv.is_empty()).then_some(out)
    }

    /// The first alternative of every stream in `streams`: the RIDs in use.
    pub fn rids(streams: &[Vec<SimulcastRid>]) -> impl Iterator<Item = &SimulcastRid> {
        streams.iter().filter_map(|s| s.first())
    }
}

impl fmt::Display for Simulcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, list) in [("send", &self.send), ("recv", &self.recv)] {
            if list.is_empty() {
                continue;
            }
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            write!(f, "{name} ")?;
            for (i, stream) in list.iter().enumerate() {
                if i > 0 {
                    f.write_str(";")?;
                }
                for (j, rid) in stream.iter().enumerate() {
                    if j > 0 {
                        f.write_str(",")?;
                    }
                    if rid.paused {
                        f.write_str("~")?;
                    }
                    f.write_str(&rid.id)?;
                }
            }
        }
        Ok(())
    }
}
