//! Dubbo response status codes (byte 3 of a response header).

use std::fmt;

/// The status byte of a Dubbo response, as defined by Java's `Response` class.
///
/// Values outside the known set are kept as they are, so an unexpected status from a peer
/// is reported rather than rejected.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusCode(pub u8);

impl StatusCode {
    /// 20: the call was handled (a business exception is still status OK).
    pub const OK: StatusCode = StatusCode(20);
    /// 25: the provider's encoded response exceeded the payload limit.
    pub const SERIALIZATION_ERROR: StatusCode = StatusCode(25);
    /// 30: local only; the request was never sent before the timeout.
    pub const CLIENT_TIMEOUT: StatusCode = StatusCode(30);
    /// 31: local only; the request was sent but no response came in time.
    pub const SERVER_TIMEOUT: StatusCode = StatusCode(31);
    /// 35: local only; the channel closed with the request pending.
    pub const CHANNEL_INACTIVE: StatusCode = StatusCode(35);
    /// 40: the provider could not decode the request.
    pub const BAD_REQUEST: StatusCode = StatusCode(40);
    /// 50: the provider failed to encode its response.
    pub const BAD_RESPONSE: StatusCode = StatusCode(50);
    /// 60: service not found (defined by Java, not emitted by 3.3).
    pub const SERVICE_NOT_FOUND: StatusCode = StatusCode(60);
    /// 70: the provider failed while handling the call (unknown exporter, filter failure).
    pub const SERVICE_ERROR: StatusCode = StatusCode(70);
    /// 80: the provider's dispatcher failed.
    pub const SERVER_ERROR: StatusCode = StatusCode(80);
    /// 90: local only; the consumer failed to decode the response.
    pub const CLIENT_ERROR: StatusCode = StatusCode(90);
    /// 100: the provider's thread pool was exhausted.
    pub const SERVER_THREADPOOL_EXHAUSTED: StatusCode = StatusCode(100);

    /// The name Java gives this status, if it is a known one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            20 => "OK",
            25 => "SERIALIZATION_ERROR",
            30 => "CLIENT_TIMEOUT",
            31 => "SERVER_TIMEOUT",
            35 => "CHANNEL_INACTIVE",
            40 => "BAD_REQUEST",
            50 => "BAD_RESPONSE",
            60 => "SERVICE_NOT_FOUND",
            70 => "SERVICE_ERROR",
            80 => "SERVER_ERROR",
            90 => "CLIENT_ERROR",
            100 => "SERVER_THREADPOOL_EXHAUSTED_ERROR",
            _ => return None,
        })
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_status_displays_java_name() {
        assert_eq!(StatusCode::BAD_REQUEST.to_string(), "40 (BAD_REQUEST)");
    }

    #[test]
    fn unknown_status_displays_number_only() {
        assert_eq!(StatusCode(7).to_string(), "7");
    }
}
