//! The rack again, for threads: `washup::sync::JoinableQueue`, built from
//! one Mutex and three Condvars (see src/sync.rs), between a washer (the
//! main thread) and dryer threads.
//! Run: `cargo run --example locks-rack -- --help`
use std::sync::{Arc, Mutex};
use std::thread;

use clap::Parser;
use washup::sync::JoinableQueue;

/// A washer thread and dryer threads share a rack built from a Mutex and Condvars.
#[derive(Parser)]
#[command(name = "locks-rack")]
struct Args {
    /// Dryer threads (at least one, or nobody empties the rack).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    dryers: u16,
    /// How many dishes fit on the rack (0: no limit).
    #[arg(long, default_value_t = 2)]
    rack: usize,
    #[command(flatten)]
    dishes: washup::cli::Dishes<4>,
}

fn main() {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let to_wash = args.dishes.names();
    // ANCHOR: rack
    let rack = Arc::new(JoinableQueue::with_maxsize(args.rack));
    let dried = Arc::new(Mutex::new(Vec::new()));
    let dryers: Vec<_> = (0..args.dryers)
        .map(|_| {
            let (rack, dried) = (Arc::clone(&rack), Arc::clone(&dried));
            thread::spawn(move || {
                while let Some(dish) = rack.get() {
                    dried.lock().expect("no dryer panicked").push(dish);
                    rack.task_done().expect("one task_done per get");
                }
            })
        })
        .collect();
    for dish in &to_wash {
        println!("Washing {dish} dish");
        rack.put(Some(dish.clone()));
    }
    rack.join(); // returns when every dish put has been marked done
    // ANCHOR_END: rack
    println!(
        "join() returned; unfinished tasks: {}",
        rack.unfinished_tasks()
    );
    let mut dried = dried.lock().expect("no dryer panicked").clone();
    dried.sort();
    let mut washed = to_wash.clone();
    washed.sort();
    println!("every dish dried exactly once: {}", dried == washed);
    // ANCHOR: stop
    for _ in &dryers {
        rack.put(None); // one "no more dishes" for each dryer
    }
    for dryer in dryers {
        dryer.join().expect("no dryer panicked");
    }
    // ANCHOR_END: stop
    let dryers = washup::cli::count(usize::from(args.dryers), "dryer", "dryers");
    println!("{dryers} stopped");
}
