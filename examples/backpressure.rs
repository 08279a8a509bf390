//! Chapter "When the washer is faster": what happens to the dishes the
//! dryers cannot take yet. Three policies, as in the lesson:
//!
//! - `drop`: a rack with few places; a dish that finds no place (at once,
//!   or within `--put-timeout-ms`) falls on the floor (`PutError::Full`);
//! - `pile`: a rack without a limit; the dishes pile up and the rack's
//!   memory grows;
//! - `wait`: a rack with few places; the washer waits for a free place
//!   (blocking `put`).
//!
//! The dryers go home when the washer, done, puts a "go home" note (`None`)
//! on the rack for each of them. With `--get-timeout-ms` they guess
//! instead: they go home when the rack stays empty that long
//! (`get_timeout` gives `Empty`). With `drop` and `pile` they are on a break
//! until the washer is done (unless `--overlap`), so what ends where is
//! exactly determined; with `wait` they must work alongside the washer.
//! With `--timeline FILE.svg` the run also draws when each dish was washed,
//! waited and was dried.

use std::time::Duration;

use clap::{CommandFactory, Parser, ValueEnum};
use washup::queue::{GetError, PutError};
use washup::timeline::{self, Dried, Timeline};
use washup::{Process, Queue};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Policy {
    Drop,
    Pile,
    Wait,
}

/// A washer faster than its dryers: drop, pile up, or wait.
#[derive(Parser, Clone)]
#[command(name = "backpressure")]
struct Args {
    /// What the washer does when the rack is full.
    #[arg(long, value_enum, default_value_t = Policy::Wait)]
    policy: Policy,
    /// How many dishes to wash.
    #[arg(long, default_value_t = 12, value_parser = up_to(100_000))]
    dishes: usize,
    /// How many dryer processes (at least one: nobody else dries).
    #[arg(long, default_value_t = 2, value_parser = at_least_one())]
    dryers: usize,
    /// Places on the rack (ignored by `pile`, whose rack has no limit).
    #[arg(long, default_value_t = 3, value_parser = up_to(1000).range(1..=1000))]
    rack: usize,
    /// Weight of a dish in KiB (how many bytes each dish takes on the rack).
    #[arg(long, default_value_t = 64, value_parser = up_to(MAX_RACK_KIB as u64))]
    dish_kib: usize,
    /// `drop`: how long the washer holds a dish looking for a place.
    #[arg(long, default_value_t = 0, value_parser = millis())]
    put_timeout_ms: u64,
    /// Dryers guess when to go home: when the rack stays empty this long
    /// (without it they wait for the washer's "go home" note).
    #[arg(long, value_parser = millis().range(1..=60_000))]
    get_timeout_ms: Option<u64>,
    /// Milliseconds a dryer spends on a dish (a stand-in for work).
    #[arg(long, default_value_t = 2, value_parser = millis())]
    dry_ms: u64,
    /// Milliseconds the washer spends on a dish (a stand-in for work).
    #[arg(long, default_value_t = 0, value_parser = millis())]
    wash_ms: u64,
    /// Let the dryers work while the washer washes (`drop`, `pile`).
    #[arg(long)]
    overlap: bool,
    /// Draw the run's timeline into this SVG file.
    #[arg(long, value_name = "FILE.svg", value_parser = timeline::writable_file)]
    timeline: Option<std::path::PathBuf>,
}

/// At most this many KiB of dishes on the rack at once (the rack's memory
/// region is 1 GiB; a rack that fills it counts as full).
const MAX_RACK_KIB: usize = 512 * 1024;

/// A dish and the water on it: `dish_kib` KiB of bytes.
type Dish = (usize, Vec<u8>);

// ANCHOR: dryer
fn dryer(
    me: usize,
    rack: Queue<Option<Dish>>,
    report: Queue<usize>,
    times: Queue<Dried>,
    args: &Args,
) {
    let mut dried = 0;
    loop {
        let next = match args.get_timeout_ms {
            None => rack.get(),
            Some(ms) => rack.get_timeout(Duration::from_millis(ms)),
        };
        match next {
            Ok(Some((n, _water))) => {
                let taken = timeline::now(); // for --timeline
                std::thread::sleep(Duration::from_millis(args.dry_ms));
                dried += 1;
                if args.timeline.is_some() {
                    let stamp = (n.to_string(), me, taken, timeline::now());
                    times.put(stamp).expect("times queue open");
                }
            }
            Ok(None) => break,             // the washer's note: no more dishes
            Err(GetError::Empty) => break, // nothing came for a while: guess, go home
            Err(e) => panic!("dryer: {e}"),
        }
    }
    report.put(dried).expect("report queue open");
}
// ANCHOR_END: dryer

