//! Streaming serde deserializer over one Hessian 2 body.
//!
//! Design notes:
//! - Class definitions, the type table and the reference table are per body and
//!   shared by all top-level values read through one [`Deserializer`].
//! - Every list, map and object is registered in the reference table when it
//!   *begins* (pre-order), before its contents are read, so that a Java exception's
//!   `cause` (a reference to itself) resolves.
//! - The typed (serde) path never builds a [`Value`]. A back-reference (`Q`) met on
//!   the typed path is decoded by re-reading the referenced bytes ("replay"), with
//!   the tables rewound so that nothing is registered twice.
//! - Nesting is bounded by [`Limits::max_depth`]; string and binary chunk chains and
//!   class definitions are read iteratively, so no input can overflow the stack.
//! - No allocation is sized from a length prefix beyond the bytes that remain.
//! - Short ASCII strings (what Java sends for names, versions and most values) are
//!   sliced out of a run of ASCII input bytes validated once as a `str`, found at most
//!   `ASCII_WINDOW` bytes past the string that needed it, instead of being validated
//!   one by one; any other string takes the general reader.

use std::borrow::Cow;
use std::cell::RefCell;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::error::{Error, ErrorKind};
use crate::tag::*;
use crate::value::Value;
use crate::Result;

/// Decoding limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting depth of lists, maps, objects and followed back-references.
    ///
    /// The default, 128, is far beyond what Java objects nest to in practice and
    /// keeps the recursion well inside a 2 MiB (tokio worker) stack even in debug
    /// builds. Deeper input fails with [`ErrorKind::DepthLimitExceeded`].
    pub max_depth: usize,
}

impl Limits {
    /// The default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 128;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

/// A class or field name: borrowed from the input (plain single-chunk UTF-8, i.e.
/// always in practice) or, rarely, an index into `owned_names`.
#[derive(Debug, Clone, Copy)]
enum Name<'de> {
    Borrowed(&'de str),
    Owned(usize),
}

impl Default for Name<'_> {
    fn default() -> Self {
        Name::Borrowed("")
    }
}

/// A class definition: its name and `field_names[first..first + len]`.
#[derive(Debug, Clone, Copy, Default)]
struct ClassDef<'de> {
    name: Name<'de>,
    first: usize,
    len: usize,
}

/// One entry of the reference table.
#[derive(Debug, Clone, Copy, Default)]
struct RefEntry {
    /// Offset of the list/map/object tag (for replay on the typed path).
    pos: usize,
    /// Table sizes when it began (replay rewinds to these).
    classes: usize,
    types: usize,
    /// Fully read. A reference to an unfinished value is a cycle.
    done: bool,
}

/// A vector whose first `N` elements live inline. A typical body has a few classes,
/// a couple of dozen field names and a handful of lists/maps/objects; keeping the
/// per-body tables off the heap is measurable on small bodies.
#[derive(Debug, Clone)]
struct SmallVec<T, const N: usize> {
    inline: [T; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy + Default, const N: usize> SmallVec<T, N> {
    fn new() -> Self {
        SmallVec {
            inline: [T::default(); N],
            len: 0,
            spill: Vec::new(),
        }
    }
    #[inline]
    fn len(&self) -> usize {
        self.len
    }
    #[inline]
    fn push(&mut self, v: T) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = v,
            None => self.spill.push(v),
        }
        self.len += 1;
    }
    /// Callers only pass indexes below `len()` (validated against the input first).
    #[inline]
    fn get(&self, i: usize) -> T {
        match self.inline.get(i) {
            Some(v) => *v,
            None => self.spill[i - N],
        }
    }
    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut T {
        match self.inline.get_mut(i) {
            Some(v) => v,
            None => &mut self.spill[i - N],
        }
    }
}

/// A string read from the input: borrowed when it was one chunk of plain UTF-8.
enum Text<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> Text<'de> {
    fn into_string(self) -> String {
        match self {
            Text::Borrowed(s) => s.to_owned(),
            Text::Owned(s) => s,
        }
    }

    fn into_cow(self) -> Cow<'de, str> {
        match self {
            Text::Borrowed(s) => Cow::Borrowed(s),
            Text::Owned(s) => Cow::Owned(s),
        }
    }
}

enum Bytes<'de> {
    Borrowed(&'de [u8]),
    Owned(Vec<u8>),
}

enum Num {
    Int(i32),
    Long(i64),
    Double(f64),
}

/// Hessian 2 deserializer over one Dubbo body.
///
/// ```
/// let body = b"\x052.0.2\xba";
/// let mut de = dubbo_hessian2::Deserializer::new(body);
/// let version: &str = serde::Deserialize::deserialize(&mut de)?;
/// let n: i32 = serde::Deserialize::deserialize(&mut de)?;
/// assert_eq!((version, n), ("2.0.2", 42));
/// assert!(de.is_end());
/// # Ok::<(), dubbo_hessian2::Error>(())
/// ```
#[derive(Debug)]
pub struct Deserializer<'de> {
    input: &'de [u8],
    pos: usize,
    limits: Limits,
    depth: usize,
    classes: SmallVec<ClassDef<'de>, 6>,
    field_names: SmallVec<Name<'de>, 24>,
    owned_names: Vec<String>,
    types: Vec<String>,
    refs: SmallVec<RefEntry, 12>,
    // Cursors equal the table lengths, except while replaying a reference: then
    // definitions/types/refs met again are counted instead of added.
    class_cursor: usize,
    type_cursor: usize,
    ref_cursor: usize,
    /// A run of ASCII input bytes starting at offset `ascii_at`, validated once as a
    /// `str`: short ASCII strings inside it are sliced out of it without validating
    /// each one again (see `ascii_str`).
    ascii_at: usize,
    ascii: &'de str,
}

thread_local! {
    /// Hands a natively decoded `Value` to `Value`'s visitor (see `value.rs`).
    static VALUE_STASH: RefCell<Option<Value>> = const { RefCell::new(None) };
}

/// The string our Deserializer passes to `Value`'s visitor to say "take the stash".
pub(crate) const VALUE_STASH_MARKER: &str = "\u{0}$hessian2::Value::stash\u{0}";

pub(crate) fn take_stashed_value() -> Option<Value> {
    VALUE_STASH.with(|s| s.borrow_mut().take())
}

impl<'de> Deserializer<'de> {
    /// Decodes `input` with default [`Limits`].
    pub fn new(input: &'de [u8]) -> Self {
        Self::with_limits(input, Limits::default())
    }

