//! Exercise: count every log (chapter "Why your output differs").

use std::collections::BTreeMap;

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
            Worker::Washer if self.washer % 2 == 0 => {
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

/// Every log the kitchen can print, with how many schedules print it.
pub fn all_logs(dishes: &[&str], dryers: usize, rack: usize) -> BTreeMap<Vec<String>, usize> {
    let world = World::new(dishes, dryers, rack);
    let mut logs: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    // Explore every schedule from `world`: write a recursive function that,
    // for each worker in `world.choices()`, steps a clone of the world and
    // goes on, and records `world.log` when `world.finished()`.
    let _ = (&world, &mut logs);
    todo!("explore every schedule")
}
