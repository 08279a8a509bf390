//! Items per second through channels between two threads, and what starting
//! a thread costs, next to Python's `queue.Queue` and `threading.Thread`.
//!
//! Run with `cargo bench -p washup-tests --bench threads` (add `-- 4000000`
//! to change the number of items). Prints one table:
//!
//! - one producer thread (main) sends `u64`s, one consumer thread receives
//!   them until a stop value; the clock stops when the consumer is joined.
//!   Each figure is the median of 5 rounds after one warm-up round.
//! - spawn + join of an empty thread: std, and `washup::thread::spawn` (which
//!   adds a channel so it can join with a timeout); median and mean of 2000.
//! - Python's `queue.Queue` with two threads and `threading.Thread` start +
//!   join (python/bench_threads.py), in the same run when `python3` is on
//!   PATH.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const STOP: u64 = u64::MAX;
const ROUNDS: usize = 5;

/// Median items/s of `ROUNDS` runs of `run(items)` (which returns the time
/// taken), after one warm-up run.
fn rate(items: u64, run: impl Fn(u64) -> Duration) -> f64 {
    run(items / 10);
    let mut rates: Vec<f64> = (0..ROUNDS)
        .map(|_| items as f64 / run(items).as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[ROUNDS / 2]
}

/// The time to pass `items` numbers (then `STOP`) from this thread to a
/// consumer thread through one channel, whatever its kind.
fn pass<S, R: Send + 'static>(
    items: u64,
    (tx, rx): (S, R),
    send: fn(&S, u64),
    recv: fn(&R) -> u64,
) -> Duration {
    let start = Instant::now();
    let consumer = thread::spawn(move || while recv(&rx) != STOP {});
    for i in 0..items {
        send(&tx, i);
    }
    send(&tx, STOP);
    consumer.join().expect("consumer");
    start.elapsed()
}

fn crossbeam(
    make: fn() -> (
        crossbeam_channel::Sender<u64>,
        crossbeam_channel::Receiver<u64>,
    ),
) -> impl Fn(u64) -> Duration {
    move |items| {
        pass(
            items,
            make(),
            |tx, i| tx.send(i).expect("send"),
            |rx| rx.recv().expect("recv"),
        )
    }
}

fn std_channel(items: u64) -> Duration {
    pass(
        items,
        mpsc::channel(),
        |tx, i| tx.send(i).expect("send"),
        |rx| rx.recv().expect("recv"),
    )
}

fn std_sync_channel(items: u64) -> Duration {
    pass(
        items,
        mpsc::sync_channel(1024),
        |tx, i| tx.send(i).expect("send"),
        |rx| rx.recv().expect("recv"),
    )
}

/// (median, mean) in µs of spawn + join of an empty thread.
fn spawn_join(rounds: usize, spawn_and_join: impl Fn()) -> (f64, f64) {
    for _ in 0..rounds / 10 {
        spawn_and_join();
    }
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            spawn_and_join();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    (times[times.len() / 2], mean)
}

/// Python's figures: queue items/s, and thread start+join (median, mean) µs.
fn python(items: u64) -> Result<(f64, f64, f64), String> {
    let text = common::python("python/bench_threads.py", items)?;

    let field = |key: &str| -> Result<f64, String> {
        text.split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.parse().ok())
            .ok_or_else(|| format!("no {key} in python's output: {text}"))
    };
    Ok((
        field("items_per_s=")?,
        field("median_us=")?,
        field("mean_us=")?,
    ))
}

fn main() {
    // `cargo bench` passes `--bench`; a number sets the item count.
    let items: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let python_items = (items / 10).max(10_000);

    let rows = [
        (
            "crossbeam bounded(1024)",
            rate(items, crossbeam(|| crossbeam_channel::bounded(1024))),
        ),
        (
            "crossbeam unbounded",
            rate(items, crossbeam(crossbeam_channel::unbounded)),
        ),
        (
            "crossbeam bounded(0), zero-capacity",
            rate(items / 20, crossbeam(|| crossbeam_channel::bounded(0))),
        ),
        ("std mpsc::channel (unbounded)", rate(items, std_channel)),
        (
            "std mpsc::sync_channel(1024)",
            rate(items, std_sync_channel),
        ),
    ];
    let spawns = 2000;
    let std_spawn = spawn_join(spawns, || thread::spawn(|| {}).join().expect("join"));
    let ours = spawn_join(spawns, || {
        washup::thread::spawn(|| {})
            .expect("spawn")
            .join()
            .expect("join")
    });
    let python = python(python_items);

    println!(
        "one producer thread, one consumer thread ({items} items; zero-capacity {}; Python {python_items})",
        items / 20
    );
    println!("{:<44} {:>14}", "channel", "items/s");
    for (name, rate) in &rows {
        println!("{name:<44} {rate:>14.0}");
    }
    match &python {
        Ok((rate, _, _)) => println!("{:<44} {rate:>14.0}", "Python queue.Queue, 2 threads"),
        Err(why) => println!("Python queue.Queue: skipped, {why}"),
    }
    println!();
    println!("start + join of an empty thread ({spawns} times)");
    println!("{:<44} {:>10} {:>10}", "", "median µs", "mean µs");
    println!(
        "{:<44} {:>10.1} {:>10.1}",
        "std::thread::spawn + join", std_spawn.0, std_spawn.1
    );
    println!(
        "{:<44} {:>10.1} {:>10.1}",
        "washup::thread::spawn + join", ours.0, ours.1
    );
    match &python {
        Ok((_, median, mean)) => {
            println!(
                "{:<44} {median:>10.1} {mean:>10.1}",
                "Python threading.Thread start + join"
            )
        }
        Err(why) => println!("Python threading.Thread: skipped, {why}"),
    }
}
