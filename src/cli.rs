//! What the book's examples share on their command lines: the dishes to
//! do (`--dishes N` or `--names a,b,c`), and ending quietly when the
//! reader pipes the output into `head`.
//!
//! Python's lesson has no command line, so there is no Python equivalent
//! of the flags; [`quiet_when_stdout_closes`] is what CPython does for you
//! (see its documentation).
//!
//! ```no_run
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     dishes: washup::cli::Dishes<4>, // four dishes unless told otherwise
//! }
//!
//! washup::cli::quiet_when_stdout_closes();
//! let args = Args::parse();
//! for dish in args.dishes.names() {
//!     println!("Washing {dish} dish");
//! }
//! ```

use nix::sys::signal::{SigHandler, Signal, signal};

/// The largest `--dishes` count an example accepts.
pub const MAX_DISHES: usize = 10_000;

/// The dishes to do, from the command line: `--dishes N` (a count: the
/// lesson's four dishes first, then `plate-5`, `plate-6`, ...) or
/// `--names a,b,c` (the dishes by name, in order). Not both.
///
/// `DEFAULT` is how many dishes there are when neither flag is given.
/// Flatten it into an example's arguments with `#[command(flatten)]`.
#[derive(clap::Args, Clone, Debug)]
pub struct Dishes<const DEFAULT: usize> {
    /// How many dishes: the lesson's four (salad, bread, entree, dessert),
    /// then plate-5, plate-6, ...
    #[arg(long, value_name = "N", default_value_t = DEFAULT, conflicts_with = "names",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=MAX_DISHES as u64))]
    dishes: usize,
    /// The dishes by name instead, in order, separated by commas
    /// (for example `soup,pan,cups`).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',', value_parser = dish_name)]
    names: Option<Vec<String>>,
}

impl<const DEFAULT: usize> Dishes<DEFAULT> {
    /// The dishes, in washing order.
    pub fn names(&self) -> Vec<String> {
        match &self.names {
            Some(names) => names.clone(),
            None => (0..self.dishes).map(lesson_dish).collect(),
        }
    }
}

/// The name of dish number `n` (from 0) in a count of dishes: the lesson's
/// four first, then `plate-5`, `plate-6`, ...
pub fn lesson_dish(n: usize) -> String {
    const LESSON: [&str; 4] = ["salad", "bread", "entree", "dessert"];
    LESSON
        .get(n)
        .map_or(format!("plate-{}", n + 1), |d| d.to_string())
}

/// Checks one name given to `--names`: `--names salad,,bread` (or
/// `--names ""`) is a mistake, not a dish with no name.
pub fn dish_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        Err("a dish needs a name (look for a stray or doubled comma)".into())
    } else {
        Ok(name.to_string())
    }
}

/// Makes the program end quietly, as Unix tools do, when its standard
/// output is a pipe whose reader has gone (`cargo run --example x | head -1`).
///
/// Writing to such a pipe raises `SIGPIPE`. Its default action ends the
/// process silently; but a Rust program starts with `SIGPIPE` ignored, so
/// the write fails instead and `println!` panics with "failed printing to
/// stdout: Broken pipe". This puts the default action back. Call it first
/// thing in `main`: the action is inherited by every process forked
/// afterwards (and std restores the default in programs it spawns with
/// `std::process::Command` anyway).
///
/// The default action also ends a program that writes to a socket whose
/// other end has gone, so it suits programs like the book's examples, which
/// write to their terminal and to pipes of their own, not to sockets.
///
/// Python: CPython also ignores `SIGPIPE` at start-up and reports a closed
/// pipe as `BrokenPipeError`; for the socket reason above, the `signal`
/// module's documentation ("Note on SIGPIPE") advises catching that
/// exception rather than restoring `SIG_DFL`.
pub fn quiet_when_stdout_closes() {
    // SAFETY: SIG_DFL installs no handler of ours, so there is no code that
    // could run in signal context; changing a disposition is safe at any
    // time, and the examples call this before they start threads.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

/// The longest wait a `--...-ms` flag accepts: a minute. Longer waits are
/// more likely a typing mistake than a wish (`18446744073709551615` would
/// be forever).
pub const MAX_WAIT_MS: u64 = 60_000;

/// The parser for a flag that sets a wait in milliseconds, from 0 to
/// [`MAX_WAIT_MS`]: `#[arg(long, value_parser = washup::cli::wait_ms())]`.
pub fn wait_ms() -> clap::builder::RangedU64ValueParser<u64> {
    clap::builder::RangedU64ValueParser::new().range(0..=MAX_WAIT_MS)
}

/// A count with its noun, singular or plural: `count(1, "dish", "dishes")`
/// is `"1 dish"`, `count(3, "dish", "dishes")` is `"3 dishes"`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// For a program whose main process may be busy waiting (in `join`, say)
/// while its *children* print: ends the whole program, quietly, as soon as
/// the reader of standard output goes away.
///
/// Why it is needed: with `| head -5`, a dryer process that prints the
/// sixth line is ended by `SIGPIPE` (see [`quiet_when_stdout_closes`])
/// after it took a dish and before its `task_done`, so the washer's `join`
/// would wait forever for that dish. Python's `JoinableQueue` has the same
/// trap. A watcher thread (`stdout-watch`) waits in `poll` on standard
/// output, which reports `POLLERR` on a pipe whose reader has gone, and
/// then raises `SIGPIPE`: the process ends as it would on its next write,
/// and its daemonic children with it. On a terminal or a file the thread
/// just waits, using no CPU.
///
/// Call it after [`quiet_when_stdout_closes`], before starting the
/// children. It starts a thread, so call it only in programs that may have
/// threads when they fork (`washup::Process` is made for that; a bare
/// `fork` that calls `std::process::exit` in the child is not).
pub fn end_when_stdout_closes() -> std::io::Result<()> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    std::thread::Builder::new()
        .name("stdout-watch".into())
        .spawn(|| {
            let stdout = std::io::stdout();
            // No events asked for: poll still reports POLLERR and POLLHUP.
            let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::empty())];
            loop {
                match poll(&mut fds, PollTimeout::NONE) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => return, // cannot watch: the next write decides
                    Ok(_) => {
                        let gone = PollFlags::POLLERR | PollFlags::POLLHUP;
                        if fds[0].revents().is_some_and(|r| r.intersects(gone)) {
                            let _ = nix::sys::signal::raise(Signal::SIGPIPE);
                        }
                        return;
                    }
                }
            }
        })?;
    Ok(())
}
