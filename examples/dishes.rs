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
//! differently from run to run. With `--timeline FILE.svg` the run also
//! draws when each dish was washed, waited on the rack and was dried.

use std::time::Duration;

use clap::{CommandFactory, Parser};
use washup::cli::{count, lesson_dish};
use washup::timeline::{self, Dried, Timeline};
use washup::{JoinableQueue, Process, Queue};

/// Wash dishes, put them on a rack, let dryer processes dry them.
#[derive(Parser, Clone)]
#[command(name = "dishes")]
struct Args {
    /// How many dishes to wash: the lesson's four (salad, bread, entree,
    /// dessert), then plate-5, plate-6, ...
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = at_most_max_dishes())]
    dishes: usize,
    /// How many dryer processes (at least one: nobody else dries).
    #[arg(long, default_value_t = 1, value_parser = at_least_one())]
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
    /// Draw the run's timeline into this SVG file.
    #[arg(long, value_name = "FILE.svg", value_parser = timeline::writable_file)]
    timeline: Option<std::path::PathBuf>,
}

/// `--dishes`: from 1 to [`washup::cli::MAX_DISHES`].
fn at_most_max_dishes() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=washup::cli::MAX_DISHES as u64)
}

// ANCHOR: dryer
/// A dryer's whole life: take a dish, dry it, say it is done, forever.
/// It never returns; it ends when the washer's program ends (daemon).
fn dry(rack: JoinableQueue<String>, dried: Queue<Dried>, me: usize, args: &Args) {
    loop {
        let dish = rack.get().expect("the rack is open");
        let taken = timeline::now(); // for --timeline
        std::thread::sleep(Duration::from_millis(args.dry_ms));
        if !args.check {
            println!("Drying {dish} dish");
        }
        if args.check || args.timeline.is_some() {
            let report = (dish, me, taken, timeline::now());
            dried.put(report).expect("the report queue is open");
        }
        rack.task_done().expect("one task_done per get");
    }
}
// ANCHOR_END: dryer

/// Flags that count workers: at least one, at most 64.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=64)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly,
    washup::cli::end_when_stdout_closes()?; // even while we wait in `join`
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
    let dried: Queue<Dried> = Queue::new()?; // only used with --check, --timeline
    let mut dryers: Vec<Process> = (1..=args.dryers)
        .map(|n| {
            let (rack, dried, args) = (rack.clone(), dried.clone(), args.clone());
            Process::new(move || dry(rack, dried, n, &args))
                .name(format!("dryer-{n}"))
                .daemon(true)
        })
        .collect();
    if args.overlap {
        dryers.iter_mut().try_for_each(Process::start)?;
    }
    let mut timeline = Timeline::new(timeline::command_line("dishes"), args.dryers, args.rack);
    for n in 0..args.dishes {
        let dish = lesson_dish(n);
        let washing = timeline::now();
        std::thread::sleep(Duration::from_millis(args.wash_ms));
        println!("Washing {dish} dish");
        let (putting, full) = (timeline::now(), rack.full());
        rack.put(dish.clone())?;
        timeline.washed(&dish, washing, putting, timeline::now(), full);
    }
    if !args.overlap {
        dryers.iter_mut().try_for_each(Process::start)?;
    }
    rack.join(); // every dish put has been marked done
    // ANCHOR_END: main

    // The dryers reported each dish they dried on `dried`, before
    // task_done: after `join` every report is there.
    let reports: Vec<Dried> = std::iter::from_fn(|| dried.get_nowait().ok()).collect();
    if let Some(path) = &args.timeline {
        reports.iter().for_each(|r| timeline.dried(r.clone()));
        timeline.write(path)?;
    }
    if args.check {
        let got: Vec<String> = reports.into_iter().map(|r| r.0).collect();
        let in_order = (0..args.dishes).map(lesson_dish).eq(got.iter().cloned());
        let mut different = got.clone();
        different.sort();
        different.dedup();
        println!(
            "washed {}; dried {}, {}",
            count(args.dishes, "dish", "dishes"),
            count(got.len(), "time", "times"),
            count(different.len(), "different dish", "different dishes")
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