    /// Decodes `input` with the given limits.
    pub fn with_limits(input: &'de [u8], limits: Limits) -> Self {
        Deserializer {
            input,
            pos: 0,
            limits,
            depth: 0,
            classes: SmallVec::new(),
            field_names: SmallVec::new(),
            owned_names: Vec::new(),
            types: Vec::new(),
            refs: SmallVec::new(),
            class_cursor: 0,
            type_cursor: 0,
            ref_cursor: 0,
            ascii_at: 0,
            ascii: "",
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes not consumed yet.
    pub fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
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
    ///
    /// Back-references stay [`Value::Ref`] (so cycles survive); their index counts
    /// every list, map and object of the body in the order they began.
    pub fn read_value(&mut self) -> Result<Value> {
        self.value()
    }

    /// Skips the next value, keeping the class-definition, type and reference tables
    /// right; allocates nothing for strings and binaries.
    pub fn skip_value(&mut self) -> Result<()> {
        self.skip()
    }

    /// Consumes the next value if it is a string written as one short chunk of ASCII
    /// characters (as Java writes names, versions and descriptors), and returns it,
    /// borrowed. Otherwise consumes nothing and returns `None`: the caller reads the value
    /// the general way, which gives the same string for this form. Skips serde's visitor
    /// and the chunk loop.
    pub fn next_ascii_str(&mut self) -> Option<&'de str> {
        self.next_with(Self::ascii_str)
    }

    /// Reads the next value with `read`, given its tag, when it is a string `read` takes;
    /// otherwise consumes nothing.
    #[inline(always)]
    fn next_with(&mut self, read: fn(&mut Self, u8) -> Option<&'de str>) -> Option<&'de str> {
        let at = self.pos;
        let tag = *self.input.get(at)?;
        self.pos = at + 1;
        let s = read(self, tag);
        if s.is_none() {
            self.pos = at;
        }
        s
    }

    /// Looks up `keys` in the map that is the next value, reading it to its end: for
    /// each key, the value of its first entry when that is a string (`Some(Some(_))`),
    /// `Some(None)` when that value is something else, `None` when no entry has the
    /// key. Strings are borrowed from the input whenever their wire form allows; keys
    /// that are not strings, and the values of other keys, are skipped. So a
    /// `Map<String, String>` (Dubbo's attachments) is searched without allocating.
    ///
    /// Returns `Ok(None)`, having skipped it, when the next value is not a map.
    /// Accepts exactly the inputs [`read_value`](Self::read_value) accepts and leaves
    /// the class-definition, type and reference tables as it would.
    #[allow(clippy::type_complexity)]
    pub fn lookup_str_map<const N: usize>(
        &mut self,
        keys: [&str; N],
    ) -> Result<Option<[Option<Option<Cow<'de, str>>>; N]>> {
        let (tag, at) = self.next_tag()?;
        if !matches!(tag, BC_MAP_UNTYPED | BC_MAP) {
            self.skip_tagged(tag, at)?;
            return Ok(None);
        }
        // The same steps as `value_tagged` for a map, so the tables end up the same.
        if tag == BC_MAP {
            self.type_index()?;
        }
        let r = self.add_ref(at);
        self.enter(at)?;
        let mut found = [const { None }; N];
        while !self.at_end_marker()? {
            let wanted = match self.key_or_skip()? {
                Some(key) => keys.iter().position(|k| k.as_bytes() == &*key),
                None => None,
            };
            match wanted {
                Some(i) if found[i].is_none() => {
                    let (tag, at) = self.next_tag()?;
                    found[i] = Some(match tag {
                        0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                            Some(self.text(tag, at)?.into_cow())
                        }
                        _ => {
                            self.skip_tagged(tag, at)?;
                            None
                        }
                    });
                }
                _ => self.skip()?,
            }
        }
        self.leave();
        self.ref_done(r);
        Ok(Some(found))
    }

    /// Reads the next value as a map key: its UTF-8 bytes when it is a string (validated
    /// as `text` validates), `None` (skipped) otherwise.
    fn key_or_skip(&mut self) -> Result<Option<Cow<'de, [u8]>>> {
        let (tag, at) = self.next_tag()?;
        match tag {
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                Ok(Some(match self.text(tag, at)? {
                    Text::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                    Text::Owned(s) => Cow::Owned(s.into_bytes()),
                }))
            }
            _ => {
                self.skip_tagged(tag, at)?;
                Ok(None)
            }
        }
    }

    // ---- low level -------------------------------------------------------------

    fn error(&self, kind: ErrorKind, at: usize) -> Error {
        Error::new(kind, at)
    }

    fn eof(&self) -> Error {
        Error::new(ErrorKind::UnexpectedEof, self.input.len())
    }

    fn unexpected(&self, tag: u8, at: usize, expected: &'static str) -> Error {
        Error::new(ErrorKind::UnexpectedTag { tag, expected }, at)
    }

    #[inline]
    fn byte(&mut self) -> Result<u8> {
        match self.input.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof()),
        }
    }

    #[inline]
    fn peek(&self) -> Result<u8> {
        self.input.get(self.pos).copied().ok_or_else(|| self.eof())
    }

    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        let input: &'de [u8] = self.input;
        match self.pos.checked_add(n) {
            Some(end) if end <= input.len() => {
                let s = &input[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => Err(self.eof()),
        }
    }

    #[inline(always)]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    #[inline]
    fn u16(&mut self) -> Result<usize> {
        Ok(usize::from(u16::from_be_bytes(self.array()?)))
    }

    #[inline]
    fn enter(&mut self, at: usize) -> Result<()> {
        if self.depth >= self.limits.max_depth {
            return Err(self.error(ErrorKind::DepthLimitExceeded(self.limits.max_depth), at));
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- numbers ---------------------------------------------------------------

    /// The numeric value of `tag` (already consumed), or `None` for a non-number.
    #[inline]
    fn number(&mut self, tag: u8) -> Result<Option<Num>> {
        Ok(Some(match tag {
            0x80..=0xbf => Num::Int(i32::from(tag) - 0x90),
            0xc0..=0xcf => Num::Int(((i32::from(tag) - 0xc8) << 8) | i32::from(self.byte()?)),
            0xd0..=0xd7 => {
                let [b1, b2] = self.array()?;
                Num::Int(((i32::from(tag) - 0xd4) << 16) | (i32::from(b1) << 8) | i32::from(b2))
            }
            BC_INT => Num::Int(i32::from_be_bytes(self.array()?)),
            0xd8..=0xef => Num::Long(i64::from(tag) - 0xe0),
            0xf0..=0xff => Num::Long(((i64::from(tag) - 0xf8) << 8) | i64::from(self.byte()?)),
            0x38..=0x3f => {
                let [b1, b2] = self.array()?;
                Num::Long(((i64::from(tag) - 0x3c) << 16) | (i64::from(b1) << 8) | i64::from(b2))
            }
            BC_LONG_INT => Num::Long(i64::from(i32::from_be_bytes(self.array()?))),
            BC_LONG => Num::Long(i64::from_be_bytes(self.array()?)),
            BC_DOUBLE_ZERO => Num::Double(0.0),
            BC_DOUBLE_ONE => Num::Double(1.0),
            BC_DOUBLE_BYTE => Num::Double(f64::from(self.byte()? as i8)),
            BC_DOUBLE_SHORT => Num::Double(f64::from(i16::from_be_bytes(self.array()?))),
            // Java's "mills": an int32 count of thousandths, decoded as Java does.
            BC_DOUBLE_MILL => Num::Double(0.001 * f64::from(i32::from_be_bytes(self.array()?))),
            BC_DOUBLE => Num::Double(f64::from_bits(u64::from_be_bytes(self.array()?))),
            _ => return Ok(None),
        }))
    }

    /// An int in a structural position (lengths, indexes, counts).
    #[inline]
    fn struct_int(&mut self, what: &'static str) -> Result<i64> {
        let at = self.pos;
        let tag = self.byte()?;
        match self.number(tag)? {
            Some(Num::Int(i)) => Ok(i64::from(i)),
            Some(Num::Long(l)) => Ok(l),
            _ => Err(self.unexpected(tag, at, what)),
        }
    }

    /// A length or count: non-negative and no larger than the remaining input
    /// (every element takes at least one byte).
    #[inline]
    fn length(&mut self, what: &'static str) -> Result<usize> {
        let at = self.pos;
        let n = self.struct_int(what)?;
        if n < 0 || n as u64 > self.remaining() as u64 {
            return Err(self.error(ErrorKind::InvalidLength(n), at));
        }
        Ok(n as usize)
    }

    #[inline]
    fn date(&mut self, tag: u8) -> Result<i64> {
        if tag == BC_DATE {
            Ok(i64::from_be_bytes(self.array()?))
        } else {
            Ok(i64::from(i32::from_be_bytes(self.array()?)) * 60000)
        }
    }

    // ---- strings ---------------------------------------------------------------

    /// Finds the end of `units` UTF-16 units of CESU-8/UTF-8 starting at `self.pos`.
    /// Returns the end offset and whether the bytes are plain UTF-8 without encoded
    /// surrogates (then `str::from_utf8` validates them and they can be borrowed).
    #[inline]
    fn scan_units(&self, units: usize) -> Result<(usize, bool)> {
        let input = self.input;
        let start = self.pos;
        // Every unit takes at least one byte: a cut-off chunk fails without a scan.
        if input.len() - start < units {
            return Err(self.eof());
        }
        if input[start..start + units].is_ascii() {
            return Ok((start + units, true));
        }
        let mut p = start;
        let mut n = 0;
        let mut simple = true;
        while n < units {
            let b = *input.get(p).ok_or_else(|| self.eof())?;
            let w = if b < 0x80 {
                1
            } else if b & 0xe0 == 0xc0 {
                2
            } else if b & 0xf0 == 0xe0 {
                if b == 0xed && input.get(p + 1).is_some_and(|&c| c >= 0xa0) {
                    simple = false;
                }
                3
            } else if b & 0xf8 == 0xf0 {
                // Standard 4-byte UTF-8 is accepted leniently (Java never writes it);
                // it is one supplementary character = two UTF-16 units.
                n += 1;
                4
            } else {
                return Err(self.error(ErrorKind::InvalidUtf8, p));
            };
            p += w;
            n += 1;
        }
        if p > input.len() {
            return Err(self.eof());
        }
        if n > units {
            // A 4-byte sequence straddles the announced length.
            return Err(self.error(ErrorKind::InvalidUtf8, p - 4));
        }
        Ok((p, simple))
    }

    /// The common case of a string whose first chunk tag (already consumed) is `tag`: one
    /// final chunk of ASCII, consumed and returned (ASCII needs no further validation).
    /// `None`, with nothing consumed, for any other string.
    #[inline]
    fn ascii_str(&mut self, tag: u8) -> Option<&'de str> {
        let (start, end) = self.short_span(tag)?;
        let s = match self.in_ascii_run(start, end) {
            Some(s) => s,
            None => self.ascii_run(start, end)?,
        };
        self.pos = end;
        Some(s)
    }

    /// [`ascii_str`](Self::ascii_str) for a string inside the current ASCII run only:
    /// `None` also for an ASCII string outside it. Calls nothing, so that hot callers
    /// can keep everything else out of line.
    #[inline(always)]
    fn ascii_str_in_run(&mut self, tag: u8) -> Option<&'de str> {
        let (start, end) = self.short_span(tag)?;
        let s = self.in_ascii_run(start, end)?;
        self.pos = end;
        Some(s)
    }

    /// Where the characters of a string whose first chunk tag (already consumed) is
    /// `tag` would be if it is one final chunk of ASCII (one byte a unit).
    #[inline(always)]
    fn short_span(&self, tag: u8) -> Option<(usize, usize)> {
        let (units, hdr) = match tag {
            0x00..=0x1f => (usize::from(tag), 0),
            0x30..=0x33 => (
                (usize::from(tag - 0x30) << 8) | usize::from(*self.input.get(self.pos)?),
                1,
            ),
            _ => return None,
        };
        // `pos` never passes the input's length and `units` < 1024: no overflow.
        let start = self.pos + hdr;
        Some((start, start + units))
    }

    /// The bytes `start..end` when they lie inside the current ASCII run. One unit is
    /// one byte exactly when the bytes are ASCII; a run of ASCII bytes around them
    /// (validated as a `str` once) shows that without a per-string scan.
    #[inline(always)]
    fn in_ascii_run(&self, start: usize, end: usize) -> Option<&'de str> {
        let from = start.checked_sub(self.ascii_at)?;
        self.ascii.get(from..from + (end - start))
    }

    /// Makes the ASCII run starting at `start` (at least to `end`, looking no further
    /// than `ASCII_WINDOW` bytes beyond `start` otherwise) the current one and returns
    /// its `start..end` part; `None`, keeping the current run, when those bytes are not
    /// all ASCII or not all there.
    #[inline(never)]
    fn ascii_run(&mut self, start: usize, end: usize) -> Option<&'de str> {
        let input: &'de [u8] = self.input;
        let limit = end.max(start + ASCII_WINDOW).min(input.len());
        let bytes = input.get(start..limit)?;
        let n = ascii_prefix(bytes);
        if start + n < end {
            return None;
        }
        // ASCII is valid UTF-8: this cannot fail (and costs one pass over the run).
        let run = std::str::from_utf8(&bytes[..n]).ok()?;
        self.ascii_at = start;
        self.ascii = run;
        run.get(..end - start)
    }

    /// Reads a string whose first chunk tag (already consumed) is `tag`.
    #[inline]
    fn text(&mut self, tag: u8, at: usize) -> Result<Text<'de>> {
        if let Some(s) = self.ascii_str(tag) {
            return Ok(Text::Borrowed(s));
        }
        self.text_chunks(tag, at)
    }

    /// The general string reader: any chunking, CESU-8, validation.
    fn text_chunks(&mut self, mut tag: u8, at: usize) -> Result<Text<'de>> {
        let mut owned: Option<String> = None;
        let mut high: Option<u32> = None;
        let mut tag_at = at;
        loop {
            let (units, last) = match tag {
                0x00..=0x1f => (usize::from(tag), true),
                0x30..=0x33 => (
                    (usize::from(tag - 0x30) << 8) | usize::from(self.byte()?),
                    true,
                ),
                BC_STRING => (self.u16()?, true),
                BC_STRING_CHUNK => (self.u16()?, false),
                _ => return Err(self.unexpected(tag, tag_at, "string chunk")),
            };
            let start = self.pos;
            let (end, simple) = self.scan_units(units)?;
            let input: &'de [u8] = self.input;
            let bytes = &input[start..end];
            self.pos = end;
            if simple && high.is_none() {
                let s = std::str::from_utf8(bytes)
                    .map_err(|e| self.error(ErrorKind::InvalidUtf8, start + e.valid_up_to()))?;
                match &mut owned {
                    None if last => return Ok(Text::Borrowed(s)),
                    None => {
                        let mut buf = String::with_capacity(bytes.len());
                        buf.push_str(s);
                        owned = Some(buf);
                    }
                    Some(buf) => buf.push_str(s),
                }
            } else {
                let buf = owned.get_or_insert_with(|| String::with_capacity(bytes.len()));
                decode_cesu8(bytes, start, Some(buf), &mut high)?;
            }
            if last {
                if high.is_some() {
                    return Err(self.error(ErrorKind::InvalidUtf8, end));
                }
                return Ok(Text::Owned(owned.unwrap_or_default()));
            }
            tag_at = self.pos;
            tag = self.byte()?;
        }
    }

    fn skip_text(&mut self, mut tag: u8, at: usize) -> Result<()> {
        let mut tag_at = at;
        let mut high: Option<u32> = None;
        loop {
            let (units, last) = match tag {
                0x00..=0x1f => (usize::from(tag), true),
                0x30..=0x33 => (
                    (usize::from(tag - 0x30) << 8) | usize::from(self.byte()?),
                    true,
                ),
                BC_STRING => (self.u16()?, true),
                BC_STRING_CHUNK => (self.u16()?, false),
                _ => return Err(self.unexpected(tag, tag_at, "string chunk")),
            };
            let start = self.pos;
            let (end, simple) = self.scan_units(units)?;
            let bytes = &self.input[start..end];
            // Validate like `text` does (without building the string), so that skipping
            // and reading accept exactly the same inputs.
            if simple && high.is_none() {
                if let Err(e) = std::str::from_utf8(bytes) {
                    return Err(self.error(ErrorKind::InvalidUtf8, start + e.valid_up_to()));
                }
            } else {
                decode_cesu8(bytes, start, None, &mut high)?;
            }
            self.pos = end;
            if last {
                if high.is_some() {
                    return Err(self.error(ErrorKind::InvalidUtf8, end));
                }
                return Ok(());
            }
            tag_at = self.pos;
            tag = self.byte()?;
        }
    }

    /// Reads a binary whose first chunk tag (already consumed) is `tag`.
    fn bytes(&mut self, mut tag: u8, at: usize, skip: bool) -> Result<Bytes<'de>> {
        let mut owned: Option<Vec<u8>> = None;
        let mut tag_at = at;
        loop {
            let (len, last) = match tag {
                0x20..=0x2f => (usize::from(tag - 0x20), true),
                0x34..=0x37 => (
                    (usize::from(tag - 0x34) << 8) | usize::from(self.byte()?),
                    true,
                ),
                BC_BINARY => (self.u16()?, true),
                BC_BINARY_CHUNK => (self.u16()?, false),
                _ => return Err(self.unexpected(tag, tag_at, "binary chunk")),
            };
            let data = self.take(len)?;
            if !skip {
                match &mut owned {
                    None if last => return Ok(Bytes::Borrowed(data)),
                    None => owned = Some(data.to_vec()),
                    Some(buf) => buf.extend_from_slice(data),
                }
            }
            if last {
                return Ok(Bytes::Owned(owned.unwrap_or_default()));
            }
            tag_at = self.pos;
            tag = self.byte()?;
        }
    }

    #[inline]
    fn string_value(&mut self, what: &'static str) -> Result<Text<'de>> {
        let at = self.pos;
        let tag = self.byte()?;
        match tag {
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => self.text(tag, at),
            _ => Err(self.unexpected(tag, at, what)),
        }
    }

    // ---- tables ----------------------------------------------------------------

    /// Reads the next tag, consuming any class definitions in front of it
    /// (iteratively: a run of definitions cannot recurse).
    #[inline]
    fn next_tag(&mut self) -> Result<(u8, usize)> {
        loop {
            let at = self.pos;
            let tag = self.byte()?;
            if tag != BC_CLASS_DEF {
                return Ok((tag, at));
            }
            self.class_def()?;
        }
    }

    fn class_def(&mut self) -> Result<()> {
        // Replaying a reference re-reads definitions that are already in the table.
        let new = self.class_cursor >= self.classes.len();
        let name = self.name_value("class name", new)?;
        let n = self.length("field count")?;
        let first = self.field_names.len();
        for _ in 0..n {
            let f = self.name_value("field name", new)?;
            if new {
                self.field_names.push(f);
            }
        }
        if new {
            self.classes.push(ClassDef {
                name,
                first,
                len: n,
            });
        }
        self.class_cursor += 1;
        Ok(())
    }

    /// A class or field name (a string), kept in `owned_names` when it cannot be
    /// borrowed and `keep` is set.
    #[inline]
    fn name_value(&mut self, what: &'static str, keep: bool) -> Result<Name<'de>> {
        match self.next_with(Self::ascii_str_in_run) {
            Some(s) => Ok(Name::Borrowed(s)),
            None => self.name_value_slow(what, keep),
        }
    }

    #[inline(never)]
    fn name_value_slow(&mut self, what: &'static str, keep: bool) -> Result<Name<'de>> {
        Ok(match self.string_value(what)? {
            Text::Owned(_) if !keep => Name::default(),
            t => self.intern(t),
        })
    }

    fn intern(&mut self, t: Text<'de>) -> Name<'de> {
        match t {
            Text::Borrowed(s) => Name::Borrowed(s),
            Text::Owned(s) => {
                self.owned_names.push(s);
                Name::Owned(self.owned_names.len() - 1)
            }
        }
    }

    fn name(&self, n: Name<'de>) -> &str {
        match n {
            Name::Borrowed(s) => s,
            Name::Owned(i) => &self.owned_names[i],
        }
    }

    /// Class-definition index of an object tag (already consumed).
    #[inline]
    fn object_def(&mut self, tag: u8) -> Result<usize> {
        let at = self.pos;
        let idx = if tag == BC_OBJECT {
            self.struct_int("class definition index")?
        } else {
            i64::from(tag - BC_OBJECT_DIRECT)
        };
        if idx < 0 || idx as u64 >= self.class_cursor as u64 {
            return Err(self.error(ErrorKind::InvalidClassRef(idx), at));
        }
        Ok(idx as usize)
    }

    /// A list/map type: a string (added to the type table) or an index into it.
    fn type_index(&mut self) -> Result<usize> {
        let at = self.pos;
        let tag = self.byte()?;
        match tag {
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                let t = self.text(tag, at)?;
                let idx = self.type_cursor;
                if idx >= self.types.len() {
                    self.types.push(t.into_string());
                }
                self.type_cursor += 1;
                Ok(idx)
            }
            _ => match self.number(tag)? {
                Some(Num::Int(i)) if i >= 0 && (i as usize) < self.type_cursor => Ok(i as usize),
                Some(Num::Int(i)) => Err(self.error(ErrorKind::InvalidTypeRef(i64::from(i)), at)),
                _ => Err(self.unexpected(tag, at, "type")),
            },
        }
    }

    /// Registers a list/map/object that begins at `at`.
    #[inline]
    fn add_ref(&mut self, at: usize) -> usize {
        let idx = self.ref_cursor;
        if idx >= self.refs.len() {
            self.refs.push(RefEntry {
                pos: at,
                classes: self.class_cursor,
                types: self.type_cursor,
                done: false,
            });
        }
        self.ref_cursor += 1;
        idx
    }

    #[inline]
    fn ref_done(&mut self, idx: usize) {
        self.refs.get_mut(idx).done = true;
    }

    /// Index of a back-reference whose `Q` (already consumed) was at `at`.
    fn ref_index(&mut self, at: usize) -> Result<usize> {
        let n = self.struct_int("reference index")?;
        if n < 0 || n as u64 >= self.ref_cursor as u64 {
            return Err(self.error(ErrorKind::InvalidRef(n), at));
        }
        Ok(n as usize)
    }

    /// Decodes the value a back-reference points to by reading its bytes again,
    /// with the tables rewound to what they were when it began.
    fn replay<R>(&mut self, at: usize, f: impl FnOnce(&mut Self) -> Result<R>) -> Result<R> {
        let n = self.ref_index(at)?;
        let e = *self.refs.get_mut(n);
        if !e.done {
            return Err(self.error(
                ErrorKind::Unsupported(
                    "reference to an enclosing value (a cycle) cannot be decoded into a typed value; use Value".into(),
                ),
                at,
            ));
        }
        self.enter(at)?;
        let saved = (
            self.pos,
            self.class_cursor,
            self.type_cursor,
            self.ref_cursor,
        );
        self.pos = e.pos;
        self.class_cursor = e.classes;
        self.type_cursor = e.types;
        self.ref_cursor = n;
        let r = f(self);
        (
            self.pos,
            self.class_cursor,
            self.type_cursor,
            self.ref_cursor,
        ) = saved;
        self.leave();
        r
    }

    /// `(type index, fixed length)` of a list whose tag (already consumed) is `tag`.
    #[inline]
    fn list_header(&mut self, tag: u8) -> Result<(Option<usize>, Option<usize>)> {
        Ok(match tag {
            BC_LIST_VARIABLE => (Some(self.type_index()?), None),
            BC_LIST_FIXED => {
                let t = self.type_index()?;
                (Some(t), Some(self.length("list length")?))
            }
            BC_LIST_VARIABLE_UNTYPED => (None, None),
            BC_LIST_FIXED_UNTYPED => (None, Some(self.length("list length")?)),
            0x70..=0x77 => (Some(self.type_index()?), Some(usize::from(tag - 0x70))),
            _ => (None, Some(usize::from(tag - 0x78))),
        })
    }

    /// True (and consumed) when the next byte is `Z`.
    #[inline]
    fn at_end_marker(&mut self) -> Result<bool> {
        if self.peek()? == BC_END {
            self.pos += 1;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    // ---- dynamic values --------------------------------------------------------

    fn value(&mut self) -> Result<Value> {
        let (tag, at) = self.next_tag()?;
        self.value_tagged(tag, at)
    }

    fn value_tagged(&mut self, tag: u8, at: usize) -> Result<Value> {
        Ok(match tag {
            BC_NULL => Value::Null,
            BC_TRUE => Value::Bool(true),
            BC_FALSE => Value::Bool(false),
            BC_DATE | BC_DATE_MINUTE => Value::Date(self.date(tag)?),
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                Value::String(self.text(tag, at)?.into_string())
            }
            0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK => {
                Value::Binary(match self.bytes(tag, at, false)? {
                    Bytes::Borrowed(b) => b.to_vec(),
                    Bytes::Owned(b) => b,
                })
            }
            BC_LIST_VARIABLE..=BC_LIST_FIXED_UNTYPED | 0x70..=0x7f => {
                let (ty, len) = self.list_header(tag)?;
                let ty = ty.map(|i| self.types[i].clone());
                let r = self.add_ref(at);
                self.enter(at)?;
                let mut items =
                    Vec::with_capacity(len.unwrap_or(0).min(self.remaining()).min(4096));
                match len {
                    Some(n) => {
                        for _ in 0..n {
                            items.push(self.value()?);
                        }
                    }
                    None => {
                        while !self.at_end_marker()? {
                            items.push(self.value()?);
                        }
                    }
                }
                self.leave();
                self.ref_done(r);
                Value::List { ty, items }
            }
            BC_MAP_UNTYPED | BC_MAP => {
                let ty = if tag == BC_MAP {
                    let i = self.type_index()?;
                    Some(self.types[i].clone())
                } else {
                    None
                };
                let r = self.add_ref(at);
                self.enter(at)?;
                let mut entries = Vec::with_capacity(self.flat_map_entries().unwrap_or(0));
                while !self.at_end_marker()? {
                    let k = self.value()?;
                    let v = self.value()?;
                    entries.push((k, v));
                }
                self.leave();
                self.ref_done(r);
                Value::Map { ty, entries }
            }
            BC_OBJECT | 0x60..=0x6f => {
                let d = self.object_def(tag)?;
                let r = self.add_ref(at);
                self.enter(at)?;
                let ClassDef {
                    name,
                    first,
                    len: n,
                } = self.classes.get(d);
                let class = self.name(name).to_owned();
                let mut fields = Vec::with_capacity(n);
                for i in 0..n {
                    let name = self.name(self.field_names.get(first + i)).to_owned();
                    fields.push((name, self.value()?));
                }
                self.leave();
                self.ref_done(r);
                Value::Object { class, fields }
            }
            BC_REF => Value::Ref(self.ref_index(at)? as u32),
            _ => match self.number(tag)? {
                Some(Num::Int(i)) => Value::Int(i),
                Some(Num::Long(l)) => Value::Long(l),
                Some(Num::Double(d)) => Value::Double(d),
                None => return Err(self.unexpected(tag, at, "value")),
            },
        })
    }

    fn skip(&mut self) -> Result<()> {
        let (tag, at) = self.next_tag()?;
        self.skip_tagged(tag, at)
    }

    fn skip_tagged(&mut self, tag: u8, at: usize) -> Result<()> {
        match tag {
            BC_NULL | BC_TRUE | BC_FALSE => {}
            BC_DATE => {
                self.take(8)?;
            }
            BC_DATE_MINUTE => {
                self.take(4)?;
            }
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                // Skipping only needs to know the string is one chunk of ASCII (one byte a
                // unit): no run is validated for it.
                match self.short_span(tag) {
                    Some((start, end)) if self.is_ascii_span(start, end) => self.pos = end,
                    _ => self.skip_text(tag, at)?,
                }
            }
            0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK => {
                self.bytes(tag, at, true)?;
            }
            BC_LIST_VARIABLE..=BC_LIST_FIXED_UNTYPED | 0x70..=0x7f => {
                let (_, len) = self.list_header(tag)?;
                let r = self.add_ref(at);
                self.enter(at)?;
                match len {
                    Some(n) => {
                        for _ in 0..n {
                            self.skip()?;
                        }
                    }
                    None => {
                        while !self.at_end_marker()? {
                            self.skip()?;
                        }
                    }
                }
                self.leave();
                self.ref_done(r);
            }
            BC_MAP_UNTYPED | BC_MAP => {
                if tag == BC_MAP {
                    self.type_index()?;
                }
                let r = self.add_ref(at);
                self.enter(at)?;
                while !self.at_end_marker()? {
                    self.skip()?;
                    self.skip()?;
                }
                self.leave();
                self.ref_done(r);
            }
            BC_OBJECT | 0x60..=0x6f => {
                let d = self.object_def(tag)?;
                let r = self.add_ref(at);
                self.enter(at)?;
                for _ in 0..self.classes.get(d).len {
                    self.skip()?;
                }
                self.leave();
                self.ref_done(r);
            }
            BC_REF => {
                self.ref_index(at)?;
            }
            _ => {
                if self.number(tag)?.is_none() {
                    return Err(self.unexpected(tag, at, "value"));
                }
            }
        }
        Ok(())
    }

    // ---- typed helpers ---------------------------------------------------------

    /// Everything `deserialize_any` does once the tag is known.
    fn any_tagged<V: Visitor<'de>>(&mut self, tag: u8, at: usize, visitor: V) -> Result<V::Value> {
        match tag {
            BC_NULL => visitor.visit_unit(),
            BC_TRUE => visitor.visit_bool(true),
            BC_FALSE => visitor.visit_bool(false),
            BC_DATE | BC_DATE_MINUTE => {
                let ms = self.date(tag)?;
                visitor.visit_i64(ms)
            }
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => match self.text(tag, at)? {
                Text::Borrowed(s) => visitor.visit_borrowed_str(s),
                Text::Owned(s) => visitor.visit_string(s),
            },
            0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK => {
                match self.bytes(tag, at, false)? {
                    Bytes::Borrowed(b) => visitor.visit_borrowed_bytes(b),
                    Bytes::Owned(b) => visitor.visit_byte_buf(b),
                }
            }
            BC_LIST_VARIABLE..=BC_LIST_FIXED_UNTYPED | 0x70..=0x7f => {
                self.list_tagged(tag, at, visitor)
            }
            BC_MAP_UNTYPED | BC_MAP => self.map_tagged(tag, at, visitor),
            BC_OBJECT | 0x60..=0x6f => self.object_tagged(tag, at, visitor),
            BC_REF => self.replay(at, |de| de::Deserializer::deserialize_any(de, visitor)),
            _ => match self.number(tag)? {
                Some(Num::Int(i)) => visitor.visit_i32(i),
                Some(Num::Long(l)) => visitor.visit_i64(l),
                Some(Num::Double(d)) => visitor.visit_f64(d),
                None => Err(self.unexpected(tag, at, "value")),
            },
        }
        .map_err(|e| e.at(at))
    }

    fn list_tagged<V: Visitor<'de>>(&mut self, tag: u8, at: usize, visitor: V) -> Result<V::Value> {
        let (_, len) = self.list_header(tag)?;
        let r = self.add_ref(at);
        self.enter(at)?;
        let mut acc = ListAccess { de: self, len };
        let v = visitor.visit_seq(&mut acc)?;
        acc.finish(at)?;
        self.leave();
        self.ref_done(r);
        Ok(v)
    }

    fn map_tagged<V: Visitor<'de>>(&mut self, tag: u8, at: usize, visitor: V) -> Result<V::Value> {
        if tag == BC_MAP {
            self.type_index()?;
        }
        let r = self.add_ref(at);
        self.enter(at)?;
        let mut acc = MapAccess {
            de: self,
            ended: false,
        };
        let v = visitor.visit_map(&mut acc)?;
        acc.finish()?;
        self.leave();
        self.ref_done(r);
        Ok(v)
    }

    fn object_tagged<V: Visitor<'de>>(
        &mut self,
        tag: u8,
        at: usize,
        visitor: V,
    ) -> Result<V::Value> {
        let def = self.object_def(tag)?;
        let r = self.add_ref(at);
        self.enter(at)?;
        let ClassDef { first, len: n, .. } = self.classes.get(def);
        let mut acc = ObjectAccess {
            de: self,
            first,
            i: 0,
            n,
            value_pending: false,
        };
        let v = visitor.visit_map(&mut acc)?;
        acc.finish()?;
        self.leave();
        self.ref_done(r);
        Ok(v)
    }

    /// An enum: a Java enum object `{name}`, a plain string, or `{variant: value}`.
    fn enum_tagged<V: Visitor<'de>>(&mut self, tag: u8, at: usize, visitor: V) -> Result<V::Value> {
        match tag {
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => match self.text(tag, at)? {
                Text::Borrowed(s) => visitor.visit_enum(s.into_deserializer()),
                Text::Owned(s) => visitor.visit_enum(s.into_deserializer()),
            },
            BC_OBJECT | 0x60..=0x6f => {
                let def = self.object_def(tag)?;
                let r = self.add_ref(at);
                self.enter(at)?;
                let mut name: Option<Text<'de>> = None;
                let ClassDef { first, len, .. } = self.classes.get(def);
                for i in 0..len {
                    if name.is_none() && self.name(self.field_names.get(first + i)) == "name" {
                        name = Some(self.string_value("enum constant name")?);
                    } else {
                        self.skip()?;
                    }
                }
                self.leave();
                self.ref_done(r);
                match name {
                    Some(Text::Borrowed(s)) => visitor.visit_enum(s.into_deserializer()),
                    Some(Text::Owned(s)) => visitor.visit_enum(s.into_deserializer()),
                    None => Err(self.error(
                        ErrorKind::Message(format!(
                            "enum object {} has no `name` field",
                            self.name(self.classes.get(def).name)
                        )),
                        at,
                    )),
                }
            }
            BC_MAP_UNTYPED | BC_MAP => {
                if tag == BC_MAP {
                    self.type_index()?;
                }
                let r = self.add_ref(at);
                self.enter(at)?;
                let v = visitor.visit_enum(EnumAccess { de: self })?;
                if !self.at_end_marker()? {
                    let p = self.pos;
                    let t = self.peek()?;
                    return Err(self.unexpected(t, p, "end of single-entry enum map"));
                }
                self.leave();
                self.ref_done(r);
                Ok(v)
            }
            BC_REF => self.replay(at, |de| {
                let (tag, at) = de.next_tag()?;
                de.enum_tagged(tag, at, visitor)
            }),
            _ => self.any_tagged(tag, at, visitor),
        }
    }

    /// `deserialize_str` past its fast path: any string form, a class definition in
    /// front, or another value for the visitor to take or refuse.
    fn str_tagged<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        match tag {
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => match self.text(tag, at)? {
                Text::Borrowed(s) => visitor.visit_borrowed_str(s),
                Text::Owned(s) => visitor.visit_string(s),
            }
            .map_err(|e: Error| e.at(at)),
            _ => self.any_tagged(tag, at, visitor),
        }
    }

    fn integer<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        match self.number(tag)? {
            Some(Num::Int(i)) => visitor.visit_i32(i),
            Some(Num::Long(l)) => visitor.visit_i64(l),
            Some(Num::Double(d)) => {
                // Lossless only: an integral double within i64 range.
                // 2^63 as f64: the range an i64 holds exactly at its ends.
                const TWO_63: f64 = 9_223_372_036_854_775_808.0;
                if d.fract() == 0.0 && (-TWO_63..TWO_63).contains(&d) {
                    visitor.visit_i64(d as i64)
                } else {
                    visitor.visit_f64(d)
                }
            }
            None if tag == BC_REF => self.replay(at, |de| de.integer(visitor)),
            None => self.any_tagged(tag, at, visitor),
        }
        .map_err(|e| e.at(at))
    }

    fn float<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        match self.number(tag)? {
            Some(Num::Int(i)) => visitor.visit_f64(f64::from(i)),
            Some(Num::Long(l)) => visitor.visit_f64(l as f64),
            Some(Num::Double(d)) => visitor.visit_f64(d),
            None => self.any_tagged(tag, at, visitor),
        }
        .map_err(|e| e.at(at))
    }
}

