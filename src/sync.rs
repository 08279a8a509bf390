//! A thread-side `JoinableQueue`, built from one `Mutex` and three
//! `Condvar`s, the way Python's `queue.Queue` is built.
//!
//! Python's `queue.Queue` (the thread queue, not the `multiprocessing` one)
//! is a `collections.deque` guarded by one `threading.Lock`, plus three
//! `threading.Condition`s that share that lock: `not_empty` (getters wait
//! on it), `not_full` (putters wait on it) and `all_tasks_done` (`join`
//! waits on it). [`JoinableQueue`] is the same design in Rust: a
//! [`std::sync::Mutex`] around the items and the count of
//! unfinished tasks, and three [`std::sync::Condvar`]s.
//!
//! This is a queue between **threads** of one process. The queue between
//! processes is [`crate::queue::JoinableQueue`]; the two have the same
//! method names, so the book can swap one for the other.
//!
//! Share one queue between threads with an `Arc` (or borrow it inside
//! [`std::thread::scope`]):
//!
//! ```
//! use std::sync::Arc;
//! use std::thread;
//! use washup::sync::JoinableQueue;
//!
//! let rack = Arc::new(JoinableQueue::with_maxsize(2));
//! let dryer = {
//!     let rack = Arc::clone(&rack);
//!     thread::spawn(move || {
//!         while let Some(dish) = rack.get() {
//!             println!("Drying {dish} dish");
//!             rack.task_done().expect("one task_done per get");
//!         }
//!         rack.task_done().expect("the None counts too");
//!     })
//! };
//! for dish in ["salad", "bread", "entree", "dessert"] {
//!     rack.put(Some(dish));
//! }
//! rack.join(); // every dish is dried now
//! rack.put(None); // tell the dryer to stop
//! dryer.join().expect("the dryer did not panic");
//! ```
//!
//! # Poisoning
//!
//! A `Mutex` is *poisoned* when a thread panics while holding its guard.
//! The queue never runs your code (or anything that can panic) while it
//! holds its lock, and every method leaves the items and the task count
//! consistent before it lets go, so a poisoned lock would still hold a
//! valid queue. The queue therefore ignores poisoning: it takes the guard
//! out of the [`PoisonError`] with [`PoisonError::into_inner`] and carries
//! on. A thread that panics between `get` and `task_done` is a different
//! story: its item is never marked done, and `join` waits for it forever
//! (use [`JoinableQueue::join_timeout`] if that can happen).
//!
//! # Model checking
//!
//! With `RUSTFLAGS="--cfg loom"` the `Mutex` and `Condvar` come from the
//! [`loom`](https://docs.rs/loom) crate instead of `std`, and the tests at
//! the bottom of this file run every interleaving of two producers, two
//! consumers and a `join` (see `.ci/loom`).

use std::collections::VecDeque;
use std::fmt;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

// The shim: loom's types under `--cfg loom`, std's otherwise. They have
// the same API, so the code below is the same for both.
#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::{Condvar, Mutex, MutexGuard};

/// A `put` found no free slot and would not wait (longer) (Python:
/// `queue.Full`). Holds the item that was not put.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Full<T>(pub T);

impl<T> Full<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Full(..)")
    }
}

impl<T> fmt::Display for Full<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}

impl<T> std::error::Error for Full<T> {}

/// A `get` found no item and would not wait (longer) (Python:
/// `queue.Empty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the queue is empty")]
pub struct Empty;

/// `task_done` was called more times than items were put (Python:
/// `ValueError: task_done() called too many times`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("task_done() called more times than there were items")]
pub struct TaskDoneError;

// ANCHOR: state
/// What the one lock protects.
struct State<T> {
    items: VecDeque<T>,
    /// Items put and not yet marked done with `task_done`.
    unfinished: usize,
}

/// A first-in, first-out queue between threads with `task_done` and
/// `join` (Python: `queue.Queue`, whose `task_done`/`join` are the same as
/// `multiprocessing.JoinableQueue`'s).
pub struct JoinableQueue<T> {
    /// 0 means no limit, as in Python.
    maxsize: usize,
    state: Mutex<State<T>>,
    /// Signalled when an item is put: a waiting `get` may go on.
    not_empty: Condvar,
    /// Signalled when an item is taken: a waiting `put` may go on.
    not_full: Condvar,
    /// Signalled when the unfinished count drops to zero: `join` returns.
    all_tasks_done: Condvar,
}
// ANCHOR_END: state

impl<T> JoinableQueue<T> {
    /// An unbounded queue (Python: `queue.Queue()`).
    pub fn new() -> Self {
        Self::with_maxsize(0)
    }

