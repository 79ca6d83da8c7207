//! The `#[service]` trait, parsed and validated into this crate's own structs.
//!
//! [`ServiceTrait`]'s `Parse` impl reads a `syn::ItemTrait` and checks everything the
//! generated code relies on, recording each problem at the offending token and reporting all
//! of them together.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{
    Attribute, FnArg, GenericArgument, Ident, ItemTrait, LitStr, Pat, PathArguments, ReturnType,
    Signature, TraitItem, TraitItemFn, Type, TypeParamBound, Visibility,
};

use crate::attrs::MethodAttrs;
use crate::errors::Errors;
use crate::java;

/// A validated service trait.
pub(crate) struct ServiceTrait {
    /// The trait's attributes (docs and others), kept on the emitted trait.
    pub(crate) attrs: Vec<Attribute>,
    /// The trait's visibility, also given to the generated server and client.
    pub(crate) vis: Visibility,
    /// The `trait` keyword, re-emitted so diagnostics about the trait point at it.
    pub(crate) trait_token: syn::Token![trait],
    /// The trait's name.
    pub(crate) ident: Ident,
    /// The methods, in declaration order.
    pub(crate) methods: Vec<RpcMethod>,
}

/// One validated RPC method.
pub(crate) struct RpcMethod {
    /// The method's attributes without `#[dubbo(...)]`.
    pub(crate) attrs: Vec<Attribute>,
    /// The method's signature, unchanged.
    pub(crate) sig: Signature,
    /// The method's default body, if the trait gives one.
    pub(crate) default: Option<syn::Block>,
    /// The typed arguments after `&self`.
    pub(crate) args: Vec<RpcArg>,
    /// `T` of the method's `Result<T, E>`.
    pub(crate) ok_ty: Type,
    /// `E` of the method's `Result<T, E>`.
    pub(crate) err_ty: Type,
    /// The Java method name.
    pub(crate) java_name: String,
    /// The JVM parameter descriptor from `#[dubbo(parameter_types = "...")]`, if given.
    pub(crate) parameter_types: Option<LitStr>,
}

/// One typed argument of an RPC method.
pub(crate) struct RpcArg {
    /// The argument's name.
    pub(crate) ident: Ident,
    /// The argument's type.
    pub(crate) ty: Type,
}

impl RpcMethod {
    /// The method's `#[cfg(...)]` attributes, which every item generated for it carries.
    pub(crate) fn cfg_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.attrs.iter().filter(|a| a.path().is_ident("cfg"))
    }

    /// The method's doc comments.
    pub(crate) fn doc_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.attrs.iter().filter(|a| a.path().is_ident("doc"))
    }

    /// The method's `#[deprecated]` attributes, which the client's methods carry too.
    pub(crate) fn deprecated_attrs(&self) -> impl Iterator<Item = &Attribute> {
        self.attrs
            .iter()
            .filter(|a| a.path().is_ident("deprecated"))
    }

    /// The Rust name as written, without `r#`.
    pub(crate) fn rust_name(&self) -> String {
        self.sig.ident.unraw().to_string()
    }
}

impl Parse for ServiceTrait {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let item: ItemTrait = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "#[service] applies to a trait: `pub trait DemoService { ... }`",
            )
        })?;
        let mut errors = Errors::new();
        check_trait_header(&item, &mut errors);
        let mut methods = Vec::new();
        for trait_item in &item.items {
            match trait_item {
                TraitItem::Fn(f) => {
                    if let Some(m) = RpcMethod::parse(f, &mut errors) {
                        methods.push(m);
                    }
                }
                TraitItem::Type(t) => errors.spanned(
                    t,
                    "associated types are not supported in a #[service] trait; \
                     every item must be an `async fn`",
                ),
                TraitItem::Const(c) => errors.spanned(
                    c,
                    "associated consts are not supported in a #[service] trait; \
                     every item must be an `async fn`",
                ),
                other => errors.spanned(
                    other,
                    "unsupported item in a #[service] trait; every item must be an `async fn`",
                ),
            }
        }
        check_overloads(&methods, &mut errors);
        errors.finish(ServiceTrait {
            attrs: item.attrs,
            vis: item.vis,
            trait_token: item.trait_token,
            ident: item.ident,
            methods,
        })
    }
}

