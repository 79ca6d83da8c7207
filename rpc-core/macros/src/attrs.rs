//! The macros' own attributes: `#[service(...)]`, `#[dubbo(...)]` on methods, `#[java(...)]`
//! on derived types, plus the serde container `rename` that `#[derive(JavaType)]` reads.
//!
//! All of them are comma-separated `key = "string"` lists. The syntax is parsed into
//! [`KeyValue`]s first; each attribute then interprets the keys, reporting an unknown or
//! repeated key, or a value that is not a string literal, at that token and going on.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Token};

use crate::errors::Errors;
use crate::java;

/// One `key = value` pair. The key may be a keyword (`crate`).
pub(crate) struct KeyValue {
    key: Ident,
    value: Expr,
}

impl Parse for KeyValue {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(KeyValue { key, value })
    }
}

/// A comma-separated list of [`KeyValue`]s, as every attribute here takes.
struct KeyValues(Punctuated<KeyValue, Token![,]>);

impl Parse for KeyValues {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Punctuated::parse_terminated(input).map(KeyValues)
    }
}

/// Interprets key-value pairs for one attribute, tracking repeated keys.
struct KeyReader<'a> {
    attribute: &'static str,
    seen: Vec<String>,
    errors: &'a mut Errors,
}

impl<'a> KeyReader<'a> {
    fn new(attribute: &'static str, errors: &'a mut Errors) -> Self {
        KeyReader {
            attribute,
            seen: Vec::new(),
            errors,
        }
    }

    /// The string value of `kv`, or `None` after recording why it is not usable (a repeated
    /// key, or a value that is not a string literal).
    fn string(&mut self, kv: &KeyValue) -> Option<LitStr> {
        let key = kv.key.unraw().to_string();
        if self.seen.contains(&key) {
            self.errors.spanned(
                &kv.key,
                format!("`{key}` is given more than once in #[{}]", self.attribute),
            );
            return None;
        }
        self.seen.push(key.clone());
        match &kv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            }) => Some(lit.clone()),
            other => {
                self.errors.spanned(
                    other,
                    format!("expected a string literal: `{key} = \"...\"`"),
                );
                None
            }
        }
    }

    fn unknown(&mut self, kv: &KeyValue, expected: &str) {
        self.errors.spanned(
            &kv.key,
            format!(
                "unknown key `{}` in #[{}]; expected {expected}",
                kv.key.unraw(),
                self.attribute
            ),
        );
    }
}

/// A `crate = "..."` value: the path of the runtime crate.
fn crate_path(lit: &LitStr, errors: &mut Errors) -> Option<syn::Path> {
    errors.ok(lit.parse::<syn::Path>().map_err(|_| {
        syn::Error::new(
            lit.span(),
            "expected the path of the dubbo_rpc crate, e.g. `crate = \"::dubbo_rpc\"`",
        )
    }))
}

/// The default runtime crate path, `::dubbo_rpc`.
pub(crate) fn default_crate_path() -> syn::Path {
    syn::parse_quote!(::dubbo_rpc)
}

/// The arguments of `#[service(interface = "...", version = "...", group = "...", crate = "...")]`.
pub(crate) struct ServiceArgs {
    /// The Java interface name.
    pub(crate) interface: LitStr,
    /// The default version.
    pub(crate) version: Option<LitStr>,
    /// The default group.
    pub(crate) group: Option<LitStr>,
    /// The runtime crate path.
    pub(crate) krate: syn::Path,
}

impl Parse for ServiceArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let pairs = input.parse::<KeyValues>()?.0;
        let mut errors = Errors::new();
        let mut keys = KeyReader::new("service", &mut errors);
        let (mut interface, mut version, mut group, mut krate) = (None, None, None, None);
        for kv in &pairs {
            match kv.key.unraw().to_string().as_str() {
                "interface" => interface = keys.string(kv),
                "version" => version = keys.string(kv),
                "group" => group = keys.string(kv),
                "crate" => {
                    if let Some(lit) = keys.string(kv) {
                        krate = crate_path(&lit, keys.errors);
                    }
                }
                _ => keys.unknown(kv, "`interface`, `version`, `group` or `crate`"),
            }
        }
        let seen_interface = keys.seen.iter().any(|k| k == "interface");
        if let Some(lit) = &interface {
            if let Err(e) = java::class_descriptor(&lit.value()) {
                errors.at(lit.span(), format!("invalid interface name: {e}"));
            }
        } else if !seen_interface {
            errors.at(
                Span::call_site(),
                "missing the Java interface name: \
                 #[service(interface = \"org.example.DemoService\")]",
            );
        }
        for lit in [&version, &group].into_iter().flatten() {
            if lit.value().trim().is_empty() {
                errors.at(lit.span(), "empty value; leave the key out instead");
            }
        }
        match interface {
            Some(interface) if errors.is_empty() => Ok(ServiceArgs {
                interface,
                version,
                group,
                krate: krate.unwrap_or_else(default_crate_path),
            }),
            _ => Err(errors
                .into_error()
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid #[service]"))),
        }
    }
}

