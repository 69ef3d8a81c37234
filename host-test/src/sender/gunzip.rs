//! Reply bodies gzipped by the server are decoded here, natively, before the component reads
//! them: the component asks for gzip on every request and decodes it itself when a host
//! hands it a gzipped body (`src/gzip.rs`, compiled for size), but this host decodes it
//! several times faster. The reply then says no `Content-Encoding` and no `Content-Length`,
//! so the component reads plain bytes. Decoded bytes go out as they come (a body cut short
//! still hands over what it held, then the error); a body that is not gzip is an error.
//!
//! A frame of the reply is decoded at most [`OUT`] bytes at a time, the rest of it kept
//! compressed until the body is read again: wasi:http holds one decoded frame per body, and
//! a 400 KB frame of CSV decoded whole was ~3 MB (13 MB of host heap for a 2.0 query reading
//! four pages at once).

use std::io::Write as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use flate2::write::MultiGzDecoder;
use http::HeaderMap;
use http::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use hyper::body::{Body, Frame};
use wasmtime_wasi_http::Error;

/// Whether a reply's body is gzip (exactly one coding, `gzip`), as the component judges it.
pub(super) fn is_gzip(headers: &HeaderMap) -> bool {
    let mut codings = headers.get_all(CONTENT_ENCODING).iter();
    matches!(
        (codings.next(), codings.next()),
        (Some(v), None) if v.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case("gzip"))
    )
}

/// Drops the headers that described the gzipped body.
pub(super) fn plain_headers(headers: &mut HeaderMap) {
    headers.remove(CONTENT_ENCODING);
    headers.remove(CONTENT_LENGTH);
}

/// About the most decoded bytes one frame of a decoded body holds (the decoder adds up to
/// its own 32 KiB buffer).
pub(super) const OUT: usize = 64 * 1024;

/// A gzipped body, decoded as it streams in.
pub(super) struct Gunzip<B> {
    inner: B,
    decoder: Option<MultiGzDecoder<Vec<u8>>>,
    /// Compressed bytes received and not decoded yet.
    pending: Bytes,
}

impl<B> Gunzip<B> {
    pub(super) fn new(inner: B) -> Self {
        Gunzip {
            inner,
            decoder: Some(MultiGzDecoder::new(Vec::new())),
            pending: Bytes::new(),
        }
    }
}

fn bad(e: &std::io::Error) -> Error {
    Error::InternalError(Some(format!("gzip body cannot be decoded: {e}")))
}

impl<B> Body for Gunzip<B>
where
    B: Body<Data = Bytes, Error = Error> + Unpin,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        loop {
            let Some(decoder) = this.decoder.as_mut() else {
                return Poll::Ready(None);
            };
            // What is pending first, until about `OUT` bytes are decoded.
            while !this.pending.is_empty() && decoder.get_ref().len() < OUT {
                let written = decoder.write(&this.pending).and_then(|n| match n {
                    0 => Err(std::io::ErrorKind::WriteZero.into()),
                    n => Ok(n),
                });
                match written {
                    Ok(n) => drop(this.pending.split_to(n)),
                    Err(e) => {
                        this.decoder = None;
                        return Poll::Ready(Some(Err(bad(&e))));
                    }
                }
            }
            let out = std::mem::take(decoder.get_mut());
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
            }
            // Nothing decoded: everything pending went in (the loop stops early only with
            // `OUT` bytes out), so the next frame is needed.
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers have nothing to decode.
                    if let Ok(data) = frame.into_data() {
                        this.pending = data;
                    }
                }
                Poll::Ready(None) => {
                    let mut decoder = this.decoder.take().expect("checked above");
                    let done = decoder.try_finish();
                    let out = std::mem::take(decoder.get_mut());
                    return match done {
                        Err(e) => Poll::Ready(Some(Err(bad(&e)))),
                        Ok(()) if out.is_empty() => Poll::Ready(None),
                        Ok(()) => Poll::Ready(Some(Ok(Frame::data(Bytes::from(out))))),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use http_body_util::{BodyExt as _, Full};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Every data frame of `body` decoded, each checked to be at most about `OUT` bytes.
    async fn frames(body: Bytes) -> Result<Vec<u8>, Error> {
        let inner = Full::new(body).map_err(|never| match never {});
        let mut body = Gunzip::new(inner);
        let mut out = Vec::new();
        while let Some(frame) = body.frame().await {
            let data = frame?.into_data().unwrap();
            assert!(
                data.len() <= OUT + 32 * 1024,
                "a frame of {} bytes",
                data.len()
            );
            out.extend_from_slice(&data);
        }
        Ok(out)
    }

    /// A frame that inflates to megabytes (CSV compresses ~10x, repeated text far more)
    /// comes out in pieces of about `OUT`, whole, members after one another.
    #[tokio::test]
    async fn a_large_frame_is_decoded_a_piece_at_a_time() {
        let mut csv = String::from("Id,Name\n");
        for i in 0..200_000 {
            csv.push_str(&format!("001{i:015},Account {i}\n"));
        }
        let one = gzip(csv.as_bytes());
        assert!(
            csv.len() > 40 * one.len() / 10,
            "{} from {}",
            csv.len(),
            one.len()
        );
        let two = [one.clone(), gzip(b"more\n")].concat();
        assert_eq!(frames(Bytes::from(one)).await.unwrap(), csv.as_bytes());
        let both = frames(Bytes::from(two)).await.unwrap();
        assert_eq!(both, [csv.as_bytes(), b"more\n"].concat());
        // Not gzip: an error, not a hang.
        let e = frames(Bytes::from_static(b"plain text, not gzip")).await;
        assert!(e.is_err());
    }
}
