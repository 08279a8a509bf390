//! Threads or processes? CPU scaling and memory per worker, in Rust and in
//! Python, for chapter "Threads or processes?".
//!
//! Run with `cargo bench -p washup-tests --bench scaling` (add `-- 16000000`
//! to change the number of dishes). Prints two tables:
//!
//! - CPU scaling: scrubbing a stack of dishes (the checksum of
//!   `examples/threads-or-processes.rs`) with 1 thread, N threads, N
//!   `washup::Process`es (sums sent back on a `washup::SimpleQueue`) and 2N
//!   threads, N = the number of cores; median of 7 rounds (taking turns)
//!   after a warm-up.
//!   Every round's checksum must be the same, or the bench panics.
//! - Memory per worker: resident memory (VmRSS) that one more waiting
//!   thread adds to the process, and what one waiting forked
//!   `washup::Process` holds: its VmRSS (what `ps` shows, pages shared with
//!   the parent included) and its private pages (from
//!   `/proc/PID/smaps_rollup`). The parent holds the stack of dishes
//!   (8 bytes a dish) when it forks.
//!
//! The Python rows (python/bench_scaling.py: the sum of
//! python/threads_or_processes.py with 1 thread, 2 threads, 2 processes, and
//! the memory of a waiting thread and process) run in the same invocation
//! when `python3` is on PATH.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use washup::{Process, SimpleQueue};

const ROUNDS: usize = 7;
const WORKERS: usize = 16;

/// The scrubbing of `examples/threads-or-processes.rs`, unchanged.
fn scrub(dish: u64, scrubs: u32) -> u64 {
    let mut x = dish;
    for _ in 0..scrubs {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
    }
    x
}

fn scrub_all(dishes: &[u64]) -> u64 {
    dishes
        .iter()
        .fold(0, |sum, &dish| sum.wrapping_add(scrub(dish, 16)))
}

fn parts(len: usize, workers: usize) -> impl Iterator<Item = Range<usize>> {
    let size = len.div_ceil(workers).max(1);
    (0..len)
        .step_by(size)
        .map(move |at| at..(at + size).min(len))
}

fn with_threads(stack: &[u64], workers: usize) -> u64 {
    thread::scope(|s| {
        let scrubbers: Vec<_> = parts(stack.len(), workers)
            .map(|part| s.spawn(move || scrub_all(&stack[part])))
            .collect();
        scrubbers.into_iter().fold(0u64, |sum, scrubber| {
            sum.wrapping_add(scrubber.join().expect("scrubber"))
        })
    })
}

fn with_processes(stack: &Arc<Vec<u64>>, workers: usize) -> u64 {
    let sums: SimpleQueue<u64> = SimpleQueue::new().expect("queue");
    let mut scrubbers: Vec<Process> = parts(stack.len(), workers)
        .map(|part| {
            let (stack, sums) = (Arc::clone(stack), sums.clone());
            let mut p =
                Process::new(move || sums.put(scrub_all(&stack[part])).expect("put")).daemon(true);
            p.start().expect("start");
            p
        })
        .collect();
    let total =
        (0..scrubbers.len()).fold(0u64, |sum, _| sum.wrapping_add(sums.get().expect("get")));
    for p in &mut scrubbers {
        p.join().expect("join");
        assert_eq!(p.exitcode(), Some(0));
    }
    total
}

/// Median time of each variant over `ROUNDS` rounds, after a warm-up.
/// The rounds take turns (variant 1, 2, 3, 4, then again), so a burst of
/// other work on the machine slows all variants alike. Every round must
/// give `expected`.
fn medians(expected: u64, variants: &mut [Box<dyn FnMut() -> u64 + '_>]) -> Vec<Duration> {
    let mut times = vec![Vec::new(); variants.len()];
    for round in 0..=ROUNDS {
        for (variant, times) in variants.iter_mut().zip(&mut times) {
            let start = Instant::now();
            assert_eq!(variant(), expected, "checksum");
            if round > 0 {
                times.push(start.elapsed());
            }
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[ROUNDS / 2]
        })
        .collect()
}

/// The sum of some `kB` fields of a /proc file.
fn kib(path: &str, keys: &[&str]) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            keys.contains(&name)
                .then(|| value.split_whitespace().next()?.parse::<u64>().ok())?
        })
        .sum()
}

/// KiB of resident memory one more waiting thread adds.
fn thread_memory() -> f64 {
    let ready = Arc::new(Barrier::new(WORKERS + 1));
    let (go, wait) = mpsc::channel::<()>();
    let wait = Arc::new(std::sync::Mutex::new(wait));
    let before = kib("/proc/self/status", &["VmRSS"]);
    let waiters: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (ready, wait) = (Arc::clone(&ready), Arc::clone(&wait));
            thread::spawn(move || {
                ready.wait();
                let _ = wait.lock().expect("lock").recv();
            })
        })
        .collect();
    ready.wait();
    let after = kib("/proc/self/status", &["VmRSS"]);
    drop(go); // every waiter's recv now fails, one after another
    for w in waiters {
        w.join().expect("waiter");
    }
    after.saturating_sub(before) as f64 / WORKERS as f64
}

