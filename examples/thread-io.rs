//! Chapter "Threads", section "Threads for waiting": while a thread waits
//! for input, it needs no CPU, so many waits can overlap.
//!
//! Each "neighbour" is a child process that answers on a pipe after
//! `--wait-ms` (its wait stands in for a slow network server). We ask
//! them one after another, then all at once with one thread each.
//!
//! Run it with `cargo run --example thread-io`, or try
//! `cargo run --example thread-io -- --neighbours 50 --wait-ms 500 --skip-one-by-one`.

use std::time::{Duration, Instant};

use clap::Parser;

/// Borrow towels from slow neighbours, one by one and then all at once.
#[derive(Parser)]
struct Args {
    /// How many neighbours to ask.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=200))]
    neighbours: u32,
    /// How long each neighbour takes to answer, in ms (at most a minute).
    #[arg(long, default_value_t = 250, value_parser = washup::cli::wait_ms())]
    wait_ms: u64,
    /// Skip asking one after another (with many slow neighbours it takes
    /// their sum: 50 × 500 ms is 25 s); ask them all at once only.
    #[arg(long)]
    skip_one_by_one: bool,
}

// ANCHOR: ask
/// Asks neighbour `n` for a towel and waits for the answer on a pipe.
fn ask(n: u32, wait: Duration) -> std::io::Result<String> {
    // Another process answers after `wait`; this thread blocks, using no CPU.
    let towel = washup::neighbour::answer_after(wait, &format!("towel {n}"))?;
    Ok(format!("neighbour {n} lends {towel}"))
}
// ANCHOR_END: ask

/// A duration in the form the book's snapshots redact (`250 ms`).
fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let wait = Duration::from_millis(args.wait_ms);
    let neighbours = 1..=args.neighbours;

    let mut one_by_one = None;
    if !args.skip_one_by_one {
        // ANCHOR: one_by_one
        println!("-- one after another --");
        let start = Instant::now();
        for n in neighbours.clone() {
            println!("{}", ask(n, wait)?);
        }
        one_by_one = Some(start.elapsed());
        // ANCHOR_END: one_by_one
    }

    // ANCHOR: at_once
    println!("-- all at once, one thread per neighbour --");
    let start = Instant::now();
    let answers = std::thread::scope(|s| {
        let asking: Vec<_> = neighbours
            .clone()
            .map(|n| s.spawn(move || ask(n, wait)))
            .collect();
        // Joined in the order they were started, so the lines come out in
        // that order whichever neighbour answered first.
        asking
            .into_iter()
            .map(|t| t.join().expect("an asking thread panicked"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    let at_once = start.elapsed();
    for answer in answers {
        println!("{answer}");
    }
    // ANCHOR_END: at_once

    println!("-- timings --");
    // At most 200 × 60 s (the flags' limits): far from overflowing.
    let waits = wait * args.neighbours;
    println!("sum of the waits:  {}", ms(waits));
    match one_by_one {
        Some(time) => println!("one after another: {}", ms(time)),
        None => println!("one after another: skipped"),
    }
    println!("all at once:       {}", ms(at_once));
    Ok(())
}