/// Decodes CESU-8 (surrogates as separate 3-byte sequences) and, leniently,
/// standard UTF-8, validating every byte. `high` carries an unpaired high surrogate
/// across chunk boundaries.
fn decode_cesu8(
    bytes: &[u8],
    base: usize,
    mut out: Option<&mut String>,
    high: &mut Option<u32>,
) -> Result<()> {
    let bad = |i: usize| Error::new(ErrorKind::InvalidUtf8, base + i);
    let cont = |i: usize| -> Result<u32> {
        match bytes.get(i) {
            Some(&b) if b & 0xc0 == 0x80 => Ok(u32::from(b & 0x3f)),
            _ => Err(bad(i)),
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (cp, w) = if b < 0x80 {
            (u32::from(b), 1)
        } else if (0xc2..=0xdf).contains(&b) {
            ((u32::from(b & 0x1f) << 6) | cont(i + 1)?, 2)
        } else if b & 0xf0 == 0xe0 {
            let cp = (u32::from(b & 0x0f) << 12) | (cont(i + 1)? << 6) | cont(i + 2)?;
            if cp < 0x800 {
                return Err(bad(i));
            }
            (cp, 3)
        } else if (0xf0..=0xf4).contains(&b) {
            let cp = (u32::from(b & 0x07) << 18)
                | (cont(i + 1)? << 12)
                | (cont(i + 2)? << 6)
                | cont(i + 3)?;
            if !(0x10000..=0x10ffff).contains(&cp) {
                return Err(bad(i));
            }
            (cp, 4)
        } else {
            return Err(bad(i));
        };
        match cp {
            0xd800..=0xdbff => {
                if high.is_some() {
                    return Err(bad(i));
                }
                *high = Some(cp);
            }
            0xdc00..=0xdfff => match high.take() {
                Some(h) => {
                    let c = 0x10000 + ((h - 0xd800) << 10) + (cp - 0xdc00);
                    let c = char::from_u32(c).ok_or_else(|| bad(i))?;
                    if let Some(out) = out.as_deref_mut() {
                        out.push(c);
                    }
                }
                None => return Err(bad(i)),
            },
            _ => {
                if high.is_some() {
                    // An unpaired high surrogate cannot be represented in a Rust string.
                    return Err(bad(i));
                }
                let c = char::from_u32(cp).ok_or_else(|| bad(i))?;
                if let Some(out) = out.as_deref_mut() {
                    out.push(c);
                }
            }
        }
        i += w;
    }
    Ok(())
}

// ---- access types ------------------------------------------------------------

struct ListAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    /// Remaining items of a fixed list; `None` for a variable list not yet ended.
    len: Option<usize>,
}

