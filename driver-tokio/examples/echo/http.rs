//! The HTTP side of the browser echo server: a small HTTP/1.1 server on tokio's `TcpListener`
//! that serves the test page and turns `POST /offer` into one call of an [`Answer`].
//!
//! Signalling follows the WHIP pattern (RFC 9725): the page POSTs a complete SDP offer (all ICE
//! candidates gathered) with `Content-Type: application/sdp`, and the server answers
//! `201 Created` with the SDP answer as the body.
//!
//! | request | response |
//! | --- | --- |
//! | `GET /` (or `HEAD /`, `GET /index.html`) | `200` with the page (`text/html`) |
//! | `POST /offer`, `application/sdp`, UTF-8 body | `201` with [`Answer::answer`]'s `Ok` (`application/sdp`) |
//! | `POST /offer` with another content type | `415` |
//! | `POST /offer`, body not UTF-8, or [`Answer::answer`] says `Err(reason)` | `400` with the reason |
//! | `POST` without `Content-Length` | `411` |
//! | a head over [`MAX_HEAD`] bytes or a body over [`MAX_BODY`] bytes | `431` or `413` |
//! | a request not complete within [`Timeouts::read`] | `408` |
//! | no answer within [`Timeouts::answer`] | `503` |
//! | another method on a known path, another path | `405` (with `Allow`), `404` |
//!
//! Every error response is `text/plain` with a one-line reason, never `201`. One request per
//! connection (`Connection: close`): there is no keep-alive, pipelining or chunked upload.
//! Malformed input never panics; it gets a `4xx` or the connection is dropped.

use std::borrow::Cow;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::timeout;

/// The page served at `GET /`: the browser side of the echo test (see `page.html`).
pub(crate) const PAGE: &str = include_str!("page.html");

/// Largest request head (request line and headers) accepted, in bytes; more gets `431`.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

/// Largest request body accepted, in bytes; a larger `Content-Length` gets `413`. SDP offers from
/// browsers are a few KiB, even with many tracks and candidates.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Most headers in one request; more gets `431`.
const MAX_HEADERS: usize = 100;

/// Most connections served at once; further ones wait in the listener's backlog.
const MAX_CONNECTIONS: usize = 256;

/// What the server does with an SDP offer: the echo server's peer connection plugs in here.
///
/// Called once per `POST /offer` with the offer's text. `Ok(answer)` is sent back as
/// `201 Created` with the answer SDP as the body; `Err(reason)` as `400 Bad Request` with the
/// reason as the body. An implementation can be written as `async fn answer(..)`.
pub(crate) trait Answer: Send + Sync + 'static {
    /// Makes the SDP answer to `offer`, or says in one line why the offer is refused.
    fn answer(&self, offer: String) -> impl Future<Output = Result<String, String>> + Send;

    /// The server offers (`POST /session`): a new session's id and its SDP offer, answered
    /// by `POST /answer/<id>`.
    fn offer(&self) -> impl Future<Output = Result<(u64, String), String>> + Send;

    /// Applies the client's answer to the offer of session `id`.
    fn accept_answer(
        &self,
        id: u64,
        answer: String,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// How long the server waits for each step of a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    /// From accepting the connection to having the whole request (head and body).
    pub(crate) read: Duration,
    /// For [`Answer::answer`] to return.
    pub(crate) answer: Duration,
    /// For the response to be written.
    pub(crate) write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            read: Duration::from_secs(10),
            answer: Duration::from_secs(10),
            write: Duration::from_secs(10),
        }
    }
}

/// Serves HTTP on `listener` with the default [`Timeouts`] until the returned future is dropped.
///
/// Each connection runs in its own task; a failing connection never stops the server. One line
/// per request goes to stderr.
pub(crate) async fn serve<A: Answer>(listener: TcpListener, answerer: Arc<A>) {
    serve_with(listener, answerer, Timeouts::default()).await;
}

/// [`serve`] with chosen timeouts.
pub(crate) async fn serve_with<A: Answer>(
    listener: TcpListener,
    answerer: Arc<A>,
    timeouts: Timeouts,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return; // never: the semaphore is not closed
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Aborted handshakes and descriptor exhaustion are transient: keep serving.
                eprintln!("http: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let answerer = Arc::clone(&answerer);
        tokio::spawn(async move {
            handle_connection(stream, peer, &*answerer, timeouts).await;
            drop(permit);
        });
    }
}

