//! Exercise: a rack from a Mutex and a Condvar (chapter "Locks") — reference solution.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard};

/// `task_done` was called more times than items were put (Python: `ValueError`).
#[derive(Debug, PartialEq, Eq)]
pub struct TooManyTaskDone;

/// A thread-side JoinableQueue: one Mutex around the state, Condvars to wait on.
pub struct Rack<T> {
    state: Mutex<State<T>>,
    not_empty: Condvar,
    all_done: Condvar,
}

struct State<T> {
    items: VecDeque<T>,
    unfinished: usize,
}

impl<T> Rack<T> {
    /// An empty rack.
    pub fn new() -> Rack<T> {
        Rack {
            state: Mutex::new(State {
                items: VecDeque::new(),
                unfinished: 0,
            }),
            not_empty: Condvar::new(),
            all_done: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The state is consistent between operations, so a poisoned lock is
        // still safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts an item on the rack (never blocks).
    pub fn put(&self, item: T) {
        let mut state = self.lock();
        state.items.push_back(item);
        state.unfinished += 1;
        self.not_empty.notify_one();
    }

    /// Takes the oldest item, waiting for one if the rack is empty.
    pub fn get(&self) -> T {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return item;
            }
            state = self
                .not_empty
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Marks one item as fully processed.
    pub fn task_done(&self) -> Result<(), TooManyTaskDone> {
        let mut state = self.lock();
        if state.unfinished == 0 {
            return Err(TooManyTaskDone);
        }
        state.unfinished -= 1;
        if state.unfinished == 0 {
            self.all_done.notify_all();
        }
        Ok(())
    }

    /// Waits until every item put has been marked done.
    pub fn join(&self) {
        let mut state = self.lock();
        while state.unfinished > 0 {
            state = self.all_done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl<T> Default for Rack<T> {
    fn default() -> Self {
        Rack::new()
    }
}
