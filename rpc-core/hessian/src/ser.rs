//! Streaming serde serializer that writes the bytes hessian-lite's `Hessian2Output` writes.
//!
//! Every primitive writer mirrors the Java method of the same name, including the
//! flush checks of Java's 8 KiB output buffer: Java's binary chunk boundaries depend
//! on how full that buffer is, so we track where Java's buffer would start (`base`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use serde::ser::{self, Impossible, Serialize};

use crate::error::{Error, ErrorKind};
use crate::tag::*;
use crate::value::Value;
use crate::Result;

/// A class definition written in this body.
#[derive(Debug, Clone)]
struct ClassDef {
    name: Cow<'static, str>,
    fields: Vec<Cow<'static, str>>,
    /// Index reserved by a struct whose first instance is still being written
    /// (its field names are only known at its end).
    pending: bool,
    /// Instance headers written for this definition.
    uses: u32,
}

/// Field names of each serde struct name seen so far in this process.
///
/// serde reveals a struct's field names only one by one, but Java writes the class
/// definition *before* the first instance's fields. Without a hint the definition
/// is inserted in front of the fields afterwards (a memmove), and Java's 8 KiB
/// buffer (which decides binary chunk boundaries) is emulated as if it were not
/// there. With the names remembered from an earlier body the definition is written
/// up front, exactly as Java does. A wrong hint (two Rust types sharing one Java
/// name) is repaired when the instance ends.
type SchemaCache = RwLock<HashMap<&'static str, Arc<[&'static str]>>>;

fn schema_cache() -> &'static SchemaCache {
    static CACHE: OnceLock<SchemaCache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn cached_schema(name: &'static str) -> Option<Arc<[&'static str]>> {
    schema_cache().read().ok()?.get(name).cloned()
}

fn remember_schema(name: &'static str, keys: &[Cow<'static, str>]) {
    let fields: Option<Vec<&'static str>> = keys
        .iter()
        .map(|k| match k {
            Cow::Borrowed(s) => Some(*s),
            Cow::Owned(_) => None,
        })
        .collect();
    if let (Some(fields), Ok(mut cache)) = (fields, schema_cache().write()) {
        cache.insert(name, fields.into());
    }
}

/// Encoder tables carried across the values of one body: class definitions, the
/// type table, the reference counter and the fill level of Java's output buffer.
///
/// Obtained from [`Serializer::into_state`] and handed to [`Serializer::resume`] to
/// continue a body later (for example the attachments after the arguments).
#[derive(Debug, Clone, Default)]
pub struct EncoderState {
    classes: Vec<ClassDef>,
    types: Vec<String>,
    refs: u32,
    java_offset: usize,
}

impl EncoderState {
    /// Number of lists, maps and objects written so far (the next reference index).
    pub fn ref_count(&self) -> u32 {
        self.refs
    }
}

/// Armed by `serialize_newtype_struct` with one of the reserved names in `tag.rs`;
/// consumed by the very next serializer call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Date,
    Ref,
    Object,
    TypedList,
    TypedMap,
}

/// Detects `Vec<u8>`/`&[u8]` (serde gives them to us as a sequence of `u8`) so that
/// they become Hessian binary like Java's `byte[]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    None,
    /// A sequence's first element is being written; its list header is not written yet.
    Armed(Option<usize>),
    /// All elements so far were `u8`, collected in `scratch`.
    Binary(Option<usize>),
}

/// Hessian 2 serializer writing one Dubbo body into a `Vec<u8>`.
///
/// One instance encodes one body: class definitions, the type table and the
/// reference counter are shared by all values written through it, as with Java's
/// `Hessian2Output`.
///
/// ```
/// use serde::Serialize;
/// let mut body = Vec::new();
/// let mut ser = dubbo_hessian2::Serializer::new(&mut body);
/// "2.0.2".serialize(&mut ser)?;
/// 42i32.serialize(&mut ser)?;
/// assert_eq!(body, b"\x052.0.2\xba");
/// # Ok::<(), dubbo_hessian2::Error>(())
/// ```
#[derive(Debug)]
pub struct Serializer<'a> {
    out: &'a mut Vec<u8>,
    classes: Vec<ClassDef>,
    types: Vec<String>,
    refs: u32,
    /// Position in `out` where Java's output buffer was last flushed.
    base: usize,
    pending: Pending,
    probe: Probe,
    scratch: Vec<u8>,
}

