//! Codec benchmark (filled in later).
fn main() {}
