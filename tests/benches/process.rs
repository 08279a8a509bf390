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

use std::process::Command;
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

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2000);
    println!("start + join latency, one warm-up round first");
    println!();
    println!(
        "| {:<36} | {:>6} | {:>10} | {:>10} |",
        "what", "rounds", "median ms", "mean ms"
    );
    println!("|{:-<38}|{:-<8}|{:-<12}|{:-<12}|", "", "", "", "");
    let (median, mean) = stats(rounds(n, || process(false)));
    row("washup::Process", n, median, mean);
    let (median, mean) = stats(rounds(n, || process(true)));
    row("washup::Process, daemonic", n, median, mean);
    let (median, mean) = stats(rounds(n, raw_fork));
    row("nix fork + waitpid", n, median, mean);

    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let python = Command::new("python3")
        .arg("python/bench_process.py")
        .current_dir(root)
        .output();
    match python {
        Ok(out) if out.status.success() => {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                let field = |key: &str| {
                    line.split(' ')
                        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
                        .unwrap_or("?")
                        .to_string()
                };
                let num = |key: &str| field(key).parse::<f64>().unwrap_or(f64::NAN);
                row(
                    &format!("Python multiprocessing, {}", field("method")),
                    field("rounds").parse().unwrap_or(0),
                    num("median_ms"),
                    num("mean_ms"),
                );
            }
        }
        Ok(out) => println!(
            "\nPython rows skipped: python/bench_process.py failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("\nPython rows skipped: python3 is not on PATH ({e})"),
    }
}
