//! Code generation for `#[service]`: one function per emitted item, joined in
//! [`ServiceGenerator`]'s `ToTokens` impl.
//!
//! Everything but the trait and the two structs is emitted inside one
//! `const _: () = { ... };` block, so the helpers (the descriptor function, the method index
//! constants) stay private to the expansion while the trait impls inside apply everywhere.
//! Locals and helpers use `Span::mixed_site()` names, so they can never clash with the
//! user's argument names.

mod client;
mod descriptor;
mod server;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Ident, ItemTrait, TraitItem};

use crate::attrs::{default_crate_path, MethodAttrs, ServiceArgs};
use crate::errors::Errors;
use crate::parse::{RpcMethod, ServiceTrait};

/// Expands `#[service(attr)] item`.
///
/// On invalid input the output is every error as a `compile_error!`, plus the trait itself
/// (made `async_trait`, `#[dubbo]` attributes removed) so the user's impls of it do not add
/// a cascade of unrelated errors.
pub(crate) fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse2::<ServiceArgs>(attr);
    let service = syn::parse2::<ServiceTrait>(item.clone());
    match (args, service) {
        (Ok(args), Ok(service)) => ServiceGenerator::new(&args, &service).into_token_stream(),
        (args, service) => {
            let krate = match &args {
                Ok(args) => args.krate.clone(),
                Err(_) => default_crate_path(),
            };
            let mut errors = Errors::new();
            errors.ok(args);
            errors.ok(service);
            let mut out = fallback_trait(item, &krate);
            if let Some(error) = errors.into_error() {
                out.extend(error.into_compile_error());
            }
            out
        }
    }
}

/// The trait as the user wrote it, minus `#[dubbo]` attributes, plus `async_trait`; nothing if
/// the item is not a trait.
fn fallback_trait(item: TokenStream, krate: &syn::Path) -> TokenStream {
    let Ok(mut item) = syn::parse2::<ItemTrait>(item) else {
        return TokenStream::new();
    };
    for trait_item in &mut item.items {
        if let TraitItem::Fn(f) = trait_item {
            f.attrs.retain(|a| !MethodAttrs::is_dubbo(a));
        }
    }
    quote! {
        #[#krate::codegen::async_trait]
        #item
    }
}

/// Everything the expansion needs to know, with the generated names fixed once.
pub(crate) struct ServiceGenerator<'a> {
    args: &'a ServiceArgs,
    service: &'a ServiceTrait,
    /// The runtime crate path, `::dubbo_rpc` unless overridden.
    krate: &'a syn::Path,
    /// `{Trait}Server`.
    server_ident: Ident,
    /// `{Trait}Client`.
    client_ident: Ident,
    /// The private function returning the `&'static ServiceDescriptor`.
    descriptor_fn: Ident,
    /// One private `usize` constant per method: its index in the descriptor.
    method_indices: Vec<Ident>,
}

impl<'a> ServiceGenerator<'a> {
    fn new(args: &'a ServiceArgs, service: &'a ServiceTrait) -> Self {
        let name = service.ident.unraw();
        let span = service.ident.span();
        ServiceGenerator {
            args,
            service,
            krate: &args.krate,
            server_ident: format_ident!("{}Server", name, span = span),
            client_ident: format_ident!("{}Client", name, span = span),
            descriptor_fn: Ident::new("service_descriptor", Span::mixed_site()),
            method_indices: (0..service.methods.len())
                .map(|i| format_ident!("METHOD_{}", i, span = Span::mixed_site()))
                .collect(),
        }
    }

    /// The trait, made `async_trait` with `Send + Sync + 'static` supertraits; methods keep
    /// their docs and attributes, minus `#[dubbo(...)]`.
    fn trait_service(&self) -> TokenStream {
        let ServiceTrait {
            attrs,
            vis,
            trait_token,
            ident,
            ..
        } = self.service;
        let krate = self.krate;
        let methods = self.service.methods.iter().map(|m| {
            let RpcMethod {
                attrs,
                sig,
                default,
                ..
            } = m;
            match default {
                Some(body) => quote! { #(#attrs)* #sig #body },
                None => quote! { #(#attrs)* #sig; },
            }
        });
        quote! {
            #(#attrs)*
            #[#krate::codegen::async_trait]
            #vis #trait_token #ident: ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#methods)*
            }
        }
    }

    /// The method index constants. An index counts the methods before it, and a `#[cfg]`'d
    /// method only when its configuration is enabled, so indices match the descriptor's
    /// `methods` in every build.
    fn const_method_indices(&self) -> TokenStream {
        let mut always = 0usize;
        let mut conditional: Vec<TokenStream> = Vec::new();
        let mut out = TokenStream::new();
        for (m, index) in self.service.methods.iter().zip(&self.method_indices) {
            let cfgs: Vec<_> = m.cfg_attrs().collect();
            out.extend(quote! {
                #(#cfgs)*
                const #index: usize = #always #(+ #conditional)*;
            });
            if cfgs.is_empty() {
                always += 1;
            } else {
                let predicates = cfgs.iter().map(|a| match &a.meta {
                    syn::Meta::List(list) => list.tokens.clone(),
                    other => other.to_token_stream(),
                });
                conditional.push(quote! { ((true #(&& ::core::cfg!(#predicates))*) as usize) });
            }
        }
        out
    }
}

/// `tokens` with every token (inside groups too) given `span`.
///
/// A trait-bound error is reported at the span of the whole offending expression; when that
/// mixes the user's tokens with the macro's, the compiler falls back to the attribute. Giving
/// an entire conversion path the span of the user's type puts the error on that type.
pub(crate) fn respanned(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let proc_macro2::TokenTree::Group(group) = &tree {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respanned(group.stream(), span));
                inner.set_span(span);
                tree = proc_macro2::TokenTree::Group(inner);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}

impl ToTokens for ServiceGenerator<'_> {
    fn to_tokens(&self, out: &mut TokenStream) {
        let krate = self.krate;
        let items = [
            self.trait_service(),
            self.struct_server(),
            self.struct_client(),
        ];
        let helpers = [
            self.const_method_indices(),
            self.fn_descriptor(),
            self.impl_server(),
            self.impl_client(),
        ];
        out.extend(quote! {
            #(#items)*

            const _: () = {
                // `async_trait` names `Box` without a path; this keeps the client's trait impl
                // working where `Box` is not in scope (`#![no_implicit_prelude]`).
                #[allow(unused_imports)]
                use #krate::codegen::Box;

                #(#helpers)*
            };
        });
    }
}
