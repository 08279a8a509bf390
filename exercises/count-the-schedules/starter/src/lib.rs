//! Exercise: count every schedule (chapter "Why your output differs").

use std::collections::HashMap;

/// The chapter's model: a washer and dryers as step machines (do not change it).
#[derive(Clone)]
pub struct World {
    dishes: Vec<String>,
    capacity: usize,
    rack: Vec<usize>,
    washer: usize,
    holding: Vec<Option<usize>>,
    dried: usize,
    /// What the workers printed so far.
    pub log: Vec<String>,
}

/// Where a world is, leaving out what was printed (see `World::position`).
/// Usable as a key of a `HashMap` or a `BTreeMap`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Position {
    rack: Vec<usize>,
    washer: usize,
    holding: Vec<Option<usize>>,
    dried: usize,
}

/// Who takes a step: the washer, or dryer `k` (from 0).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Worker {
    Washer,
    Dryer(usize),
}

impl World {
    /// A kitchen with these dishes, `dryers` dryers and a rack for `rack` dishes.
    pub fn new(dishes: &[&str], dryers: usize, rack: usize) -> World {
        World {
            dishes: dishes.iter().map(|d| d.to_string()).collect(),
            capacity: rack,
            rack: Vec::new(),
            washer: 0,
            holding: vec![None; dryers],
            dried: 0,
            log: Vec::new(),
        }
    }

    /// Where the kitchen is: everything about the world except its log.
    /// Two worlds at the same position have the same schedules ahead of them.
    pub fn position(&self) -> Position {
        Position {
            rack: self.rack.clone(),
            washer: self.washer,
            holding: self.holding.clone(),
            dried: self.dried,
        }
    }

    /// Every dish is dry: the run is over.
    pub fn finished(&self) -> bool {
        self.dried == self.dishes.len()
    }

    /// The workers that can take a step now.
    pub fn choices(&self) -> Vec<Worker> {
        let mut ready = Vec::new();
        let putting = self.washer % 2 == 1;
        if self.washer < 2 * self.dishes.len() && (!putting || self.rack.len() < self.capacity) {
            ready.push(Worker::Washer);
        }
        for k in 0..self.holding.len() {
            if self.holding[k].is_some() || !self.rack.is_empty() {
                ready.push(Worker::Dryer(k));
            }
        }
        ready
    }

    /// Takes one step of `who` (which must be one of `choices()`).
    pub fn step(&mut self, who: Worker) {
        match who {
            Worker::Washer if self.washer.is_multiple_of(2) => {
                self.log
                    .push(format!("Washing {} dish", self.dishes[self.washer / 2]));
                self.washer += 1;
            }
            Worker::Washer => {
                self.rack.push(self.washer / 2);
                self.washer += 1;
            }
            Worker::Dryer(k) => match self.holding[k].take() {
                None => self.holding[k] = Some(self.rack.remove(0)),
                Some(dish) => {
                    self.log.push(format!("Drying {} dish", self.dishes[dish]));
                    self.dried += 1;
                }
            },
        }
    }
}

/// How many schedules run the kitchen to the end (every dish dry).
pub fn count_schedules(dishes: &[&str], dryers: usize, rack: usize) -> u128 {
    let world = World::new(dishes, dryers, rack);
    let mut known: HashMap<Position, u128> = HashMap::new();
    // Count the schedules from `world` with a recursive function: a finished
    // world is 1 schedule; otherwise add up the counts after each worker in
    // `world.choices()` takes its step (on a clone). Remember the count of
    // each position in `known`, and look there first.
    let _ = (&world, &mut known);
    todo!("count the schedules, each position once")
}
