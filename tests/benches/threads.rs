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
    let text = common::python("python/bench_threads.py", &[items.to_string()])?;

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

const ITEMS: u64 = 2_000_000;
const SPAWNS: usize = 2000;

fn main() {
    let mut record = common::Recorder::start("threads", ITEMS);
    let items = common::count_arg(ITEMS);
    let python_items = (items / 10).max(10_000);

    let rows = [
        (
            "crossbeam_bounded",
            "crossbeam `bounded(1024)`",
            rate(items, crossbeam(|| crossbeam_channel::bounded(1024))),
        ),
        (
            "crossbeam_unbounded",
            "crossbeam `unbounded`",
            rate(items, crossbeam(crossbeam_channel::unbounded)),
        ),
        (
            "crossbeam_zero",
            "crossbeam `bounded(0)`, zero-capacity",
            rate(items / 20, crossbeam(|| crossbeam_channel::bounded(0))),
        ),
        (
            "std_channel",
            "std `mpsc::channel` (unbounded)",
            rate(items, std_channel),
        ),
        (
            "std_sync_channel",
            "std `mpsc::sync_channel(1024)`",
            rate(items, std_sync_channel),
        ),
    ];
    let std_spawn = spawn_join(SPAWNS, || thread::spawn(|| {}).join().expect("join"));
    let ours = spawn_join(SPAWNS, || {
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
    for (key, name, rate) in &rows {
        println!("{name:<44} {rate:>14.0}");
        record.figure(&format!("rate.{key}"), name, "items/s", *rate, "items/s");
    }
    match &python {
        Ok((rate, _, _)) => {
            let name = "Python `queue.Queue`, 2 threads";
            println!("{name:<44} {rate:>14.0}");
            record.figure("rate.python", name, "items/s", *rate, "items/s");
        }
        Err(why) => println!("Python queue.Queue: skipped, {why}"),
    }
    record.figure(
        "size.rust",
        "Rust: items per run (zero-capacity: a twentieth)",
        "size",
        items as f64,
        "items",
    );
    if python.is_ok() {
        record.figure(
            "size.python",
            "Python: items per run",
            "size",
            python_items as f64,
            "items",
        );
    }
    println!();
    println!("start + join of an empty thread ({SPAWNS} times)");
    println!("{:<44} {:>10} {:>10}", "", "median µs", "mean µs");
    let mut spawned = |key: &str, what: &str, (median, mean): (f64, f64)| {
        println!("{what:<44} {median:>10.1} {mean:>10.1}");
        record.figure(&format!("spawn.{key}.median"), what, "median", median, "µs");
        record.figure(&format!("spawn.{key}.mean"), what, "mean", mean, "µs");
    };
    spawned("std", "`std::thread::spawn` + `join`", std_spawn);
    spawned("washup", "`washup::thread::spawn` + `join`", ours);
    match &python {
        Ok((_, median, mean)) => spawned(
            "python",
            "Python `threading.Thread` start + `join`",
            (*median, *mean),
        ),
        Err(why) => println!("Python threading.Thread: skipped, {why}"),
    }
    record.figure(
        "size.spawns",
        "start + join: rounds",
        "size",
        SPAWNS as f64,
        "rounds",
    );
    record.finish();
}
