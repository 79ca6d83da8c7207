//! The Dubbo wire format: frame header, request/response bodies, and a tokio-util codec.
//!
//! [`DubboCodec`] splits a byte stream into [`Frame`]s. It checks the body length announced
//! by the header against the frame limit **before** buffering the body: an oversized frame is
//! reported as [`Decoded::Oversized`] and its body is then discarded as it streams in, so a
//! peer cannot make us buffer more than the limit and the connection survives. Only a corrupt
//! header (wrong magic) is a stream error, because framing is lost after it.
//!
//! Bodies are parsed separately ([`body`]), off the connection's read loop, so one slow or
//! malformed body never stalls the frames behind it.

pub mod body;
mod error;
pub mod header;
pub mod request;
mod scratch;

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

pub use self::error::CodecError;
pub use self::header::{Header, HEADER_LEN};
pub(crate) use self::scratch::with_scratch;

/// The default frame limit: Dubbo's `payload` default of 8 MiB.
pub const DEFAULT_MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// A whole frame: header plus body bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header.
    pub header: Header,
    /// The body (its length is `header.body_len`).
    pub body: Bytes,
}

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A complete frame.
    Frame(Frame),
    /// A frame whose announced body exceeds the limit. Its body is skipped; the header is
    /// handed up so the request can be answered (or the pending call failed) by id.
    Oversized(Header),
}

/// Splits a byte stream into Dubbo frames and writes frames back.
#[derive(Debug)]
pub struct DubboCodec {
    max_frame_len: usize,
    /// Bytes of an oversized body still to be thrown away.
    skipping: usize,
}

impl DubboCodec {
    /// A codec with the given body limit in bytes.
    pub fn new(max_frame_len: usize) -> Self {
        DubboCodec {
            max_frame_len,
            skipping: 0,
        }
    }

    /// The body limit in bytes.
    pub fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

impl Default for DubboCodec {
    fn default() -> Self {
        DubboCodec::new(DEFAULT_MAX_FRAME_LEN)
    }
}

impl Decoder for DubboCodec {
    type Item = Decoded;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Decoded>, CodecError> {
        if self.skipping > 0 {
            let n = self.skipping.min(src.len());
            src.advance(n);
            self.skipping -= n;
            if self.skipping > 0 {
                return Ok(None);
            }
        }
        if src.len() < HEADER_LEN {
            // Not an error: the rest of the header has not arrived yet.
            return Ok(None);
        }
        let header = Header::read(&src[..HEADER_LEN]).ok_or(CodecError::BadMagic {
            found: [src[0], src[1]],
        })?;
        let body_len = header.body_len as usize;
        if body_len > self.max_frame_len {
            src.advance(HEADER_LEN);
            self.skipping = body_len;
            let n = self.skipping.min(src.len());
            src.advance(n);
            self.skipping -= n;
            return Ok(Some(Decoded::Oversized(header)));
        }
        let frame_len = HEADER_LEN + body_len;
        if src.len() < frame_len {
            // Reserve the whole frame once, so the body arrives without repeated growth.
            src.reserve(frame_len - src.len());
            return Ok(None);
        }
        src.advance(HEADER_LEN);
        let body = src.split_to(body_len).freeze();
        Ok(Some(Decoded::Frame(Frame { header, body })))
    }
}

impl Encoder<Frame> for DubboCodec {
    type Error = CodecError;

    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        write_frame(&frame.header, &frame.body, dst);
        Ok(())
    }
}

/// Appends a frame to `dst`, with the header's body length set from `body`.
pub fn write_frame(header: &Header, body: &[u8], dst: &mut BytesMut) {
    dst.reserve(HEADER_LEN + body.len());
    let header = Header {
        body_len: body.len() as u32,
        ..*header
    };
    header.write(dst);
    dst.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::StatusCode;

    fn frame_bytes(id: u64, body: &[u8]) -> BytesMut {
        let mut buf = BytesMut::new();
        write_frame(&Header::request(id, 0), body, &mut buf);
        buf
    }

    #[test]
    fn decode_incomplete_header_waits() {
        let mut codec = DubboCodec::default();
        let mut buf = BytesMut::from(&frame_bytes(1, b"abc")[..10]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(buf.len(), 10);
    }

    #[test]
    fn decode_body_split_across_reads() {
        let mut codec = DubboCodec::default();
        let all = frame_bytes(7, b"hello");
        let mut buf = BytesMut::new();
        for (i, b) in all.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let out = codec.decode(&mut buf).unwrap();
            if i + 1 < all.len() {
                assert_eq!(out, None, "frame yielded early at byte {i}");
            } else {
                match out {
                    Some(Decoded::Frame(f)) => {
                        assert_eq!(f.header.id, 7);
                        assert_eq!(&f.body[..], b"hello");
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
    }

    #[test]
    fn decode_two_frames_in_one_read() {
        let mut codec = DubboCodec::default();
        let mut buf = frame_bytes(1, b"a");
        buf.extend_from_slice(&frame_bytes(2, b"bb"));
        let ids: Vec<u64> = std::iter::from_fn(|| match codec.decode(&mut buf).unwrap() {
            Some(Decoded::Frame(f)) => Some(f.header.id),
            _ => None,
        })
        .collect();
        assert_eq!(ids, [1, 2]);
    }

    #[test]
    fn decode_bad_magic_is_a_stream_error() {
        let mut codec = DubboCodec::default();
        let mut buf = BytesMut::from(&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..]);
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(err, CodecError::BadMagic { .. }), "{err}");
    }

    #[test]
    fn decode_oversized_frame_is_reported_before_body_arrives_and_skipped() {
        let mut codec = DubboCodec::new(8);
        let mut header_only = BytesMut::new();
        Header::request(9, 1 << 30).write(&mut header_only);
        let out = codec.decode(&mut header_only).unwrap();
        match out {
            Some(Decoded::Oversized(h)) => {
                assert_eq!(h.id, 9);
                assert_eq!(h.body_len, 1 << 30);
            }
            other => panic!("unexpected {other:?}"),
        }
        // The codec never reserved room for the announced body.
        assert!(header_only.capacity() < 1 << 20);
        assert!(codec.skipping > 0);
    }

    #[test]
    fn decode_resumes_after_skipping_an_oversized_body() {
        let mut codec = DubboCodec::new(4);
        let mut buf = frame_bytes(1, b"0123456789");
        buf.extend_from_slice(&frame_bytes(2, b"ok"));
        assert!(matches!(
            codec.decode(&mut buf).unwrap(),
            Some(Decoded::Oversized(_))
        ));
        match codec.decode(&mut buf).unwrap() {
            Some(Decoded::Frame(f)) => assert_eq!(f.header.id, 2),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn decode_frame_at_exact_limit_is_accepted() {
        let mut codec = DubboCodec::new(3);
        let mut buf = frame_bytes(1, b"abc");
        assert!(matches!(
            codec.decode(&mut buf).unwrap(),
            Some(Decoded::Frame(_))
        ));
    }

    #[test]
    fn encode_sets_body_length_from_body() {
        let mut codec = DubboCodec::default();
        let mut dst = BytesMut::new();
        let header = Header::response_to(&Header::request(5, 0), StatusCode::OK, 999);
        codec
            .encode(
                Frame {
                    header,
                    body: Bytes::from_static(b"xy"),
                },
                &mut dst,
            )
            .unwrap();
        assert_eq!(&dst[12..16], &[0, 0, 0, 2]);
        assert_eq!(dst.len(), HEADER_LEN + 2);
    }
}
