//! The `x-request-id` every response carries, so a client's report, a
//! proxy's access log and our own log lines of one request can be joined.
//!
//! A caller (or a proxy in front of us) may choose the id; we keep it when
//! it is sane and otherwise make one up (a UUID v4). [`drop_insane`] runs
//! first and removes an unusable id, tower-http's `SetRequestId` then fills
//! in a fresh one, the trace span records it, and `PropagateRequestId`
//! copies it onto the response.
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::http::header::HeaderName;

/// The header that carries the id, both ways.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id we take from a caller: long enough for any tracing
/// system's ids, short enough that a log line stays a log line.
pub const MAX_LEN: usize = 200;

/// Whether a caller's id may be kept: 1 to [`MAX_LEN`] visible ASCII
/// characters. No spaces or control characters, so it cannot break a
/// log line or forge another field in the text format.
pub fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=MAX_LEN).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic)
}

/// Removes an incoming `x-request-id` that is not sane, or that is given
/// more than once (which one would we believe?), so that a fresh id is
/// generated in its place. A bad id is never an error: the request goes on.
pub async fn drop_insane(mut req: Request) -> Request {
    let keep = {
        let mut values = req.headers().get_all(&X_REQUEST_ID).iter();
        match (values.next(), values.next()) {
            (Some(v), None) => is_sane(v),
            (None, _) => true,
            _ => false,
        }
    };
    if !keep {
        req.headers_mut().remove(&X_REQUEST_ID);
    }
    req
}

/// The id of a request as a string for its log span; `-` before one is set.
pub fn of(req: &Request) -> &str {
    req.headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(bytes: &[u8]) -> HeaderValue {
        HeaderValue::from_bytes(bytes).unwrap()
    }

    #[test]
    fn sane_ids_are_short_visible_ascii() {
        assert!(is_sane(&value(b"abc-123")));
        assert!(is_sane(&value(b"0af7651916cd43dd8448eb211c80319c")));
        assert!(is_sane(&value(&[b'x'; MAX_LEN])));
        assert!(!is_sane(&value(&[b'x'; MAX_LEN + 1])));
        assert!(!is_sane(&value(b"")));
        assert!(!is_sane(&value(b"two words")));
        assert!(!is_sane(&value(b"tab\there")));
        assert!(!is_sane(&value("caf\u{e9}".as_bytes())));
    }

    #[tokio::test]
    async fn insane_and_repeated_ids_are_dropped() {
        let with = |ids: &[&[u8]]| {
            let mut req = Request::new(axum::body::Body::empty());
            for id in ids {
                req.headers_mut().append(&X_REQUEST_ID, value(id));
            }
            req
        };
        let kept = drop_insane(with(&[b"ok-1"])).await;
        assert_eq!(of(&kept), "ok-1");
        assert_eq!(of(&drop_insane(with(&[])).await), "-");
        assert_eq!(of(&drop_insane(with(&[b"a b"])).await), "-");
        let twice = drop_insane(with(&[b"a", b"b"])).await;
        assert!(twice.headers().get(&X_REQUEST_ID).is_none());
    }
}