impl ListAccess<'_, '_> {
    /// The visitor must have consumed every item.
    fn finish(&mut self, at: usize) -> Result<()> {
        let more = match self.len {
            Some(n) => n > 0,
            None => !self.de.at_end_marker()?,
        };
        if more {
            return Err(self.de.error(
                ErrorKind::Message("list has more items than the Rust type takes".into()),
                at,
            ));
        }
        Ok(())
    }
}

impl<'de> de::SeqAccess<'de> for ListAccess<'_, 'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match &mut self.len {
            Some(0) => return Ok(None),
            Some(n) => *n -= 1,
            None => {
                if self.de.at_end_marker()? {
                    self.len = Some(0);
                    return Ok(None);
                }
            }
        }
        let at = self.de.pos;
        seed.deserialize(&mut *self.de)
            .map(Some)
            .map_err(|e| e.at(at))
    }
    fn size_hint(&self) -> Option<usize> {
        // Bounded by the input: a hostile length cannot make serde pre-allocate.
        self.len.map(|n| n.min(self.de.remaining()).min(4096))
    }
}

struct MapAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    ended: bool,
}

impl MapAccess<'_, '_> {
    fn finish(&mut self) -> Result<()> {
        while !self.ended && !self.de.at_end_marker()? {
            self.de.skip()?;
            self.de.skip()?;
        }
        Ok(())
    }
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.ended {
            return Ok(None);
        }
        if self.de.at_end_marker()? {
            self.ended = true;
            return Ok(None);
        }
        let at = self.de.pos;
        seed.deserialize(&mut *self.de)
            .map(Some)
            .map_err(|e| e.at(at))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let at = self.de.pos;
        seed.deserialize(&mut *self.de).map_err(|e| e.at(at))
    }
    fn size_hint(&self) -> Option<usize> {
        if self.ended {
            return Some(0);
        }
        self.de.flat_map_entries()
    }
}

