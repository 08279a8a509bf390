//! Deadlock: two dryers need the towel and a place on the rack, and take
//! them in opposite orders. Then the fix: one lock order for everybody.
//! Run: `cargo run --example deadlock -- --help`
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{CommandFactory, Parser, ValueEnum, error::ErrorKind};

/// Two dryers, a towel and a rack: a deadlock, and one lock order that avoids it.
#[derive(Parser)]
#[command(name = "deadlock")]
struct Args {
    /// opposite: dryer 1 takes the towel first, dryer 2 the rack first.
    /// same: both take the towel first, then the rack.
    #[arg(long, value_enum, default_value_t = Order::Opposite)]
    order: Order,
    /// Only with --order opposite: how a dryer reaches for its second lock.
    /// try-lock gives up at once and reports; lock waits (forever)
    /// [default: try-lock]
    #[arg(long, value_enum)]
    reach: Option<Reach>,
    /// Only with --order same: dishes each dryer dries [default: 10000]
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(0..=10_000_000))]
    dishes: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Order {
    Opposite,
    Same,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Reach {
    TryLock,
    Lock,
}

fn main() {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let ignored = match args.order {
        Order::Opposite => args.dishes.map(|_| "--dishes"),
        Order::Same => args.reach.map(|_| "--reach"),
    };
    if let Some(flag) = ignored {
        let order = args
            .order
            .to_possible_value()
            .expect("no variant is skipped");
        let message = format!("{flag} does nothing with --order {}", order.get_name());
        Args::command()
            .error(ErrorKind::ArgumentConflict, message)
            .exit();
    }
    let towel = ("towel", Arc::new(Mutex::new(())));
    let rack = ("rack", Arc::new(Mutex::new(())));
    match args.order {
        Order::Opposite => opposite(towel, rack, args.reach.unwrap_or(Reach::TryLock)),
        Order::Same => same(towel, rack, args.dishes.unwrap_or(10_000)),
    }
}

// ANCHOR: opposite
type Thing = (&'static str, Arc<Mutex<()>>);

fn opposite(towel: Thing, rack: Thing, reach: Reach) {
    // The unlucky timing, forced so that it happens on every run: both
    // dryers hold their first thing before either reaches for the second.
    let both_hold_one = Arc::new(Barrier::new(3)); // 2 dryers + main
    let both_tried = Arc::new(Barrier::new(2));
    let (done, reports) = mpsc::channel();
    let mut dryers = Vec::new();
    for (number, (first, second)) in [(&towel, &rack), (&rack, &towel)].into_iter().enumerate() {
        let ((first_name, first), (second_name, second)) = (first.clone(), second.clone());
        let (both_hold_one, both_tried) = (Arc::clone(&both_hold_one), Arc::clone(&both_tried));
        let done = done.clone();
        dryers.push(thread::spawn(move || {
            let _first = first.lock().expect("no dryer panicked");
            both_hold_one.wait();
            let got_it = match reach {
                Reach::Lock => second.lock().is_ok(), // waits for the other dryer
                Reach::TryLock => second.try_lock().is_ok(), // gives up at once
            };
            both_tried.wait(); // keep the first thing until both have tried
            let outcome = if got_it { "got it" } else { "taken" };
            let report = format!(
                "dryer {}: holds the {first_name}, reaches for the {second_name}: {outcome}",
                number + 1
            );
            done.send((number, report)).expect("main is listening");
        }));
    }
    both_hold_one.wait();
    println!("dryer 1 took the towel, dryer 2 took the rack");
    let limit = match reach {
        Reach::Lock => Duration::from_secs(1),
        Reach::TryLock => Duration::MAX, // try_lock never waits: no limit needed
    };
    let mut lines = [String::new(), String::new()];
    for _ in 0..2 {
        let Ok((number, report)) = reports.recv_timeout(limit) else {
            println!("no dryer finished within 1 s: they wait for each other forever");
            println!("Deadlock! Each holds what the other needs.");
            std::process::exit(1); // the only way to end threads stuck in lock()
        };
        lines[number] = report;
    }
    for dryer in dryers {
        dryer.join().expect("no dryer panicked");
    }
    println!("{}\n{}", lines[0], lines[1]);
    if lines.iter().all(|line| line.ends_with("taken")) {
        println!("Deadlock! Each holds what the other needs: with lock() they would wait forever.");
    }
}
// ANCHOR_END: opposite

// ANCHOR: same
fn same((_, towel): Thing, (_, rack): Thing, dishes: usize) {
    let dryers: Vec<_> = (0..2)
        .map(|_| {
            let (towel, rack) = (Arc::clone(&towel), Arc::clone(&rack));
            thread::spawn(move || {
                for _ in 0..dishes {
                    // Everybody: first the towel, then the rack.
                    let _towel = towel.lock().expect("no dryer panicked");
                    let _rack = rack.lock().expect("no dryer panicked");
                } // both guards dropped here, the rack first
            })
        })
        .collect();
    for dryer in dryers {
        dryer.join().expect("no dryer panicked");
    }
    let each = washup::cli::count(dishes, "dish", "dishes");
    println!("2 dryers dried {each} each, towel first, then the rack: no deadlock");
}
// ANCHOR_END: same
