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
//! The stages' speeds are set by flags (`--wash-ms`, `--dry-ms`), not by
//! how fast this build happens to copy dishes, so a debug build shows the
//! same as a release build. The dryers go home when the washer, done, puts
//! a "go home" note (`None`) on the rack for each of them. With
//! `--get-timeout-ms` they guess instead: they go home when the rack stays
//! empty that long (`get_timeout` gives `Empty`). With `drop` and `pile`
//! they are on a break until the washer is done (unless `--overlap`), so
//! what ends where is exactly determined; with `wait` they must work
//! alongside the washer. The dryers are daemonic: if `main` dies, however
//! it dies, the kernel kills them too. With `--timeline FILE.svg` the run
//! also draws when each dish was washed, waited and was dried.

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
    #[arg(long, default_value_t = 12, value_parser = up_to(10_000))]
    dishes: usize,
    /// How many dryer processes (at least one: nobody else dries).
    #[arg(long, default_value_t = 2, value_parser = at_least_one())]
    dryers: usize,
    /// Places on the rack (`drop`, `wait`; a `pile` rack has no limit).
    #[arg(long, value_parser = up_to(1000).range(1..=1000))]
    rack: Option<usize>,
    /// Weight of a dish in KiB (how many bytes each dish takes on the rack).
    #[arg(long, default_value_t = 4, value_parser = up_to(MAX_RACK_KIB as u64))]
    dish_kib: usize,
    /// `drop` only: how long the washer holds a dish looking for a place
    /// (without it, a dish that finds no place at once falls).
    #[arg(long, value_parser = millis())]
    put_timeout_ms: Option<u64>,
    /// Dryers guess when to go home: when the rack stays empty this long
    /// (without it they wait for the washer's "go home" note).
    #[arg(long, value_parser = millis().range(1..=60_000))]
    get_timeout_ms: Option<u64>,
    /// Milliseconds a dryer spends on a dish.
    #[arg(long, default_value_t = 20, value_parser = millis())]
    dry_ms: u64,
    /// Milliseconds the washer spends on a dish.
    #[arg(long, default_value_t = 0, value_parser = millis())]
    wash_ms: u64,
    /// `drop`, `pile`: let the dryers work while the washer washes (with
    /// `wait` they always do).
    #[arg(long)]
    overlap: bool,
    /// Draw the run's timeline into this SVG file.
    #[arg(long, value_name = "FILE.svg", value_parser = timeline::writable_file)]
    timeline: Option<std::path::PathBuf>,
}

/// Places on the rack when `--rack` is not given.
const DEFAULT_RACK: usize = 3;

/// At most this many KiB of dishes on the rack at once (the rack's memory
/// region is 1 GiB; a rack that fills it counts as full).
const MAX_RACK_KIB: usize = 512 * 1024;

/// A dish and the water on it: `dish_kib` KiB of bytes.
type Dish = (usize, Vec<u8>);

// ANCHOR: dryer
/// Takes dishes off the rack and dries each one (`dry`) until it is time to
/// go home; returns how many it dried.
fn dryer(rack: &Queue<Option<Dish>>, args: &Args, mut dry: impl FnMut(usize)) -> usize {
    let mut dried = 0;
    loop {
        let next = match args.get_timeout_ms {
            None => rack.get(),
            Some(ms) => rack.get_timeout(Duration::from_millis(ms)),
        };
        match next {
            Ok(Some((n, _water))) => {
                dry(n);
                dried += 1;
            }
            Ok(None) => break,             // the washer's note: no more dishes
            Err(GetError::Empty) => break, // nothing came for a while: guess, go home
            Err(e) => panic!("dryer: {e}"),
        }
    }
    dried
}
// ANCHOR_END: dryer

// ANCHOR: washer
/// Puts one dish on the rack as the policy says. `Ok(false)`: it found no
/// place and fell on the floor.
fn put_dish(
    rack: &Queue<Option<Dish>>,
    dish: Dish,
    args: &Args,
) -> Result<bool, PutError<Option<Dish>>> {
    let put = match (args.policy, args.put_timeout_ms) {
        (Policy::Drop, None) => rack.put_nowait(Some(dish)),
        (Policy::Drop, Some(ms)) => rack.put_timeout(Some(dish), Duration::from_millis(ms)),
        (Policy::Pile | Policy::Wait, _) => rack.put(Some(dish)), // waits only if full
    };
    match put {
        Ok(()) => Ok(true),
        Err(PutError::Full(_dish)) => Ok(false), // we get the dish back: it falls
        Err(e) => Err(e),
    }
}
// ANCHOR_END: washer

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

