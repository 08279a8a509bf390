//! Chapter "Threads", section "The dishes with threads": one washer (main),
//! dryer threads, and a `crossbeam-channel` as the rack.
//!
//! Run it with `cargo run --example thread-dishes`, or try
//! `cargo run --example thread-dishes -- --rack unbounded --dryers 3`.

use std::time::Duration;

use clap::Parser;
use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use washup::cli::count;

/// Wash dishes onto a rack (a channel) that dryer threads take them from.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    dishes: washup::cli::Dishes<4>,
    /// How many dishes the rack holds: a number up to 10000 (0 = hand each
    /// dish over directly) or `unbounded`.
    #[arg(long, default_value = "2", value_parser = rack_size)]
    rack: Rack,
    /// How many dryer threads share the rack.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    dryers: u32,
    /// How long the timed operations wait, in ms (at most a minute).
    #[arg(long, default_value_t = 50, value_parser = washup::cli::wait_ms())]
    wait_ms: u64,
}

/// How many dishes the rack holds (`None`: no limit).
#[derive(Clone, Copy)]
struct Rack(Option<usize>);

/// The largest bounded rack: `bounded(n)` sets aside room for all `n`
/// dishes at once.
const MAX_RACK: usize = 10_000;

/// `unbounded` or a number of dishes, at most [`MAX_RACK`].
fn rack_size(text: &str) -> Result<Rack, String> {
    match text {
        "unbounded" => Ok(Rack(None)),
        n => match n.parse() {
            Ok(n) if n <= MAX_RACK => Ok(Rack(Some(n))),
            Ok(_) => Err(format!("{n} is not in 0..={MAX_RACK} (or `unbounded`)")),
            Err(_) => Err(format!("not a size: {n}")),
        },
    }
}

// ANCHOR: dryer
/// A dryer takes dishes until the rack is closed and empty, and hands back
/// its log instead of printing, so main can print the logs in a fixed order.
fn dryer(rack: &Receiver<String>) -> Vec<String> {
    let mut log: Vec<String> = rack.iter().map(|d| format!("Drying {d} dish")).collect();
    log.push("rack closed and empty: going home".into());
    log
}
// ANCHOR_END: dryer

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let stack = args.dishes.names();
    let wait = Duration::from_millis(args.wait_ms);

    // ANCHOR: rack
    let (rack, dishes) = match args.rack.0 {
        Some(size) => crossbeam_channel::bounded::<String>(size),
        None => crossbeam_channel::unbounded(),
    };
    match args.rack.0 {
        Some(0) => println!("The rack: bounded(0), no room: each dish goes hand to hand"),
        Some(1) => println!("The rack: bounded(1), room for 1 dish"),
        Some(size) => println!("The rack: bounded({size}), room for {size} dishes"),
        None => println!("The rack: unbounded, room for any number of dishes"),
    }
    // ANCHOR_END: rack

    // ANCHOR: nobody_drying
    println!("-- nobody is drying yet --");
    match dishes.try_recv() {
        Err(TryRecvError::Empty) => println!("try_recv: Empty, nothing on the rack"),
        other => println!("try_recv: {other:?}?!"),
    }
    match dishes.recv_timeout(wait) {
        Err(RecvTimeoutError::Timeout) => println!("recv_timeout: Timeout, still nothing"),
        other => println!("recv_timeout: {other:?}?!"),
    }
    let mut to_wash = stack.iter();
    let mut in_hand = None; // a washed dish that found no room
    for dish in to_wash.by_ref() {
        println!("Washing {dish} dish");
        match rack.try_send(dish.clone()) {
            Ok(()) => println!("try_send({dish}): on the rack"),
            Err(TrySendError::Full(dish)) => {
                println!("try_send({dish}): Full, no room on the rack");
                match rack.send_timeout(dish, wait) {
                    Err(SendTimeoutError::Timeout(dish)) => {
                        println!("send_timeout({dish}): Timeout, still no room");
                        in_hand = Some(dish);
                    }
                    other => println!("send_timeout: {other:?}?!"),
                }
                break;
            }
            Err(TrySendError::Disconnected(_)) => unreachable!("we hold the receiver"),
        }
    }
    // ANCHOR_END: nobody_drying

    let dryers = count(args.dryers as usize, "dryer starts", "dryers start");
    println!("-- {dryers}; lines grouped by worker --");
    // ANCHOR: scope
    let (washer_log, dryer_logs) = std::thread::scope(|s| {
        // Scoped threads may borrow `dishes`: the scope outlives them.
        let dryers: Vec<_> = (0..args.dryers)
            .map(|_| s.spawn(|| dryer(&dishes)))
            .collect();
        let mut log = Vec::new();
        let rest = in_hand.into_iter().map(|d| (d, false));
        let rest = rest.chain(to_wash.map(|d| (d.clone(), true)));
        for (dish, needs_washing) in rest {
            if needs_washing {
                log.push(format!("Washing {dish} dish"));
            }
            log.push(format!("send({dish}): waits for room, then on the rack"));
            rack.send(dish).expect("the dryers hold the receiver");
        }
        drop(rack); // close the rack: dryers finish what is on it, then stop
        log.push("closed the rack".to_string());
        let logs: Vec<Vec<String>> = dryers
            .into_iter()
            .map(|d| d.join().expect("dryer"))
            .collect();
        (log, logs)
    }); // every thread spawned in the scope has been joined here
    // ANCHOR_END: scope

    println!("washer:");
    washer_log.iter().for_each(|line| println!("  {line}"));
    for (n, log) in dryer_logs.iter().enumerate() {
        println!("dryer-{}:", n + 1);
        log.iter().for_each(|line| println!("  {line}"));
    }
    println!("-- after the scope --");
    match dishes.try_recv() {
        Err(TryRecvError::Disconnected) => println!("try_recv: Disconnected, closed and empty"),
        other => println!("try_recv: {other:?}?!"),
    }
    let dried = dryer_logs
        .iter()
        .flatten()
        .filter(|l| l.starts_with("Drying"))
        .count();
    println!("dried {dried} of {}", count(stack.len(), "dish", "dishes"));
    Ok(())
}
