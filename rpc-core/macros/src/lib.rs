//! Procedural macros of `dubbo-rpc` (placeholder until the macro crate lands).
extern crate proc_macro;
use proc_macro::TokenStream;

/// The service attribute macro.
#[proc_macro_attribute]
pub fn service(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// Derives `JavaType` from a struct's serde container name.
#[proc_macro_derive(JavaType)]
pub fn derive_java_type(_item: TokenStream) -> TokenStream {
    TokenStream::new()
}