/// Reads one request from `stream`, answers it and closes the connection.
async fn handle_connection<A: Answer>(
    mut stream: TcpStream,
    peer: SocketAddr,
    answerer: &A,
    timeouts: Timeouts,
) {
    let (what, response) = match timeout(timeouts.read, read_request(&mut stream)).await {
        Err(_elapsed) => (
            Cow::Borrowed("-"),
            Response::error(408, "request not complete in time"),
        ),
        // The peer went away or sent nothing: nobody to answer.
        Ok(Err(ReadError::Closed)) => return,
        Ok(Err(ReadError::Http(e))) => (Cow::Borrowed("-"), Response::error(e.status, e.reason)),
        Ok(Ok(request)) => {
            let what = format!("{} {}", request.head.method, request.head.path);
            (Cow::Owned(what), route(request, answerer, timeouts).await)
        }
    };
    eprintln!("http: {peer} {what} -> {}", response.status);
    let _ = timeout(timeouts.write, write_response(&mut stream, &response)).await;
}

/// A parsed request head: the parts of it this server uses.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    /// The method, case-sensitive as HTTP says (`GET`, `POST`).
    method: String,
    /// The target's path, without the query.
    path: String,
    /// `Content-Length`, if given.
    content_length: Option<u64>,
    /// `Content-Type`, if given, as sent.
    content_type: Option<String>,
    /// `Expect: 100-continue` was sent.
    expect_continue: bool,
    /// `Transfer-Encoding` was sent (not supported: requests need `Content-Length`).
    transfer_encoding: bool,
}

/// A complete request.
#[derive(Debug)]
struct Request {
    head: Head,
    body: Vec<u8>,
}

/// A request the server refuses, with the status and the reason sent back.
#[derive(Debug, PartialEq, Eq)]
struct HttpError {
    status: u16,
    reason: Cow<'static, str>,
}

impl HttpError {
    fn new(status: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            reason: reason.into(),
        }
    }
}

/// Why no request could be read.
#[derive(Debug)]
enum ReadError {
    /// The connection failed or closed before a whole request: nothing to answer.
    Closed,
    /// A request the server refuses: answered with its status.
    Http(HttpError),
}

impl From<HttpError> for ReadError {
    fn from(e: HttpError) -> Self {
        Self::Http(e)
    }
}

/// Reads one request: the head (at most [`MAX_HEAD`] bytes), then `Content-Length` bytes of
/// body (at most [`MAX_BODY`]).
async fn read_request(stream: &mut TcpStream) -> Result<Request, ReadError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|_| ReadError::Closed)?;
        if n == 0 {
            if buf.is_empty() {
                return Err(ReadError::Closed);
            }
            return Err(HttpError::new(400, "connection closed inside the request head").into());
        }
        let searched_from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find_head_end(&buf, searched_from) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return Err(HttpError::new(431, "request head larger than 16 KiB").into());
        }
    };
    if head_end > MAX_HEAD {
        return Err(HttpError::new(431, "request head larger than 16 KiB").into());
    }
    let head = parse_head(&buf[..head_end])?;
    let body_len = body_length(&head)?;

    let mut body = buf.split_off(head_end);
    body.truncate(body_len); // no pipelining: anything after the body is ignored
    if body.len() < body_len && head.expect_continue {
        stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(|_| ReadError::Closed)?;
    }
    while body.len() < body_len {
        let want = (body_len - body.len()).min(chunk.len());
        let n = stream
            .read(&mut chunk[..want])
            .await
            .map_err(|_| ReadError::Closed)?;
        if n == 0 {
            return Err(HttpError::new(400, "connection closed inside the request body").into());
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Request { head, body })
}

/// The end of the head (just past the empty line), looking from `from` on. Lines end in CRLF or,
/// as RFC 9112 section 2.2 allows a recipient to accept, a bare LF.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.min(buf.len());
    buf[start..].iter().enumerate().find_map(|(i, &b)| {
        let at = start + i;
        if b != b'\n' || at == 0 {
            return None;
        }
        // `at` is the LF ending the empty line if the line before it ended just before.
        match buf[at - 1] {
            b'\n' => Some(at + 1),
            b'\r' if at >= 2 && buf[at - 2] == b'\n' => Some(at + 1),
            _ => None,
        }
    })
}

