//! Chapter "Why your output differs": a washer and dryers as little step
//! machines, and a scheduler that picks who moves next. `--all` tries every
//! choice; `--seed N` makes the choices with a seeded random generator;
//! `--schedule w1w1` replays one run step by step. With none of the three
//! it does what `--all` does.

use std::collections::BTreeMap;

use clap::Parser;
use washup::cli::count;

/// Explore the orders in which a washer and its dryers can print.
///
/// Pick a mode: --all (every schedule; also what happens with no mode
/// flag), --seed N (one random schedule) or --schedule (replay one).
#[derive(Parser)]
#[command(name = "interleavings")]
struct Args {
    #[command(flatten)]
    dishes: washup::cli::Dishes<2>,
    /// How many dryers take dishes off the rack.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=3))]
    dryers: u8,
    /// How many dishes fit on the rack.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=9))]
    rack: u8,
    /// List every possible log, with how many schedules give it.
    #[arg(long, conflicts_with_all = ["seed", "schedule"])]
    all: bool,
    /// With --all: print only how many schedules and logs there are.
    #[arg(long, requires = "all")]
    summary: bool,
    /// With --all: under each log, every schedule that gives it (each one
    /// replays with --schedule).
    #[arg(long, requires = "all", conflicts_with = "summary")]
    schedules: bool,
    /// Let a random generator seeded with N pick each step.
    #[arg(long, value_name = "N", conflicts_with = "schedule")]
    seed: Option<u64>,
    /// Replay a schedule: one letter per step, `w` for the washer, `1`, `2`,
    /// `3` for the dryers.
    #[arg(long)]
    schedule: Option<String>,
}

// ANCHOR: model
/// Everything the workers share, plus where each of them is in its program.
#[derive(Clone)]
struct World<'a> {
    dishes: &'a [String],
    capacity: usize,
    rack: Vec<usize>,            // dishes on the rack, oldest first
    washer: usize,               // steps the washer has taken
    holding: Vec<Option<usize>>, // the dish each dryer has taken, if any
    dried: usize,
    log: Vec<String>,
}

impl World<'_> {
    /// The washer's program: wash dish i (step 2i), put it on the rack (2i+1).
    /// Then it waits (`join`) until every dish is dried.
    fn washer_can_move(&self) -> bool {
        let putting = self.washer % 2 == 1;
        self.washer < 2 * self.dishes.len() && (!putting || self.rack.len() < self.capacity)
    }

    /// A dryer's program, forever: take a dish off the rack, dry it.
    fn dryer_can_move(&self, k: usize) -> bool {
        self.holding[k].is_some() || !self.rack.is_empty()
    }

    fn finished(&self) -> bool {
        self.dried == self.dishes.len()
    }

    fn step(&mut self, who: Worker) {
        match who {
            Worker::Washer if self.washer.is_multiple_of(2) => {
                let dish = &self.dishes[self.washer / 2];
                self.log.push(format!("Washing {dish} dish"));
                self.washer += 1;
            }
            Worker::Washer => {
                self.rack.push(self.washer / 2);
                self.washer += 1;
            }
            Worker::Dryer(k) => match self.holding[k].take() {
                None => self.holding[k] = Some(self.rack.remove(0)),
                Some(dish) => {
                    let by = if self.holding.len() > 1 {
                        format!(" (dryer {})", k + 1)
                    } else {
                        String::new()
                    };
                    self.log
                        .push(format!("Drying {} dish{by}", self.dishes[dish]));
                    self.dried += 1;
                }
            },
        }
    }

    fn choices(&self) -> Vec<Worker> {
        let mut ready = Vec::new();
        if self.washer_can_move() {
            ready.push(Worker::Washer);
        }
        for k in 0..self.holding.len() {
            if self.dryer_can_move(k) {
                ready.push(Worker::Dryer(k));
            }
        }
        ready
    }
}
// ANCHOR_END: model

#[derive(Clone, Copy, PartialEq)]
enum Worker {
    Washer,
    Dryer(usize),
}

impl Worker {
    fn letter(self) -> char {
        match self {
            Worker::Washer => 'w',
            Worker::Dryer(k) => char::from(b'1' + k as u8),
        }
    }
}