/// Flags that count things: from 0 to `max`.
fn up_to(max: u64) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(0..=max)
}

/// Flags in milliseconds: at most a minute.
fn millis() -> clap::builder::RangedU64ValueParser<u64> {
    clap::builder::RangedU64ValueParser::new().range(0..=60_000)
}

/// Flags that count workers: at least one, at most 64.
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(1..=64)
}

/// Refuse, with exit status 2, what would hang or run out of rack.
fn refuse_what_cannot_end(args: &Args) {
    let conflict = |message: String| {
        Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit()
    };
    if args.policy == Policy::Wait && args.get_timeout_ms.is_some() {
        conflict(
            "--get-timeout-ms with --policy wait could make the washer wait forever: \
             dryers that went home free no place"
                .into(),
        );
    }
    let most_on_rack = match args.policy {
        Policy::Pile => args.dishes,
        Policy::Drop | Policy::Wait => args.rack.min(args.dishes),
    };
    if most_on_rack * args.dish_kib > MAX_RACK_KIB {
        conflict(format!(
            "{most_on_rack} dishes of {} KiB on the rack at once is more than this program's \
             {} MiB",
            args.dish_kib,
            MAX_RACK_KIB / 1024
        ));
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    refuse_what_cannot_end(&args);
    let maxsize = if args.policy == Policy::Pile {
        0
    } else {
        args.rack
    };
    let rack: Queue<Option<Dish>> = Queue::with_maxsize(maxsize)?;
    let report: Queue<usize> = Queue::new()?;
    let times: Queue<Dried> = Queue::new()?; // only used with --timeline
    let mut dryers: Vec<Process> = (1..=args.dryers)
        .map(|n| {
            let (rack, report, times) = (rack.clone(), report.clone(), times.clone());
            let args = args.clone();
            Process::new(move || dryer(n, rack, report, times, &args)).name(format!("dryer-{n}"))
        })
        .collect();
    let early = args.overlap || args.policy == Policy::Wait;
    if early {
        dryers.iter_mut().try_for_each(Process::start)?;
    }

    // ANCHOR: washer
    let (mut on_floor, mut peak, mut peak_bytes) = (0, 0, 0);
    let mut waited = Duration::ZERO;
    let mut timeline = Timeline::new(timeline::command_line("backpressure"), args.dryers, maxsize);
    for n in 1..=args.dishes {
        let washing = timeline::now();
        std::thread::sleep(Duration::from_millis(args.wash_ms));
        let dish = Some((n, vec![0; args.dish_kib * 1024]));
        let (putting, full) = (timeline::now(), rack.full());
        let put = match args.policy {
            Policy::Drop if args.put_timeout_ms == 0 => rack.put_nowait(dish),
            Policy::Drop => rack.put_timeout(dish, Duration::from_millis(args.put_timeout_ms)),
            Policy::Pile | Policy::Wait => rack.put(dish), // waits only if full
        };
        let (label, now) = (n.to_string(), timeline::now());
        waited += Duration::from_micros(now - putting);
        match put {
            Ok(()) => timeline.washed(&label, washing, putting, now, full),
            Err(PutError::Full(_dish)) => {
                on_floor += 1; // we get the dish back
                timeline.dropped(&label, washing, putting, now);
            }
            Err(e) => return Err(e.into()),
        }
        peak = peak.max(rack.qsize());
        peak_bytes = peak_bytes.max(rack.bytes_used());
    }
    // ANCHOR_END: washer
    if !early {
        dryers.iter_mut().try_for_each(Process::start)?;
    }
    if args.get_timeout_ms.is_none() {
        // One "go home" note per dryer, behind the last dish (FIFO).
        (0..args.dryers).try_for_each(|_| rack.put(None))?;
    }
    for dryer in &mut dryers {
        dryer.join()?;
    }
    let dried: usize = std::iter::from_fn(|| report.get_nowait().ok()).sum();
    if let Some(path) = &args.timeline {
        std::iter::from_fn(|| times.get_nowait().ok()).for_each(|t| timeline.dried(t));
        timeline.write(path)?;
    }

    println!("washed:          {} dishes", args.dishes);
    println!("on the floor:    {on_floor}");
    println!("dried:           {dried}");
    println!("lost:            {}", args.dishes - on_floor - dried);
    if early {
        // Timing decides these exact numbers, so print only what is certain.
        if maxsize > 0 {
            println!("rack within its {maxsize} places: {}", peak <= maxsize);
        }
        println!(
            "washer waited for room: {:.1} ms in total",
            waited.as_secs_f64() * 1e3
        );
    } else {
        println!(
            "rack held at most: {peak} dishes, {} KiB",
            peak_bytes / 1024
        );
    }
    Ok(())
}
