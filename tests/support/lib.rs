//! Test support for Washing Up: run the book's example programs (and Python
//! files) the way a reader would, capture what they print, and prove that
//! they leave no process behind.
//!
//! Every run gets its own process group, and this test process makes itself
//! a *child subreaper* (Linux `PR_SET_CHILD_SUBREAPER`): when the example
//! exits, any descendant it left becomes our child instead of init's. We
//! then wait for every process of the group with `waitpid(-pgid)`, blocking,
//! so "nothing left behind" is checked by the kernel's own bookkeeping, not
//! by sleeping and hoping. A process still alive 10 s after the example
//! exited fails the test, naming it.

use std::io::{BufRead, BufReader, PipeReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

pub mod redis;

/// How long an example may run before the test gives up and kills it.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);
/// How long a single `read_line` may wait.
pub const LINE_LIMIT: Duration = Duration::from_secs(30);
/// How long processes left by an example may take to end after it exits
/// (daemonic children end by a parent-death signal, which takes a moment).
pub const LEFTOVER_LIMIT: Duration = Duration::from_secs(10);

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace")
        .to_path_buf()
}

/// Path of the built example binary `name`.
///
/// The first call per test binary runs `cargo build --examples --workspace`
/// with this test's profile, so the binaries are never stale, even under
/// `cargo test -p washup-tests`. (Examples with heavier dependencies live in
/// workspace members of their own; they land in the same folder.)
pub fn example_path(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        // This binary is target/<profile>/deps/<test>-<hash>; examples are
        // built into target/<profile>/examples.
        let exe = std::env::current_exe().expect("current test binary");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test binary inside target/<profile>/deps")
            .to_path_buf();
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev".to_string(),
            Some(other) => other.to_string(),
            None => "dev".to_string(),
        };
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "--examples", "--workspace", "--profile"])
            .arg(&profile)
            .current_dir(project_root())
            .status()
            .expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed: {status}");
        profile_dir.join("examples")
    });
    let path = dir.join(name);
    assert!(path.is_file(), "no example binary at {}", path.display());
    path
}

/// Whether `python3` can be run here. Python runs are skipped (with a
/// visible message) when it cannot.
pub fn python3_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether `what` must be skipped for want of `python3`: says so on
/// standard error (past the harness's capture, so a skip is never silent).
/// In CI (`CI=true`), where `.ci/run` guarantees Python, a missing
/// `python3` fails instead.
pub fn skip_without_python3(what: &str) -> bool {
    if python3_available() {
        return false;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "no python3 on PATH in CI, needed by {what}"
    );
    let _ = writeln!(std::io::stderr(), "SKIPPED (no python3 on PATH): {what}");
    true
}

/// What a finished run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Standard output and standard error, merged through one pipe, so in
    /// the order they were written.
    pub output: String,
    /// The exit code, when the program exited.
    pub code: Option<i32>,
    /// The signal number, when a signal ended the program.
    pub signal: Option<i32>,
}

impl Finished {
    /// The output as the book shows it: the program's text, then a line
    /// `(exit status: N)` (or `(killed by signal N)`) when it did not
    /// exit with 0.
    pub fn shown(&self) -> String {
        let mut text = self.output.trim_end_matches('\n').to_string();
        let note = match (self.code, self.signal) {
            (Some(0), _) => None,
            (Some(code), _) => Some(format!("(exit status: {code})")),
            (None, Some(signal)) => Some(format!("(killed by signal {signal})")),
            (None, None) => Some("(ended without a status)".to_string()),
        };
        if let Some(note) = note {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&note);
        }
        text
    }
}

/// Runs example `name` with `args` to the end. See [`spawn_example`].
pub fn run_example(name: &str, args: &[&str]) -> Finished {
    spawn_example(name, args).finish()
}

/// Runs the Python file `path` (relative to the project root) with `args`
/// using `python3`, unbuffered, to the end. Callers check
/// [`python3_available`] first.
pub fn run_python(path: &str, args: &[&str]) -> Finished {
    let mut command = Command::new("python3");
    command
        .arg(path)
        .args(args)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONHASHSEED", "0")
        .current_dir(project_root());
    Running::start(command, path).finish()
}

