//! The body of an answer on the wire: whole, or cut short on purpose (the `truncate_next`
//! fault): the full length is announced, half of the bytes are sent, then the body fails and
//! hyper closes the connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

#[derive(Debug)]
pub(crate) enum ReplyBody {
    Whole(Option<Bytes>),
    CutShort {
        sent: Option<Bytes>,
        /// Whether the body has paused once after the half, so hyper flushes it.
        paused: bool,
        announced: u64,
    },
}

impl ReplyBody {
    pub(crate) fn whole(bytes: impl Into<Bytes>) -> ReplyBody {
        ReplyBody::Whole(Some(bytes.into()))
    }

    /// Announces all of `bytes` and sends the first half.
    pub(crate) fn cut_short(bytes: &[u8]) -> ReplyBody {
        ReplyBody::CutShort {
            sent: Some(Bytes::copy_from_slice(&bytes[..bytes.len() / 2])),
            paused: false,
            announced: bytes.len() as u64,
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let frame = match self.get_mut() {
            ReplyBody::Whole(bytes) => bytes
                .take()
                .filter(|b| !b.is_empty())
                .map(|b| Ok(Frame::data(b))),
            ReplyBody::CutShort { sent, paused, .. } => {
                if let Some(half) = sent.take() {
                    Some(Ok(Frame::data(half)))
                } else if !*paused {
                    // hyper flushes what it has while the body is pending: the head and the
                    // half reach the client before the connection is dropped.
                    *paused = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                } else {
                    Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "injected: reply body cut short",
                    )))
                }
            }
        };
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, ReplyBody::Whole(bytes) if bytes.as_ref().is_none_or(Bytes::is_empty))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReplyBody::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ReplyBody::CutShort { announced, .. } => SizeHint::with_exact(*announced),
        }
    }
}
