//! Locks: dryer threads share a tally of dried dishes and a list of
//! dishes on the fridge.
//! Run: `cargo run --example locks -- --help`
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, RwLock, TryLockError};
use std::thread;

use clap::builder::RangedU64ValueParser;
use clap::{CommandFactory, Parser, ValueEnum, error::ErrorKind};
use washup::cli::count;

/// Dryer threads share a tally and a list: locks, atomics, a race, poison.
#[derive(Parser)]
#[command(name = "locks")]
struct Args {
    /// Which part of the chapter to run: a tally kept three ways, the
    /// race forced to happen, a poisoned lock, or a read-write lock.
    #[arg(long, value_enum, default_value_t = Show::Mutex)]
    show: Show,
    /// Only for the tallies (mutex, load-store, fetch-add): dryer threads
    /// [default: 4]
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    dryers: Option<usize>,
    /// Only for the tallies: dishes each dryer dries [default: 100000]
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(0..=10_000_000))]
    dishes: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Show {
    Mutex,
    LoadStore,
    FetchAdd,
    ForcedRace,
    Poison,
    Rwlock,
}

fn main() {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let tallies = matches!(args.show, Show::Mutex | Show::LoadStore | Show::FetchAdd);
    let flag = [(args.dryers, "--dryers"), (args.dishes, "--dishes")];
    if let Some((_, flag)) = flag.iter().find(|(n, _)| n.is_some() && !tallies) {
        let show = args
            .show
            .to_possible_value()
            .expect("no variant is skipped");
        let message = format!(
            "{flag} is for the tallies; --show {} has none",
            show.get_name()
        );
        Args::command()
            .error(ErrorKind::ArgumentConflict, message)
            .exit();
    }
    let (dryers, dishes) = (args.dryers.unwrap_or(4), args.dishes.unwrap_or(100_000));
    match args.show {
        Show::ForcedRace => forced_race(),
        Show::Poison => poison(),
        Show::Rwlock => rwlock(),
        tally_kind => tally(tally_kind, dryers, dishes),
    }
}

// ANCHOR: mutex
fn dry_with_mutex(tally: &Mutex<usize>, dishes: usize) {
    for _ in 0..dishes {
        let mut count = tally.lock().expect("no dryer panicked");
        *count += 1;
    } // here, each time round, `count` (the guard) is dropped: the lock is free
}
// ANCHOR_END: mutex

// ANCHOR: racy
fn dry_with_load_store(tally: &AtomicUsize, dishes: usize) {
    for _ in 0..dishes {
        let seen = tally.load(Ordering::SeqCst);
        // Another dryer may store here, between our load and our store.
        tally.store(seen + 1, Ordering::SeqCst);
    }
}
// ANCHOR_END: racy

// ANCHOR: fetch_add
fn dry_with_fetch_add(tally: &AtomicUsize, dishes: usize) {
    for _ in 0..dishes {
        tally.fetch_add(1, Ordering::SeqCst); // read, add and write as one step
    }
}
// ANCHOR_END: fetch_add

fn tally(how: Show, dryers: usize, dishes: usize) {
    // ANCHOR: spawn
    let tally = Arc::new(Mutex::new(0));
    let atomic = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..dryers)
        .map(|_| {
            let (tally, atomic) = (Arc::clone(&tally), Arc::clone(&atomic));
            thread::spawn(move || match how {
                Show::Mutex => dry_with_mutex(&tally, dishes),
                Show::LoadStore => dry_with_load_store(&atomic, dishes),
                _ => dry_with_fetch_add(&atomic, dishes),
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no dryer panicked");
    }
    // ANCHOR_END: spawn
    let counted = match how {
        Show::Mutex => *tally.lock().expect("no dryer panicked"),
        _ => atomic.load(Ordering::SeqCst),
    };
    let expected = dryers * dishes;
    let (who, each) = (
        count(dryers, "dryer", "dryers"),
        count(dishes, "dish", "dishes"),
    );
    println!("{who} dried {each} each.");
    println!("The tally says {counted} (expected {expected}).");
    if counted < expected {
        println!(
            "Lost updates: {} never counted.",
            count(expected - counted, "dish was", "dishes were")
        );
    }
}

// ANCHOR: forced_race
/// The unlucky schedule, forced with a Barrier: both dryers read the tally
/// before either writes it back.
fn forced_race() {
    let tally = Arc::new(AtomicUsize::new(0));
    let both_have_read = Arc::new(Barrier::new(2));
    let dryers: Vec<_> = (0..2)
        .map(|_| {
            let (tally, both_have_read) = (Arc::clone(&tally), Arc::clone(&both_have_read));
            thread::spawn(move || {
                let seen = tally.load(Ordering::SeqCst);
                both_have_read.wait();
                tally.store(seen + 1, Ordering::SeqCst);
                seen
            })
        })
        .collect();
    for (number, dryer) in dryers.into_iter().enumerate() {
        let seen = dryer.join().expect("no dryer panicked");
        println!("dryer {} read {seen} and wrote {}", number + 1, seen + 1);
    }
    println!(
        "2 dishes dried; the tally says {}",
        tally.load(Ordering::SeqCst)
    );
}
// ANCHOR_END: forced_race

// ANCHOR: poison
fn poison() {
    // A one-line panic message: Rust's own also shows the thread's id,
    // which changes on every run.
    std::panic::set_hook(Box::new(|info| {
        let who = thread::current().name().unwrap_or("a thread").to_string();
        let what = info.payload().downcast_ref::<&str>().unwrap_or(&"?");
        eprintln!("{who} panicked: {what}");
    }));
    let tally = Arc::new(Mutex::new(0));
    let dryer = {
        let tally = Arc::clone(&tally);
        thread::Builder::new()
            .name("dryer 1".into())
            .spawn(move || {
                let mut count = tally.lock().expect("nobody panicked yet");
                *count += 1;
                panic!("dropped the salad dish"); // while holding the guard
            })
    };
    let ended = dryer.expect("spawn dryer 1").join();
    println!("join() says dryer 1 panicked: {}", ended.is_err());
    match tally.lock() {
        Ok(count) => println!("the tally is fine: {count}"),
        Err(poisoned) => {
            println!("the tally is poisoned: someone panicked while holding it");
            let count = poisoned.into_inner(); // the guard, handed over anyway
            println!("the count inside is still there: {count}");
        }
    }
}
// ANCHOR_END: poison

// ANCHOR: rwlock
fn rwlock() {
    let list = Arc::new(RwLock::new(vec!["salad", "bread"]));
    let (reading, done) = (Arc::new(Barrier::new(3)), Arc::new(Barrier::new(3)));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (list, reading, done) = (Arc::clone(&list), reading.clone(), done.clone());
            thread::spawn(move || {
                let dishes = list.read().expect("no writer panicked");
                reading.wait(); // both readers hold a read guard now
                done.wait();
                dishes.len()
            })
        })
        .collect();
    reading.wait();
    println!("dryer 1 and dryer 2 read the list at the same time");
    match list.try_write() {
        Err(TryLockError::WouldBlock) => println!("the washer may not write while they read"),
        Ok(_) | Err(TryLockError::Poisoned(_)) => println!("the washer wrote anyway?!"),
    }
    done.wait();
    for reader in readers {
        reader.join().expect("no reader panicked");
    }
    list.write().expect("no reader panicked").push("entree");
    println!(
        "readers done; the washer adds a dish: {:?}",
        list.read().expect("ok")
    );
}
// ANCHOR_END: rwlock
