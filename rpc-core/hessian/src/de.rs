//! Streaming serde deserializer.

use crate::{Error, Result, Value};
use serde::de::{self, Visitor};

/// Decoding limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum nesting depth of lists, maps and objects (default 128).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 128 }
    }
}

/// Hessian 2 deserializer over one Dubbo body.
#[derive(Debug)]
pub struct Deserializer<'de> {
    input: &'de [u8],
    pos: usize,
    limits: Limits,
}

impl<'de> Deserializer<'de> {
    /// Decodes `input` with default [`Limits`].
    pub fn new(input: &'de [u8]) -> Self {
        Self::with_limits(input, Limits::default())
    }
    /// Decodes `input` with the given limits.
    pub fn with_limits(input: &'de [u8], limits: Limits) -> Self {
        Deserializer { input, pos: 0, limits }
    }
    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
    /// Bytes not consumed yet.
    pub fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }
    /// True when the whole input has been consumed.
    pub fn is_end(&self) -> bool {
        self.pos >= self.input.len()
    }
    /// The next byte, without consuming it.
    pub fn peek_byte(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }
    /// Reads the next value as a dynamic [`Value`].
    pub fn read_value(&mut self) -> Result<Value> {
        let _ = self.limits;
        todo!()
    }
    /// Skips the next value, keeping the class/type/ref tables right.
    pub fn skip_value(&mut self) -> Result<()> {
        todo!()
    }
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value> {
        todo!()
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}
