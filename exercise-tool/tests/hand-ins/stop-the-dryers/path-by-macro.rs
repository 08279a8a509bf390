//! `#[path]` made by a macro, so the scan does not see it in an
//! attribute: the build sandbox has no solution to find.
macro_rules! module_at {
    ($attr:ident) => {
        #[$attr = "{{REPO}}/exercises/stop-the-dryers/solution/src/lib.rs"]
        mod solution;
    };
}
module_at!(path);
pub use solution::dry_all;
