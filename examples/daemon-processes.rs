//! Chapter "Daemon processes": what happens to a child when its parent dies.
//!
//! main starts a washer; the washer starts a dryer and then crashes (it
//! sends itself SIGKILL, so nothing of its own clean-up runs). A
//! non-daemonic dryer lives on as an orphan; a daemonic one dies with the
//! washer. Run it with `-- --help` to see the flags.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::time::Duration;

use clap::Parser;
use nix::sys::prctl;
use nix::sys::signal::{SigSet, Signal, raise};
use nix::sys::wait::{WaitStatus, wait};
use nix::unistd::{Pid, getpid, getppid, pipe};
use washup::Process;
use washup::process::current_process;

/// A washer crashes; what becomes of its dryer?
#[derive(Parser)]
struct Args {
    /// Make the dryer daemonic: it dies with the washer (without this flag
    /// the dryer inherits the washer's daemon flag)
    #[arg(long)]
    daemon: bool,
    /// main adopts orphans (PR_SET_CHILD_SUBREAPER) and reaps them
    #[arg(long)]
    subreaper: bool,
    /// Make the washer daemonic: then it may not start a dryer at all
    #[arg(long, conflicts_with_all = ["daemon", "watch_ms", "subreaper"])]
    daemonic_washer: bool,
    /// How long the washer watches its dryer before it crashes, in ms (at
    /// most a minute)
    #[arg(long, default_value_t = 0, value_parser = washup::cli::wait_ms())]
    watch_ms: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    if args.subreaper {
        prctl::set_child_subreaper(true)?;
    }
    let main_pid = getpid();
    // ANCHOR: main
    // The dryer reports through this pipe. Reading it to the end also waits
    // for the dryer: end-of-file comes when every holder of the write end
    // (the washer, the dryer) has closed it, by ending.
    let (report_r, report_w) = pipe()?;
    let (daemon, watch) = (args.daemon, Duration::from_millis(args.watch_ms));
    let mut washer = Process::new(move || washer(report_w, daemon, watch, main_pid))
        .name("washer")
        .daemon(args.daemonic_washer);
    println!("main: starting the washer");
    washer.start()?; // `start` drops main's copy of `report_w` with the closure
    washer.join()?;
    let code = washer.exitcode().expect("joined, so it has ended");
    println!("main: the washer ended with exit code {code}");
    let mut report = String::new();
    File::from(report_r).read_to_string(&mut report)?;
    match report.lines().next() {
        Some(line) => println!("main: the dryer says: {line}"),
        None => println!("main: not a word from the dryer"),
    }
    // ANCHOR_END: main
    // ANCHOR: reap
    if args.subreaper {
        // Orphans of our descendants became our children: reap them.
        while let Ok(status) = wait() {
            match status {
                WaitStatus::Exited(pid, code) => {
                    println!("main: reaped pid {pid}: exit code {code}")
                }
                WaitStatus::Signaled(pid, sig, _) => {
                    println!("main: reaped pid {pid}: killed by {sig}")
                }
                _ => {}
            }
        }
    }
    // ANCHOR_END: reap
    Ok(())
}

// ANCHOR: washer
fn washer(report: OwnedFd, daemon: bool, watch: Duration, main_pid: Pid) {
    let washer_pid = getpid();
    // A new Process inherits the daemon flag of the process creating it
    // (the washer's), as in Python; `--daemon` sets it on top.
    let mut dryer = Process::new(move || dryer(report, washer_pid, main_pid)).name("dryer");
    if daemon {
        dryer = dryer.daemon(true);
    }
    let (mine, its) = (current_process().daemon, dryer.is_daemon());
    println!("washer: I am daemonic: {mine}; starting a dryer (daemonic: {its})");
    if let Err(e) = dryer.start() {
        println!("washer: {e}");
        return;
    }
    let pid = dryer.pid().expect("started");
    let ms = watch.as_millis();
    println!("washer: the dryer runs as pid {pid}; I watch it for {ms} ms, then crash");
    let _ = dryer.join_timeout(watch); // it does not end by itself
    // SIGKILL cannot be caught: no destructor runs, `dryer` is never dropped.
    raise(Signal::SIGKILL).expect("raise");
}
// ANCHOR_END: washer

// ANCHOR: dryer
fn dryer(report: OwnedFd, washer: Pid, main: Pid) {
    if current_process().daemon {
        // The daemon flag asked the kernel for SIGKILL when our parent dies.
        loop {
            nix::unistd::pause();
        }
    }
    // Ask for SIGUSR1 when our parent dies, the same mechanism with a harmless
    // signal. Blocked, it waits for us; `wait` picks it up.
    let usr1 = SigSet::from(Signal::SIGUSR1);
    usr1.thread_block().expect("block SIGUSR1");
    prctl::set_pdeathsig(Signal::SIGUSR1).expect("prctl");
    if getppid() == washer {
        usr1.wait().expect("sigwait"); // (if not, the washer is already gone)
    }
    let now = getppid();
    let who = if now == main { "main" } else { "not main" };
    let mut report = File::from(report);
    // If main is gone too, nobody reads this; the dryer ends all the same.
    let _ = writeln!(
        report,
        "the washer (pid {washer}) is gone; my parent is now pid {now}, {who}"
    );
}
// ANCHOR_END: dryer
