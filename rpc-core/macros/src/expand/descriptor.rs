//! The service descriptor: a private function returning a `&'static ServiceDescriptor`,
//! built on first use.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ServiceGenerator;
use crate::parse::RpcMethod;

impl ServiceGenerator<'_> {
    /// `fn service_descriptor() -> &'static ServiceDescriptor`, built once in a `OnceLock`.
    pub(super) fn fn_descriptor(&self) -> TokenStream {
        let krate = self.krate;
        let descriptor_fn = &self.descriptor_fn;
        let interface = &self.args.interface;
        let optional = |lit: &Option<syn::LitStr>| match lit {
            Some(lit) => quote! {
                ::core::option::Option::Some(::core::convert::From::from(#lit))
            },
            None => quote! { ::core::option::Option::None },
        };
        let version = optional(&self.args.version);
        let group = optional(&self.args.group);
        let methods = self.service.methods.iter().map(|m| {
            let cfgs = m.cfg_attrs();
            let name = &m.java_name;
            let rust_name = m.rust_name();
            let parameter_types = self.parameter_types(m);
            quote! {
                #(#cfgs)*
                methods.push(#krate::codegen::MethodDescriptor {
                    name: ::core::convert::From::from(#name),
                    parameter_types: #parameter_types,
                    rust_name: #rust_name,
                });
            }
        });
        quote! {
            /// The service's descriptor, built on first use.
            fn #descriptor_fn() -> &'static #krate::codegen::ServiceDescriptor {
                static DESCRIPTOR: #krate::codegen::OnceLock<#krate::codegen::ServiceDescriptor> =
                    #krate::codegen::OnceLock::new();
                DESCRIPTOR.get_or_init(|| {
                    #[allow(unused_mut)]
                    let mut methods = #krate::codegen::Vec::new();
                    #(#methods)*
                    #krate::codegen::ServiceDescriptor {
                        interface: ::core::convert::From::from(#interface),
                        version: #version,
                        group: #group,
                        methods,
                    }
                })
            }
        }
    }

    /// The method's JVM parameter descriptor: the override, or the concatenated
    /// `JavaType::descriptor()`s of the argument types.
    ///
    /// Each `<Arg as JavaType>` is spanned on the argument's type, so a type without a
    /// `JavaType` impl is reported at that argument.
    fn parameter_types(&self, m: &RpcMethod) -> TokenStream {
        let krate = self.krate;
        if let Some(desc) = &m.parameter_types {
            return quote! { ::core::convert::From::from(#desc) };
        }
        let descriptors = m.args.iter().map(|arg| {
            let ty = &arg.ty;
            quote_spanned! {ty.span()=>
                <#ty as #krate::codegen::JavaType>::descriptor()
            }
        });
        quote! { #krate::codegen::parameter_types(&[#(#descriptors),*]) }
    }
}
