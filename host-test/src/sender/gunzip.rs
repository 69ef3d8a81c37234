//! Reply bodies gzipped by the server are decoded here, natively, before the component reads
//! them: the component asks for gzip on every request and decodes it itself when a host
//! hands it a gzipped body (`src/gzip.rs`, compiled for size), but this host decodes it
//! several times faster. The reply then says no `Content-Encoding` and no `Content-Length`,
//! so the component reads plain bytes. Decoded bytes go out as they come (a body cut short
//! still hands over what it held, then the error); a body that is not gzip is an error.

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

/// A gzipped body, decoded as it streams in.
pub(super) struct Gunzip<B> {
    inner: B,
    decoder: Option<MultiGzDecoder<Vec<u8>>>,
}

impl<B> Gunzip<B> {
    pub(super) fn new(inner: B) -> Self {
        Gunzip {
            inner,
            decoder: Some(MultiGzDecoder::new(Vec::new())),
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
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers: nothing to decode
                    };
                    if let Err(e) = decoder.write_all(&data) {
                        this.decoder = None;
                        return Poll::Ready(Some(Err(bad(&e))));
                    }
                    let out = std::mem::take(decoder.get_mut());
                    if !out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out)))));
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
