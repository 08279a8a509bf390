//! Chapter "Threads": who is running, joining (with a timeout), and
//! stopping a thread by asking it; with `--mistake join-self`, a thread that
//! joins itself (a mistake Rust, like Python, finds only at run time).
//!
//! Run it with `cargo run --example threads`, or try
//! `cargo run --example threads -- --helpers 6 --print-directly`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use washup::thread::{current_name, native_id};

/// Start a few threads, see who they are, then join and stop them.
#[derive(Parser)]
struct Args {
    /// How many helper threads say who they are.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    helpers: u32,
    /// Let each helper print its own line (the order then changes from run
    /// to run) instead of handing its line back to main.
    #[arg(long)]
    print_directly: bool,
    /// How long main waits for the dryer with `join_timeout`, in ms.
    #[arg(long, default_value_t = 50, value_parser = washup::cli::wait_ms())]
    timeout_ms: u64,
    /// Instead of the tour, make one mistake that only shows at run time.
    #[arg(long, value_enum, conflicts_with_all = ["helpers", "print_directly", "timeout_ms"])]
    mistake: Option<Mistake>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mistake {
    /// A thread calls `join` on its own `JoinHandle`.
    JoinSelf,
}

// ANCHOR: whoami
/// One line about the calling thread: its name and its OS thread id.
fn whoami(words: &str) -> String {
    format!("{} (tid {}) says: {words}", current_name(), native_id())
}
// ANCHOR_END: whoami

// ANCHOR: join_self
/// A thread joins itself: it is handed its own `JoinHandle` and calls
/// `join` on it. The compiler cannot see this; at run time `pthread_join`
/// refuses (it would wait for ever), and std's `join` panics.
fn join_self() -> Result<(), Box<dyn std::error::Error>> {
    // A one-line panic message: Rust's own also names the thread's id and
    // a line of the standard library's source, which change.
    std::panic::set_hook(Box::new(|info| {
        let what = info.payload().downcast_ref::<String>();
        eprintln!(
            "{} panicked: {}",
            current_name(),
            what.map_or("?", String::as_str)
        );
    }));
    let (give, my_handle) = crossbeam_channel::bounded::<JoinHandle<()>>(1);
    let (returned, outcome) = crossbeam_channel::bounded::<()>(1);
    let dryer = thread::Builder::new().name("dryer".into()).spawn(move || {
        let me = my_handle.recv().expect("main hands over the handle");
        println!("dryer: calling join() on my own JoinHandle");
        let _ = me.join(); // panics: a thread cannot wait for its own end
        let _ = returned.send(()); // reached only if join() returned
    })?;
    give.send(dryer)?; // main gives its only handle away
    // A panic drops the dryer's sender unsent: recv() says "disconnected".
    match outcome.recv() {
        Ok(()) => println!("main: the dryer's join() returned?!"),
        Err(_) => println!("main: the dryer panicked in join(); no compiler error warned us"),
    }
    Ok(())
}
// ANCHOR_END: join_self

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    if let Some(Mistake::JoinSelf) = args.mistake {
        return join_self();
    }

    // ANCHOR: helpers
    println!("{}", whoami("I'm the main program"));
    let mut helpers = Vec::new();
    for n in 1..=args.helpers {
        let print_directly = args.print_directly;
        // `move` gives the closure its own copy of `n`: that is its argument.
        let helper = washup::thread::spawn(move || {
            let line = whoami(&format!("I'm helper number {n}"));
            if print_directly {
                println!("{line}");
            }
            line
        })?;
        helpers.push(helper);
    }
    // Join in the order they were started, and print what each returned.
    for helper in helpers {
        let line = helper.join()?;
        if !args.print_directly {
            println!("{line}");
        }
    }
    // ANCHOR_END: helpers

    // ANCHOR: join_timeout
    println!("-- join with a timeout --");
    let (rack, dishes) = crossbeam_channel::unbounded::<&str>();
    let mut dryer = washup::thread::spawn_named("dryer", move || {
        let mut dried = Vec::new();
        // Ends when the rack is closed (every sender dropped) and empty.
        for dish in dishes {
            dried.push(format!("Drying {dish} dish"));
        }
        dried
    })?;
    rack.send("salad")?;
    rack.send("bread")?;
    let timeout = Duration::from_millis(args.timeout_ms);
    // The rack is still open, so the dryer cannot finish: this times out.
    match dryer.join_timeout(timeout)? {
        Some(_) => println!("the dryer finished, but the rack is still open?!"),
        None => println!(
            "after {} ms the dryer is still waiting; is_finished: {}",
            timeout.as_millis(),
            dryer.is_finished()
        ),
    }
    drop(rack); // close the rack: the dryer's loop ends
    let dried = dryer.join()?;
    println!("rack closed; the dryer returned its log:");
    for line in dried {
        println!("  {line}");
    }
    // ANCHOR_END: join_timeout

    // ANCHOR: stop_flag
    println!("-- stopping a busy thread by asking it --");
    let stop = Arc::new(AtomicBool::new(false));
    let (started_tx, started) = crossbeam_channel::bounded(1);
    let polisher = thread::Builder::new().name("polisher".into()).spawn({
        let stop = Arc::clone(&stop);
        move || {
            let mut glass_shine: u64 = 0;
            let _ = started_tx.send(());
            // Check the flag between rounds of work: the thread itself
            // decides where it is safe to stop.
            while !stop.load(Ordering::Relaxed) {
                glass_shine = std::hint::black_box(glass_shine.wrapping_add(1));
            }
            println!("polisher: saw the stop flag, putting the cloth away");
        }
    })?;
    started.recv()?; // the polisher is at work
    stop.store(true, Ordering::Relaxed);
    polisher.join().map_err(|_| "the polisher panicked")?;
    println!("main: the polisher has stopped and been joined");
    // ANCHOR_END: stop_flag
    Ok(())
}