/// Rejects what the generated code cannot support on the trait itself.
fn check_trait_header(item: &ItemTrait, errors: &mut Errors) {
    if let Some(unsafety) = &item.unsafety {
        errors.spanned(unsafety, "a #[service] trait cannot be `unsafe`");
    }
    if let Some(auto) = &item.auto_token {
        errors.spanned(auto, "a #[service] trait cannot be an auto trait");
    }
    if !item.generics.params.is_empty() {
        errors.spanned(
            &item.generics,
            "a #[service] trait cannot be generic: its Java interface has one fixed set of \
             methods",
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        errors.spanned(
            where_clause,
            "a #[service] trait cannot have a where clause",
        );
    }
    for bound in &item.supertraits {
        let allowed = match bound {
            TypeParamBound::Trait(t) => {
                t.path.is_ident("Send") || t.path.is_ident("Sync") || is_marker_path(&t.path)
            }
            TypeParamBound::Lifetime(l) => l.ident == "static",
            _ => false,
        };
        if !allowed {
            errors.spanned(
                bound,
                "a #[service] trait cannot have supertraits: the generated client implements \
                 the trait (`Send + Sync + 'static` are added for you)",
            );
        }
    }
}

/// Whether `path` is `core::marker::Send`/`Sync` (or the `std` or `::`-prefixed forms).
fn is_marker_path(path: &syn::Path) -> bool {
    let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    names.len() == 3
        && (names[0] == "core" || names[0] == "std")
        && names[1] == "marker"
        && (names[2] == "Send" || names[2] == "Sync")
}

impl RpcMethod {
    /// Validates one trait method; `None` if it cannot be used (its errors are recorded).
    fn parse(f: &TraitItemFn, errors: &mut Errors) -> Option<Self> {
        let sig = &f.sig;
        let overrides = MethodAttrs::from_attrs(&f.attrs, errors);
        let mut ok = true;
        let mut fail = |errors: &mut Errors, tokens: &dyn quote::ToTokens, msg: &str| {
            errors.spanned(tokens, msg);
            ok = false;
        };

        if sig.asyncness.is_none() {
            fail(
                errors,
                &sig.fn_token,
                "RPC methods must be `async fn`: `async fn name(&self, ...) -> Result<T, E>`",
            );
        }
        if !sig.generics.params.is_empty() {
            fail(
                errors,
                &sig.generics,
                "RPC methods cannot be generic: each method has one fixed Java signature",
            );
        }
        if let Some(where_clause) = &sig.generics.where_clause {
            fail(
                errors,
                where_clause,
                "RPC methods cannot have a where clause: each method has one fixed Java \
                 signature",
            );
        }
        if let Some(variadic) = &sig.variadic {
            fail(errors, variadic, "RPC methods cannot be variadic");
        }

        match sig.inputs.first() {
            Some(FnArg::Receiver(r))
                if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() => {}
            Some(FnArg::Receiver(r)) => fail(
                errors,
                r,
                "RPC methods must take `&self`: the server calls them concurrently",
            ),
            Some(FnArg::Typed(_)) | None => {
                let span_at: &dyn quote::ToTokens = match sig.inputs.first() {
                    Some(first) => first,
                    None => &sig.ident,
                };
                fail(
                    errors,
                    span_at,
                    "RPC methods must take `&self` as their first argument",
                );
            }
        }

        let mut args = Vec::new();
        for input in sig.inputs.iter().skip(1) {
            let FnArg::Typed(typed) = input else {
                // A second receiver: rustc reports it.
                continue;
            };
            let ident = match &*typed.pat {
                Pat::Ident(p)
                    if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() =>
                {
                    Some(p.ident.clone())
                }
                other => {
                    fail(
                        errors,
                        other,
                        "patterns aren't allowed in RPC arguments; bind each argument to a name",
                    );
                    None
                }
            };
            match &*typed.ty {
                Type::Reference(r) => fail(
                    errors,
                    r,
                    "RPC arguments must be owned types (the server decodes them into owned \
                     values): use `String` for `&str`, `Vec<T>` for `&[T]`",
                ),
                Type::ImplTrait(t) => fail(
                    errors,
                    t,
                    "RPC arguments cannot be `impl Trait`: each argument has one fixed Java \
                     type",
                ),
                _ => {}
            }
            if let Some(ident) = ident {
                args.push(RpcArg {
                    ident,
                    ty: (*typed.ty).clone(),
                });
            }
        }

        let result_types = result_types(&sig.output);
        if result_types.is_none() {
            let message = "RPC methods must return `Result<T, E>`, where `E` is `RpcError` or \
                           another type with `E: Into<RpcError> + From<RpcError>`";
            match &sig.output {
                ReturnType::Type(_, ty) => fail(errors, ty, message),
                ReturnType::Default => {
                    errors.at(sig.paren_token.span.close(), message);
                    ok = false;
                }
            }
        }

        let java_name = match &overrides.name {
            Some(name) => name.value(),
            None => java::lower_camel_case(&sig.ident.unraw().to_string()),
        };
        if let Some(desc) = &overrides.parameter_types {
            match java::count_parameter_types(&desc.value()) {
                Err(e) => {
                    errors.at(
                        desc.span(),
                        format!("invalid JVM parameter descriptor: {e}"),
                    );
                    ok = false;
                }
                Ok(n) if n != args.len() && ok => {
                    errors.at(
                        desc.span(),
                        format!(
                            "`parameter_types` declares {n} parameter{} but the method takes {} \
                             argument{}",
                            if n == 1 { "" } else { "s" },
                            args.len(),
                            if args.len() == 1 { "" } else { "s" },
                        ),
                    );
                    ok = false;
                }
                Ok(_) => {}
            }
        }

        let (ok_ty, err_ty) = result_types?;
        if !ok {
            return None;
        }
        Some(RpcMethod {
            attrs: f
                .attrs
                .iter()
                .filter(|a| !MethodAttrs::is_dubbo(a))
                .cloned()
                .collect(),
            sig: sig.clone(),
            default: f.default.clone(),
            args,
            ok_ty,
            err_ty,
            java_name,
            parameter_types: overrides.parameter_types,
        })
    }
}

/// `(T, E)` of a `Result<T, E>` return type (any path ending in `Result` with two type
/// arguments).
fn result_types(output: &ReturnType) -> Option<(Type, Type)> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|a| match a {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(ok), Some(err), None) if args.args.len() == 2 => Some((ok, err)),
        _ => None,
    }
}

