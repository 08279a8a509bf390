//! Chapter "Daemon threads": what happens to a thread that is still at work
//! when `main` returns, and the two ways to make main wait for it.
//!
//! Run it with `cargo run --example daemon-threads`, or try
//! `cargo run --example daemon-threads -- --ending join`.

use std::sync::{Arc, Barrier};
use std::thread;

use clap::{CommandFactory, Parser, ValueEnum, error::ErrorKind};
use crossbeam_channel::Receiver;

/// A washer, a rack, one dryer thread, and the end of `main`.
#[derive(Parser)]
#[command(name = "daemon-threads")]
struct Args {
    #[command(flatten)]
    dishes: washup::cli::Dishes<4>,
    /// How main ends: detach the dryer and return, join it, or use a scope.
    #[arg(long, value_enum, default_value_t = Ending::Detach)]
    ending: Ending,
    /// Only with `--ending detach`: how many towels main hands over (one
    /// per dish dried) before it returns. Fewer than the dishes [default: 2]
    #[arg(long)]
    towels: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Ending {
    /// Drop the dryer's JoinHandle and return: like a Python daemon thread.
    Detach,
    /// Join the dryer before returning: like a Python non-daemon thread.
    Join,
    /// Start the dryer inside `std::thread::scope`, which joins it.
    Scope,
}

// ANCHOR: dryer
/// Dries every dish on the rack, but needs a towel from main for each one:
/// a `Barrier` of two is a hand-over, both sides must arrive at it.
fn dryer(rack: Receiver<String>, towel: Arc<Barrier>, dried: crossbeam_channel::Sender<()>) {
    for dish in rack {
        towel.wait();
        println!("Drying {dish} dish");
        let _ = dried.send(());
    }
    println!("dryer: rack closed and empty, going home");
}

/// Main hands over `count` towels, waiting each time until that dish is dry.
fn hand_over(towels: usize, towel: &Barrier, dried: &Receiver<()>) {
    for _ in 0..towels {
        towel.wait();
        dried.recv().expect("the dryer reports each dish");
    }
}
// ANCHOR_END: dryer

fn main() {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let to_wash = args.dishes.names();
    let all = to_wash.len();
    let all_dishes = washup::cli::count(all, "dish", "dishes"); // "4 dishes"
    let towels = args.towels.unwrap_or(2);
    let refuse = |message: String| {
        Args::command()
            .error(ErrorKind::ArgumentConflict, message)
            .exit()
    };
    if args.ending != Ending::Detach && args.towels.is_some() {
        refuse("--towels is for --ending detach: the other endings dry every dish".into());
    }
    if args.ending == Ending::Detach && towels >= all {
        refuse(format!(
            "--towels must be fewer than the dishes ({all}), or nothing is lost"
        ));
    }
    let (rack, dishes) = crossbeam_channel::unbounded();
    for dish in &to_wash {
        println!("Washing {dish} dish");
        rack.send(dish.clone()).expect("we hold the receiver");
    }
    drop(rack); // every dish is on the rack; close it
    let towel = Arc::new(Barrier::new(2));
    let (dried_tx, dried) = crossbeam_channel::unbounded();
    let work = {
        let towel = Arc::clone(&towel);
        move || dryer(dishes, towel, dried_tx)
    };

    match args.ending {
        // ANCHOR: detach
        Ending::Detach => {
            drop(thread::spawn(work)); // no handle kept: nobody will join it
            hand_over(towels, &towel, &dried);
            println!(
                "main: returning with {towels} of {all_dishes} dried; the dryer waits for a towel"
            );
            // Returning from main ends the process, and every thread in it.
        }
        // ANCHOR_END: detach
        // ANCHOR: join
        Ending::Join => {
            let handle = thread::spawn(work);
            hand_over(all, &towel, &dried);
            handle.join().expect("the dryer panicked");
            println!("main: the dryer is joined; {all} of {all_dishes} dried");
        }
        // ANCHOR_END: join
        // ANCHOR: scope
        Ending::Scope => {
            thread::scope(|s| {
                s.spawn(work);
                hand_over(all, &towel, &dried);
            }); // the scope joins every thread spawned in it
            println!("main: the scope has ended; {all} of {all_dishes} dried");
        } // ANCHOR_END: scope
    }
}
