//! The provider side.

pub mod handler;
