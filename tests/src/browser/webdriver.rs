//! A small blocking WebDriver client (W3C WebDriver, the part chromedriver needs): new session,
//! navigate, title, execute script, delete session. One HTTP/1.1 request per connection over
//! `std::net`, JSON with `serde_json`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

/// How long one WebDriver command may take (navigation waits for the page's load event).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A WebDriver session on a driver (chromedriver) listening at an address.
///
/// Dropping it deletes the session, which makes the driver close the browser.
#[derive(Debug)]
pub struct Session {
    driver: SocketAddr,
    id: String,
}

impl Session {
    /// Starts a browser session with `capabilities` (the W3C `alwaysMatch` object).
    pub fn new(driver: SocketAddr, capabilities: Value) -> Result<Self, String> {
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = command(driver, "POST", "/session", Some(&body))?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| format!("new session: no sessionId in {value}"))?
            .to_owned();
        Ok(Self { driver, id })
    }

    /// Navigates to `url` and waits for its load event.
    pub fn navigate(&self, url: &str) -> Result<(), String> {
        self.call("POST", "url", Some(&json!({ "url": url })))
            .map(drop)
    }

    /// The document's title.
    pub fn title(&self) -> Result<String, String> {
        let value = self.call("GET", "title", None)?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("title is not a string: {value}"))
    }

    /// Runs `script` (a function body; `return` gives the result) in the page.
    pub fn execute(&self, script: &str) -> Result<Value, String> {
        let body = json!({ "script": script, "args": [] });
        self.call("POST", "execute/sync", Some(&body))
    }

    fn call(&self, method: &str, what: &str, body: Option<&Value>) -> Result<Value, String> {
        let path = format!("/session/{}/{what}", self.id);
        command(self.driver, method, &path, body)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.id);
        if let Err(e) = command(self.driver, "DELETE", &path, None) {
            eprintln!("webdriver: deleting the session failed: {e}");
        }
    }
}

/// Whether the driver at `driver` answers `GET /status` with `ready: true`.
pub(crate) fn is_ready(driver: SocketAddr) -> bool {
    command(driver, "GET", "/status", None).is_ok_and(|v| v["ready"] == json!(true))
}

/// Sends one command and returns its `value`, or the driver's error as text.
fn command(
    driver: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let what = format!("{method} {path}");
    let (status, bytes) = http(driver, method, path, body).map_err(|e| format!("{what}: {e}"))?;
    let reply: Value = serde_json::from_slice(&bytes).map_err(|e| {
        let text = String::from_utf8_lossy(&bytes);
        format!("{what}: {status} with a body that is not JSON ({e}): {text}")
    })?;
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if status == 200 {
        Ok(value)
    } else {
        Err(format!(
            "{what}: {status} {}: {}",
            value["error"].as_str().unwrap_or("?"),
            value["message"].as_str().unwrap_or("?")
        ))
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
    let content_type = if body.is_empty() {
        ""
    } else {
        "Content-Type: application/json; charset=utf-8\r\n"
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{content_type}Content-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    // chromedriver says `Connection: close` but keeps the connection open: the response ends
    // where its Content-Length (or last chunk) says, not at end of stream.
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(response) = parse_response(&raw, false) {
            return Ok(response);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    parse_response(&raw, true).ok_or_else(|| {
        let text = String::from_utf8_lossy(&raw[..raw.len().min(200)]).into_owned();
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("malformed or truncated response: {text:?}"),
        )
    })
}

/// The status and body of a response, once `raw` holds all of it. `at_eof`: the connection has
/// closed, so a response without a length ends here.
fn parse_response(raw: &[u8], at_eof: bool) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&raw[..end]).ok()?.to_ascii_lowercase();
    let status = head.get(9..12)?.parse().ok()?;
    let body = &raw[end..];
    let header = |name: &str| {
        head.split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim().to_owned())
    };
    if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        return Some((status, dechunk(body)?));
    }
    match header("content-length") {
        Some(length) => {
            let length: usize = length.parse().ok()?;
            Some((status, body.get(..length)?.to_vec()))
        }
        None => at_eof.then(|| (status, body.to_vec())),
    }
}

/// Decodes a complete chunked body (RFC 9112 section 7.1), ignoring extensions and trailers;
/// `None` while it is incomplete.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size_text = size_text.split(';').next()?.trim();
        let size = usize::from_str_radix(size_text, 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length:12\r\n\r\n{\"value\":1}\n";
        assert_eq!(
            parse_response(plain, false),
            Some((200, b"{\"value\":1}\n".to_vec()))
        );
        assert_eq!(parse_response(&plain[..plain.len() - 1], false), None);
        let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n\
                        4;x=y\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked, false),
            Some((404, b"abcdef".to_vec()))
        );
        assert_eq!(parse_response(&chunked[..60], false), None);
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n", true), None);
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", false), None);
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", true),
            Some((200, b"abc".to_vec()))
        );
    }
}