// ANCHOR: all
/// Every schedule, depth first: at each point, try each worker that can move.
fn explore(world: &World, schedule: &mut String, logs: &mut BTreeMap<Vec<String>, Vec<String>>) {
    if world.finished() {
        logs.entry(world.log.clone())
            .or_default()
            .push(schedule.clone());
        return;
    }
    for who in world.choices() {
        let mut next = world.clone();
        next.step(who);
        schedule.push(who.letter());
        explore(&next, schedule, logs);
        schedule.pop();
    }
}
// ANCHOR_END: all

// ANCHOR: seeded
/// SplitMix64: a tiny, well-known generator. The same seed always gives
/// the same numbers, so the same schedule.
fn next_random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn run_seeded(mut world: World, seed: u64) -> (String, Vec<String>) {
    let (mut state, mut schedule) = (seed, String::new());
    while !world.finished() {
        let ready = world.choices();
        let who = ready[(next_random(&mut state) % ready.len() as u64) as usize];
        schedule.push(who.letter());
        world.step(who);
    }
    (schedule, world.log)
}
// ANCHOR_END: seeded

fn replay(mut world: World, schedule: &str) -> Result<Vec<String>, String> {
    for (i, letter) in schedule.chars().enumerate() {
        let Some(who) = world.choices().into_iter().find(|w| w.letter() == letter) else {
            let ready: String = world.choices().iter().map(|w| w.letter()).collect();
            return Err(format!(
                "step {}: `{letter}` cannot move now (ready: {ready:?})",
                i + 1
            ));
        };
        world.step(who);
    }
    if !world.finished() {
        return Err(format!(
            "the schedule ends after {} steps, before every dish is dry",
            schedule.len()
        ));
    }
    Ok(world.log)
}

fn main() -> std::process::ExitCode {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let dishes = args.dishes.names();
    let world = World {
        dishes: &dishes,
        capacity: usize::from(args.rack),
        rack: Vec::new(),
        washer: 0,
        holding: vec![None; usize::from(args.dryers)],
        dried: 0,
        log: Vec::new(),
    };
    if let Some(schedule) = &args.schedule {
        match replay(world, schedule) {
            Ok(log) => log.iter().for_each(|line| println!("{line}")),
            Err(problem) => {
                eprintln!("error: {problem}");
                return std::process::ExitCode::from(2);
            }
        }
    } else if let Some(seed) = args.seed {
        let (schedule, log) = run_seeded(world, seed);
        println!("seed {seed} picks the schedule {schedule}");
        log.iter().for_each(|line| println!("  {line}"));
    } else {
        if dishes.len() > 4 {
            eprintln!(
                "error: --all with more than 4 dishes means millions of schedules; try --seed"
            );
            return std::process::ExitCode::from(2);
        }
        if !args.all {
            println!("(no --all, --seed or --schedule: every schedule, as with --all)");
        }
        let mut logs = BTreeMap::new();
        explore(&world, &mut String::new(), &mut logs);
        let schedules: usize = logs.values().map(Vec::len).sum();
        let verb = if schedules == 1 { "gives" } else { "give" };
        let (schedules, different) = (
            count(schedules, "schedule", "schedules"),
            count(logs.len(), "different log", "different logs"),
        );
        println!("{schedules} {verb} {different}");
        if args.summary || logs.len() > 100 {
            if !args.summary {
                println!("(too many to list: fewer dishes or dryers, or --summary)");
            }
            return std::process::ExitCode::SUCCESS;
        }
        for (number, (log, schedules)) in logs.iter().enumerate() {
            let seed = (0..10_000).find(|s| run_seeded(world.clone(), *s).1 == *log);
            let seed = seed.map_or("no seed below 10000".into(), |s| format!("--seed {s}"));
            println!(
                "\nlog {} ({}, e.g. {}; {seed}):",
                number + 1,
                count(schedules.len(), "schedule", "schedules"),
                schedules[0]
            );
            log.iter().for_each(|line| println!("  {line}"));
            if args.schedules {
                println!("  from: {}", schedules.join(" "));
            }
        }
    }
    std::process::ExitCode::SUCCESS
}
