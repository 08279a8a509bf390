//! Threads or processes? CPU scaling and memory per worker, in Rust and in
//! Python, for chapter "Threads or processes?".
//!
//! Run with `cargo bench -p washup-tests --bench scaling` (add `-- 400000`
//! to change the number of dishes; such a run is printed, not recorded).
//! Prints, and records in book/data/benchmarks.json:
//!
//! - CPU scaling: scrubbing a stack of dishes (the checksum of
//!   `examples/threads-or-processes.rs`: 16 rounds of splitmix64 per dish)
//!   with 1 thread, N threads, N `washup::Process`es (sums sent back on a
//!   `washup::SimpleQueue`) and 2N threads, N = the number of cores; median
//!   of 21 rounds (taking turns) after a warm-up. Every round's checksum
//!   must be the same, or the bench panics.
//! - The same work in Python (python/bench_scaling.py: the same stack, the
//!   same 16 rounds in 64-bit arithmetic) with 1 thread, 2 threads and 2
//!   processes, median of 3 rounds: Python's checksum must be Rust's, or
//!   the bench panics. The stack is small (400,000 dishes) because Python
//!   takes seconds for each way of scrubbing it; Rust takes milliseconds.
//! - Memory per worker: resident memory (VmRSS) that one more waiting
//!   thread adds to the process, and what one waiting forked
//!   `washup::Process` holds: its VmRSS (what `ps` shows, pages shared with
//!   the parent included) and its private pages (from
//!   `/proc/PID/smaps_rollup`). The parent holds a stack of 8,000,000
//!   dishes (8 bytes a dish) when it forks; Python's waiting thread and
//!   processes (fork, spawn) next to them.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use washup::{Process, SimpleQueue};

const ROUNDS: usize = 21;
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
        .fold(0, |sum, &dish| sum.wrapping_add(scrub(dish, SCRUBS)))
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