/// Runs the Python file `path` like [`run_python`], but with Python's
/// default buffering, as when a reader pipes its output into `less`:
/// `PYTHONUNBUFFERED` is removed from the environment, so standard output
/// is block-buffered and a process that ends without flushing loses what
/// it printed.
pub fn run_python_buffered(path: &str, args: &[&str]) -> Finished {
    let mut command = Command::new("python3");
    command
        .arg(path)
        .args(args)
        .env_remove("PYTHONUNBUFFERED")
        .env("PYTHONHASHSEED", "0")
        .current_dir(project_root());
    Running::start(command, path).finish()
}

/// Compiles the Rust file `path` (relative to the project root) with
/// `rustc --edition 2024`, as a reader would, and returns what the compiler
/// said. Only metadata is emitted, into a temporary folder, so nothing is
/// left in the project; that changes no diagnostic.
pub fn run_rustc(path: &str) -> Finished {
    let out_dir = std::env::temp_dir().join(format!(
        "washup-rustc-{}-{}",
        std::process::id(),
        path.replace('/', "_")
    ));
    std::fs::create_dir_all(&out_dir).expect("create rustc output folder");
    let mut command = Command::new("rustc");
    command
        .args([
            "--edition",
            "2024",
            "--color",
            "never",
            "--emit",
            "metadata",
            "--out-dir",
        ])
        .arg(&out_dir)
        .arg(path)
        .current_dir(project_root());
    let finished = Running::start(command, path).finish();
    let _ = std::fs::remove_dir_all(&out_dir);
    finished
}

/// Starts example `name` with `args` in its own process group, with its
/// standard output and error merged into one pipe that the test reads.
pub fn spawn_example(name: &str, args: &[&str]) -> Running {
    let mut command = Command::new(example_path(name));
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .current_dir(project_root());
    Running::start(command, name)
}

/// [`run_example`] with extra environment variables (e.g. `REDIS_URL`).
pub fn run_example_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Finished {
    let mut command = Command::new(example_path(name));
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .current_dir(project_root());
    Running::start(command, name).finish()
}

/// Runs example `name` with `args` with its standard output going into a
/// pipe whose reader goes away, as with `| head -N`: the test reads
/// `lines` lines (0: none, the reader is gone before the program starts)
/// and then closes its end. [`Finished::output`] holds what the program
/// wrote to standard error; nothing left behind is checked as for
/// [`run_example`].
pub fn run_example_into_closed_pipe(name: &str, args: &[&str], lines: usize) -> Finished {
    let mut command = Command::new(example_path(name));
    command
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .env("NO_COLOR", "1")
        .current_dir(project_root());
    let (reader, writer) = std::io::pipe().expect("pipe");
    command.stdout(writer);
    let head = if lines == 0 {
        drop(reader);
        None
    } else {
        Some(reader)
    };
    let running = Running::start_with_stdout(command, name, false);
    if let Some(reader) = head {
        // Like `head`: read `lines` lines (or to the end), then close.
        let mut reader = BufReader::new(reader);
        let mut line = String::new();
        for _ in 0..lines {
            line.clear();
            if reader.read_line(&mut line).map_or(true, |n| n == 0) {
                break;
            }
        }
        drop(reader);
    }
    running.finish()
}

/// A running program started by [`spawn_example`].
pub struct Running {
    label: String,
    pid: i32,
    lines: Receiver<String>,
    waited: Receiver<Waited>,
}

enum Waited {
    /// The program's own process ended.
    Exited(ExitStatus),
    /// Every other process of its group has ended too.
    GroupGone,
}

fn become_subreaper() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        nix::sys::prctl::set_child_subreaper(true).expect("PR_SET_CHILD_SUBREAPER");
    });
}

impl Running {
    fn start(command: Command, label: &str) -> Running {
        Running::start_with_stdout(command, label, true)
    }