    /// A queue of at most `maxsize` items (Python: `queue.Queue(maxsize)`);
    /// 0 means no limit.
    pub fn with_maxsize(maxsize: usize) -> Self {
        JoinableQueue {
            maxsize,
            state: Mutex::new(State {
                items: VecDeque::new(),
                unfinished: 0,
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            all_tasks_done: Condvar::new(),
        }
    }

    /// The lock, ignoring poisoning (see the [module docs](self)).
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_full(&self, state: &State<T>) -> bool {
        self.maxsize > 0 && state.items.len() >= self.maxsize
    }

    // ANCHOR: put
    /// Put `item` at the back, waiting as long as it takes for a free slot
    /// (Python: `put(item)`).
    pub fn put(&self, item: T) {
        let mut state = self.lock();
        while self.is_full(&state) {
            // Let go of the lock and sleep until a `get` signals; then
            // hold the lock again and look again: another putter may have
            // taken the slot first.
            state = self
                .not_full
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        self.push(state, item);
    }
    // ANCHOR_END: put

    /// Put `item`, waiting at most `timeout` for a free slot (Python:
    /// `put(item, timeout=t)`). Fails with [`Full`], handing the item back.
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), Full<T>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        while self.is_full(&state) {
            state = match wait_until(&self.not_full, state, deadline) {
                Some(state) => state,
                None => return Err(Full(item)),
            };
        }
        self.push(state, item);
        Ok(())
    }

    /// Put `item` only if there is a free slot right now (Python:
    /// `put_nowait(item)`, or `put(item, block=False)`).
    pub fn put_nowait(&self, item: T) -> Result<(), Full<T>> {
        let state = self.lock();
        if self.is_full(&state) {
            return Err(Full(item));
        }
        self.push(state, item);
        Ok(())
    }

    fn push(&self, mut state: MutexGuard<'_, State<T>>, item: T) {
        state.items.push_back(item);
        state.unfinished += 1;
        drop(state);
        // One item, so one getter can use it. A getter that wakes and
        // finds nothing (another took it) just waits again.
        self.not_empty.notify_one();
    }

    // ANCHOR: get
    /// Take the item at the front, waiting as long as it takes for one
    /// (Python: `get()`). Call [`JoinableQueue::task_done`] once it is
    /// handled.
    pub fn get(&self) -> T {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                drop(state);
                self.not_full.notify_one();
                return item;
            }
            state = self
                .not_empty
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
    // ANCHOR_END: get

    /// Take the front item, waiting at most `timeout` for one (Python:
    /// `get(timeout=t)`). Fails with [`Empty`].
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, Empty> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                drop(state);
                self.not_full.notify_one();
                return Ok(item);
            }
            state = wait_until(&self.not_empty, state, deadline).ok_or(Empty)?;
        }
    }

    /// Take the front item only if there is one right now (Python:
    /// `get_nowait()`, or `get(block=False)`).
    pub fn get_nowait(&self) -> Result<T, Empty> {
        let mut state = self.lock();
        let item = state.items.pop_front().ok_or(Empty)?;
        drop(state);
        self.not_full.notify_one();
        Ok(item)
    }

    // ANCHOR: task_done
    /// Say that one item taken with `get` is fully handled (Python:
    /// `task_done()`). Fails with [`TaskDoneError`] if every item put has
    /// already been marked done (Python raises `ValueError`).
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = self.lock();
        state.unfinished = state.unfinished.checked_sub(1).ok_or(TaskDoneError)?;
        if state.unfinished == 0 {
            // Every thread waiting in `join` must wake, not just one.
            self.all_tasks_done.notify_all();
        }
        Ok(())
    }

    /// Wait until every item ever put has been marked done with
    /// `task_done` (Python: `join()`).
    pub fn join(&self) {
        let mut state = self.lock();
        while state.unfinished > 0 {
            state = self
                .all_tasks_done
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
    // ANCHOR_END: task_done

    /// Like [`JoinableQueue::join`], but give up after `timeout`; true if
    /// every item was done (Python's `queue.Queue.join` has no timeout).
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        while state.unfinished > 0 {
            state = match wait_until(&self.all_tasks_done, state, deadline) {
                Some(state) => state,
                None => return false,
            };
        }
        true
    }

    /// Items put and not yet marked done, at this moment (Python: the
    /// attribute `unfinished_tasks`).
    pub fn unfinished_tasks(&self) -> usize {
        self.lock().unfinished
    }

    /// Items in the queue at this moment (Python: `qsize()`). Another
    /// thread may change it right after you look.
    pub fn qsize(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether the queue is empty at this moment (Python: `empty()`).
    pub fn empty(&self) -> bool {
        self.lock().items.is_empty()
    }

    /// Whether the queue is full at this moment (Python: `full()`); never
    /// true for an unbounded queue.
    pub fn full(&self) -> bool {
        let state = self.lock();
        self.is_full(&state)
    }

    /// The limit given at creation; 0 means none (Python: `maxsize`).
    pub fn maxsize(&self) -> usize {
        self.maxsize
    }
}

/// Wait on `condvar` until notified or `deadline` passes. `None` when the
/// deadline has passed (the caller then gives up); a deadline of `None`
/// (a timeout too long to represent) waits without limit. Callers look at
/// the queue again before giving up, so a wake-up that comes with the
/// timeout is never lost.
fn wait_until<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, State<T>>,
    deadline: Option<Instant>,
) -> Option<MutexGuard<'a, State<T>>> {
    let Some(deadline) = deadline else {
        return Some(condvar.wait(guard).unwrap_or_else(PoisonError::into_inner));
    };
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return None;
    }
    let (guard, _timed_out) = condvar
        .wait_timeout(guard, left)
        .unwrap_or_else(PoisonError::into_inner);
    Some(guard)
}

impl<T> Default for JoinableQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("JoinableQueue")
            .field("maxsize", &self.maxsize)
            .field("qsize", &state.items.len())
            .field("unfinished_tasks", &state.unfinished)
            .finish()
    }
}

#[cfg(all(test, loom))]
mod loom_tests;
