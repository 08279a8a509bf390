//! Chapter "Washing dishes": one washer, a dish rack, dryer processes.
//!
//! The washer (this process) washes each dish and puts it on the rack, a
//! `JoinableQueue`; daemonic dryer processes take dishes off the rack, dry
//! them and mark each one done; the washer waits for the rack to be done
//! with `join`.
//!
//! By default the dryers start once the washer has put the whole stack on
//! the rack, so the printed order is always the same. With `--overlap` they
//! start first and work while the washer washes: then the lines interleave
//! differently from run to run.

use std::time::Duration;

use clap::{CommandFactory, Parser};
use washup::{JoinableQueue, Process, Queue};

/// Wash dishes, put them on a rack, let dryer processes dry them.
#[derive(Parser)]
#[command(name = "dishes")]
struct Args {
    /// How many dishes to wash (the first four are the lesson's).
    #[arg(long, default_value_t = 4)]
    dishes: usize,
    /// How many dryer processes.
    #[arg(long, default_value_t = 1)]
    dryers: usize,
    /// Places on the rack (0: as many as you like).
    #[arg(long, default_value_t = 0)]
    rack: usize,
    /// Milliseconds the washer spends on a dish (a stand-in for work).
    #[arg(long, default_value_t = 0)]
    wash_ms: u64,
    /// Milliseconds a dryer spends on a dish (a stand-in for work).
    #[arg(long, default_value_t = 0)]
    dry_ms: u64,
    /// Start the dryers before washing, so washing and drying overlap.
    #[arg(long)]
    overlap: bool,
    /// Print no drying lines; print a checked summary at the end instead.
    #[arg(long)]
    check: bool,
}

fn dish_name(n: usize) -> String {
    const LESSON: [&str; 4] = ["salad", "bread", "entree", "dessert"];
    LESSON
        .get(n)
        .map_or(format!("plate-{}", n + 1), |d| d.to_string())
}

// ANCHOR: dryer
/// A dryer's whole life: take a dish, dry it, say it is done, forever.
/// It never returns; it ends when the washer's program ends (daemon).
fn dry(rack: JoinableQueue<String>, dried: Queue<String>, dry_ms: u64, check: bool) {
    loop {
        let dish = rack.get().expect("the rack is open");
        std::thread::sleep(Duration::from_millis(dry_ms));
        if check {
            dried.put(dish).expect("the report queue is open");
        } else {
            println!("Drying {dish} dish");
        }
        rack.task_done().expect("one task_done per get");
    }
}
// ANCHOR_END: dryer

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !args.overlap && args.rack > 0 && args.rack < args.dishes {
        Args::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "a rack smaller than the stack needs --overlap (the dryers must work meanwhile)",
            )
            .exit();
    }

    // ANCHOR: main
    let rack: JoinableQueue<String> = JoinableQueue::with_maxsize(args.rack)?;
    let dried: Queue<String> = Queue::new()?; // only used with --check
    let mut dryers: Vec<Process> = (1..=args.dryers)
        .map(|n| {
            let (rack, dried) = (rack.clone(), dried.clone());
            let (dry_ms, check) = (args.dry_ms, args.check);
            Process::new(move || dry(rack, dried, dry_ms, check))
                .name(format!("dryer-{n}"))
                .daemon(true)
        })
        .collect();
    if args.overlap {
        dryers.iter_mut().try_for_each(Process::start)?;
    }
    for n in 0..args.dishes {
        let dish = dish_name(n);
        std::thread::sleep(Duration::from_millis(args.wash_ms));
        println!("Washing {dish} dish");
        rack.put(dish)?;
    }
    if !args.overlap {
        dryers.iter_mut().try_for_each(Process::start)?;
    }
    rack.join(); // every dish put has been marked done
    // ANCHOR_END: main

    if args.check {
        // The dryers reported each dish they dried on `dried`, before
        // task_done: after `join` every report is there.
        let got: Vec<String> = std::iter::from_fn(|| dried.get_nowait().ok()).collect();
        let in_order = (0..args.dishes).map(dish_name).eq(got.iter().cloned());
        let mut different = got.clone();
        different.sort();
        different.dedup();
        println!(
            "washed {} dishes; dried {} times, {} different dishes",
            args.dishes,
            got.len(),
            different.len()
        );
        let once = got.len() == args.dishes && different.len() == args.dishes;
        println!("every dish dried exactly once: {once}");
        if args.dryers == 1 {
            println!("dried in washing order: {in_order}");
        }
    }
    Ok(())
    // The dryers are daemonic: dropping `dryers` here terminates them.
}