    /// Starts `command`; its standard error goes to the pipe the test reads,
    /// and so does its standard output when `merge` is set (otherwise the
    /// caller has set it).
    fn start_with_stdout(mut command: Command, label: &str, merge: bool) -> Running {
        use std::os::unix::process::CommandExt as _;
        become_subreaper();
        let (reader, writer) = std::io::pipe().expect("pipe");
        if merge {
            command.stdout(writer.try_clone().expect("clone pipe"));
        }
        // A group of its own (pgid = its pid), so we can find and wait for
        // everything it starts.
        command.stdin(Stdio::null()).stderr(writer).process_group(0);
        // Start it with every signal at its default action, as a reader's
        // shell does. An *ignored* signal survives `exec` (std resets only the
        // signal mask and SIGPIPE), and a job started with `&` from a
        // non-interactive shell ignores SIGINT and SIGQUIT: under
        // `cargo test ... &`, an example sent SIGINT by a test would go on
        // running (issue 17).
        // SAFETY: runs in the forked child before exec; `signal` is
        // async-signal-safe and touches no memory of ours.
        unsafe {
            command.pre_exec(|| {
                for signal in 1..32 {
                    if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                        libc::signal(signal, libc::SIG_DFL);
                    }
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {label}: {e}"));
        // `command` holds the parent's copies of the pipe's write end: drop
        // it so that end-of-file comes when the program's side closes.
        drop(command);
        let pid = i32::try_from(child.id()).expect("pid fits in i32");
        Running {
            label: label.to_string(),
            pid,
            lines: read_lines(reader),
            waited: wait_for_group(child, pid),
        }
    }

    /// The program's process id (also its process group id).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The next line of output, without its newline; `None` at end of
    /// output. Fails the test if no line comes within [`LINE_LIMIT`].
    pub fn read_line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(LINE_LIMIT) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
                panic!("{}: no line of output within {LINE_LIMIT:?}", self.label)
            }
        }
    }

    /// Sends `signal` to the program's main process only.
    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.pid), signal).expect("send signal");
    }

    /// Waits for the program to exit (at most [`RUN_LIMIT`]), then for every
    /// process it left in its group (at most [`LEFTOVER_LIMIT`]), and returns
    /// its output. Fails the test if the program hangs or leaves a process.
    pub fn finish(self) -> Finished {
        let pgid = Pid::from_raw(self.pid);
        let status = match self.waited.recv_timeout(RUN_LIMIT) {
            Ok(Waited::Exited(status)) => status,
            Ok(Waited::GroupGone) | Err(_) => {
                let _ = killpg(pgid, Signal::SIGKILL);
                panic!("{} did not finish within {RUN_LIMIT:?}", self.label);
            }
        };
        match self.waited.recv_timeout(LEFTOVER_LIMIT) {
            Ok(Waited::GroupGone) => {}
            _ => {
                let left = group_members(self.pid);
                let _ = killpg(pgid, Signal::SIGKILL);
                panic!(
                    "{} exited but left processes running {LEFTOVER_LIMIT:?} later: {left:?}",
                    self.label
                );
            }
        }
        let mut output = String::new();
        for line in self.lines.iter() {
            output.push_str(&line);
            output.push('\n');
        }
        use std::os::unix::process::ExitStatusExt as _;
        Finished {
            output,
            code: status.code(),
            signal: status.signal(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A test that panicked half-way must not leave the program running.
        if thread::panicking() {
            let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
        }
    }
}

fn read_lines(reader: PipeReader) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for the program, then reaps every process of its group: they are
/// our children by then (we are their subreaper), and `waitpid(-pgid)`
/// blocks until one ends; `ECHILD` means none is left.
fn wait_for_group(mut child: Child, pgid: i32) -> Receiver<Waited> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let Ok(status) = child.wait() else { return };
        let _ = tx.send(Waited::Exited(status));
        // Ends with ECHILD: no process of the group is left.
        while let Ok(_) | Err(Errno::EINTR) = waitpid(Pid::from_raw(-pgid), None) {}
        let _ = tx.send(Waited::GroupGone);
    });
    rx
}

/// `pid (command)` of each live process whose process group is `pgid`.
pub fn group_members(pgid: i32) -> Vec<String> {
    let mut members = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return members;
    };
    for entry in entries.flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // Fields after the command (which is in parentheses): state, ppid, pgrp.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        if fields.get(2) == Some(&pgid.to_string().as_str()) && fields.first() != Some(&"Z") {
            members.push(stat[..=close].to_string());
        }
    }
    members
}
