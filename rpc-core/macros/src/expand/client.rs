//! The typed client `{Trait}Client`: one `async fn` per method, encoding the arguments and
//! calling through the runtime's `Client`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

use super::ServiceGenerator;
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

            #[allow(deprecated)]
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
        let cfgs = m.cfg_attrs();
        let docs: Vec<_> = m.doc_attrs().collect();
        let deprecated = m.deprecated_attrs();
        let separator = (!docs.is_empty()).then(|| quote! { #[doc = ""] });
        let call_doc = format!(" Calls the provider's `{}`.", m.java_name);
        let method = &m.sig.ident;
        let output = &m.sig.output;
        let ok_ty = &m.ok_ty;
        let names: Vec<_> = m.args.iter().map(|a| &a.ident).collect();
        let types = m.args.iter().map(|a| &a.ty);
        let encoder = Ident::new("args", Span::mixed_site());
        let mutability = (!names.is_empty()).then(|| quote! { mut });
        quote! {
            #(#docs)*
            #separator
            #[doc = #call_doc]
            #(#deprecated)*
            #(#cfgs)*
            #vis async fn #method(&self, #(#names: #types),*) #output {
                let #mutability #encoder = #krate::codegen::ArgsEncoder::new();
                #(#encoder.push(&#names)?;)*
                ::core::result::Result::map_err(
                    self.client.call::<#ok_ty>(#index, #encoder.finish()).await,
                    ::core::convert::From::from,
                )
            }
        }
    }
}
