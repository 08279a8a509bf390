//! A slow neighbour: another process that answers after a while, standing
//! in for a server at the other end of a network.
//!
//! The chapters on threads and on "threads or processes?" need something to
//! *wait* for that is not the CPU: a request whose answer comes from
//! somewhere else. [`answer_after`] starts a small child process (Perl,
//! one process, no shell) that sleeps, then prints the answer on a pipe;
//! the caller blocks on that pipe, using no CPU, exactly as it would on a
//! socket.
//!
//! Python equivalent: `subprocess.run(["perl", "-e", ...],
//! capture_output=True)` from a thread; in the lesson's terms, any I/O call
//! that blocks.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::time::Duration;

/// The child's program: wait `$ARGV[0]` seconds, then print `$ARGV[1]`.
const WAIT_AND_ANSWER: &str = r#"select(undef, undef, undef, $ARGV[0]); print "$ARGV[1]\n""#;

/// Asks a neighbour process for `answer` and waits until it comes back,
/// `wait` later, on a pipe. Returns the answer as the neighbour printed it.
///
/// The neighbour dies with the thread that asked (the kernel's parent-death
/// signal), so a program killed while it waits leaves no neighbour behind.
///
/// # Errors
///
/// When the neighbour cannot be started (no `perl` on the `PATH`) or does
/// not end well.
///
/// ```no_run
/// use std::time::Duration;
/// let towel = washup::neighbour::answer_after(Duration::from_millis(250), "towel 1")?;
/// assert_eq!(towel, "towel 1");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn answer_after(wait: Duration, answer: &str) -> io::Result<String> {
    let me = nix::unistd::getpid();
    let mut command = Command::new("perl");
    command
        .args(["-e", WAIT_AND_ANSWER, "--"])
        .arg(format!("{:.3}", wait.as_secs_f64()))
        .arg(answer);
    // SAFETY: between fork and exec the closure calls only prctl(2) and
    // getppid(2), which are async-signal-safe, and allocates nothing. The
    // asking thread blocks in `output()` until the neighbour has ended, so
    // the parent-death signal (which follows the thread that forked) cannot
    // fire early.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
            // We may have died before the line above armed the signal.
            if nix::unistd::getppid() != me {
                return Err(io::Error::other("the asking process is gone"));
            }
            Ok(())
        });
    }
    let out = command.output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "the neighbour ended badly ({})",
            out.status
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
