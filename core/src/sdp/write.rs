//! The writer: `\r\n` line endings, structural lines in RFC 8866 order, attributes in the
//! order they are stored (the builders store them in the order browsers write them).

use std::fmt;

use crate::sdp::model::{Bandwidth, Connection, MediaSection, OtherLine, SessionDescription};

impl SessionDescription {
    /// The description as SDP text, written into one buffer sized for it up front (what
    /// `to_string` does, without growing the string a line at a time).
    pub fn to_sdp(&self) -> String {
        let lines: usize = 8 + self
            .media
            .iter()
            .map(|m| m.attributes.len() + 4)
            .sum::<usize>();
        let mut text = String::with_capacity(lines * 48);
        // Writing into a String cannot fail.
        let _ = fmt::write(&mut text, format_args!("{self}"));
        text
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let o = &self.origin;
        write!(f, "v=0\r\n")?;
        write!(
            f,
            "o={} {} {} {} {} {}\r\n",
            o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address
        )?;
        write!(f, "s={}\r\n", self.session_name)?;
        self.info_lines.iter().try_for_each(|l| write_other(f, l))?;
        if let Some(c) = &self.connection {
            write_connection(f, c)?;
        }
        self.bandwidths
            .iter()
            .try_for_each(|b| write_bandwidth(f, b))?;
        write!(f, "t={} {}\r\n", self.timing.start, self.timing.stop)?;
        self.time_lines.iter().try_for_each(|l| write_other(f, l))?;
        self.attributes
            .iter()
            .try_for_each(|a| write!(f, "a={a}\r\n"))?;
        self.media.iter().try_for_each(|m| write_media(f, m))
    }
}

fn write_media(f: &mut fmt::Formatter<'_>, m: &MediaSection) -> fmt::Result {
    write!(f, "m={} {}", m.kind.as_str(), m.port)?;
    if let Some(n) = m.port_count {
        write!(f, "/{n}")?;
    }
    write!(f, " {}", m.proto)?;
    m.formats.iter().try_for_each(|p| write!(f, " {p}"))?;
    f.write_str("\r\n")?;
    m.connections
        .iter()
        .try_for_each(|c| write_connection(f, c))?;
    m.bandwidths
        .iter()
        .try_for_each(|b| write_bandwidth(f, b))?;
    m.other_lines.iter().try_for_each(|l| write_other(f, l))?;
    m.attributes.iter().try_for_each(|a| write!(f, "a={a}\r\n"))
}

fn write_connection(f: &mut fmt::Formatter<'_>, c: &Connection) -> fmt::Result {
    write!(f, "c={} {} {}\r\n", c.net_type, c.addr_type, c.address)
}

fn write_bandwidth(f: &mut fmt::Formatter<'_>, b: &Bandwidth) -> fmt::Result {
    write!(f, "b={}:{}\r\n", b.kind, b.value)
}

fn write_other(f: &mut fmt::Formatter<'_>, l: &OtherLine) -> fmt::Result {
    write!(f, "{}={}\r\n", l.kind, l.value)
}
