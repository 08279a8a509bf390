//! Chapter "Threads or processes?": the same work with 1 thread, N threads
//! and N processes, timed on your machine.
//!
//! CPU-bound: scrub a stack of dishes (mix each dish's number a few rounds
//! and add the results up: a checksum). I/O-bound: wait for slow answers
//! from child processes on pipes (their wait stands in for a slow
//! server). Every variant must get the same result; the times are yours.
//!
//! Run it with `cargo run --example threads-or-processes`, or try
//! `cargo run --release --example threads-or-processes -- --workers 4`.

use std::error::Error;
use std::io;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use washup::cli::count;
use washup::{Process, SimpleQueue};

/// Scrub a stack of dishes and wait for slow answers, with threads and processes.
#[derive(Parser)]
struct Args {
    /// How many dishes on the stack (at most 50 million: 8 bytes each).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(0..=50_000_000))]
    dishes: u64,
    /// How many times each dish is scrubbed (rounds of mixing).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scrubs: u32,
    /// Threads or processes sharing the scrubbing.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,
    /// How many slow answers to wait for.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=100))]
    answers: u32,
    /// How long each answer takes, in ms (at most a minute).
    #[arg(long, default_value_t = 100, value_parser = washup::cli::wait_ms())]
    wait_ms: u64,
}

// ANCHOR: scrub
/// Scrubs one dish: rounds of mixing its number (the steps of splitmix64).
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

/// The checksum of a part of the stack. Adding is order-free, so the parts
/// can be scrubbed by anyone, in any order, and summed at the end.
fn scrub_all(dishes: &[u64], scrubs: u32) -> u64 {
    dishes
        .iter()
        .fold(0, |sum, &dish| sum.wrapping_add(scrub(dish, scrubs)))
}
// ANCHOR_END: scrub

/// Splits `0..len` into `workers` nearly equal ranges.
fn parts(len: usize, workers: usize) -> impl Iterator<Item = Range<usize>> {
    let size = len.div_ceil(workers).max(1);
    (0..len)
        .step_by(size)
        .map(move |at| at..(at + size).min(len))
}

// ANCHOR: threads
fn with_threads(stack: &[u64], workers: usize, scrubs: u32) -> u64 {
    std::thread::scope(|s| {
        let scrubbers: Vec<_> = parts(stack.len(), workers)
            .map(|part| s.spawn(move || scrub_all(&stack[part], scrubs)))
            .collect();
        scrubbers.into_iter().fold(0u64, |sum, scrubber| {
            sum.wrapping_add(scrubber.join().expect("a scrubber panicked"))
        })
    })
}
// ANCHOR_END: threads

// ANCHOR: processes
fn with_processes(
    stack: &Arc<Vec<u64>>,
    workers: usize,
    scrubs: u32,
) -> Result<u64, Box<dyn Error>> {
    let sums: SimpleQueue<u64> = SimpleQueue::new()?;
    let mut scrubbers = Vec::new();
    for part in parts(stack.len(), workers) {
        // The child is a copy of this process: it already has the stack.
        let (stack, sums) = (Arc::clone(stack), sums.clone());
        let mut scrubber = Process::new(move || {
            let sum = scrub_all(&stack[part], scrubs);
            sums.put(sum).expect("put the sum on the queue");
        })
        .daemon(true);
        scrubber.start()?;
        scrubbers.push(scrubber);
    }
    let mut total = 0u64;
    for _ in 0..scrubbers.len() {
        total = total.wrapping_add(sums.get()?);
    }
    for scrubber in &mut scrubbers {
        scrubber.join()?;
    }
    Ok(total)
}
// ANCHOR_END: processes

// ANCHOR: wait
/// Asks a child process for answer `n` and waits for it on a pipe; 1 if the
/// right answer came.
fn wait_for(n: u32, wait: Duration) -> io::Result<u32> {
    let asked = format!("answer {n}");
    // This thread blocks here, using no CPU, until the answer comes.
    let answer = washup::neighbour::answer_after(wait, &asked)?;
    Ok(u32::from(answer == asked))
}
// ANCHOR_END: wait

/// A duration in a form the book's snapshots redact: `812 ms`, `1.23 s`.
fn shown(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// Prints one row of the table; the time is measured from `start` to now.
fn row(work: &str, workers: &str, result: String, start: Instant) {
    let time = shown(start.elapsed());
    println!("| {work:<14} | {workers:<11} | {result:<18} | {time} |");
}

fn main() -> Result<(), Box<dyn Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let (n, scrubs, answers) = (args.workers as usize, args.scrubs, args.answers);
    let stack: Arc<Vec<u64>> = Arc::new((0..args.dishes).collect());
    let wait = Duration::from_millis(args.wait_ms);
    let (dishes, each) = (args.dishes, shown(wait));
    let (dishes, rounds) = (
        count(dishes as usize, "dish", "dishes"),
        count(scrubs as usize, "scrub", "scrubs"),
    );
    let answers_each = count(answers as usize, "answer", "answers");
    println!("{dishes}, {rounds} each; {answers_each}, {each} each");
    println!(
        "| {:<14} | {:<11} | {:<18} | time |",
        "work", "workers", "result"
    );
    let hex = |sum: u64| format!("{sum:#018x}");

    // ANCHOR: table
    let t = Instant::now();
    row("CPU: scrub", "1 thread", hex(scrub_all(&stack, scrubs)), t);
    let t = Instant::now();
    let sum = with_threads(&stack, n, scrubs);
    row("CPU: scrub", &count(n, "thread", "threads"), hex(sum), t);
    let t = Instant::now();
    let sum = with_processes(&stack, n, scrubs)?;
    row("CPU: scrub", &count(n, "process", "processes"), hex(sum), t);

    let t = Instant::now();
    let got: u32 = (1..=answers)
        .map(|i| wait_for(i, wait))
        .sum::<io::Result<u32>>()?;
    row(
        "I/O: wait",
        "1 thread",
        count(got as usize, "answer", "answers"),
        t,
    );
    let t = Instant::now();
    let got: u32 = std::thread::scope(|s| {
        let waiters: Vec<_> = (1..=answers)
            .map(|i| s.spawn(move || wait_for(i, wait)))
            .collect();
        let joined = waiters
            .into_iter()
            .map(|w| w.join().expect("a waiter panicked"));
        joined.sum::<io::Result<u32>>()
    })?;
    let threads = count(answers as usize, "thread", "threads");
    row(
        "I/O: wait",
        &threads,
        count(got as usize, "answer", "answers"),
        t,
    );
    // ANCHOR_END: table
    Ok(())
}
