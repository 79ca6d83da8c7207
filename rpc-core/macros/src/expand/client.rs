//! The typed client `{Trait}Client`: one `async fn` per method, encoding the arguments and
//! calling through the runtime's `Client`.

use proc_macro2::{Delimiter, Group, Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::Ident;

use super::{respanned, ServiceGenerator};
use crate::parse::RpcMethod;

impl ServiceGenerator<'_> {
    /// `pub struct {Trait}Client`.
    pub(super) fn struct_client(&self) -> TokenStream {
        let krate = self.krate;
        let vis = &self.service.vis;
        let client = &self.client_ident;
        let doc = format!(
            " Calls the Dubbo service `{}` ([`{}`]).\n\n \
             Build it from a consumer `Client` bound to this service with \
             `ServiceClient::from_client`. It has an `async fn` per method of the trait and \
             implements the trait too, so it can stand in wherever an implementation is \
             expected. Cloning is cheap: clones share connections.",
            self.args.interface.value(),
            self.service.ident,
        );
        quote! {
            #[doc = #doc]
            #[derive(::core::clone::Clone, ::core::fmt::Debug)]
            #vis struct #client {
                client: #krate::codegen::Client,
            }
        }
    }

    /// The client's methods, `ServiceClient`, and the trait implemented by delegation.
    pub(super) fn impl_client(&self) -> TokenStream {
        let krate = self.krate;
        let client = &self.client_ident;
        let service = &self.service.ident;
        let descriptor_fn = &self.descriptor_fn;
        let methods = self
            .service
            .methods
            .iter()
            .zip(&self.method_indices)
            .map(|(m, index)| self.client_method(m, index));
        let delegates = self.service.methods.iter().map(|m| {
            let cfgs = m.cfg_attrs();
            let sig = &m.sig;
            let method = &m.sig.ident;
            let args = m.args.iter().map(|a| &a.ident);
            quote! {
                #(#cfgs)*
                #sig {
                    #client::#method(self, #(#args),*).await
                }
            }
        });
        quote! {
            // The methods mirror the trait's signatures; lints about their shape belong there.
            #[allow(clippy::too_many_arguments)]
            impl #client {
                #(#methods)*
            }

            impl #krate::codegen::ServiceClient for #client {
                fn descriptor() -> &'static #krate::codegen::ServiceDescriptor {
                    #descriptor_fn()
                }

                fn from_client(client: #krate::codegen::Client) -> Self {
                    #client { client }
                }
            }

            #[allow(deprecated, clippy::too_many_arguments)]
            #[#krate::codegen::async_trait]
            impl #service for #client {
                #(#delegates)*
            }
        }
    }

    /// The inherent `async fn` calling one method: encode the arguments in order, call, and
    /// convert the error.
    fn client_method(&self, m: &RpcMethod, index: &Ident) -> TokenStream {
        let krate = self.krate;
        let vis = &self.service.vis;
        let encoder = Ident::new("args", Span::mixed_site());
        let error = Ident::new("error", Span::mixed_site());
        let value = Ident::new("value", Span::mixed_site());
        let cfgs = m.cfg_attrs();
        let docs: Vec<_> = m.doc_attrs().collect();
        let deprecated = m.deprecated_attrs();
        let separator = (!docs.is_empty()).then(|| quote! { #[doc = ""] });
        let call_doc = format!(" Calls the provider's `{}`.", m.java_name);
        let method = &m.sig.ident;
        let output = &m.sig.output;
        let ok_ty = &m.ok_ty;
        let names: Vec<_> = m.args.iter().map(|a| &a.ident).collect();
        let types: Vec<_> = m.args.iter().map(|a| &a.ty).collect();
        // Spanned on each argument type and on `T`, so a type serde cannot encode or decode
        // is reported there.
        let push_fns = types.iter().map(|ty| {
            respanned(
                quote! { #krate::codegen::ArgsEncoder::push::<#ty> },
                ty.span(),
            )
        });
        let call_fn = respanned(
            quote! { #krate::codegen::Client::call::<#ok_ty> },
            ok_ty.span(),
        );
        // The whole call expression takes `T`'s span: its bounds are checked again there.
        // Only the delimiters are respanned; the hygienic locals inside keep theirs.
        let mut call_args = Group::new(
            Delimiter::Parenthesis,
            quote! { &self.client, #index, #encoder.finish() },
        );
        call_args.set_span(ok_ty.span());
        let dot_await = respanned(quote! { .await }, ok_ty.span());
        let err_ty = &m.err_ty;
        // Spanned on `E`, so an error type without `From<RpcError>` is reported there.
        let from_rpc_error = respanned(
            quote! { <#err_ty as ::core::convert::From<#krate::codegen::RpcError>>::from },
            err_ty.span(),
        );
        let mutability = (!names.is_empty()).then(|| quote! { mut });
        quote! {
            #(#docs)*
            #separator
            #[doc = #call_doc]
            #(#deprecated)*
            #(#cfgs)*
            #vis async fn #method(&self, #(#names: #types),*) #output {
                let #mutability #encoder = #krate::codegen::ArgsEncoder::new();
                #(
                    if let ::core::result::Result::Err(#error) = #push_fns(&mut #encoder, &#names) {
                        return ::core::result::Result::Err(#from_rpc_error(#error));
                    }
                )*
                match #call_fn #call_args #dot_await {
                    ::core::result::Result::Ok(#value) => ::core::result::Result::Ok(#value),
                    ::core::result::Result::Err(#error) => {
                        ::core::result::Result::Err(#from_rpc_error(#error))
                    }
                }
            }
        }
    }
}
