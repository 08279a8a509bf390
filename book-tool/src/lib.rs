//! Builds the Washing Up book with the `runner` preprocessor in-process.
//!
//! Used by the `cargo book` command (`src/main.rs`) and by the tests that
//! check the built pages.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use mdbook_driver::MDBook;
use mdbook_runner::Runner;

/// The book folder of this repository (the one holding `book.toml`).
pub fn default_book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book")
}

/// Builds the book in `book_root` (HTML, with search) and returns the path
/// of its `index.html`. `dest`, when given, replaces the build folder named
/// in `book.toml`.
pub fn build(book_root: &Path, dest: Option<&Path>) -> anyhow::Result<PathBuf> {
    let root = book_root
        .canonicalize()
        .with_context(|| format!("no book folder at {}", book_root.display()))?;
    let mut book = MDBook::load(&root)
        .with_context(|| format!("cannot load the book in {}", root.display()))?;
    if let Some(dest) = dest {
        book.config.build.build_dir = dest.to_path_buf();
    }
    // Same name as `[preprocessor.runner]` in book.toml: this in-process
    // runner replaces the external command there, keeping its order.
    book.with_preprocessor(Runner);
    book.build().context("the book did not build")?;
    Ok(book.build_dir_for("html").join("index.html"))
}
