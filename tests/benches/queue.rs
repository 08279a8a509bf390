//! Items per second through our queues, between processes, next to Python.
//!
//! Run with `cargo bench -p washup-tests --bench queue` (add `-- 4000000`
//! to change the number of items). Prints one table:
//!
//! - `JoinableQueue<u64>`: one producer process, 1 or 2 consumer processes,
//!   each `get` followed by `task_done`; the clock stops when `join` returns.
//! - `Queue<u64>`: the same without `task_done`/`join` (the consumer stops
//!   at a last item; the clock stops when it exits).
//! - `RawQueue, 8-byte items`: the byte layer underneath (shared ring,
//!   robust lock, futex wake-ups) without serialization or task counting:
//!   the limit for the queue above.
//! - `pipe, 8-byte write/read per item`: what one system call per item
//!   costs, for comparison (Python's queue sends each item through a pipe).
//! - Python's `multiprocessing.JoinableQueue` (python/bench_queue.py), run
//!   in the same invocation when `python3` is on PATH.

mod common;

use std::io::{Read, Write};
use std::time::Instant;

use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use washup::JoinableQueue;
use washup::queue::{Block, RawQueue};

const STOP: u64 = u64::MAX;

/// Run `child` in a forked process that exits with status 0 after it.
fn spawn(child: impl FnOnce()) -> Pid {
    // SAFETY: the benchmark is single-threaded when it forks; the child
    // runs `child` and leaves with `_exit`, never returning into main.
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            child();
            // SAFETY: ends the child without running the parent's cleanup.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => child,
    }
}

fn reap(pid: Pid) {
    match waitpid(pid, None).expect("waitpid") {
        WaitStatus::Exited(_, 0) => {}
        other => panic!("consumer ended badly: {other:?}"),
    }
}

