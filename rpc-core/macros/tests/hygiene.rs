//! The generated code depends on nothing in scope: no prelude, a renamed runtime crate.
//!
//! The one exception is `async_trait`'s own output for the trait declaration, which names
//! `Box` unqualified (dtolnay/async-trait#132, kept by design); the module imports only that.
#![no_implicit_prelude]

extern crate dubbo_rpc as some_random_other_name;
extern crate std;

/// Generated code naming the runtime as `::dubbo_rpc`.
pub mod default_path {
    use ::std::boxed::Box;

    /// A service through `::dubbo_rpc`.
    #[::dubbo_rpc::service(interface = "org.example.Hygiene", version = "1", group = "g")]
    pub trait Hygiene {
        /// Arguments of several kinds.
        async fn call(
            &self,
            a: ::std::string::String,
            b: ::std::option::Option<i32>,
            c: ::std::vec::Vec<u8>,
        ) -> ::std::result::Result<::std::string::String, ::dubbo_rpc::RpcError>;
        /// No arguments, unit result, `#[cfg]`.
        #[cfg(test)]
        async fn unit(&self) -> ::std::result::Result<(), ::dubbo_rpc::RpcError>;
        /// An override.
        #[dubbo(name = "other", parameter_types = "I")]
        async fn overridden(&self, x: i32) -> ::std::result::Result<(), ::dubbo_rpc::RpcError>;
    }

    /// A POJO.
    #[derive(
        ::std::fmt::Debug, ::serde::Serialize, ::serde::Deserialize, ::dubbo_rpc::JavaType,
    )]
    #[serde(rename = "org.example.Pojo")]
    pub struct Pojo {
        /// A field.
        pub x: i32,
    }

    /// Locals the expansion uses must not clash with argument names.
    #[::dubbo_rpc::service(interface = "org.example.Clash")]
    pub trait Clash {
        /// Arguments named like the expansion's locals.
        async fn clash(
            &self,
            call: i32,
            args: i32,
            inner: i32,
        ) -> ::std::result::Result<Pojo, ::dubbo_rpc::RpcError>;
        /// More arguments named like the expansion's locals.
        async fn clash_more(
            &self,
            value: i32,
            error: i32,
            decoder: i32,
            arg0: i32,
        ) -> ::std::result::Result<Pojo, ::dubbo_rpc::RpcError>;
    }
}

/// Generated code naming the runtime through `crate = "..."`.
pub mod renamed_path {
    use ::std::boxed::Box;

    /// A service through the renamed crate.
    #[::some_random_other_name::service(
        interface = "org.example.Renamed",
        crate = "::some_random_other_name"
    )]
    pub trait Renamed {
        /// A method.
        async fn hi(
            &self,
            name: ::std::string::String,
        ) -> ::std::result::Result<(), ::some_random_other_name::RpcError>;
    }

    /// A POJO through the renamed crate.
    #[derive(::std::fmt::Debug, ::some_random_other_name::JavaType)]
    #[java(class = "org.example.Renamed", crate = "::some_random_other_name")]
    pub struct RenamedPojo;
}

#[::std::prelude::v1::test]
fn generated_items_exist() {
    use ::some_random_other_name::service::{NamedService, ServiceClient};
    let d = <default_path::HygieneClient as ServiceClient>::descriptor();
    ::std::assert_eq!(d.methods.len(), 3);
    ::std::assert_eq!(d.methods[1].name, "unit");
    let d = <renamed_path::RenamedServer<()> as NamedService>::descriptor();
    ::std::assert_eq!(d.interface, "org.example.Renamed");
    ::std::assert_eq!(d.methods[0].parameter_types, "Ljava/lang/String;");

    use ::some_random_other_name::hessian::java::JavaType;
    let _ = (default_path::Pojo { x: 1 }, renamed_path::RenamedPojo);
    ::std::assert_eq!(default_path::Pojo::descriptor(), "Lorg/example/Pojo;");
    ::std::assert_eq!(
        renamed_path::RenamedPojo::descriptor(),
        "Lorg/example/Renamed;"
    );
}
