//! Chapter "Doing the dishes by hand": one pair of hands, no concurrency.
//!
//! Run it with `cargo run --example by-hand`, or try
//! `cargo run --example by-hand -- --strategy batch --names soup,pan`.

use std::collections::VecDeque;

use clap::{Parser, ValueEnum};

/// Do the dishes alone: wash, dry and put away every dish, one step at a time.
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    dishes: washup::cli::Dishes<4>,
    /// How to order the work.
    #[arg(long, value_enum, default_value_t = Strategy::OneAtATime)]
    strategy: Strategy,
}

#[derive(Clone, Copy, ValueEnum)]
enum Strategy {
    /// Take each dish through all three steps before starting the next.
    OneAtATime,
    /// Wash every dish, then dry every dish, then put every dish away.
    Batch,
}

// ANCHOR: kitchen
/// What is lying around between the steps, so we can see how much room a
/// strategy needs.
#[derive(Default)]
struct Kitchen {
    wet: VecDeque<String>, // washed, waiting in the drainer to be dried
    dry: VecDeque<String>, // dried, waiting on the counter to be put away
    most_waiting: usize,
    steps: usize,
}

impl Kitchen {
    fn wash(&mut self, dish: &str) {
        println!("Washing {dish} dish");
        self.wet.push_back(dish.to_string());
        self.step();
    }

    fn dry(&mut self) {
        let dish = self.wet.pop_front().expect("dry only after a wash");
        println!("Drying {dish} dish");
        self.dry.push_back(dish);
        self.step();
    }

    fn put_away(&mut self) {
        let dish = self.dry.pop_front().expect("put away only after drying");
        println!("Putting away {dish} dish");
        self.step();
    }

    fn step(&mut self) {
        self.steps += 1;
        self.most_waiting = self.most_waiting.max(self.wet.len() + self.dry.len());
    }
}
// ANCHOR_END: kitchen

fn main() {
    washup::cli::quiet_when_stdout_closes(); // `| head` ends us quietly
    let args = Args::parse();
    let dishes = args.dishes.names();
    let mut kitchen = Kitchen::default();
    match args.strategy {
        // ANCHOR: one_at_a_time
        Strategy::OneAtATime => {
            for dish in &dishes {
                kitchen.wash(dish);
                kitchen.dry();
                kitchen.put_away();
            }
        }
        // ANCHOR_END: one_at_a_time
        // ANCHOR: batch
        Strategy::Batch => {
            for dish in &dishes {
                kitchen.wash(dish);
            }
            for _ in &dishes {
                kitchen.dry();
            }
            for _ in &dishes {
                kitchen.put_away();
            }
        } // ANCHOR_END: batch
    }
    let done = washup::cli::count(dishes.len(), "dish", "dishes");
    println!("Done: {done} in {} steps.", kitchen.steps);
    println!(
        "Most dishes waiting between steps: {}.",
        kitchen.most_waiting
    );
}
