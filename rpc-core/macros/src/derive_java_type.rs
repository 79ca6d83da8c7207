//! `#[derive(JavaType)]`: a struct or unit-only enum declared as its Java class.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Data, DeriveInput, Fields, Generics, Ident, LitStr};

use crate::attrs::{default_crate_path, JavaAttrs};
use crate::errors::Errors;
use crate::java;

/// A validated `#[derive(JavaType)]` input.
pub(crate) struct JavaTypeInput {
    ident: Ident,
    generics: Generics,
    /// The JVM descriptor, e.g. `Lorg/example/User;`.
    descriptor: LitStr,
    /// The runtime crate path.
    krate: syn::Path,
}

impl Parse for JavaTypeInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let input: DeriveInput = input.parse()?;
        let mut errors = Errors::new();
        match &input.data {
            Data::Struct(_) => {}
            Data::Enum(data) => {
                for variant in &data.variants {
                    if !matches!(variant.fields, Fields::Unit) {
                        errors.spanned(
                            &variant.fields,
                            "JavaType can only be derived for enums whose variants are all \
                             unit variants (a Java enum)",
                        );
                    }
                }
            }
            Data::Union(data) => errors.spanned(
                data.union_token,
                "JavaType cannot be derived for a union; use a struct",
            ),
        }
        let attrs = JavaAttrs::from_attrs(&input.attrs, &mut errors);
        let descriptor = match attrs.class.or(attrs.serde_rename) {
            Some(class) => match java::class_descriptor(&class.value()) {
                Ok(desc) => Some(LitStr::new(&desc, class.span())),
                Err(e) => {
                    errors.at(class.span(), e);
                    None
                }
            },
            None => {
                errors.spanned(
                    &input.ident,
                    format!(
                        "cannot derive JavaType for `{}`: no Java class name; add \
                         #[serde(rename = \"org.example.{0}\")] (the class serde writes) or \
                         #[java(class = \"org.example.{0}\")]",
                        input.ident
                    ),
                );
                None
            }
        };
        let descriptor = errors.finish(descriptor)?;
        Ok(JavaTypeInput {
            ident: input.ident,
            generics: input.generics,
            descriptor: descriptor.unwrap_or_else(|| LitStr::new("", Span::call_site())),
            krate: attrs.krate.unwrap_or_else(default_crate_path),
        })
    }
}

/// `impl JavaType for T { fn descriptor() -> Cow<'static, str> { "L...;" } }`.
pub(crate) fn expand(input: &JavaTypeInput) -> syn::Result<TokenStream> {
    let JavaTypeInput {
        ident,
        generics,
        descriptor,
        krate,
    } = input;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        const _: () = {
            impl #impl_generics #krate::codegen::JavaType for #ident #ty_generics #where_clause {
                fn descriptor() -> #krate::codegen::Cow<'static, ::core::primitive::str> {
                    #krate::codegen::Cow::Borrowed(#descriptor)
                }
            }
        };
    })
}
