//! Shared service definitions of the examples.
