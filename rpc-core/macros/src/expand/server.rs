//! The server adapter `{Trait}Server<T>`: wraps an implementation of the trait and serves
//! it as a `ServiceHandler`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::Ident;

use super::{respanned, ServiceGenerator};
use crate::parse::RpcMethod;

impl ServiceGenerator<'_> {
    /// `pub struct {Trait}Server<T>`.
    pub(super) fn struct_server(&self) -> TokenStream {
        let krate = self.krate;
        let vis = &self.service.vis;
        let server = &self.server_ident;
        let doc = format!(
            " Serves an implementation of [`{}`] as the Dubbo service `{}`.\n\n \
             Register it with the server; it decodes each call's arguments, awaits the \
             implementation's method and encodes its result (an `Err` becomes a \
             `java.lang.RuntimeException` carrying the error's text). Cloning is cheap: clones \
             share the implementation.",
            self.service.ident,
            self.args.interface.value(),
        );
        quote! {
            #[doc = #doc]
            #vis struct #server<T> {
                inner: #krate::codegen::Arc<T>,
            }
        }
    }

    /// The server's constructors, `Clone`, `Debug`, `ServiceHandler` and `NamedService`.
    pub(super) fn impl_server(&self) -> TokenStream {
        let krate = self.krate;
        let vis = &self.service.vis;
        let server = &self.server_ident;
        let service = &self.service.ident;
        let descriptor_fn = &self.descriptor_fn;
        // The implementation's type parameter in impls: not `T`, which a user type used in
        // the signatures could be called.
        let imp = Ident::new("__DubboImpl", Span::call_site());
        let call = Ident::new("call", Span::mixed_site());
        let index = Ident::new("index", Span::mixed_site());
        let arms = self
            .service
            .methods
            .iter()
            .zip(&self.method_indices)
            .map(|(m, method_index)| self.server_arm(m, method_index, &imp, &call));
        let server_name = server.to_string();
        quote! {
            impl<T> #server<T> {
                /// Serves `inner`.
                #vis fn new(inner: T) -> Self {
                    Self::from_arc(#krate::codegen::Arc::new(inner))
                }

                /// Serves an implementation that is shared already.
                #vis fn from_arc(inner: #krate::codegen::Arc<T>) -> Self {
                    #server { inner }
                }

                /// The implementation being served.
                #vis fn get_ref(&self) -> &T {
                    &self.inner
                }
            }

            impl<T> ::core::clone::Clone for #server<T> {
                fn clone(&self) -> Self {
                    #server {
                        inner: ::core::clone::Clone::clone(&self.inner),
                    }
                }
            }

            impl<T> ::core::fmt::Debug for #server<T> {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#server_name)
                        .field("interface", &#descriptor_fn().interface)
                        .finish_non_exhaustive()
                }
            }

            // The trait's methods may be `#[deprecated]`; serving them is not a use.
            #[allow(deprecated)]
            impl<#imp: #service> #krate::codegen::ServiceHandler for #server<#imp> {
                fn descriptor(&self) -> &'static #krate::codegen::ServiceDescriptor {
                    #descriptor_fn()
                }

                fn call(
                    &self,
                    #call: #krate::codegen::ServerCall,
                ) -> #krate::codegen::BoxFuture<#krate::codegen::ServerReply> {
                    match #call.method_index() {
                        #(#arms)*
                        #index => #krate::codegen::ready_reply(
                            #krate::codegen::ServerReply::error(
                                #krate::StatusCode::SERVICE_ERROR,
                                &::std::format!(
                                    "Failed to invoke method index {} of service {}: no such method.",
                                    #index,
                                    #descriptor_fn().interface,
                                ),
                            ),
                        ),
                    }
                }
            }

            impl<T> #krate::codegen::NamedService for #server<T> {
                fn descriptor() -> &'static #krate::codegen::ServiceDescriptor {
                    #descriptor_fn()
                }
            }
        }
    }

    /// One `match` arm of `ServiceHandler::call`: decode the arguments (a `BAD_REQUEST`
    /// reply if one does not decode), then call the method in the reply future.
    fn server_arm(
        &self,
        m: &RpcMethod,
        method_index: &Ident,
        imp: &Ident,
        call: &Ident,
    ) -> TokenStream {
        let krate = self.krate;
        let service = &self.service.ident;
        let method = &m.sig.ident;
        let cfgs = m.cfg_attrs();
        let inner = Ident::new("inner", Span::mixed_site());
        let decoder = Ident::new("decoder", Span::mixed_site());
        let value = Ident::new("value", Span::mixed_site());
        let error = Ident::new("error", Span::mixed_site());
        let vars: Vec<Ident> = (0..m.args.len())
            .map(|i| format_ident!("arg{}", i, span = Span::mixed_site()))
            .collect();
        let decode = if m.args.is_empty() {
            TokenStream::new()
        } else {
            let next = m.args.iter().map(|arg| {
                let ty = &arg.ty;
                // Spanned on the type, so a type serde cannot decode is reported there.
                let next_fn = respanned(
                    quote! { #krate::codegen::ArgsDecoder::next::<#ty> },
                    ty.span(),
                );
                let next = quote! { #next_fn(&mut #decoder) };
                quote! {
                    match #next {
                        ::core::result::Result::Ok(#value) => #value,
                        ::core::result::Result::Err(#error) => {
                            return #krate::codegen::ready_reply(#call.bad_request(&#error));
                        }
                    }
                }
            });
            quote! {
                let (#(#vars,)*) = {
                    let mut #decoder = #call.args();
                    (#(#next,)*)
                };
            }
        };
        let err_ty = &m.err_ty;
        let into_rpc_error = respanned(
            quote! { <#err_ty as ::core::convert::Into<#krate::codegen::RpcError>>::into },
            err_ty.span(),
        );
        let ok_ty = &m.ok_ty;
        let reply_fn = respanned(
            quote! { #krate::codegen::ServerCall::reply::<#ok_ty> },
            ok_ty.span(),
        );
        quote! {
            #(#cfgs)*
            #method_index => {
                #decode
                let #inner = ::core::clone::Clone::clone(&self.inner);
                #krate::codegen::reply_future(async move {
                    match <#imp as #service>::#method(&*#inner, #(#vars),*).await {
                        ::core::result::Result::Ok(#value) => {
                            #reply_fn(&#call, ::core::result::Result::Ok(&#value))
                        }
                        ::core::result::Result::Err(#error) => {
                            #call.reply::<()>(::core::result::Result::Err(#into_rpc_error(#error)))
                        }
                    }
                })
            }
        }
    }
}
