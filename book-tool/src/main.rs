//! `cargo book`: builds the Washing Up book, offline and with search, into
//! `book/build/`, with the `runner` preprocessor running in-process (so no
//! `mdbook` or `mdbook-runner` needs to be installed), then says where to
//! open it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Build the Washing Up book (HTML with search) into BOOK/build.
#[derive(Parser)]
#[command(name = "cargo book", bin_name = "cargo book", version)]
struct Cli {
    /// The book folder (the one holding book.toml).
    #[arg(long, value_name = "BOOK", default_value_os_t = washup_book::default_book())]
    book: PathBuf,
    /// Open the built book in the default web browser.
    #[arg(long)]
    open: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .init();
    match washup_book::build(&cli.book, None) {
        Ok(index) => {
            println!("The book is built. Open it in a browser:");
            println!("  file://{}", index.display());
            if cli.open
                && let Err(error) = opener::open(&index)
            {
                eprintln!(
                    "cargo book: could not open a browser ({error}); open the file above by hand"
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cargo book: {error:#}");
            ExitCode::FAILURE
        }
    }
}