/// The per-method overrides of `#[dubbo(name = "...", parameter_types = "...")]`.
#[derive(Default)]
pub(crate) struct MethodAttrs {
    /// The Java method name.
    pub(crate) name: Option<LitStr>,
    /// The JVM parameter descriptor.
    pub(crate) parameter_types: Option<LitStr>,
}

impl MethodAttrs {
    /// Whether `attr` is a `#[dubbo(...)]` attribute.
    pub(crate) fn is_dubbo(attr: &Attribute) -> bool {
        attr.path().is_ident("dubbo")
    }

    /// Reads every `#[dubbo(...)]` among `attrs`, validating the values.
    pub(crate) fn from_attrs(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = MethodAttrs::default();
        let mut seen = Vec::new();
        for attr in attrs.iter().filter(|a| Self::is_dubbo(a)) {
            let Some(pairs) = errors.ok(attr.parse_args::<KeyValues>()) else {
                continue;
            };
            let mut keys = KeyReader::new("dubbo", errors);
            keys.seen = std::mem::take(&mut seen);
            for kv in &pairs.0 {
                match kv.key.unraw().to_string().as_str() {
                    "name" => out.name = keys.string(kv).or(out.name.take()),
                    "parameter_types" => {
                        out.parameter_types = keys.string(kv).or(out.parameter_types.take());
                    }
                    _ => keys.unknown(kv, "`name` or `parameter_types`"),
                }
            }
            seen = keys.seen;
        }
        if let Some(name) = &out.name {
            if let Err(e) = java::check_identifier(&name.value()) {
                errors.at(name.span(), format!("invalid Java method name: {e}"));
            }
        }
        out
    }
}

/// The `#[java(class = "...", crate = "...")]` attribute of `#[derive(JavaType)]`, merged with
/// the serde container name.
#[derive(Default)]
pub(crate) struct JavaAttrs {
    /// `#[java(class = "...")]`.
    pub(crate) class: Option<LitStr>,
    /// `#[serde(rename = "...")]` (or `rename(serialize = "...")`).
    pub(crate) serde_rename: Option<LitStr>,
    /// `#[java(crate = "...")]`.
    pub(crate) krate: Option<syn::Path>,
}

impl JavaAttrs {
    /// Reads the `#[java(...)]` and `#[serde(...)]` container attributes.
    pub(crate) fn from_attrs(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = JavaAttrs::default();
        let mut seen = Vec::new();
        for attr in attrs {
            if attr.path().is_ident("serde") {
                if let Some(rename) = serde_rename(attr) {
                    out.serde_rename = Some(rename);
                }
                continue;
            }
            if !attr.path().is_ident("java") {
                continue;
            }
            let Some(pairs) = errors.ok(attr.parse_args::<KeyValues>()) else {
                continue;
            };
            let mut keys = KeyReader::new("java", errors);
            keys.seen = std::mem::take(&mut seen);
            for kv in &pairs.0 {
                match kv.key.unraw().to_string().as_str() {
                    "class" => out.class = keys.string(kv).or(out.class.take()),
                    "crate" => {
                        if let Some(lit) = keys.string(kv) {
                            out.krate = crate_path(&lit, keys.errors);
                        }
                    }
                    _ => keys.unknown(kv, "`class` or `crate`"),
                }
            }
            seen = keys.seen;
        }
        out
    }
}

/// The serialized container name of a `#[serde(...)]` attribute, if it renames the type.
///
/// Other serde keys are skipped; an attribute this cannot read is left for serde's own
/// derive to report.
fn serde_rename(attr: &Attribute) -> Option<LitStr> {
    let mut rename = None;
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            if meta.input.peek(Token![=]) {
                rename = Some(meta.value()?.parse::<LitStr>()?);
            } else {
                // `rename(serialize = "...", deserialize = "...")`: the serialized name is
                // the class the encoder writes.
                let (mut ser, mut de) = (None, None);
                meta.parse_nested_meta(|inner| {
                    let value = inner.value()?.parse::<LitStr>()?;
                    if inner.path.is_ident("serialize") {
                        ser = Some(value);
                    } else if inner.path.is_ident("deserialize") {
                        de = Some(value);
                    }
                    Ok(())
                })?;
                rename = ser.or(de);
            }
            return Ok(());
        }
        skip_meta_value(meta.input)
    });
    rename
}

/// Skips the value of a nested meta item serde may accept: `= expr`, `(...)` or nothing.
fn skip_meta_value(input: ParseStream<'_>) -> syn::Result<()> {
    if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        input.parse::<Expr>()?;
    } else if input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in input);
    }
    Ok(())
}