/// How far [`Deserializer::ascii_run`] looks for the end of an ASCII run beyond the
/// string that needs it: far enough to cover the strings that follow one another in a
/// typical body (header strings, field names, a map of attachments), short enough that
/// a hostile input cannot make it scan much more than it reads.
const ASCII_WINDOW: usize = 256;

/// Length of the ASCII prefix of `bytes`, eight bytes at a time.
#[inline]
fn ascii_prefix(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0;
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let high = u64::from_le_bytes(w) & HIGH;
        if high != 0 {
            return n + (high.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + chunks
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(chunks.remainder().len())
}

impl Deserializer<'_> {
    /// Number of entries of the map whose entries start at the current position, when
    /// its keys and values are all scalars or single-chunk ASCII strings (Dubbo's
    /// attachments, `Map<String, String>`), found without decoding: lets `HashMap`
    /// allocate once instead of growing. `None` (no hint) for anything else; looks at
    /// no more than 64 entries.
    fn flat_map_entries(&self) -> Option<usize> {
        let input = self.input;
        let mut p = self.pos;
        let mut items = 0usize;
        loop {
            let tag = *input.get(p)?;
            let len = match tag {
                BC_END => return (items % 2 == 0).then_some(items / 2),
                0x00..=0x1f => {
                    let n = usize::from(tag);
                    if !self.is_ascii_span(p + 1, p + 1 + n) {
                        return None;
                    }
                    1 + n
                }
                0x30..=0x33 => {
                    let n = (usize::from(tag - 0x30) << 8) | usize::from(*input.get(p + 1)?);
                    if !self.is_ascii_span(p + 2, p + 2 + n) {
                        return None;
                    }
                    2 + n
                }
                BC_NULL
                | BC_TRUE
                | BC_FALSE
                | 0x80..=0xbf
                | 0xd8..=0xef
                | BC_DOUBLE_ZERO
                | BC_DOUBLE_ONE => 1,
                0xc0..=0xcf | 0xf0..=0xff | BC_DOUBLE_BYTE => 2,
                0xd0..=0xd7 | 0x38..=0x3f | BC_DOUBLE_SHORT => 3,
                BC_INT | BC_LONG_INT | BC_DOUBLE_MILL | BC_DATE_MINUTE => 5,
                BC_LONG | BC_DOUBLE | BC_DATE => 9,
                _ => return None,
            };
            p += len;
            items += 1;
            if items > 128 {
                return None;
            }
        }
    }

    /// True when the input bytes `start..end` are all there and all ASCII (looked up
    /// in the current ASCII run first).
    #[inline]
    fn is_ascii_span(&self, start: usize, end: usize) -> bool {
        (start >= self.ascii_at && end <= self.ascii_at + self.ascii.len())
            || self.input.get(start..end).is_some_and(<[u8]>::is_ascii)
    }
}

struct ObjectAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    /// The class definition's first field in `field_names`.
    first: usize,
    i: usize,
    n: usize,
    value_pending: bool,
}

