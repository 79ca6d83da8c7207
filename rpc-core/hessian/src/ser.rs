//! Streaming serde serializer.

use crate::{Error, Result};
use serde::ser::{self, Serialize};

/// Encoder tables carried across the values of one body (class definitions, types, ref count).
#[derive(Debug, Clone, Default)]
pub struct EncoderState {
    classes: Vec<(String, Vec<String>)>,
    types: Vec<String>,
    refs: u32,
}

/// Hessian 2 serializer writing one Dubbo body into a `Vec<u8>`.
#[derive(Debug)]
pub struct Serializer<'a> {
    out: &'a mut Vec<u8>,
    state: EncoderState,
}

impl<'a> Serializer<'a> {
    /// Starts a new body.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self::resume(out, EncoderState::default())
    }
    /// Continues a body encoded earlier with the tables in `state`.
    pub fn resume(out: &'a mut Vec<u8>, state: EncoderState) -> Self {
        Serializer { out, state }
    }
    /// Returns the tables so that the body can be continued later.
    pub fn into_state(self) -> EncoderState {
        self.state
    }
}

/// Compound serializer state.
#[derive(Debug)]
pub struct Compound<'s, 'a> {
    ser: &'s mut Serializer<'a>,
}

macro_rules! todo_methods {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(self, $($arg: $ty),*) -> $ret { let _ = ($($arg,)*); todo!() })*
    };
}

impl<'s, 'a> ser::Serializer for &'s mut Serializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'a>;
    type SerializeTuple = Compound<'s, 'a>;
    type SerializeTupleStruct = Compound<'s, 'a>;
    type SerializeTupleVariant = Compound<'s, 'a>;
    type SerializeMap = Compound<'s, 'a>;
    type SerializeStruct = Compound<'s, 'a>;
    type SerializeStructVariant = Compound<'s, 'a>;
    todo_methods! {
        serialize_bool(v: bool) -> Result<()>;
        serialize_i8(v: i8) -> Result<()>;
        serialize_i16(v: i16) -> Result<()>;
        serialize_i32(v: i32) -> Result<()>;
        serialize_i64(v: i64) -> Result<()>;
        serialize_u8(v: u8) -> Result<()>;
        serialize_u16(v: u16) -> Result<()>;
        serialize_u32(v: u32) -> Result<()>;
        serialize_u64(v: u64) -> Result<()>;
        serialize_f32(v: f32) -> Result<()>;
        serialize_f64(v: f64) -> Result<()>;
        serialize_char(v: char) -> Result<()>;
        serialize_str(v: &str) -> Result<()>;
        serialize_bytes(v: &[u8]) -> Result<()>;
        serialize_none() -> Result<()>;
        serialize_unit() -> Result<()>;
        serialize_unit_struct(name: &'static str) -> Result<()>;
        serialize_unit_variant(name: &'static str, idx: u32, variant: &'static str) -> Result<()>;
        serialize_seq(len: Option<usize>) -> Result<Self::SerializeSeq>;
        serialize_tuple(len: usize) -> Result<Self::SerializeTuple>;
        serialize_tuple_struct(name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct>;
        serialize_tuple_variant(name: &'static str, idx: u32, variant: &'static str, len: usize) -> Result<Self::SerializeTupleVariant>;
        serialize_map(len: Option<usize>) -> Result<Self::SerializeMap>;
        serialize_struct(name: &'static str, len: usize) -> Result<Self::SerializeStruct>;
        serialize_struct_variant(name: &'static str, idx: u32, variant: &'static str, len: usize) -> Result<Self::SerializeStructVariant>;
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(self, _name: &'static str, _idx: u32, _variant: &'static str, _value: &T) -> Result<()> {
        todo!()
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        key.serialize(&mut *self.ser)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, _key: &'static str, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, _key: &'static str, value: &T) -> Result<()> {
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        todo!()
    }
}