/// Refuse, with exit status 2, what would hang, run out of rack, or be
/// ignored.
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
    if args.policy != Policy::Drop && args.put_timeout_ms.is_some() {
        conflict("--put-timeout-ms is for --policy drop (the other policies never give up)".into());
    }
    if args.policy == Policy::Pile && args.rack.is_some() {
        conflict("--rack with --policy pile: a pile has no limit".into());
    }
    if args.policy == Policy::Wait && args.overlap {
        conflict("--overlap with --policy wait: the dryers always work alongside".into());
    }
    let most_on_rack = match args.policy {
        Policy::Pile => args.dishes,
        Policy::Drop | Policy::Wait => args.rack.unwrap_or(DEFAULT_RACK).min(args.dishes),
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

/// "1 dish", "2 dishes".
fn dishes(n: usize) -> String {
    format!("{n} {}", if n == 1 { "dish" } else { "dishes" })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    refuse_what_cannot_end(&args);
    let maxsize = match args.policy {
        Policy::Pile => 0,
        Policy::Drop | Policy::Wait => args.rack.unwrap_or(DEFAULT_RACK),
    };
    let rack: Queue<Option<Dish>> = Queue::with_maxsize(maxsize)?;
    let report: Queue<usize> = Queue::new()?; // each dryer: how many it dried
    let times: Queue<Dried> = Queue::new()?; // only used with --timeline
    let mut dryers: Vec<Process> = (1..=args.dryers)
        .map(|me| {
            let (rack, report, times, args) =
                (rack.clone(), report.clone(), times.clone(), args.clone());
            Process::new(move || {
                let dried = dryer(&rack, &args, |n| {
                    let taken = timeline::now();
                    std::thread::sleep(Duration::from_millis(args.dry_ms));
                    if args.timeline.is_some() {
                        let stamp = (n.to_string(), me, taken, timeline::now());
                        times.put(stamp).expect("times queue open");
                    }
                });
                report.put(dried).expect("report queue open");
            })
            .name(format!("dryer-{me}"))
            .daemon(true) // if main dies, the kernel kills the dryers too
        })
        .collect();
    let start_dryers = |dryers: &mut Vec<Process>| -> Result<(), washup::process::ProcessError> {
        dryers.iter_mut().try_for_each(Process::start)?;
        let n = dryers.len();
        println!(
            "{n} {} to work",
            if n == 1 { "dryer goes" } else { "dryers go" }
        );
        Ok(())
    };
    let early = args.overlap || args.policy == Policy::Wait;
    if early {
        start_dryers(&mut dryers)?;
    }

    let (mut on_floor, mut peak, mut peak_bytes) = (0, 0, 0);
    let mut waited = Duration::ZERO; // in puts that found the rack full
    let mut timeline = Timeline::new(timeline::command_line("backpressure"), args.dryers, maxsize);
    for n in 1..=args.dishes {
        let washing = timeline::now();
        std::thread::sleep(Duration::from_millis(args.wash_ms));
        let dish = (n, vec![0; args.dish_kib * 1024]);
        let (putting, full) = (timeline::now(), rack.full());
        let placed = put_dish(&rack, dish, &args)?;
        let (label, now) = (n.to_string(), timeline::now());
        if full {
            waited += Duration::from_micros(now - putting);
        }
        if placed {
            timeline.washed(&label, washing, putting, now, full);
        } else {
            on_floor += 1;
            timeline.dropped(&label, washing, putting, now);
        }
        peak = peak.max(rack.qsize());
        peak_bytes = peak_bytes.max(rack.bytes_used());
    }
    println!("the washer is done: {} washed", dishes(args.dishes));
    if !early {
        start_dryers(&mut dryers)?;
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

    println!("washed:          {}", dishes(args.dishes));
    println!("on the floor:    {on_floor}");
    println!("dried:           {dried}");
    println!("lost:            {}", args.dishes - on_floor - dried);
    if early && maxsize > 0 {
        // Timing decides how full a bounded rack got; what is certain is
        // that it never held more than its places.
        println!("rack within its {maxsize} places: {}", peak <= maxsize);
    } else {
        let kib = peak_bytes / 1024;
        println!("rack held at most: {}, {kib} KiB", dishes(peak));
    }
    if args.policy == Policy::Wait || args.put_timeout_ms.is_some() {
        let ms = waited.as_secs_f64() * 1e3;
        println!("washer waited for room: {ms:.1} ms in total");
    }
    Ok(())
}