impl ObjectAccess<'_, '_> {
    /// Skips the fields the visitor did not ask for.
    fn finish(&mut self) -> Result<()> {
        if self.value_pending {
            self.de.skip()?;
            self.value_pending = false;
        }
        while self.i < self.n {
            self.i += 1;
            self.de.skip()?;
        }
        Ok(())
    }
}

impl<'de> de::MapAccess<'de> for ObjectAccess<'_, 'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.value_pending {
            self.de.skip()?;
            self.value_pending = false;
        }
        if self.i >= self.n {
            return Ok(None);
        }
        let at = self.de.pos;
        let r = match self.de.field_names.get(self.first + self.i) {
            Name::Borrowed(name) => {
                seed.deserialize(de::value::BorrowedStrDeserializer::<Error>::new(name))
            }
            Name::Owned(k) => seed.deserialize(de::value::StrDeserializer::<Error>::new(
                &self.de.owned_names[k],
            )),
        };
        self.i += 1;
        self.value_pending = true;
        r.map(Some).map_err(|e| e.at(at))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        self.value_pending = false;
        let at = self.de.pos;
        seed.deserialize(&mut *self.de).map_err(|e| e.at(at))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.n - self.i)
    }
}

/// Vec<u8> from a Hessian binary, Vec<char> from a string.
struct IterAccess<I>(I);

