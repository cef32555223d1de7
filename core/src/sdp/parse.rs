//! The parser: line by line, `\n` or `\r\n`, never panics.
//!
//! The structural lines (`v=`, `o=`, `s=`, `t=`, `c=`, `b=`, `m=`) must be well formed and
//! `v=0`, `o=`, `s=` must come first in that order; a malformed structural line is an
//! [`SdpError`] naming the line. Attributes never fail: see [`Attribute::parse`]. Lines of
//! types this model does not interpret are kept as [`OtherLine`]s.

use crate::sdp::attribute::Attribute;
use crate::sdp::error::SdpError;
use crate::sdp::model::{
    Bandwidth, Connection, MediaSection, Origin, OtherLine, SessionDescription, Timing,
};
use crate::sdp::types::{MediaKind, digits};

impl SessionDescription {
    /// Parses a session description. Accepts `\n` or `\r\n` line endings and skips empty
    /// lines.
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        let mut lines = text
            .split('\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
            .filter(|(_, l)| !l.is_empty());

        let (n, v) = next_line(&mut lines, 'v', "expected v= first")?;
        if v != "0" {
            return Err(SdpError {
                line: n,
                kind: "unsupported version",
            });
        }
        let (n, o) = next_line(&mut lines, 'o', "expected o= after v=")?;
        let origin = parse_origin(o).ok_or(SdpError {
            line: n,
            kind: "malformed o= line",
        })?;
        let (_, s) = next_line(&mut lines, 's', "expected s= after o=")?;

        let mut sd = Self {
            origin,
            session_name: s.to_owned(),
            info_lines: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timing: Timing::default(),
            time_lines: Vec::new(),
            attributes: Vec::new(),
            media: Vec::new(),
        };
        let mut timing_seen = false;
        for (n, line) in lines {
            let (kind, value) = split_line(line).ok_or(SdpError {
                line: n,
                kind: "expected <type>=<value>",
            })?;
            if kind == 'm' {
                sd.media.push(parse_media_line(value).ok_or(SdpError {
                    line: n,
                    kind: "malformed m= line",
                })?);
                continue;
            }
            if let Some(m) = sd.media.last_mut() {
                match kind {
                    'a' => m.attributes.push(Attribute::parse(value)),
                    'c' => m.connections.push(parse_connection(value).ok_or(SdpError {
                        line: n,
                        kind: "malformed c= line",
                    })?),
                    'b' => m.bandwidths.push(parse_bandwidth(value).ok_or(SdpError {
                        line: n,
                        kind: "malformed b= line",
                    })?),
                    _ => m.other_lines.push(OtherLine {
                        kind,
                        value: value.to_owned(),
                    }),
                }
                continue;
            }
            match kind {
                'a' => sd.attributes.push(Attribute::parse(value)),
                'c' if sd.connection.is_none() => {
                    sd.connection = Some(parse_connection(value).ok_or(SdpError {
                        line: n,
                        kind: "malformed c= line",
                    })?);
                }
                'c' => {
                    return Err(SdpError {
                        line: n,
                        kind: "second session-level c= line",
                    });
                }
                'b' => sd.bandwidths.push(parse_bandwidth(value).ok_or(SdpError {
                    line: n,
                    kind: "malformed b= line",
                })?),
                't' if !timing_seen => {
                    sd.timing = parse_timing(value).ok_or(SdpError {
                        line: n,
                        kind: "malformed t= line",
                    })?;
                    timing_seen = true;
                }
                't' | 'r' | 'z' | 'k' => sd.time_lines.push(OtherLine {
                    kind,
                    value: value.to_owned(),
                }),
                'v' | 'o' | 's' => {
                    return Err(SdpError {
                        line: n,
                        kind: "repeated v=, o= or s= line",
                    });
                }
                _ => sd.info_lines.push(OtherLine {
                    kind,
                    value: value.to_owned(),
                }),
            }
        }
        if !timing_seen {
            return Err(SdpError {
                line: 0,
                kind: "missing t= line",
            });
        }
        Ok(sd)
    }

    /// Parses a description from bytes, which must be UTF-8.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, SdpError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SdpError {
            line: 0,
            kind: "not utf-8",
        })?;
        Self::parse(text)
    }
}

impl std::str::FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The next line, which must be of type `want`.
fn next_line<'a>(
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    want: char,
    kind: &'static str,
) -> Result<(usize, &'a str), SdpError> {
    let (n, line) = lines.next().ok_or(SdpError { line: 0, kind })?;
    match split_line(line) {
        Some((k, v)) if k == want => Ok((n, v)),
        _ => Err(SdpError { line: n, kind }),
    }
}

/// `<letter>=<value>`.
fn split_line(line: &str) -> Option<(char, &str)> {
    let rest = line.strip_prefix(|c: char| c.is_ascii_lowercase())?;
    let value = rest.strip_prefix('=')?;
    line.chars().next().map(|k| (k, value))
}

/// A field of a structural line: non-empty and free of spaces and control characters.
fn field(s: &str) -> Option<String> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() || b >= 0x80)).then(|| s.to_owned())
}

fn parse_origin(v: &str) -> Option<Origin> {
    let f: Vec<&str> = v.split(' ').collect();
    let [user, id, version, net, addr_type, address] = f.as_slice() else {
        return None;
    };
    Some(Origin {
        username: field(user)?,
        session_id: digits(id)?,
        session_version: digits(version)?,
        net_type: field(net)?,
        addr_type: field(addr_type)?,
        address: field(address)?,
    })
}

fn parse_connection(v: &str) -> Option<Connection> {
    let f: Vec<&str> = v.split(' ').collect();
    let [net, addr_type, address] = f.as_slice() else {
        return None;
    };
    Some(Connection {
        net_type: field(net)?,
        addr_type: field(addr_type)?,
        address: field(address)?,
    })
}

fn parse_bandwidth(v: &str) -> Option<Bandwidth> {
    let (kind, value) = v.split_once(':')?;
    Some(Bandwidth {
        kind: field(kind)?,
        value: digits(value)?,
    })
}

fn parse_timing(v: &str) -> Option<Timing> {
    let (start, stop) = v.split_once(' ')?;
    Some(Timing {
        start: digits(start)?,
        stop: digits(stop)?,
    })
}

fn parse_media_line(v: &str) -> Option<MediaSection> {
    let mut f = v.split(' ');
    let kind = MediaKind::from_name(&field(f.next()?)?);
    let port = f.next()?;
    let (port, port_count) = match port.split_once('/') {
        Some((p, c)) => (digits(p)?, Some(digits(c)?)),
        None => (digits(port)?, None),
    };
    let proto = field(f.next()?)?;
    let formats = f.map(field).collect::<Option<Vec<_>>>()?;
    Some(MediaSection {
        kind,
        port,
        port_count,
        proto,
        formats,
        other_lines: Vec::new(),
        connections: Vec::new(),
        bandwidths: Vec::new(),
        attributes: Vec::new(),
    })
}