/// Python's lines, for `dishes` dishes of `SCRUBS` scrubs each.
fn python(dishes: u64) -> Result<String, String> {
    common::python(
        "python/bench_scaling.py",
        &[dishes.to_string(), SCRUBS.to_string()],
    )
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

/// How many dishes both languages scrub: Python takes a few seconds for
/// each way on our machine, Rust some milliseconds (long enough that a
/// moment's wait for a core does not decide its speed-up).
const DISHES: u64 = 400_000;
/// How many times each dish is scrubbed, in both languages.
const SCRUBS: u32 = 16;
/// The stack the parent holds when it forks, for the memory table.
const MEMORY_DISHES: u64 = 8_000_000;

fn main() {
    let mut record = common::Recorder::start("scaling", DISHES);
    let dishes = common::count_arg(DISHES);
    let n = thread::available_parallelism().map_or(2, |n| n.get());
    let stack: Arc<Vec<u64>> = Arc::new((0..dishes).collect());
    let expected = scrub_all(&stack);

    let names = [
        ("1_thread", "1 thread".to_string()),
        ("threads", format!("{n} threads")),
        ("processes", format!("{n} processes (`washup::Process`)")),
        (
            "more_threads",
            format!("{} threads (more than cores)", 2 * n),
        ),
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
    println!(
        "CPU scaling: scrubbing {dishes} dishes, {SCRUBS} scrubs each, {n} cores, median of {ROUNDS}; \
         checksum {expected:#018x}"
    );
    println!();
    println!(
        "| {:<36} | {:>10} | {:>8} |",
        "Rust", "median ms", "speed-up"
    );
    println!("|{:-<38}|{:-<12}|{:-<10}|", "", "", "");
    for ((key, what), time) in names.iter().zip(&times) {
        let speedup = one.as_secs_f64() / time.as_secs_f64();
        let ms = time.as_secs_f64() * 1e3;
        println!("| {what:<36} | {ms:>10.2} | {speedup:>7.2}x |");
        record.figure(&format!("cpu.rust.{key}"), what, "median", ms, "ms");
        record.figure(
            &format!("cpu.rust.{key}.speedup"),
            what,
            "speed-up",
            speedup,
            "×",
        );
    }
    record.figure(
        "size.dishes",
        "dishes on the stack, both languages",
        "size",
        dishes as f64,
        "dishes",
    );
    record.figure(
        "size.scrubs",
        "scrubs per dish, both languages",
        "size",
        f64::from(SCRUBS),
        "scrubs",
    );
    record.figure(
        "size.rust_rounds",
        "Rust: rounds (median of)",
        "size",
        ROUNDS as f64,
        "rounds",
    );

    let python = python(dishes);
    match &python {
        Ok(text) => {
            println!();
            println!(
                "| {:<36} | {:>10} | {:>8} |",
                "Python", "median ms", "speed-up"
            );
            println!("|{:-<38}|{:-<12}|{:-<10}|", "", "", "");
            let seconds = |way: &str| -> f64 {
                field(text, &format!("cpu way={way} "), "median_s")
                    .parse()
                    .unwrap_or(f64::NAN)
            };
            let one = seconds("1_thread");
            for (way, what) in [
                ("1_thread", "1 thread"),
                ("2_threads", "2 threads"),
                ("2_processes", "2 processes"),
            ] {
                let line = format!("cpu way={way} ");
                assert_eq!(
                    field(text, &line, "dishes"),
                    dishes.to_string(),
                    "Python scrubbed another stack"
                );
                assert_eq!(
                    field(text, &line, "checksum"),
                    format!("{expected:#018x}"),
                    "Python's checksum ({way}) is not Rust's: not the same work"
                );
                let s = seconds(way);
                println!("| {what:<36} | {:>10.1} | {:>7.2}x |", s * 1e3, one / s);
                record.figure(&format!("cpu.python.{way}"), what, "median", s * 1e3, "ms");
                record.figure(
                    &format!("cpu.python.{way}.speedup"),
                    what,
                    "speed-up",
                    one / s,
                    "×",
                );
            }
            let rounds: f64 = field(text, "cpu way=1_thread ", "rounds")
                .parse()
                .unwrap_or(f64::NAN);
            record.figure(
                "size.python_rounds",
                "Python: rounds (median of)",
                "size",
                rounds,
                "rounds",
            );
            record.figure(
                "cpu.times_faster",
                "Rust 1 thread against Python 1 thread",
                "times as fast",
                one / times[0].as_secs_f64(),
                "×",
            );
        }
        Err(why) => println!("\nPython rows skipped: {why}"),
    }

    // The memory table: the parent holds a bigger stack when it forks, to
    // show that a forked child shares it rather than copying it.
    drop(stack);
    let big: Vec<u64> = std::hint::black_box((0..MEMORY_DISHES).collect());
    let thread_kib = thread_memory();
    let (process_rss, process_private) = process_memory();
    let parent_mib = (big.len() * 8) as f64 / (1024.0 * 1024.0);
    drop(std::hint::black_box(big));
    println!();
    println!(
        "Memory per waiting worker ({WORKERS} workers; parent holds {parent_mib:.0} MiB of dishes)"
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
    let what = "Rust `std::thread` (resident memory added)";
    record.figure("memory.rust.thread", what, "resident", thread_kib, "KiB");
    let what = "Rust `washup::Process` (fork)";
    record.figure(
        "memory.rust.process",
        what,
        "resident",
        process_rss as f64,
        "KiB",
    );
    record.figure(
        "memory.rust.process.private",
        what,
        "its own",
        process_private as f64,
        "KiB",
    );
    record.figure(
        "memory.parent",
        "the parent's stack of dishes",
        "size",
        parent_mib,
        "MiB",
    );
    match &python {
        Ok(text) => {
            let kib = |start: &str, key: &str| -> f64 {
                field(text, start, key).parse().unwrap_or(f64::NAN)
            };
            let rss = kib("memory kind=thread ", "rss_kib");
            println!(
                "| {:<36} | {rss:>10} | {:>11} |",
                "Python threading.Thread (RSS added)", "-"
            );
            let what = "Python `threading.Thread` (resident memory added)";
            record.figure("memory.python.thread", what, "resident", rss, "KiB");
            for method in ["fork", "spawn"] {
                let start = format!("memory kind=process_{method} ");
                let (rss, private) = (kib(&start, "rss_kib"), kib(&start, "private_kib"));
                println!(
                    "| {:<36} | {rss:>10} | {private:>11} |",
                    format!("Python Process ({method})")
                );
                let what = format!("Python `Process` ({method})");
                record.figure(
                    &format!("memory.python.{method}"),
                    &what,
                    "resident",
                    rss,
                    "KiB",
                );
                record.figure(
                    &format!("memory.python.{method}.private"),
                    &what,
                    "its own",
                    private,
                    "KiB",
                );
            }
        }
        Err(why) => println!("\nPython rows skipped: {why}"),
    }
    record.finish();
}
