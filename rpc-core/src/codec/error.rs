use std::io;

/// A failure of the frame codec that loses framing; the connection must be closed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The stream does not start with Dubbo's magic number: not a Dubbo peer, or framing
    /// was lost.
    #[error(
        "bad magic {found:02x?}: expected [da, bb]; the peer does not speak the dubbo protocol"
    )]
    BadMagic {
        /// The two bytes found.
        found: [u8; 2],
    },
    /// Reading or writing the socket failed.
    #[error("i/o error")]
    Io(#[from] io::Error),
}