/// The body length `head` announces, checked against the method and [`MAX_BODY`].
fn body_length(head: &Head) -> Result<usize, HttpError> {
    if head.transfer_encoding {
        // With Content-Length as well this is the request-smuggling shape (RFC 9112 6.1).
        return Err(if head.content_length.is_some() {
            HttpError::new(400, "both Transfer-Encoding and Content-Length")
        } else {
            HttpError::new(
                411,
                "Transfer-Encoding is not supported: send Content-Length",
            )
        });
    }
    match head.content_length {
        None if head.method == "POST" => Err(HttpError::new(411, "POST needs a Content-Length")),
        None => Ok(0),
        Some(n) if n > MAX_BODY as u64 => Err(HttpError::new(413, "body larger than 64 KiB")),
        // Fits: n <= MAX_BODY, which is a usize.
        Some(n) => Ok(usize::try_from(n).unwrap_or(MAX_BODY)),
    }
}

/// Parses a request head (request line, headers, the empty line).
fn parse_head(bytes: &[u8]) -> Result<Head, HttpError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| HttpError::new(400, "request head is not UTF-8"))?;
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));

    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::new(400, "malformed request line"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(HttpError::new(400, "malformed method"));
    }
    if !target.starts_with('/') {
        return Err(HttpError::new(400, "request target must be a path"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(HttpError::new(505, "only HTTP/1.0 and HTTP/1.1 are served"));
    }
    let path = target.split(['?', '#']).next().unwrap_or(target);

    let mut head = Head {
        method: method.to_owned(),
        path: path.to_owned(),
        content_length: None,
        content_type: None,
        expect_continue: false,
        transfer_encoding: false,
    };
    let mut count = 0;
    for line in lines.take_while(|l| !l.is_empty()) {
        count += 1;
        if count > MAX_HEADERS {
            return Err(HttpError::new(431, "more than 100 headers"));
        }
        if line.starts_with([' ', '\t']) {
            return Err(HttpError::new(400, "folded header lines are not accepted"));
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(HttpError::new(400, "header line without a colon"));
        };
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(HttpError::new(400, "malformed header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("content-length") {
            let n = parse_content_length(value)?;
            if head.content_length.is_some_and(|old| old != n) {
                return Err(HttpError::new(400, "conflicting Content-Length headers"));
            }
            head.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("content-type") {
            if head.content_type.is_some() {
                return Err(HttpError::new(400, "more than one Content-Type"));
            }
            head.content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("expect") {
            head.expect_continue |= value.eq_ignore_ascii_case("100-continue");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.transfer_encoding = true;
        }
    }
    Ok(head)
}

/// `Content-Length`'s value: decimal digits only (RFC 9110 section 8.6).
fn parse_content_length(value: &str) -> Result<u64, HttpError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::new(400, "malformed Content-Length"));
    }
    // All digits, so the only failure is overflow: far over MAX_BODY either way.
    Ok(value.parse().unwrap_or(u64::MAX))
}

/// A token character (RFC 9110 section 5.6.2), for methods and header names.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether a `Content-Type` value names `application/sdp` (parameters such as `charset` allowed).
fn is_sdp(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default();
    essence
        .trim_matches([' ', '\t'])
        .eq_ignore_ascii_case("application/sdp")
}

/// Chooses the response for a complete request.
async fn route<A: Answer>(request: Request, answerer: &A, timeouts: Timeouts) -> Response {
    let Request { head, body } = request;
    match (head.path.as_str(), head.method.as_str()) {
        ("/" | "/index.html", "GET") => Response::page(false),
        ("/" | "/index.html", "HEAD") => Response::page(true),
        ("/" | "/index.html", _) => Response::error(405, "use GET").allow("GET, HEAD"),
        ("/offer", "POST") => offer(&head, body, answerer, timeouts).await,
        ("/offer", _) => Response::error(405, "POST an SDP offer here").allow("POST"),
        ("/session", "POST") => session(answerer, timeouts).await,
        ("/session", _) => Response::error(405, "POST to get an SDP offer").allow("POST"),
        (path, method) => match path.strip_prefix("/answer/").map(str::parse::<u64>) {
            Some(Ok(id)) if method == "POST" => answer(&head, body, id, answerer, timeouts).await,
            Some(Ok(_)) => Response::error(405, "POST the SDP answer here").allow("POST"),
            _ => Response::error(404, "not found"),
        },
    }
}

/// `POST /session`: the server's offer, `201` with `Location: /answer/<id>`.
async fn session<A: Answer>(answerer: &A, timeouts: Timeouts) -> Response {
    match timeout(timeouts.answer, answerer.offer()).await {
        Ok(Ok((id, offer))) => Response {
            status: 201,
            content_type: "application/sdp",
            body: offer.into_bytes().into(),
            allow: None,
            location: Some(format!("/answer/{id}")),
            head_only: false,
        },
        Ok(Err(reason)) => Response::error(400, reason),
        Err(_elapsed) => Response::error(503, "no offer in time"),
    }
}

/// `POST /answer/<id>`: the client's answer to session `id`'s offer; `204` once applied.
async fn answer<A: Answer>(
    head: &Head,
    body: Vec<u8>,
    id: u64,
    answerer: &A,
    timeouts: Timeouts,
) -> Response {
    let sdp = match sdp_body(head, body) {
        Ok(sdp) => sdp,
        Err(response) => return response,
    };
    match timeout(timeouts.answer, answerer.accept_answer(id, sdp)).await {
        Ok(Ok(())) => Response {
            status: 204,
            content_type: "text/plain; charset=utf-8",
            body: Cow::Borrowed(&[]),
            allow: None,
            location: None,
            head_only: false,
        },
        Ok(Err(reason)) => Response::error(400, reason),
        Err(_elapsed) => Response::error(503, "answer not applied in time"),
    }
}

/// The UTF-8 SDP body of an `application/sdp` request, or the error response.
fn sdp_body(head: &Head, body: Vec<u8>) -> Result<String, Response> {
    match head.content_type.as_deref() {
        Some(ct) if is_sdp(ct) => {}
        Some(ct) => {
            return Err(Response::error(
                415,
                format!("Content-Type is {ct:?}, not application/sdp"),
            ));
        }
        None => {
            return Err(Response::error(
                415,
                "Content-Type missing: send application/sdp",
            ));
        }
    }
    String::from_utf8(body).map_err(|_| Response::error(400, "SDP is not UTF-8"))
}

/// `POST /offer`: checks the content type and the body, then asks `answerer`.
async fn offer<A: Answer>(
    head: &Head,
    body: Vec<u8>,
    answerer: &A,
    timeouts: Timeouts,
) -> Response {
    let offer = match sdp_body(head, body) {
        Ok(sdp) => sdp,
        Err(response) => return response,
    };
    match timeout(timeouts.answer, answerer.answer(offer)).await {
        Ok(Ok(answer)) => Response {
            status: 201,
            content_type: "application/sdp",
            body: answer.into_bytes().into(),
            allow: None,
            location: None,
            head_only: false,
        },
        Ok(Err(reason)) => Response::error(400, reason),
        Err(_elapsed) => Response::error(503, "no answer in time"),
    }
}

/// A response, written with `Content-Length` and `Connection: close`.
#[derive(Debug)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: Cow<'static, [u8]>,
    /// The `Allow` header of a `405`.
    allow: Option<&'static str>,
    /// The `Location` header of a `201` that created something.
    location: Option<String>,
    /// For `HEAD`: headers as for `GET`, no body.
    head_only: bool,
}

