//! The `mdbook-runner` command, for a stock `mdbook build`: mdBook runs it
//! once with `supports <renderer>`, then again with the book as JSON on
//! standard input, and reads the processed book from standard output.

use std::io;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use mdbook_preprocessor::Preprocessor;
use mdbook_runner::Runner;

/// mdBook preprocessor: replaces {{#run EXAMPLE -- ARGS}} with the accepted
/// snapshot of that run. Normally started by mdBook, not by hand.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Tell mdBook whether the runner supports a renderer (it supports all).
    Supports {
        /// The renderer's name, e.g. html.
        renderer: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Supports { renderer }) = cli.command {
        return match Runner.supports_renderer(&renderer) {
            Ok(true) => ExitCode::SUCCESS,
            _ => ExitCode::FAILURE,
        };
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mdbook-runner: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let (ctx, book) = mdbook_preprocessor::parse_input(io::stdin())?;
    let book = Runner.run(&ctx, book)?;
    serde_json::to_writer(io::stdout(), &book)?;
    Ok(())
}
