//! Exercise: a rack from a Mutex and a Condvar (chapter "Locks").

use std::sync::{Condvar, Mutex};

/// `task_done` was called more times than items were put (Python: `ValueError`).
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyTaskDone;

/// A thread-side JoinableQueue: one Mutex around the state, Condvars to wait on.
pub struct Rack<T> {
    // Suggested: the state behind one lock, and two condition variables.
    state: Mutex<State<T>>,
    not_empty: Condvar,
    all_done: Condvar,
}

struct State<T> {
    items: std::collections::VecDeque<T>,
    unfinished: usize,
}

impl<T> Rack<T> {
    /// An empty rack.
    pub fn new() -> Rack<T> {
        Rack {
            state: Mutex::new(State {
                items: std::collections::VecDeque::new(),
                unfinished: 0,
            }),
            not_empty: Condvar::new(),
            all_done: Condvar::new(),
        }
    }

    /// Puts an item on the rack (never blocks).
    pub fn put(&self, item: T) {
        let _ = item;
        todo!("add the item, count it unfinished, wake a getter")
    }

    /// Takes the oldest item, waiting for one if the rack is empty.
    pub fn get(&self) -> T {
        todo!("wait while empty, then pop the oldest item")
    }

    /// Marks one item as fully processed.
    pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
        todo!("one less unfinished item; wake every join when none is left")
    }

    /// Waits until every item put has been marked done.
    pub fn join(&self) {
        let _ = (&self.state, &self.not_empty, &self.all_done);
        todo!("wait until nothing is unfinished")
    }
}

impl<T> Default for Rack<T> {
    fn default() -> Self {
        Rack::new()
    }
}
