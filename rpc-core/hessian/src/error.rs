//! Error type: every error carries the byte offset where it was detected.

use std::fmt;

/// What went wrong while encoding or decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended in the middle of a value.
    UnexpectedEof,
    /// A tag byte that is not valid at this point.
    UnexpectedTag {
        /// The offending byte.
        tag: u8,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A string is not valid (CESU-8 / UTF-8) text.
    InvalidUtf8,
    /// A length prefix is negative or larger than the remaining input.
    InvalidLength(i64),
    /// Nesting deeper than [`crate::Limits::max_depth`].
    DepthLimitExceeded(usize),
    /// A back-reference (`Q`) to a value that does not exist.
    InvalidRef(i64),
    /// A class-definition index that does not exist.
    InvalidClassRef(i64),
    /// A type-table index that does not exist.
    InvalidTypeRef(i64),
    /// A number does not fit the requested Rust type.
    NumberOutOfRange,
    /// A value cannot be represented (e.g. a cycle decoded into a typed value).
    Unsupported(String),
    /// The whole input was not consumed where it had to be.
    TrailingBytes,
    /// A message from serde (`Error::custom`).
    Message(String),
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::UnexpectedEof => f.write_str("unexpected end of input"),
            ErrorKind::UnexpectedTag { tag, expected } => {
                write!(f, "unexpected tag 0x{tag:02x}, expected {expected}")
            }
            ErrorKind::InvalidUtf8 => f.write_str("invalid utf-8/cesu-8 string"),
            ErrorKind::InvalidLength(n) => write!(f, "invalid length {n}"),
            ErrorKind::DepthLimitExceeded(n) => write!(f, "nesting deeper than {n}"),
            ErrorKind::InvalidRef(n) => write!(f, "invalid back-reference {n}"),
            ErrorKind::InvalidClassRef(n) => write!(f, "invalid class definition index {n}"),
            ErrorKind::InvalidTypeRef(n) => write!(f, "invalid type index {n}"),
            ErrorKind::NumberOutOfRange => f.write_str("number out of range"),
            ErrorKind::Unsupported(s) => write!(f, "unsupported: {s}"),
            ErrorKind::TrailingBytes => f.write_str("trailing bytes"),
            ErrorKind::Message(s) => f.write_str(s),
        }
    }
}

/// A Hessian encoding or decoding error with the byte offset where it was detected.
///
/// For encoding errors the offset is the length of the output at that time.
/// Boxed so that `Result<T, Error>` stays one word wider than `T` on the hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    offset: usize,
    kind: ErrorKind,
}

impl Error {
    /// Creates an error of `kind` at byte `offset`.
    #[cold]
    pub fn new(kind: ErrorKind, offset: usize) -> Self {
        Error(Box::new(Inner { offset, kind }))
    }

    /// The byte offset (into the decoded input or the encoded output).
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hessian: {} at byte {}", self.0.kind, self.0.offset)
    }
}

impl std::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // The serializer fixes up the offset when the error passes through it.
        Error::new(ErrorKind::Message(msg.to_string()), usize::MAX)
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Message(msg.to_string()), usize::MAX)
    }
}

impl Error {
    /// Fills in the offset of errors created without one (serde's `custom`).
    pub(crate) fn at(mut self, offset: usize) -> Self {
        if self.0.offset == usize::MAX {
            self.0.offset = offset;
        }
        self
    }
}
