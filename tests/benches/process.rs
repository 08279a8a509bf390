//! What starting and joining a process costs: `washup::Process`, raw
//! `fork` with `waitpid`, and Python's `multiprocessing.Process` with each
//! start method.
//!
//! Run with `cargo bench -p washup-tests --bench process` (add `-- 5000` to
//! change the number of Rust rounds). Prints one table, median and mean of
//! each row, after one warm-up round:
//!
//! - `Process` start + join of an empty closure, non-daemonic;
//! - the same, daemonic (`start` also waits until the child has armed its
//!   parent-death signal: one more round trip);
//! - `nix::unistd::fork` + `waitpid`, the floor underneath;
//! - Python (python/bench_process.py) with fork, forkserver and spawn, in the
//!   same invocation when `python3` is on PATH.

mod common;

use std::time::{Duration, Instant};

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};
use washup::Process;

fn rounds(n: usize, mut once: impl FnMut()) -> Vec<Duration> {
    once(); // warm-up
    (0..n)
        .map(|_| {
            let t = Instant::now();
            once();
            t.elapsed()
        })
        .collect()
}

fn process(daemon: bool) {
    let mut p = Process::new(|| {}).daemon(daemon);
    p.start().expect("start");
    p.join().expect("join");
    assert_eq!(p.exitcode(), Some(0));
}

fn raw_fork() {
    // SAFETY: the benchmark has one thread when it forks; the child leaves at
    // once with `_exit`, never returning into main.
    match unsafe { fork() }.expect("fork") {
        // SAFETY: ends the child without running the parent's clean-up.
        ForkResult::Child => unsafe { libc::_exit(0) },
        ForkResult::Parent { child } => {
            waitpid(child, None).expect("waitpid");
        }
    }
}

/// (median, mean) in milliseconds.
fn stats(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let median = ms(times[times.len() / 2]);
    let mean = ms(times.iter().sum::<Duration>()) / times.len() as f64;
    (median, mean)
}

fn row(what: &str, n: usize, median: f64, mean: f64) {
    println!("| {what:<36} | {n:>6} | {median:>10.3} | {mean:>10.3} |");
}

const ROUNDS: u64 = 2000;

/// Prints a row and records its median and mean under `key`.
fn measured(record: &mut common::Recorder, key: &str, what: &str, n: usize, times: (f64, f64)) {
    row(what, n, times.0, times.1);
    record.figure(&format!("{key}.median"), what, "median", times.0, "ms");
    record.figure(&format!("{key}.mean"), what, "mean", times.1, "ms");
}

fn main() {
    let mut record = common::Recorder::start("process", ROUNDS);
    let n = common::count_arg(ROUNDS) as usize;
    println!("start + join latency, one warm-up round first");
    println!();
    println!(
        "| {:<36} | {:>6} | {:>10} | {:>10} |",
        "what", "rounds", "median ms", "mean ms"
    );
    println!("|{:-<38}|{:-<8}|{:-<12}|{:-<12}|", "", "", "", "");
    let rust = [
        ("start.washup", "`washup::Process`", false),
        ("start.washup_daemon", "`washup::Process`, daemonic", true),
    ];
    for (key, what, daemon) in rust {
        let times = stats(rounds(n, || process(daemon)));
        measured(&mut record, key, what, n, times);
    }
    let times = stats(rounds(n, raw_fork));
    measured(&mut record, "start.fork", "`nix` fork + waitpid", n, times);
    record.figure(
        "rounds.rust",
        "Rust: rounds per row",
        "rounds",
        n as f64,
        "rounds",
    );

    match common::python("python/bench_process.py", &[]) {
        Ok(text) => {
            for line in text.lines() {
                let field = |key: &str| {
                    line.split(' ')
                        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                        .unwrap_or("?")
                        .to_string()
                };
                let num = |key: &str| field(key).parse::<f64>().unwrap_or(f64::NAN);
                let method = field("method");
                let rounds: usize = field("rounds").parse().unwrap_or(0);
                let what = format!("Python `multiprocessing`, {method}");
                measured(
                    &mut record,
                    &format!("start.python.{method}"),
                    &what,
                    rounds,
                    (num("median_ms"), num("mean_ms")),
                );
                record.figure(
                    &format!("rounds.python.{method}"),
                    &format!("Python, {method}: rounds"),
                    "rounds",
                    rounds as f64,
                    "rounds",
                );
            }
        }
        Err(why) => println!("\nPython rows skipped: {why}"),
    }
    record.finish();
}