impl Response {
    fn page(head_only: bool) -> Self {
        Self {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: PAGE.as_bytes().into(),
            allow: None,
            location: None,
            head_only,
        }
    }

    /// A `text/plain` error whose body is `reason` and a newline.
    fn error(status: u16, reason: impl Into<Cow<'static, str>>) -> Self {
        let mut body = reason.into().into_owned();
        body.push('\n');
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.into_bytes().into(),
            allow: None,
            location: None,
            head_only: false,
        }
    }

    fn allow(mut self, methods: &'static str) -> Self {
        self.allow = Some(methods);
        self
    }
}

/// Writes `response` and closes the sending side.
async fn write_response(stream: &mut TcpStream, response: &Response) -> io::Result<()> {
    let allow = response
        .allow
        .map(|m| format!("Allow: {m}\r\n"))
        .unwrap_or_default();
    let location = response
        .location
        .as_ref()
        .map(|l| format!("Location: {l}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{allow}{location}\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        response.status,
        reason_phrase(response.status),
        response.content_type,
        response.body.len(),
    );
    stream.write_all(head.as_bytes()).await?;
    if !response.head_only {
        stream.write_all(&response.body).await?;
    }
    stream.shutdown().await
}

/// The reason phrase for the statuses this server sends.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Head, HttpError> {
        let bytes = text.as_bytes();
        let end = find_head_end(bytes, 0).expect("test heads end with an empty line");
        assert_eq!(
            end,
            bytes.len(),
            "test heads have nothing after the empty line"
        );
        parse_head(bytes)
    }

    fn status(text: &str) -> u16 {
        match head(text) {
            Ok(_) => 0,
            Err(e) => e.status,
        }
    }

    #[test]
    fn parse_get() {
        let h = head("GET /?dc=reliable&count=10 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(h.method, "GET");
        assert_eq!(h.path, "/");
        assert_eq!(h.content_length, None);
        assert_eq!(body_length(&h), Ok(0));
    }

    #[test]
    fn parse_post() {
        let h = head(
            "POST /offer HTTP/1.1\r\nContent-Type: application/sdp\r\n\
             content-length:  12 \r\nExpect: 100-Continue\r\n\r\n",
        )
        .unwrap();
        assert_eq!(h.path, "/offer");
        assert_eq!(h.content_type.as_deref(), Some("application/sdp"));
        assert_eq!(h.content_length, Some(12));
        assert!(h.expect_continue);
        assert_eq!(body_length(&h), Ok(12));
    }

    #[test]
    fn parse_bare_lf() {
        let h = head("GET /index.html HTTP/1.0\nHost: x\n\n").unwrap();
        assert_eq!(h.path, "/index.html");
    }

    #[test]
    fn find_end_split_across_reads() {
        let bytes = b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody";
        for from in 0..bytes.len() {
            let found = find_head_end(bytes, from.min(bytes.len()));
            // The caller searches from 3 bytes before the previous end of the buffer.
            if from <= 21 {
                assert_eq!(found, Some(24), "from {from}");
            }
        }
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n", 0), None);
        assert_eq!(find_head_end(b"\n", 0), None);
        assert_eq!(find_head_end(b"", 5), None);
    }

    #[test]
    fn malformed_request_line() {
        assert_eq!(status("GET /\r\n\r\n"), 400);
        assert_eq!(status("GET  / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1 x\r\n\r\n"), 400);
        assert_eq!(status("G(T / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status("GET http://x/ HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(status("PRI * HTTP/2.0\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status("\r\n\r\n"), 400);
    }

    #[test]
    fn malformed_headers() {
        assert_eq!(status("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nName : v\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\n: v\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n"), 400);
        let many = "A: b\r\n".repeat(MAX_HEADERS + 1);
        assert_eq!(status(&format!("GET / HTTP/1.1\r\n{many}\r\n")), 431);
        assert_eq!(
            parse_head(b"GET /\xff HTTP/1.1\r\n\r\n")
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn content_length_rules() {
        let post = |cl: &str| status(&format!("POST /offer HTTP/1.1\r\n{cl}\r\n\r\n"));
        assert_eq!(post("Content-Length: 1\r\nContent-Length: 1"), 0);
        assert_eq!(post("Content-Length: 1\r\nContent-Length: 2"), 400);
        assert_eq!(post("Content-Length: +1"), 400);
        assert_eq!(post("Content-Length: 1, 1"), 400);
        assert_eq!(post("Content-Length: "), 400);
        assert_eq!(post("Content-Length: 0x10"), 400);

        let length = |text: &str| body_length(&head(text).unwrap()).map_err(|e| e.status);
        assert_eq!(length("POST /offer HTTP/1.1\r\n\r\n"), Err(411));
        assert_eq!(
            length("POST /offer HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(411)
        );
        assert_eq!(
            length("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
            Err(400)
        );
        assert_eq!(
            length("POST /offer HTTP/1.1\r\nContent-Length: 65536\r\n\r\n"),
            Ok(MAX_BODY)
        );
        assert_eq!(
            length("POST /offer HTTP/1.1\r\nContent-Length: 65537\r\n\r\n"),
            Err(413)
        );
        assert_eq!(
            length("POST /offer HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            Err(413)
        );
    }

    #[test]
    fn sdp_content_type() {
        assert!(is_sdp("application/sdp"));
        assert!(is_sdp("Application/SDP; charset=utf-8"));
        assert!(is_sdp(" application/sdp\t;x=y"));
        assert!(!is_sdp("application/sdpx"));
        assert!(!is_sdp("text/plain"));
        assert!(!is_sdp(""));
    }

    /// Answers `v=0 ...` offers with `answer to <offer>`, refuses others with a reason, and
    /// never answers the offer `slow`.
    struct Dummy;

    impl Answer for Dummy {
        async fn answer(&self, offer: String) -> Result<String, String> {
            if offer == "slow" {
                std::future::pending::<()>().await;
            }
            if offer.starts_with("v=0") {
                Ok(format!("answer to {offer}"))
            } else {
                Err("not an SDP offer".to_owned())
            }
        }

        async fn offer(&self) -> Result<(u64, String), String> {
            Ok((7, "v=0 server offer".to_owned()))
        }

        async fn accept_answer(&self, id: u64, answer: String) -> Result<(), String> {
            match (id, answer.starts_with("v=0")) {
                (7, true) => Ok(()),
                (7, false) => Err("not an SDP answer".to_owned()),
                _ => Err(format!("no session {id}")),
            }
        }
    }

    async fn start() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let timeouts = Timeouts {
            read: Duration::from_millis(500),
            answer: Duration::from_millis(500),
            write: Duration::from_secs(5),
        };
        tokio::spawn(serve_with(listener, Arc::new(Dummy), timeouts));
        addr
    }

    /// A parsed response: status, lowercased header lines, body.
    struct Reply {
        status: u16,
        headers: String,
        body: Vec<u8>,
    }

    async fn read_reply(stream: &mut TcpStream) -> Reply {
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.unwrap();
        let end = find_head_end(&raw, 0).expect("a response head");
        let head = std::str::from_utf8(&raw[..end])
            .unwrap()
            .to_ascii_lowercase();
        let status = head[9..12].parse().unwrap();
        let body = raw[end..].to_vec();
        let length = format!("content-length: {}\r\n", body.len());
        assert!(
            head.contains(&length) || head.starts_with("http/1.1 200"),
            "{head}"
        );
        assert!(head.contains("connection: close\r\n"), "{head}");
        Reply {
            status,
            headers: head,
            body,
        }
    }

    async fn request(addr: SocketAddr, raw: &[u8]) -> Reply {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(raw).await.unwrap();
        read_reply(&mut stream).await
    }

    fn post(content_type: &str, body: &[u8]) -> Vec<u8> {
        let mut raw = format!(
            "POST /offer HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        raw.extend_from_slice(body);
        raw
    }

    #[tokio::test]
    async fn serves_page() {
        let addr = start().await;
        let r = request(addr, b"GET /?media=vp8 HTTP/1.1\r\nHost: t\r\n\r\n").await;
        assert_eq!(r.status, 200);
        assert!(r.headers.contains("content-type: text/html"));
        assert_eq!(r.body, PAGE.as_bytes());

        let r = request(addr, b"HEAD / HTTP/1.1\r\n\r\n").await;
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
        let length = format!("content-length: {}\r\n", PAGE.len());
        assert!(r.headers.contains(&length));
    }

    #[tokio::test]
    async fn answers_offer() {
        let addr = start().await;
        let r = request(addr, &post("application/sdp", b"v=0\r\n")).await;
        assert_eq!(r.status, 201);
        assert!(r.headers.contains("content-type: application/sdp\r\n"));
        assert_eq!(r.body, b"answer to v=0\r\n");
    }

    #[tokio::test]
    async fn server_offers_and_takes_the_answer() {
        let addr = start().await;
        let r = request(addr, b"POST /session HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
        assert_eq!(r.status, 201);
        assert!(
            r.headers.contains("location: /answer/7\r\n"),
            "{}",
            r.headers
        );
        assert_eq!(r.body, b"v=0 server offer");
        let answer = |path: &str, ct: &str, body: &str| {
            format!(
                "POST {path} HTTP/1.1\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let r = request(
            addr,
            answer("/answer/7", "application/sdp", "v=0\r\n").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 204);
        let r = request(
            addr,
            answer("/answer/8", "application/sdp", "v=0\r\n").as_bytes(),
        )
        .await;
        assert_eq!((r.status, r.body.as_slice()), (400, &b"no session 8\n"[..]));
        let r = request(
            addr,
            answer("/answer/7", "text/plain", "v=0\r\n").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 415);
        let r = request(
            addr,
            answer("/answer/x", "application/sdp", "v=0").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 404);
        let r = request(addr, b"GET /session HTTP/1.1\r\n\r\n").await;
        assert_eq!(r.status, 405);
    }

    #[tokio::test]
    async fn refuses_bad_offers() {
        let addr = start().await;
        let r = request(addr, &post("application/sdp", b"hello")).await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (400, &b"not an SDP offer\n"[..])
        );

        let r = request(addr, &post("application/sdp", b"v=0\xff")).await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (400, &b"SDP is not UTF-8\n"[..])
        );

        let r = request(addr, &post("text/plain", b"v=0\r\n")).await;
        assert_eq!(r.status, 415);
        assert!(r.headers.contains("content-type: text/plain"));

        let r = request(
            addr,
            b"POST /offer HTTP/1.1\r\nContent-Length: 3\r\n\r\nv=0",
        )
        .await;
        assert_eq!(r.status, 415);

        let r = request(
            addr,
            b"POST /offer HTTP/1.1\r\nContent-Type: application/sdp\r\n\r\n",
        )
        .await;
        assert_eq!(r.status, 411);

        let big = "POST /offer HTTP/1.1\r\nContent-Type: application/sdp\r\n\
                   Content-Length: 70000\r\n\r\n";
        assert_eq!(request(addr, big.as_bytes()).await.status, 413);
    }

    #[tokio::test]
    async fn other_paths_and_methods() {
        let addr = start().await;
        let r = request(addr, b"GET /offer HTTP/1.1\r\n\r\n").await;
        assert_eq!(r.status, 405);
        assert!(r.headers.contains("allow: post\r\n"));
        let r = request(addr, b"PUT / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await;
        assert_eq!(r.status, 405);
        assert_eq!(
            request(addr, b"GET /nope HTTP/1.1\r\n\r\n").await.status,
            404
        );
        assert_eq!(request(addr, b"GET / HTTP/3\r\n\r\n").await.status, 505);
        assert_eq!(request(addr, b"hello\r\n\r\n").await.status, 400);
    }

    #[tokio::test]
    async fn oversized_head() {
        let addr = start().await;
        let mut raw = b"GET / HTTP/1.1\r\nX: ".to_vec();
        raw.resize(MAX_HEAD + 10, b'a');
        raw.extend_from_slice(b"\r\n\r\n");
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer and close before taking everything: ignore the write's result.
        let _ = stream.write_all(&raw).await;
        assert_eq!(read_reply(&mut stream).await.status, 431);
    }

    #[tokio::test]
    async fn expect_continue() {
        let addr = start().await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(
                b"POST /offer HTTP/1.1\r\nContent-Type: application/sdp\r\n\
                  Content-Length: 5\r\nExpect: 100-continue\r\n\r\n",
            )
            .await
            .unwrap();
        let mut interim = [0u8; 25];
        stream.read_exact(&mut interim).await.unwrap();
        assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
        stream.write_all(b"v=0\r\n").await.unwrap();
        let r = read_reply(&mut stream).await;
        assert_eq!(
            (r.status, r.body.as_slice()),
            (201, &b"answer to v=0\r\n"[..])
        );
    }

    #[tokio::test]
    async fn body_split_across_writes() {
        let addr = start().await;
        let raw = post("application/sdp", b"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for piece in raw.chunks(7) {
            stream.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(read_reply(&mut stream).await.status, 201);
    }

    #[tokio::test]
    async fn timeouts() {
        let addr = start().await;
        // A request that never completes: 408, not a hung connection.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        assert_eq!(read_reply(&mut stream).await.status, 408);
        let raw = post("application/sdp", b"v=0");
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&raw[..raw.len() - 2]).await.unwrap();
        assert_eq!(read_reply(&mut stream).await.status, 408);
        // An answer that never comes: 503, never 201.
        assert_eq!(
            request(addr, &post("application/sdp", b"slow"))
                .await
                .status,
            503
        );
    }

    #[tokio::test]
    async fn survives_abrupt_clients() {
        let addr = start().await;
        drop(TcpStream::connect(addr).await.unwrap());
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"GET / HT").await.unwrap();
        drop(stream);
        assert_eq!(request(addr, b"GET / HTTP/1.1\r\n\r\n").await.status, 200);
    }
}