/// Median (VmRSS, private) KiB of a waiting forked `washup::Process`.
fn process_memory() -> (u64, u64) {
    let (ready_r, ready_w) = nix::unistd::pipe().expect("pipe");
    let (go_r, go_w) = nix::unistd::pipe().expect("pipe");
    let (mut ready_r, mut go_w) = (File::from(ready_r), File::from(go_w));
    let (ready_w, go_r) = (Arc::new(File::from(ready_w)), Arc::new(File::from(go_r)));
    let mut children: Vec<Process> = (0..WORKERS)
        .map(|_| {
            let (ready_w, go_r) = (Arc::clone(&ready_w), Arc::clone(&go_r));
            let mut p = Process::new(move || {
                (&*ready_w).write_all(b"r").expect("ready");
                (&*go_r).read_exact(&mut [0]).expect("go");
            })
            .daemon(true);
            p.start().expect("start");
            p
        })
        .collect();
    ready_r
        .read_exact(&mut [0; WORKERS])
        .expect("every child ready");
    let mut rss = Vec::new();
    let mut private = Vec::new();
    for p in &children {
        let pid = p.pid().expect("started");
        rss.push(kib(&format!("/proc/{pid}/status"), &["VmRSS"]));
        let rollup = format!("/proc/{pid}/smaps_rollup");
        private.push(kib(&rollup, &["Private_Clean", "Private_Dirty"]));
    }
    go_w.write_all(&[b'g'; WORKERS]).expect("go");
    for p in &mut children {
        p.join().expect("join");
        assert_eq!(p.exitcode(), Some(0));
    }
    rss.sort();
    private.sort();
    (rss[WORKERS / 2], private[WORKERS / 2])
}

fn python(dishes: u64) -> Result<String, String> {
    common::python("python/bench_scaling.py", dishes)
}

/// The value of `key=` on the first line of `text` that starts with `start`.
fn field(text: &str, start: &str, key: &str) -> String {
    text.lines()
        .find(|line| line.starts_with(start))
        .and_then(|line| {
            line.split(' ')
                .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        })
        .unwrap_or("?")
        .to_string()
}

fn main() {
    let dishes: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(8_000_000);
    let n = thread::available_parallelism().map_or(2, |n| n.get());
    let stack: Arc<Vec<u64>> = Arc::new((0..dishes).collect());
    let expected = scrub_all(&stack);

    let names = [
        "1 thread".to_string(),
        format!("{n} threads"),
        format!("{n} processes (washup::Process)"),
        format!("{} threads", 2 * n),
    ];
    let times = medians(
        expected,
        &mut [
            Box::new(|| scrub_all(&stack)),
            Box::new(|| with_threads(&stack, n)),
            Box::new(|| with_processes(&stack, n)),
            Box::new(|| with_threads(&stack, 2 * n)),
        ],
    );
    let one = times[0];
    let rows: Vec<_> = names.into_iter().zip(times).collect();
    println!(
        "CPU scaling: scrubbing {dishes} dishes, 16 scrubs each, {n} cores, median of {ROUNDS}"
    );
    println!();
    println!(
        "| {:<36} | {:>10} | {:>8} |",
        "Rust", "median ms", "speed-up"
    );
    println!("|{:-<38}|{:-<12}|{:-<10}|", "", "", "");
    for (what, time) in &rows {
        let speedup = one.as_secs_f64() / time.as_secs_f64();
        println!(
            "| {what:<36} | {:>10.1} | {speedup:>7.2}x |",
            time.as_secs_f64() * 1e3
        );
    }

    let thread_kib = thread_memory();
    let (process_rss, process_private) = process_memory();
    let python = python(dishes * 3 / 4);
    if let Ok(text) = &python {
        let dishes = field(text, "cpu ", "dishes");
        println!();
        println!(
            "| {:<36} | {:>10} | {:>8} |",
            format!("Python, {dishes} dishes"),
            "median ms",
            "speed-up"
        );
        println!("|{:-<38}|{:-<12}|{:-<10}|", "", "", "");
        let one: f64 = field(text, "cpu way=1_thread", "median_s")
            .parse()
            .unwrap_or(f64::NAN);
        for way in ["1_thread", "2_threads", "2_processes"] {
            let s: f64 = field(text, &format!("cpu way={way} "), "median_s")
                .parse()
                .unwrap_or(f64::NAN);
            println!(
                "| {:<36} | {:>10.1} | {:>7.2}x |",
                way.replace('_', " "),
                s * 1e3,
                one / s
            );
        }
    }

    println!();
    println!(
        "Memory per waiting worker ({WORKERS} workers; parent holds {} MiB of dishes)",
        (dishes * 8) >> 20
    );
    println!();
    println!(
        "| {:<36} | {:>10} | {:>11} |",
        "worker", "VmRSS KiB", "private KiB"
    );
    println!("|{:-<38}|{:-<12}|{:-<13}|", "", "", "");
    println!(
        "| {:<36} | {thread_kib:>10.0} | {:>11} |",
        "Rust std::thread (RSS added)", "-"
    );
    println!(
        "| {:<36} | {process_rss:>10} | {process_private:>11} |",
        "Rust washup::Process (fork)"
    );
    match &python {
        Ok(text) => {
            let rss = field(text, "memory kind=thread ", "rss_kib");
            println!(
                "| {:<36} | {rss:>10} | {:>11} |",
                "Python threading.Thread (RSS added)", "-"
            );
            for method in ["fork", "spawn"] {
                let start = format!("memory kind=process_{method} ");
                let (rss, private) = (
                    field(text, &start, "rss_kib"),
                    field(text, &start, "private_kib"),
                );
                println!(
                    "| {:<36} | {rss:>10} | {private:>11} |",
                    format!("Python Process ({method})")
                );
            }
        }
        Err(why) => println!("\nPython rows skipped: {why}"),
    }
}