impl<'de, I, T> de::SeqAccess<'de> for IterAccess<I>
where
    I: Iterator<Item = T> + ExactSizeIterator,
    T: IntoDeserializer<'de, Error>,
{
    type Error = Error;
    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>> {
        match self.0.next() {
            Some(b) => seed.deserialize(b.into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// `{variant: value}` in an untyped map.
struct EnumAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'a, 'de> de::EnumAccess<'de> for EnumAccess<'a, 'de> {
    type Error = Error;
    type Variant = Self;
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = seed.deserialize(&mut *self.de)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for EnumAccess<'_, 'de> {
    type Error = Error;
    fn unit_variant(self) -> Result<()> {
        self.de.skip()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(&mut *self.de, visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_map(&mut *self.de, visitor)
    }
}

struct EmptyMap;

impl<'de> de::MapAccess<'de> for EmptyMap {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _seed: K) -> Result<Option<K::Value>> {
        Ok(None)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, _seed: V) -> Result<V::Value> {
        Err(Error::new(
            ErrorKind::Message("empty map has no values".into()),
            usize::MAX,
        ))
    }
}

// ---- serde::Deserializer ------------------------------------------------------

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        self.any_tagged(tag, at, visitor)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.integer(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.float(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.float(visitor)
    }
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }
    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.pos;
        match self.next_with(Deserializer::ascii_str_in_run) {
            Some(s) => visitor.visit_borrowed_str(s).map_err(|e: Error| e.at(at)),
            None => self.str_tagged(visitor),
        }
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek()? == BC_NULL {
            self.pos += 1;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            let v = self.value()?;
            VALUE_STASH.with(|s| *s.borrow_mut() = Some(v));
            let r = visitor.visit_str(VALUE_STASH_MARKER);
            take_stashed_value();
            return r;
        }
        if name == DATE_TOKEN {
            let (tag, at) = self.next_tag()?;
            return match tag {
                BC_DATE | BC_DATE_MINUTE => {
                    let ms = self.date(tag)?;
                    visitor.visit_i64(ms)
                }
                _ => self.any_tagged(tag, at, visitor),
            };
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        match tag {
            // Java byte[] arrives as binary; `Vec<u8>` asks for a sequence.
            0x20..=0x2f | 0x34..=0x37 | BC_BINARY | BC_BINARY_CHUNK => {
                match self.bytes(tag, at, false)? {
                    Bytes::Borrowed(b) => visitor.visit_seq(IterAccess(b.iter().copied())),
                    Bytes::Owned(b) => visitor.visit_seq(IterAccess(b.into_iter())),
                }
            }
            // Java char[] arrives as a string.
            0x00..=0x1f | 0x30..=0x33 | BC_STRING | BC_STRING_CHUNK => {
                let s = self.text(tag, at)?.into_string();
                let chars: Vec<char> = s.chars().collect();
                visitor.visit_seq(IterAccess(chars.into_iter()))
            }
            // A Java null collection decodes as an empty one.
            BC_NULL => visitor.visit_seq(IterAccess(std::iter::empty::<u8>())),
            BC_REF => self.replay(at, |de| de::Deserializer::deserialize_seq(de, visitor)),
            _ => self.any_tagged(tag, at, visitor),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        match tag {
            BC_NULL => visitor.visit_map(EmptyMap),
            BC_REF => self.replay(at, |de| de::Deserializer::deserialize_map(de, visitor)),
            _ => self.any_tagged(tag, at, visitor),
        }
        .map_err(|e| e.at(at))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // Any class name is accepted: Java sends subclasses and its own names.
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let (tag, at) = self.next_tag()?;
        self.enum_tagged(tag, at, visitor).map_err(|e| e.at(at))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip()?;
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}
