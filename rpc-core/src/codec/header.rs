//! The 16-byte Dubbo frame header.
//!
//! # Format
//!
//! ```text
//! 0      2      3       4                        12             16
//! +------+------+-------+------------------------+--------------+
//! | DA BB| flags| status| request id (i64, BE)   | body length  |
//! +------+------+-------+------------------------+--------------+
//! flags: 0x80 request, 0x40 two-way, 0x20 event, low 5 bits = serialization id
//! ```

use bytes::{Buf, BufMut};

use crate::status::StatusCode;

/// Length of the header in bytes.
pub const HEADER_LEN: usize = 16;
/// The magic number that opens every frame.
pub const MAGIC: u16 = 0xdabb;
/// Set on requests (and request events), clear on responses.
pub const FLAG_REQUEST: u8 = 0x80;
/// Set on requests that expect a response.
pub const FLAG_TWO_WAY: u8 = 0x40;
/// Set on heartbeats and other events.
pub const FLAG_EVENT: u8 = 0x20;
/// The serialization id lives in the low five bits of the flags byte.
pub const SERIALIZATION_MASK: u8 = 0x1f;
/// Serialization id of Hessian 2.
pub const HESSIAN2: u8 = 2;

/// A decoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The flags byte: request, two-way and event bits plus the serialization id.
    pub flags: u8,
    /// The status byte; meaningful on responses only.
    pub status: StatusCode,
    /// The request id, echoed unchanged in the response. Java's ids can be negative; it is
    /// opaque to us.
    pub id: u64,
    /// Length of the body that follows.
    pub body_len: u32,
}

impl Header {
    /// Header of a two-way Hessian 2 request.
    pub fn request(id: u64, body_len: u32) -> Self {
        Header {
            flags: FLAG_REQUEST | FLAG_TWO_WAY | HESSIAN2,
            status: StatusCode(0),
            id,
            body_len,
        }
    }

    /// Header of a response to `request`, with the request's serialization id (Java
    /// consumers reject any other).
    pub fn response_to(request: &Header, status: StatusCode, body_len: u32) -> Self {
        Header {
            flags: request.serialization(),
            status,
            id: request.id,
            body_len,
        }
    }

    /// Header of the response to a two-way event (a heartbeat): the event flag, the
    /// request's serialization id and id, an OK status.
    pub fn event_response(request: &Header, body_len: u32) -> Self {
        Header {
            flags: FLAG_EVENT | request.serialization(),
            ..Header::response_to(request, StatusCode::OK, body_len)
        }
    }

    /// Whether this frame is a request.
    pub fn is_request(&self) -> bool {
        self.flags & FLAG_REQUEST != 0
    }

    /// Whether this request expects a response. Meaningless on responses.
    pub fn is_two_way(&self) -> bool {
        self.flags & FLAG_TWO_WAY != 0
    }

    /// Whether this frame is an event (heartbeat, readonly notice).
    pub fn is_event(&self) -> bool {
        self.flags & FLAG_EVENT != 0
    }

    /// The serialization id.
    pub fn serialization(&self) -> u8 {
        self.flags & SERIALIZATION_MASK
    }

    /// Writes the header.
    pub fn write(&self, dst: &mut impl BufMut) {
        // One copy of the assembled bytes, not five puts that each check for room.
        dst.put_slice(&self.to_bytes());
    }

    /// The header's [`HEADER_LEN`] bytes.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0; HEADER_LEN];
        bytes[..2].copy_from_slice(&MAGIC.to_be_bytes());
        bytes[2] = self.flags;
        bytes[3] = self.status.0;
        bytes[4..12].copy_from_slice(&self.id.to_be_bytes());
        bytes[12..].copy_from_slice(&self.body_len.to_be_bytes());
        bytes
    }

    /// Reads a header from exactly [`HEADER_LEN`] bytes; `None` when the magic is wrong.
    pub fn read(mut src: &[u8]) -> Option<Header> {
        debug_assert!(src.len() >= HEADER_LEN);
        if src.get_u16() != MAGIC {
            return None;
        }
        Some(Header {
            flags: src.get_u8(),
            status: StatusCode(src.get_u8()),
            id: src.get_u64(),
            body_len: src.get_u32(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_way_request_flags_are_c2() {
        assert_eq!(Header::request(1, 0).flags, 0xC2);
    }

    #[test]
    fn response_keeps_request_serialization_and_id() {
        let req = Header {
            flags: FLAG_REQUEST | FLAG_TWO_WAY | 23,
            status: StatusCode(0),
            id: u64::MAX - 4,
            body_len: 9,
        };
        let resp = Header::response_to(&req, StatusCode::OK, 3);
        assert_eq!(resp.flags, 23);
        assert_eq!(resp.id, req.id);
        assert!(!resp.is_request());
    }

    #[test]
    fn header_round_trips_through_bytes() {
        let h = Header {
            flags: 0xE2,
            status: StatusCode(0),
            id: 0x0102_0304_0506_0708,
            body_len: 1,
        };
        let mut buf = Vec::new();
        h.write(&mut buf);
        assert_eq!(
            buf,
            [0xda, 0xbb, 0xe2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1]
        );
        assert_eq!(Header::read(&buf), Some(h));
    }

    #[test]
    fn bad_magic_is_rejected() {
        let buf = [0u8; HEADER_LEN];
        assert_eq!(Header::read(&buf), None);
    }

    #[test]
    fn event_bits_are_read() {
        let h = Header::read(&[0xda, 0xbb, 0x22, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]).unwrap();
        assert!(h.is_event());
        assert!(!h.is_request());
        assert_eq!(h.status, StatusCode::OK);
        assert_eq!(h.serialization(), HESSIAN2);
    }
}
