//! Compile-fail tests: every error the macros report, pinned with its span in a `.stderr`.
//!
//! Regenerate the expectations with `TRYBUILD=overwrite cargo test -p dubbo-rpc-macros --test ui`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