fn joinable(items: u64, consumers: usize) -> f64 {
    let rack: JoinableQueue<u64> = JoinableQueue::new().expect("queue");
    let pids: Vec<Pid> = (0..consumers)
        .map(|_| {
            let rack = rack.clone();
            spawn(move || {
                loop {
                    let item = rack.get().expect("get");
                    rack.task_done().expect("task_done");
                    if item == STOP {
                        return;
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    for i in 0..items {
        rack.put(i).expect("put");
    }
    for _ in 0..consumers {
        rack.put(STOP).expect("put");
    }
    rack.join();
    let seconds = start.elapsed().as_secs_f64();
    pids.into_iter().for_each(reap);
    items as f64 / seconds
}

fn plain(items: u64) -> f64 {
    let rack: washup::Queue<u64> = washup::Queue::new().expect("queue");
    let consumer = rack.clone();
    let pid = spawn(move || while consumer.get().expect("get") != STOP {});
    let start = Instant::now();
    for i in 0..items {
        rack.put(i).expect("put");
    }
    rack.put(STOP).expect("put");
    reap(pid);
    items as f64 / start.elapsed().as_secs_f64()
}

fn raw(items: u64) -> f64 {
    let rack = RawQueue::new(0, washup::queue::DEFAULT_BUFFER_BYTES).expect("queue");
    let consumer = rack.clone();
    let pid = spawn(move || {
        let mut buf = Vec::with_capacity(8);
        loop {
            consumer.get_bytes(&mut buf, Block::Forever).expect("get");
            if buf == STOP.to_le_bytes() {
                return;
            }
        }
    });
    let start = Instant::now();
    for i in 0..items {
        rack.put_bytes(&i.to_le_bytes(), Block::Forever)
            .expect("put");
    }
    rack.put_bytes(&STOP.to_le_bytes(), Block::Forever)
        .expect("put");
    reap(pid);
    items as f64 / start.elapsed().as_secs_f64()
}

fn pipe(items: u64) -> f64 {
    let (mut reader, mut writer) = std::io::pipe().expect("pipe");
    let pid = spawn(|| {
        let mut buf = [0u8; 8];
        while reader.read_exact(&mut buf).is_ok() {
            if buf == STOP.to_le_bytes() {
                return;
            }
        }
    });
    drop(reader);
    let start = Instant::now();
    for i in 0..items {
        writer.write_all(&i.to_le_bytes()).expect("write");
    }
    writer.write_all(&STOP.to_le_bytes()).expect("write");
    reap(pid);
    items as f64 / start.elapsed().as_secs_f64()
}

/// Rates vary from run to run with scheduling (whether the consumer keeps
/// up or falls behind and catches up in bulk): report the median of 5.
fn median(mut rate: impl FnMut() -> f64) -> f64 {
    let mut rates: Vec<f64> = (0..5).map(|_| rate()).collect();
    rates.sort_by(f64::total_cmp);
    rates[2]
}

/// Python's rates for 1 and 2 consumers, or why there are none.
fn python(items: u64) -> Result<Vec<f64>, String> {
    let text = common::python("python/bench_queue.py", &[items.to_string()])?;
    let rates: Vec<f64> = text
        .lines()
        .filter_map(|line| line.split("items_per_s=").nth(1)?.trim().parse().ok())
        .collect();
    if rates.len() == 2 {
        Ok(rates)
    } else {
        Err(format!(
            "python/bench_queue.py printed no two rates: {text}"
        ))
    }
}

const ITEMS: u64 = 1_000_000;

fn main() {
    let mut record = common::Recorder::start("queue", ITEMS);
    let items = common::count_arg(ITEMS);
    let python_items = (items / 10).max(10_000);

    let rows = [
        (
            "rate.joinable.1",
            "`JoinableQueue<u64>`, 1 consumer",
            median(|| joinable(items, 1)),
        ),
        (
            "rate.joinable.2",
            "`JoinableQueue<u64>`, 2 consumers",
            median(|| joinable(items, 2)),
        ),
        (
            "rate.raw",
            "`RawQueue`, 8-byte items, 1 consumer",
            median(|| raw(items)),
        ),
        (
            "rate.plain",
            "`Queue<u64>` (no `task_done`), 1 consumer",
            median(|| plain(items)),
        ),
        (
            "rate.pipe",
            "pipe, one write per item",
            median(|| pipe(items)),
        ),
    ];
    let python = python(python_items);

    println!(
        "items per second, one producer process, median of 5 runs of {items} items \
         (Python: one run of {python_items})"
    );
    println!("{:<44} {:>14}", "channel", "items/s");
    record.figure(
        "size.rust",
        "Rust: items per run (median of 5 runs)",
        "size",
        items as f64,
        "items",
    );
    for (key, name, rate) in &rows {
        println!("{name:<44} {rate:>14.0}");
        record.figure(key, name, "items/s", *rate, "items/s");
    }
    match &python {
        Ok(rates) => {
            record.figure(
                "size.python",
                "Python: items in its one run",
                "size",
                python_items as f64,
                "items",
            );
            for (consumers, rate) in [1, 2].iter().zip(rates) {
                let s = if *consumers == 1 { "" } else { "s" };
                let name = format!("Python `JoinableQueue`, {consumers} consumer{s}");
                println!("{name:<44} {rate:>14.0}");
                record.figure(
                    &format!("rate.python.{consumers}"),
                    &name,
                    "items/s",
                    *rate,
                    "items/s",
                );
            }
        }
        Err(why) => println!("Python JoinableQueue: skipped, {why}"),
    }
    println!();
    let (one, raw) = (rows[0].2, rows[2].2);
    println!(
        "JoinableQueue / RawQueue: {:.2} (target: at least 0.5)",
        one / raw
    );
    record.figure(
        "ratio.raw",
        "`JoinableQueue`, 1 consumer, against `RawQueue`",
        "ratio",
        one / raw,
        "×",
    );
    if let Ok(rates) = &python {
        for (consumers, rate) in [1, 2].iter().zip(rates) {
            let ours = rows[consumers - 1].2;
            println!(
                "JoinableQueue / Python, {consumers} consumer(s): {:.1}x (target: at least 10x)",
                ours / rate
            );
            record.figure(
                &format!("ratio.python.{consumers}"),
                &format!("`JoinableQueue` against Python's, {consumers} consumer(s)"),
                "ratio",
                ours / rate,
                "×",
            );
        }
    }
    record.finish();
}
