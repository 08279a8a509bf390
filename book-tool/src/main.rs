//! `cargo book`: builds the Washing Up book, offline and with search, into
//! `book/build/`, with the `runner` preprocessor running in-process (so no
//! `mdbook` or `mdbook-runner` needs to be installed), then says where to
//! open it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser;
use mdbook_driver::MDBook;
use mdbook_runner::Runner;

/// Build the Washing Up book (HTML with search) into BOOK/build.
#[derive(Parser)]
#[command(name = "cargo book", version)]
struct Cli {
    /// The book folder (the one holding book.toml).
    #[arg(long, value_name = "BOOK", default_value_os_t = default_book())]
    book: PathBuf,
    /// Open the built book in the default web browser.
    #[arg(long)]
    open: bool,
}

fn default_book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .init();
    match build(&cli) {
        Ok(index) => {
            println!("The book is built. Open it in a browser:");
            println!("  file://{}", index.display());
            if cli.open
                && let Err(error) = opener::open(&index)
            {
                eprintln!("cargo book: could not open a browser ({error}); open the file above by hand");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cargo book: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn build(cli: &Cli) -> anyhow::Result<PathBuf> {
    let root = cli
        .book
        .canonicalize()
        .with_context(|| format!("no book folder at {}", cli.book.display()))?;
    let mut book = MDBook::load(&root).with_context(|| format!("cannot load the book in {}", root.display()))?;
    // Same name as `[preprocessor.runner]` in book.toml: this in-process
    // runner replaces the external command there, keeping its order.
    book.with_preprocessor(Runner);
    book.build().context("the book did not build")?;
    Ok(book.build_dir_for("html").join("index.html"))
}