impl<'a> Serializer<'a> {
    /// Starts a new body, appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self::resume(out, EncoderState::default())
    }

    /// Continues a body encoded earlier with the tables in `state`, appending to `out`.
    pub fn resume(out: &'a mut Vec<u8>, state: EncoderState) -> Self {
        let base = out.len().wrapping_sub(state.java_offset);
        Serializer {
            out,
            classes: state.classes,
            types: state.types,
            refs: state.refs,
            base,
            pending: Pending::None,
            probe: Probe::None,
            scratch: Vec::new(),
        }
    }

    /// Returns the tables so that the body can be continued later with [`Serializer::resume`].
    pub fn into_state(self) -> EncoderState {
        let java_offset = self.off();
        EncoderState {
            classes: self.classes,
            types: self.types,
            refs: self.refs,
            java_offset,
        }
    }

    /// Starts an untyped map (`H`), as `serialize_map` does, for callers that write its
    /// entries piecewise (some of them pre-encoded with [`write_encoded`](Self::write_encoded)).
    /// Close it with [`end_map`](Self::end_map).
    pub fn begin_map(&mut self) -> Result<()> {
        self.begin()?;
        self.refs += 1;
        self.map_header(None);
        Ok(())
    }

    /// Ends a map started with [`begin_map`](Self::begin_map).
    pub fn end_map(&mut self) {
        self.write_end();
    }

    /// Appends values encoded earlier, byte for byte.
    ///
    /// Only for values that take no part in the reference and class tables (strings,
    /// numbers, booleans, null): a per-service set of string attachments, say, encoded once
    /// and sent with every call. Anything else would leave this body's tables wrong.
    pub fn write_encoded(&mut self, encoded: &[u8]) -> Result<()> {
        self.begin()?;
        self.out.extend_from_slice(encoded);
        Ok(())
    }

    /// Writes a dynamic [`Value`] directly (faster than going through serde).
    ///
    /// Class names, list/map types and `Value::Ref`s are written as they are, so a
    /// decoded body re-encodes byte for byte.
    pub fn write_value(&mut self, v: &Value) -> Result<()> {
        self.begin()?;
        match v {
            Value::Null => self.write_null(),
            Value::Bool(b) => self.write_bool(*b),
            Value::Int(i) => self.write_int(*i),
            Value::Long(l) => self.write_long(*l),
            Value::Double(d) => self.write_double(*d),
            Value::String(s) => self.write_str(s),
            Value::Binary(b) => self.write_bytes(b),
            Value::Date(ms) => self.write_date(*ms),
            Value::Ref(n) => self.write_ref(*n),
            Value::List { ty, items } => {
                self.refs += 1;
                self.list_header(Some(items.len()), ty.as_deref());
                for it in items {
                    self.write_value(it)?;
                }
            }
            Value::Map { ty, entries } => {
                self.refs += 1;
                self.map_header(ty.as_deref());
                for (k, v) in entries {
                    self.write_value(k)?;
                    self.write_value(v)?;
                }
                self.write_end();
            }
            Value::Object { class, fields } => {
                self.refs += 1;
                let idx = self.find_or_define(class, fields.iter().map(|(n, _)| n.as_str()));
                self.instance_header(idx);
                for (_, v) in fields {
                    self.write_value(v)?;
                }
            }
        }
        Ok(())
    }

    fn err(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.out.len())
    }

    // ---- Java buffer emulation -------------------------------------------------

    /// Fill level of Java's output buffer.
    fn off(&self) -> usize {
        self.out.len().wrapping_sub(self.base)
    }
    /// `if (SIZE <= offset + 16) flushBuffer();`
    #[inline]
    fn chk16le(&mut self) {
        if JAVA_BUFFER_SIZE <= self.off() + 16 {
            self.base = self.out.len();
        }
    }
    /// `if (SIZE < offset + 16) flushBuffer();`
    #[inline]
    fn chk16lt(&mut self) {
        if JAVA_BUFFER_SIZE < self.off() + 16 {
            self.base = self.out.len();
        }
    }
    /// `flushIfFull()`: `if (SIZE < offset + 32) flushBuffer();`
    #[inline]
    fn chk32(&mut self) {
        if JAVA_BUFFER_SIZE < self.off() + 32 {
            self.base = self.out.len();
        }
    }

    // ---- primitive writers (Hessian2Output) ------------------------------------

    /// Flushes a pending list header (see [`Probe`]) before any value is written.
    #[inline]
    fn begin(&mut self) -> Result<()> {
        if self.pending != Pending::None {
            return Err(self.err(ErrorKind::Unsupported(
                "reserved hessian newtype used with an unexpected shape".into(),
            )));
        }
        match self.probe {
            Probe::None => {}
            Probe::Armed(len) => {
                self.probe = Probe::None;
                self.refs += 1;
                self.list_header(len, None);
            }
            Probe::Binary(len) => {
                // Not a byte sequence after all: write what we have as a list of ints.
                self.probe = Probe::None;
                self.refs += 1;
                self.list_header(len, None);
                let bytes = std::mem::take(&mut self.scratch);
                for b in &bytes {
                    self.write_int(i32::from(*b));
                }
                self.scratch = bytes;
                self.scratch.clear();
            }
        }
        Ok(())
    }

    fn write_null(&mut self) {
        self.chk16le();
        self.out.push(BC_NULL);
    }

    fn write_bool(&mut self, b: bool) {
        self.chk16lt();
        self.out.push(if b { BC_TRUE } else { BC_FALSE });
    }

    fn write_int(&mut self, v: i32) {
        self.chk16le();
        let out = &mut *self.out;
        if (-16..=47).contains(&v) {
            out.push((v + i32::from(BC_INT_ZERO)) as u8);
        } else if (-2048..=2047).contains(&v) {
            out.extend_from_slice(&[(i32::from(BC_INT_BYTE_ZERO) + (v >> 8)) as u8, v as u8]);
        } else if (-262144..=262143).contains(&v) {
            out.extend_from_slice(&[
                (i32::from(BC_INT_SHORT_ZERO) + (v >> 16)) as u8,
                (v >> 8) as u8,
                v as u8,
            ]);
        } else {
            out.push(BC_INT);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }

    fn write_long(&mut self, v: i64) {
        self.chk16le();
        let out = &mut *self.out;
        if (-8..=15).contains(&v) {
            out.push((v + i64::from(BC_LONG_ZERO)) as u8);
        } else if (-2048..=2047).contains(&v) {
            out.extend_from_slice(&[(i64::from(BC_LONG_BYTE_ZERO) + (v >> 8)) as u8, v as u8]);
        } else if (-262144..=262143).contains(&v) {
            out.extend_from_slice(&[
                (i64::from(BC_LONG_SHORT_ZERO) + (v >> 16)) as u8,
                (v >> 8) as u8,
                v as u8,
            ]);
        } else if i32::try_from(v).is_ok() {
            out.push(BC_LONG_INT);
            out.extend_from_slice(&(v as i32).to_be_bytes());
        } else {
            out.push(BC_LONG);
            out.extend_from_slice(&v.to_be_bytes());
        }
    }

    /// `Hessian2Output.writeDouble`. Rust's `as i32` saturates and maps NaN to 0,
    /// exactly like Java's `(int)` cast, so the tests below are Java's tests.
    fn write_double(&mut self, v: f64) {
        self.chk16le();
        let out = &mut *self.out;
        let iv = v as i32;
        if f64::from(iv) == v {
            if iv == 0 {
                // Java writes -0.0 as 0.0 here too (the sign is lost on the wire).
                out.push(BC_DOUBLE_ZERO);
                return;
            } else if iv == 1 {
                out.push(BC_DOUBLE_ONE);
                return;
            } else if (-0x80..0x80).contains(&iv) {
                out.extend_from_slice(&[BC_DOUBLE_BYTE, iv as u8]);
                return;
            } else if (-0x8000..0x8000).contains(&iv) {
                out.push(BC_DOUBLE_SHORT);
                out.extend_from_slice(&(iv as i16).to_be_bytes());
                return;
            }
        }
        let mills = (v * 1000.0) as i32;
        if 0.001 * f64::from(mills) == v {
            out.push(BC_DOUBLE_MILL);
            out.extend_from_slice(&mills.to_be_bytes());
            return;
        }
        // Double.doubleToLongBits canonicalises NaN.
        let bits = if v.is_nan() {
            0x7ff8_0000_0000_0000u64
        } else {
            v.to_bits()
        };
        out.push(BC_DOUBLE);
        out.extend_from_slice(&bits.to_be_bytes());
    }

    /// `Hessian2Output.writeUTCDate`: `K` + minutes when the time is a whole minute
    /// and the minutes fit 32 bits, else `J` + milliseconds.
    fn write_date(&mut self, ms: i64) {
        self.chk32();
        if ms % 60000 == 0 {
            let minutes = ms / 60000;
            if (minutes >> 31) == 0 || (minutes >> 31) == -1 {
                self.out.push(BC_DATE_MINUTE);
                self.out.extend_from_slice(&(minutes as i32).to_be_bytes());
                return;
            }
        }
        self.out.push(BC_DATE);
        self.out.extend_from_slice(&ms.to_be_bytes());
    }

    fn write_ref(&mut self, n: u32) {
        self.chk16lt();
        self.out.push(BC_REF);
        self.write_int(n as i32);
    }

    fn write_end(&mut self) {
        self.chk32();
        self.out.push(BC_END);
    }

    /// `Hessian2Output.writeString`: length in UTF-16 units, CESU-8 bytes, `R` chunks
    /// of 0x8000 units (0x7fff when the chunk would end on a high surrogate) while
    /// more than 0x8000 units remain, then the most compact final form.
    fn write_str(&mut self, s: &str) {
        self.chk16le();
        let (units, simple) = utf16_len(s);
        let mut rest = s;
        let mut remaining = units;
        while remaining > 0x8000 {
            let (split, sub) = split_units(rest, 0x8000);
            self.chk16le();
            self.out
                .extend_from_slice(&[BC_STRING_CHUNK, (sub >> 8) as u8, sub as u8]);
            self.print(&rest[..split], simple);
            rest = &rest[split..];
            remaining -= sub;
        }
        self.chk16le();
        if remaining <= 0x1f {
            self.out.push(BC_STRING_DIRECT + remaining as u8);
        } else if remaining <= 0x3ff {
            self.out
                .extend_from_slice(&[BC_STRING_SHORT + (remaining >> 8) as u8, remaining as u8]);
        } else {
            self.out
                .extend_from_slice(&[BC_STRING, (remaining >> 8) as u8, remaining as u8]);
        }
        self.print(rest, simple);
    }

    /// `printString`: BMP characters as UTF-8, supplementary characters as two
    /// 3-byte surrogates (CESU-8), with Java's per-character flush check.
    fn print(&mut self, text: &str, simple: bool) {
        let off0 = self.off();
        let start = self.out.len();
        if simple {
            self.out.extend_from_slice(text.as_bytes());
        } else {
            for c in text.chars() {
                let cp = c as u32;
                if cp >= 0x10000 {
                    let v = cp - 0x10000;
                    push_cesu_unit(self.out, 0xd800 + (v >> 10));
                    push_cesu_unit(self.out, 0xdc00 + (v & 0x3ff));
                } else {
                    let mut buf = [0u8; 4];
                    self.out
                        .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        let written = self.out.len() - start;
        if off0 + written + 16 >= JAVA_BUFFER_SIZE {
            // Java may have flushed in the middle of the string: replay its loop.
            let mut o = off0;
            for c in text.chars() {
                let (n, w) = match c.len_utf8() {
                    4 => (2, 3),
                    w => (1, w),
                };
                for _ in 0..n {
                    if JAVA_BUFFER_SIZE <= o + 16 {
                        o = 0;
                    }
                    o += w;
                }
            }
            self.base = self.out.len().wrapping_sub(o);
        }
    }

    /// `Hessian2Output.writeBytes`: `A` chunks filling Java's 8 KiB buffer, then the
    /// most compact final form.
    fn write_bytes(&mut self, mut b: &[u8]) {
        while self.off() + 3 + b.len() > JAVA_BUFFER_SIZE {
            let mut sub = JAVA_BUFFER_SIZE.saturating_sub(self.off() + 3);
            if sub < 16 {
                self.base = self.out.len();
                sub = JAVA_BUFFER_SIZE - 3;
                if b.len() < sub {
                    sub = b.len();
                }
            }
            self.out
                .extend_from_slice(&[BC_BINARY_CHUNK, (sub >> 8) as u8, sub as u8]);
            self.out.extend_from_slice(&b[..sub]);
            b = &b[sub..];
            self.base = self.out.len();
        }
        self.chk16lt();
        let len = b.len();
        if len <= 15 {
            self.out.push(BC_BINARY_DIRECT + len as u8);
        } else if len <= 1023 {
            self.out
                .extend_from_slice(&[BC_BINARY_SHORT + (len >> 8) as u8, len as u8]);
        } else {
            self.out
                .extend_from_slice(&[BC_BINARY, (len >> 8) as u8, len as u8]);
        }
        self.out.extend_from_slice(b);
    }

    /// `writeType`: the type string the first time, its index afterwards.
    fn write_type(&mut self, ty: &str) {
        self.chk32();
        if let Some(i) = self.types.iter().position(|t| t == ty) {
            self.write_int(i as i32);
        } else {
            self.types.push(ty.to_owned());
            self.write_str(ty);
        }
    }

    /// `writeListBegin` (the caller counts the reference). Returns true for a
    /// variable-length list, which needs a `Z` at its end.
    fn list_header(&mut self, len: Option<usize>, ty: Option<&str>) -> bool {
        self.chk32();
        match len {
            None => {
                if let Some(ty) = ty {
                    self.out.push(BC_LIST_VARIABLE);
                    self.write_type(ty);
                } else {
                    self.out.push(BC_LIST_VARIABLE_UNTYPED);
                }
                true
            }
            Some(n) if n <= 7 => {
                if let Some(ty) = ty {
                    self.out.push(BC_LIST_DIRECT + n as u8);
                    self.write_type(ty);
                } else {
                    self.out.push(BC_LIST_DIRECT_UNTYPED + n as u8);
                }
                false
            }
            Some(n) => {
                if let Some(ty) = ty {
                    self.out.push(BC_LIST_FIXED);
                    self.write_type(ty);
                } else {
                    self.out.push(BC_LIST_FIXED_UNTYPED);
                }
                self.write_int(n as i32);
                false
            }
        }
    }

    /// `writeMapBegin` (the caller counts the reference).
    fn map_header(&mut self, ty: Option<&str>) {
        self.chk32();
        if let Some(ty) = ty {
            self.out.push(BC_MAP);
            self.write_type(ty);
        } else {
            self.out.push(BC_MAP_UNTYPED);
        }
    }

    /// Index of a complete class definition `name(fields)`, writing the `C`
    /// definition first when there is none yet.
    fn find_or_define<'f>(
        &mut self,
        name: &str,
        fields: impl Iterator<Item = &'f str> + Clone,
    ) -> usize {
        let found = self.classes.iter().position(|d| {
            !d.pending && d.name == name && d.fields.iter().map(|f| &**f).eq(fields.clone())
        });
        match found {
            Some(i) => i,
            None => {
                let def = ClassDef {
                    name: Cow::Owned(name.to_owned()),
                    fields: fields.map(|f| Cow::Owned(f.to_owned())).collect(),
                    pending: false,
                    uses: 0,
                };
                self.classes.push(def);
                let idx = self.classes.len() - 1;
                self.class_def(idx);
                idx
            }
        }
    }

    /// `C` + name + field count + field names of definition `idx`.
    fn class_def(&mut self, idx: usize) {
        self.chk32();
        self.out.push(BC_CLASS_DEF);
        let def = std::mem::replace(
            &mut self.classes[idx],
            ClassDef {
                name: Cow::Borrowed(""),
                fields: Vec::new(),
                pending: true,
                uses: 0,
            },
        );
        self.write_str(&def.name);
        self.write_int(def.fields.len() as i32);
        for f in &def.fields {
            self.write_str(f);
        }
        self.classes[idx] = def;
    }

    /// `0x60 + idx` or `O` + int idx.
    fn instance_header(&mut self, idx: usize) {
        self.classes[idx].uses += 1;
        self.chk32();
        if idx <= 15 {
            self.out.push(BC_OBJECT_DIRECT + idx as u8);
        } else {
            self.out.push(BC_OBJECT);
            self.write_int(idx as i32);
        }
    }

    /// Writes `f`'s bytes at the end, then moves them to `at`, replacing `at..old_end`.
    /// Used for class definitions, whose field names serde only reveals one by one.
    fn splice_header(&mut self, at: usize, old_end: usize, f: impl FnOnce(&mut Self)) {
        let base = self.base;
        let tail = self.out.len();
        f(self);
        let new_len = self.out.len() - tail;
        self.out[at..].rotate_right(new_len);
        self.out.drain(at + new_len..old_end + new_len);
        // Keep Java-buffer emulation consistent for the bytes after the splice.
        let grown = new_len as isize - (old_end - at) as isize;
        self.base = if base > at {
            base.wrapping_add_signed(grown)
        } else {
            base
        };
    }

    fn unit_variant(&mut self, name: &'static str, variant: &'static str) -> Result<()> {
        self.begin()?;
        self.refs += 1;
        let idx = self.find_or_define(name, ["name"].into_iter());
        self.instance_header(idx);
        self.write_str(variant);
        Ok(())
    }
}

/// Whether `I` (what serde hands to `collect_seq`) is a `Vec<u8>`, `[u8]` or `&[u8]`.
fn is_byte_sequence<I: IntoIterator>() -> bool {
    let item = std::any::type_name::<I::Item>();
    let seq = std::any::type_name::<I>();
    (item == "&u8" || item == "u8") && (seq.ends_with("Vec<u8>") || seq.ends_with("[u8]"))
}

/// Length in UTF-16 units, and whether the text has no supplementary characters
/// (then its UTF-8 bytes are exactly Java's bytes).
fn utf16_len(s: &str) -> (usize, bool) {
    if s.is_ascii() {
        return (s.len(), true);
    }
    let mut units = 0;
    let mut simple = true;
    for &b in s.as_bytes() {
        if b & 0xc0 != 0x80 {
            units += 1;
        }
        if b >= 0xf0 {
            units += 1;
            simple = false;
        }
    }
    (units, simple)
}

/// Byte index and unit count of the first `max` UTF-16 units of `s`, never
/// splitting a surrogate pair (Java shortens such a chunk by one unit).
fn split_units(s: &str, max: usize) -> (usize, usize) {
    let bytes = s.as_bytes();
    if bytes.len() >= max && bytes[..max].is_ascii() {
        return (max, max);
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        let w = c.len_utf16();
        if units + w > max {
            return (i, units);
        }
        units += w;
        if units == max {
            return (i + c.len_utf8(), units);
        }
    }
    (s.len(), units)
}

fn push_cesu_unit(out: &mut Vec<u8>, u: u32) {
    out.extend_from_slice(&[
        0xe0 | (u >> 12) as u8,
        0x80 | ((u >> 6) & 0x3f) as u8,
        0x80 | (u & 0x3f) as u8,
    ]);
}

/// Java's `Float` rule in hessian-lite: `Double.parseDouble(String.valueOf(f))`.
/// Rust's `Display` for `f32` prints the shortest decimal that round-trips, which
/// is what `Float.toString` aims for.
pub(crate) fn float_to_java_double(f: f32) -> f64 {
    if !f.is_finite() {
        return f64::from(f);
    }
    use std::io::Write;
    let mut buf = [0u8; 64];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    if write!(cur, "{f}").is_err() {
        return f64::from(f);
    }
    let n = cur.position() as usize;
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::from(f))
}

// ---- serde ---------------------------------------------------------------------

/// State of one compound value (list, map, object) being serialized.
#[derive(Debug)]
pub struct Compound<'s, 'a> {
    ser: &'s mut Serializer<'a>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// `Vec<T>`/slices/sets: the header is written lazily (binary or list).
    Seq {
        len: Option<usize>,
        count: usize,
        mode: SeqMode,
    },
    /// Header written; `Z` at the end when variable.
    List {
        variable: bool,
    },
    /// `H`/`M` map: `Z` at the end.
    Map,
    /// `H {variant: H {fields}}`: two `Z`.
    StructVariant,
    /// `H {variant: [..]}`: one `Z`.
    TupleVariant,
    Struct(StructState),
    /// `Value::Object` through serde: `(class, n, names.., values..)`.
    Object {
        step: usize,
        n: usize,
        class: String,
        names: Vec<String>,
    },
    /// `Value::List` with a type / `JavaArray`: `(type, items..)`.
    TypedList {
        step: usize,
        len: usize,
    },
    /// `Value::Map` with a type: `(type, k, v, ..)`.
    TypedMap {
        step: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeqMode {
    Probing,
    Binary,
    List,
}

#[derive(Debug)]
struct StructState {
    def: usize,
    /// Fields matched so far (`Known`).
    i: usize,
    /// Where the instance (or its yet-unwritten definition) starts.
    start: usize,
    /// End of the instance header written at `start` (== start when not written).
    hdr_end: usize,
    defs_at_start: usize,
    /// End of a class definition written up front from the schema hint.
    speculative: Option<usize>,
    mode: StructMode,
}

#[derive(Debug)]
enum StructMode {
    /// Definition known; header written; fields must follow it.
    Known,
    /// First instance: collect field names; the definition is written at the end.
    Collect(Vec<&'static str>),
    /// A known definition did not match this instance's fields.
    Mismatch(Vec<Cow<'static, str>>),
}

impl<'a> Serializer<'a> {
    fn start_struct(&mut self, name: &'static str, len: usize) -> Result<StructState> {
        self.begin()?;
        self.refs += 1;
        let start = self.out.len();
        let defs_at_start = self.classes.len();
        let found = self.classes.iter().position(|d| d.name == name);
        match found {
            Some(def) if !self.classes[def].pending => {
                self.instance_header(def);
                Ok(StructState {
                    def,
                    i: 0,
                    start,
                    hdr_end: self.out.len(),
                    defs_at_start,
                    speculative: None,
                    mode: StructMode::Known,
                })
            }
            Some(def) => {
                // A recursive type inside its own first instance: Java refers to the
                // definition being written, so do we.
                self.instance_header(def);
                Ok(StructState {
                    def,
                    i: 0,
                    start,
                    hdr_end: self.out.len(),
                    defs_at_start,
                    speculative: None,
                    mode: StructMode::Collect(Vec::with_capacity(len)),
                })
            }
            None => {
                if let Some(fields) = cached_schema(name) {
                    self.classes.push(ClassDef {
                        name: Cow::Borrowed(name),
                        fields: fields.iter().map(|f| Cow::Borrowed(*f)).collect(),
                        pending: false,
                        uses: 0,
                    });
                    let def = self.classes.len() - 1;
                    self.class_def(def);
                    let def_end = self.out.len();
                    self.instance_header(def);
                    return Ok(StructState {
                        def,
                        i: 0,
                        start,
                        hdr_end: self.out.len(),
                        defs_at_start,
                        speculative: Some(def_end),
                        mode: StructMode::Known,
                    });
                }
                self.classes.push(ClassDef {
                    name: Cow::Borrowed(name),
                    fields: Vec::new(),
                    pending: true,
                    uses: 0,
                });
                Ok(StructState {
                    def: self.classes.len() - 1,
                    i: 0,
                    start,
                    hdr_end: start,
                    defs_at_start,
                    speculative: None,
                    mode: StructMode::Collect(Vec::with_capacity(len)),
                })
            }
        }
    }

    fn struct_key(&mut self, st: &mut StructState, key: &'static str) {
        match &mut st.mode {
            StructMode::Known => {
                let fields = &self.classes[st.def].fields;
                if st.i < fields.len() && fields[st.i] == key {
                    st.i += 1;
                } else {
                    let mut keys: Vec<Cow<'static, str>> = fields[..st.i].to_vec();
                    keys.push(Cow::Borrowed(key));
                    st.mode = StructMode::Mismatch(keys);
                }
            }
            StructMode::Collect(keys) => keys.push(key),
            StructMode::Mismatch(keys) => keys.push(Cow::Borrowed(key)),
        }
    }

    fn end_struct(&mut self, st: StructState) -> Result<()> {
        let keys: Vec<Cow<'static, str>> = match st.mode {
            StructMode::Known => {
                if st.i == self.classes[st.def].fields.len() {
                    return Ok(());
                }
                self.classes[st.def].fields[..st.i].to_vec()
            }
            StructMode::Mismatch(keys) => keys,
            StructMode::Collect(keys) => {
                let def = &mut self.classes[st.def];
                let header_written = st.hdr_end > st.start;
                if def.pending {
                    def.fields = keys.iter().map(|k| Cow::Borrowed(*k)).collect();
                    def.pending = false;
                    if let Cow::Borrowed(name) = def.name {
                        let fields = def.fields.clone();
                        remember_schema(name, &fields);
                    }
                } else if !def.fields.iter().map(|f| &**f).eq(keys.iter().copied()) {
                    let name = def.name.clone();
                    return Err(self.err(ErrorKind::Unsupported(format!(
                        "class {name} serialized with different field sets inside itself"
                    ))));
                }
                if !header_written {
                    let idx = st.def;
                    self.splice_header(st.start, st.start, |s| {
                        s.class_def(idx);
                        s.instance_header(idx);
                    });
                }
                return Ok(());
            }
        };
        // This instance's fields differ from the definition its header names.
        let name = self.classes[st.def].name.clone();
        if let Some(def_end) = st.speculative {
            if self.classes[st.def].uses == 1 {
                // The hint was wrong and nobody else uses the definition written up
                // front for this instance: rewrite it in place (same index).
                if let Cow::Borrowed(n) = name {
                    remember_schema(n, &keys);
                }
                self.classes[st.def].fields = keys;
                let idx = st.def;
                self.splice_header(st.start, def_end, |s| s.class_def(idx));
                return Ok(());
            }
        }
        let found = self.classes.iter().position(|d| {
            !d.pending
                && d.name == name
                && d.fields.iter().map(|f| &**f).eq(keys.iter().map(|k| &**k))
        });
        if let Some(idx) = found {
            self.splice_header(st.start, st.hdr_end, |s| s.instance_header(idx));
            return Ok(());
        }
        if self.classes.len() != st.defs_at_start {
            // A new definition here would be numbered after the ones written inside
            // this instance although it precedes them in the stream.
            return Err(self.err(ErrorKind::Unsupported(format!(
                "class {name} serialized with a different field set than earlier in the body"
            ))));
        }
        self.classes.push(ClassDef {
            name,
            fields: keys,
            pending: false,
            uses: 0,
        });
        let idx = self.classes.len() - 1;
        self.splice_header(st.start, st.hdr_end, |s| {
            s.class_def(idx);
            s.instance_header(idx);
        });
        Ok(())
    }
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

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.begin()?;
        self.write_bool(v);
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i32(i32::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i32(i32::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.begin()?;
        self.write_int(v);
        Ok(())
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        if self.pending == Pending::Date {
            self.pending = Pending::None;
            self.begin()?;
            self.write_date(v);
            return Ok(());
        }
        self.begin()?;
        self.write_long(v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        match self.probe {
            Probe::Armed(len) | Probe::Binary(len) if self.pending == Pending::None => {
                self.probe = Probe::Binary(len);
                self.scratch.push(v);
                Ok(())
            }
            _ => self.serialize_i32(i32::from(v)),
        }
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_i32(i32::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        if self.pending == Pending::Ref {
            self.pending = Pending::None;
            self.begin()?;
            self.write_ref(v);
            return Ok(());
        }
        self.serialize_i64(i64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        match i64::try_from(v) {
            Ok(v) => self.serialize_i64(v),
            Err(_) => Err(self.err(ErrorKind::NumberOutOfRange)),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(float_to_java_double(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.begin()?;
        self.write_double(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        let mut buf = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut buf))
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        self.begin()?;
        self.write_str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.begin()?;
        self.write_bytes(v);
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.begin()?;
        self.write_null();
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        name: &'static str,
        _idx: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.unit_variant(name, variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        if name.starts_with('$') {
            let p = match name {
                DATE_TOKEN => Pending::Date,
                REF_TOKEN => Pending::Ref,
                OBJECT_TOKEN => Pending::Object,
                LIST_TOKEN => Pending::TypedList,
                MAP_TOKEN => Pending::TypedMap,
                _ => Pending::None,
            };
            if p != Pending::None {
                self.pending = p;
                value.serialize(&mut *self)?;
                if self.pending != Pending::None {
                    self.pending = Pending::None;
                    return Err(self.err(ErrorKind::Unsupported(format!(
                        "{name} with an unexpected shape"
                    ))));
                }
                return Ok(());
            }
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _idx: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        // No Java equivalent: written like serde's externally tagged form, `{variant: value}`.
        self.begin()?;
        self.refs += 1;
        self.map_header(None);
        self.write_str(variant);
        value.serialize(&mut *self)?;
        self.write_end();
        Ok(())
    }
    /// serde's `Vec<u8>`, `[u8]` and `&[u8]` arrive here (they call `collect_seq`). A
    /// non-empty one becomes a binary by probing its elements; an *empty* one has none to
    /// probe, so it is told by its type: Java's `byte[]` is a binary even when empty, and Java
    /// refuses an empty list where it expects one (as an argument and as a result).
    fn collect_seq<I>(self, iter: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        let mut iter = iter.into_iter();
        let first = iter.next();
        if first.is_none() && self.pending == Pending::None && is_byte_sequence::<I>() {
            return ser::Serializer::serialize_bytes(self, &[]);
        }
        let len = match iter.size_hint() {
            (lo, Some(hi)) if lo == hi => Some(lo + usize::from(first.is_some())),
            _ => None,
        };
        let mut seq = ser::Serializer::serialize_seq(self, len)?;
        if let Some(first) = first {
            ser::SerializeSeq::serialize_element(&mut seq, &first)?;
        }
        for item in iter {
            ser::SerializeSeq::serialize_element(&mut seq, &item)?;
        }
        ser::SerializeSeq::end(seq)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'a>> {
        self.begin()?;
        Ok(Compound {
            ser: self,
            kind: Kind::Seq {
                len,
                count: 0,
                mode: SeqMode::Probing,
            },
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'a>> {
        let pending = std::mem::replace(&mut self.pending, Pending::None);
        self.begin()?;
        let kind = match pending {
            Pending::Object => {
                self.refs += 1;
                Kind::Object {
                    step: 0,
                    n: 0,
                    class: String::new(),
                    names: Vec::new(),
                }
            }
            Pending::TypedList => Kind::TypedList {
                step: 0,
                len: len.saturating_sub(1),
            },
            Pending::TypedMap => {
                self.refs += 1;
                Kind::TypedMap { step: 0 }
            }
            Pending::None => {
                self.refs += 1;
                let variable = self.list_header(Some(len), None);
                Kind::List { variable }
            }
            Pending::Date | Pending::Ref => {
                return Err(self.err(ErrorKind::Unsupported(
                    "reserved hessian newtype used with an unexpected shape".into(),
                )))
            }
        };
        Ok(Compound { ser: self, kind })
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'s, 'a>> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _idx: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>> {
        self.begin()?;
        self.refs += 2;
        self.map_header(None);
        self.write_str(variant);
        self.list_header(Some(len), None);
        Ok(Compound {
            ser: self,
            kind: Kind::TupleVariant,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'s, 'a>> {
        self.begin()?;
        self.refs += 1;
        self.map_header(None);
        Ok(Compound {
            ser: self,
            kind: Kind::Map,
        })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'s, 'a>> {
        let st = self.start_struct(name, len)?;
        Ok(Compound {
            ser: self,
            kind: Kind::Struct(st),
        })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _idx: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>> {
        self.begin()?;
        self.refs += 2;
        self.map_header(None);
        self.write_str(variant);
        self.map_header(None);
        Ok(Compound {
            ser: self,
            kind: Kind::StructVariant,
        })
    }
    fn is_human_readable(&self) -> bool {
        false
    }
}

impl Compound<'_, '_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let ser = &mut *self.ser;
        match &mut self.kind {
            Kind::Seq { len, count, mode } => {
                *count += 1;
                match *mode {
                    SeqMode::Probing => {
                        ser.probe = Probe::Armed(*len);
                        value.serialize(&mut *ser)?;
                        *mode = if let Probe::Binary(_) = ser.probe {
                            SeqMode::Binary
                        } else {
                            SeqMode::List
                        };
                        if *mode == SeqMode::List {
                            ser.probe = Probe::None;
                        }
                    }
                    SeqMode::Binary => {
                        value.serialize(&mut *ser)?;
                        if ser.probe == Probe::None {
                            *mode = SeqMode::List;
                        }
                    }
                    SeqMode::List => value.serialize(&mut *ser)?,
                }
                Ok(())
            }
            Kind::Object {
                step,
                n,
                class,
                names,
            } => {
                let s = *step;
                *step += 1;
                if s == 0 {
                    *class = capture_str(value)?;
                } else if s == 1 {
                    *n = capture_usize(value)?;
                    *names = Vec::with_capacity((*n).min(1024));
                } else if s < 2 + *n {
                    names.push(capture_str(value)?);
                } else {
                    return value.serialize(&mut *ser);
                }
                if *step == 2 + *n {
                    let idx = ser.find_or_define(class, names.iter().map(|s| s.as_str()));
                    ser.instance_header(idx);
                }
                Ok(())
            }
            Kind::TypedList { step, len } => {
                *step += 1;
                if *step == 1 {
                    let ty = capture_str(value)?;
                    ser.refs += 1;
                    ser.list_header(Some(*len), Some(&ty));
                    Ok(())
                } else {
                    value.serialize(&mut *ser)
                }
            }
            Kind::TypedMap { step } => {
                *step += 1;
                if *step == 1 {
                    let ty = capture_str(value)?;
                    ser.map_header(Some(&ty));
                    Ok(())
                } else {
                    value.serialize(&mut *ser)
                }
            }
            _ => value.serialize(&mut *ser),
        }
    }

    fn finish(self) -> Result<()> {
        let ser = self.ser;
        match self.kind {
            Kind::Seq { len, count, mode } => {
                if let Some(len) = len {
                    if len != count {
                        return Err(ser.err(ErrorKind::Message(format!(
                            "sequence announced {len} elements but had {count}"
                        ))));
                    }
                }
                match mode {
                    SeqMode::Probing => {
                        ser.refs += 1;
                        ser.list_header(Some(0), None);
                    }
                    SeqMode::Binary => {
                        ser.probe = Probe::None;
                        let bytes = std::mem::take(&mut ser.scratch);
                        ser.write_bytes(&bytes);
                        ser.scratch = bytes;
                        ser.scratch.clear();
                    }
                    SeqMode::List => {
                        if len.is_none() {
                            ser.write_end();
                        }
                    }
                }
            }
            Kind::List { variable } => {
                if variable {
                    ser.write_end();
                }
            }
            Kind::Map | Kind::TupleVariant => ser.write_end(),
            Kind::StructVariant => {
                ser.write_end();
                ser.write_end();
            }
            Kind::TypedMap { step } => {
                if step == 0 {
                    return Err(ser.err(ErrorKind::Unsupported("typed map without type".into())));
                }
                ser.write_end();
            }
            Kind::TypedList { step, .. } => {
                if step == 0 {
                    return Err(ser.err(ErrorKind::Unsupported("typed list without type".into())));
                }
            }
            Kind::Object { step, n, .. } => {
                if step != 2 + 2 * n {
                    return Err(ser.err(ErrorKind::Unsupported("malformed object".into())));
                }
            }
            Kind::Struct(st) => ser.end_struct(st)?,
        }
        Ok(())
    }
}

fn capture_str<T: ?Sized + Serialize>(v: &T) -> Result<String> {
    match v.serialize(Capture)? {
        Captured::Str(s) => Ok(s),
        Captured::Int(_) => Err(Error::new(
            ErrorKind::Unsupported("expected a string".into()),
            usize::MAX,
        )),
    }
}

fn capture_usize<T: ?Sized + Serialize>(v: &T) -> Result<usize> {
    match v.serialize(Capture)? {
        Captured::Int(i) if i >= 0 => Ok(i as usize),
        _ => Err(Error::new(
            ErrorKind::Unsupported("expected a count".into()),
            usize::MAX,
        )),
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        self.finish()
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
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        if let Kind::Struct(st) = &mut self.kind {
            self.ser.struct_key(st, key);
        }
        value.serialize(&mut *self.ser)
    }
    /// `#[serde(skip_serializing_if)]` fields are written as `null` so that every
    /// instance of a class matches its one class definition (Java leaves the field
    /// at its default).
    fn skip_field(&mut self, key: &'static str) -> Result<()> {
        if let Kind::Struct(st) = &mut self.kind {
            self.ser.struct_key(st, key);
        }
        self.ser.begin()?;
        self.ser.write_null();
        Ok(())
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.ser.begin()?;
        self.ser.write_str(key);
        value.serialize(&mut *self.ser)
    }
    fn end(self) -> Result<()> {
        self.finish()
    }
}

/// Reads back a string or an integer that serde hands to a reserved newtype.
enum Captured {
    Str(String),
    Int(i64),
}

struct Capture;

fn capture_err() -> Error {
    Error::new(
        ErrorKind::Unsupported("reserved hessian newtype used with an unexpected shape".into()),
        usize::MAX,
    )
}

macro_rules! capture_reject {
    ($($name:ident($($t:ty),*);)*) => {
        $(fn $name(self, $(_: $t),*) -> Result<Captured> { Err(capture_err()) })*
    };
}

impl ser::Serializer for Capture {
    type Ok = Captured;
    type Error = Error;
    type SerializeSeq = Impossible<Captured, Error>;
    type SerializeTuple = Impossible<Captured, Error>;
    type SerializeTupleStruct = Impossible<Captured, Error>;
    type SerializeTupleVariant = Impossible<Captured, Error>;
    type SerializeMap = Impossible<Captured, Error>;
    type SerializeStruct = Impossible<Captured, Error>;
    type SerializeStructVariant = Impossible<Captured, Error>;

    fn serialize_str(self, v: &str) -> Result<Captured> {
        Ok(Captured::Str(v.to_owned()))
    }
    fn serialize_i64(self, v: i64) -> Result<Captured> {
        Ok(Captured::Int(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Captured> {
        Ok(Captured::Int(i64::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Captured> {
        Ok(Captured::Int(i64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Captured> {
        i64::try_from(v)
            .map(Captured::Int)
            .map_err(|_| capture_err())
    }
    capture_reject! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<Captured> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Captured> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Captured> {
        Err(capture_err())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(capture_err())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(capture_err())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(capture_err())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(capture_err())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(capture_err())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(capture_err())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(capture_err())
    }
}