/// Reports methods that would share a Java name and parameter descriptor: the server could
/// not tell them apart.
///
/// Without an explicit `parameter_types`, the descriptor is only known when the program
/// runs, so two methods are known to collide when both descriptors are explicit and equal, or
/// both derived from the same argument types token for token.
fn check_overloads(methods: &[RpcMethod], errors: &mut Errors) {
    #[derive(PartialEq)]
    enum Key {
        Explicit(String),
        Derived(Vec<String>),
    }
    let key = |m: &RpcMethod| match &m.parameter_types {
        Some(desc) => Key::Explicit(desc.value()),
        None => Key::Derived(
            m.args
                .iter()
                .map(|a| quote::ToTokens::to_token_stream(&a.ty).to_string())
                .collect(),
        ),
    };
    for (i, later) in methods.iter().enumerate() {
        let earlier = methods[..i]
            .iter()
            .find(|m| m.java_name == later.java_name && key(m) == key(later));
        if let Some(earlier) = earlier {
            let span: Span = match &later.parameter_types {
                Some(desc) => desc.span(),
                None => later.sig.ident.span(),
            };
            errors.at(
                span,
                format!(
                    "`{}` has the same Java name (`{}`) and parameter types as `{}`; give one \
                     of them a different #[dubbo(name = \"...\")] or \
                     #[dubbo(parameter_types = \"...\")]",
                    later.rust_name(),
                    later.java_name,
                    earlier.rust_name(),
                ),
            );
        }
    }
}
