//! The TCP listener the server accepts on, with connections that turn
//! hyper's own error answers into problem+json.
//!
//! A request hyper cannot parse — a malformed request line or header, a
//! request target over its 64 KiB limit, headers over its buffer — never
//! reaches the application: hyper answers it itself, with a status and an
//! empty body, and closes the connection. Every other error of the service
//! is `application/problem+json` with a stable `code`, so clients would
//! have to handle these few specially. The connection therefore watches
//! what hyper writes: a response head of exactly that automatic shape
//! (`400`, `414` or `431`, `content-length: 0`, no content type) is
//! replaced, before it leaves, by the same status with a problem body.
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A [`TcpListener`] whose connections answer parse errors as problems.
pub struct ProblemListener(pub TcpListener);

impl Listener for ProblemListener {
    type Io = ProblemConn;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, addr) = Listener::accept(&mut self.0).await;
        (
            ProblemConn {
                inner: stream,
                pending: Vec::new(),
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// One accepted connection; see the module doc.
pub struct ProblemConn {
    inner: TcpStream,
    /// A replacement response not yet fully written.
    pending: Vec<u8>,
}

/// The problem answering hyper's automatic response with `status`, if it
/// is one of those.
fn problem_for(head: &[u8]) -> Option<(&'static str, &'static str, &'static str)> {
    let text = std::str::from_utf8(head).ok()?;
    let lower = text.to_ascii_lowercase();
    if !lower.contains("\r\ncontent-length: 0\r\n") || lower.contains("\r\ncontent-type:") {
        return None;
    }
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    Some(match status {
        "414" => (
            "414 URI Too Long",
            "uri_too_long",
            "the request target is longer than the server accepts (64 KiB)",
        ),
        "431" => (
            "431 Request Header Fields Too Large",
            "headers_too_large",
            "the request headers are larger than the server accepts",
        ),
        "400" => (
            "400 Bad Request",
            "malformed_request",
            "the request line or a header is not valid HTTP/1.1",
        ),
        _ => return None,
    })
}

/// The full replacement of an automatic response head.
fn replacement(head: &[u8]) -> Option<Vec<u8>> {
    let (status_line, code, detail) = problem_for(head)?;
    let (number, title) = status_line.split_once(' ')?;
    let body = serde_json::json!({
        "type": format!("https://spares.dev/problems/{code}"),
        "title": title,
        "status": number.parse::<u16>().ok()?,
        "detail": detail,
        "code": code,
    })
    .to_string();
    Some(
        format!(
            "HTTP/1.1 {status_line}\r\ncontent-type: application/problem+json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl ProblemConn {
    /// Writes what is pending; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..n);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for ProblemConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ProblemConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.poll_pending(cx))?;
        if buf.starts_with(b"HTTP/1.1 4")
            && let Some(answer) = replacement(buf)
        {
            self.pending = answer;
            // The original head counts as written: its replacement is sent
            // in its place, now or at the next write or flush.
            let _ = self.poll_pending(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_empty_error_heads_are_replaced() {
        let automatic = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(replacement(automatic).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"));
        assert!(answer.contains("content-type: application/problem+json"));
        let body: serde_json::Value =
            serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(body["code"], "uri_too_long");
        assert_eq!(body["status"], 414);
        let len: usize = answer
            .split("content-length: ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(len, answer.split("\r\n\r\n").nth(1).unwrap().len());

        // The application's own answers pass untouched.
        let ours = b"HTTP/1.1 414 URI Too Long\r\ncontent-type: application/problem+json\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ours).is_none());
        let ok = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert!(replacement(ok).is_none());
    }
}
