//! Queues between processes (Python: `multiprocessing.Queue`,
//! `multiprocessing.JoinableQueue`, `multiprocessing.SimpleQueue`).
//!
//! Create the queue **before** you start the processes that use it: a
//! process started with [`Process`](crate::process) (a `fork`) then shares
//! it. A queue handle is also [`Clone`] and can be used from many threads.
//!
//! ```no_run
//! use washup::JoinableQueue;
//!
//! let rack: JoinableQueue<String> = JoinableQueue::new()?;
//! rack.put("salad".to_string())?;
//! let dish = rack.get()?;
//! println!("Drying {dish} dish");
//! rack.task_done()?;
//! rack.join();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How it works inside
//!
//! Python's `multiprocessing.Queue` sends pickled items through a pipe (the
//! kernel carries the bytes), a background *feeder thread* in each producer
//! writes them, a lock keeps readers from interleaving, and a semaphore
//! counts free slots when there is a `maxsize`. `JoinableQueue` adds a
//! shared counter of unfinished tasks and a condition variable that wakes
//! `join()` when it drops to zero.
//!
//! Ours keeps everything in one piece of memory that the processes share:
//!
//! - **What carries the bytes.** `Queue::new` maps an anonymous *shared*
//!   memory region (`mmap(MAP_SHARED | MAP_ANONYMOUS)`). A forked child
//!   sees the same physical pages, so bytes written by one process are read
//!   by another without any system call. The region is a ring buffer:
//!   every item is serialized with `postcard` (serde), then stored as an
//!   8-byte length word followed by its bytes, padded to whole 8-byte
//!   words. The region is 1 GiB of address
//!   space by default but reserves no memory (`MAP_NORESERVE`): pages cost
//!   memory when an item is written into them, and every 1 MiB that has
//!   been read is handed back to the kernel (`madvise(MADV_REMOVE)`). So an
//!   unbounded queue really grows when items pile up, and shrinks again.
//!   Items of any size up to the region's size work (no pipe buffer limit).
//! - **What counts the items.** A header page holds two 64-bit words: the
//!   producers' word (the end of the newest item, with the number of items
//!   ever put) and the consumers' word (the start of the oldest, with the
//!   number ever taken). Items in the queue are puts minus takes;
//!   unfinished tasks are puts minus `task_done` calls (a third counter).
//!   - Producers take turns under a process-shared, *robust* `pthread`
//!     mutex. A `put` copies the item in, then publishes it, and counts
//!     its task, with one store of the producers' word.
//!   - Consumers take no lock. A `get` reads the oldest item, then claims
//!     it with one compare-and-swap of the consumers' word. If another
//!     consumer claimed it first, the swap fails, the copy is thrown away
//!     and the `get` tries the next item.
//!
//!   So a process killed at any instant has either changed nothing or
//!   finished its change. A producer killed holding the lock is repaired by
//!   the next one: it gets `EOWNERDEAD` from the kernel, wakes every
//!   sleeper to look again, and carries on. (A consumer killed between
//!   `get` and `task_done` still leaves its task unfinished, as in Python:
//!   `join_timeout` exists for that.) Each word, the lock and the done
//!   counter sit on cache lines of their own, and the item bytes are only
//!   ever read and written as whole 8-byte atomic words, so a consumer
//!   reading bytes that a producer is reusing reads stale values, never
//!   undefined memory.
//! - **What wakes a blocked caller.** Three wake-up words, like Python's
//!   three conditions (`not_empty`, `not_full`, `all_tasks_done`), each a
//!   Linux *futex*: a sleeper registers, looks once more, then sleeps in
//!   the kernel until the word changes; a `put` bumps `not_empty` and wakes
//!   one sleeper, a `get` bumps `not_full`, the `task_done` that brings the
//!   unfinished count to zero bumps `all_tasks_done` and wakes every `join`.
//!   Waking costs a system call only when someone is asleep, and a caller
//!   that finds the queue empty (or full) first re-checks, less and less
//!   often, for about a tenth of a millisecond before it sleeps, so a
//!   fast producer and consumer rarely enter the kernel. `task_done` and
//!   `join` take no lock at all, and `get` takes the producers' lock only
//!   once per megabyte read, to hand that megabyte back to the kernel
//!   while no producer writes.
//!
//! There is no feeder thread: `put` has written the item into the queue by
//! the time it returns, so there is nothing to flush when a process exits
//! (Python's `join_thread` / `cancel_join_thread` have nothing to do here).
//!
//! # Processes that die
//!
//! - Killed while blocked in `get` or `put`: nothing to repair; the others
//!   carry on. (Its registration as a sleeper stays counted, which only
//!   makes later wake-ups cost a system call.)
//! - Killed while holding the lock (a producer, or a consumer handing a
//!   read megabyte back to the kernel): repaired by the next process to
//!   lock, as above.
//! - Killed in the middle of a `get`: it has not claimed the item, so the
//!   item stays for the others.
//! - Killed between being woken and taking the item: the item stays in the
//!   queue, and every sleeper re-checks at least once a second, so nobody
//!   waits forever for the wake-up the dead process swallowed.
//! - Killed after `get` but before `task_done`: its item is never marked
//!   done, so `join()` would wait forever, exactly as in Python. Use
//!   [`JoinableQueue::join_timeout`], find out which worker died (its exit
//!   code), and call `task_done` for the items it had taken.
//!
//! # Python and Rust side by side
//!
//! | Python                              | Rust                                   |
//! |-------------------------------------|----------------------------------------|
//! | `Queue(maxsize=0)`                  | [`Queue::new`], [`Queue::with_maxsize`] |
//! | `q.put(x)`                          | [`Queue::put`]                          |
//! | `q.put(x, timeout=t)`               | [`Queue::put_timeout`]                  |
//! | `q.put_nowait(x)` / `put(x, False)` | [`Queue::put_nowait`]                   |
//! | `q.get()`                           | [`Queue::get`]                          |
//! | `q.get(timeout=t)`                  | [`Queue::get_timeout`]                  |
//! | `q.get_nowait()` / `get(False)`     | [`Queue::get_nowait`]                   |
//! | `queue.Full` / `queue.Empty`        | [`PutError::Full`] / [`GetError::Empty`] |
//! | `q.qsize()`, `empty()`, `full()`    | same names (snapshots, see below)       |
//! | `q.close()`                         | [`Queue::close`]                        |
//! | `q.task_done()`                     | [`JoinableQueue::task_done`]            |
//! | `ValueError` (too many `task_done`) | [`TaskDoneError`]                       |
//! | `q.join()`                          | [`JoinableQueue::join`]                 |
//!
//! `qsize`, `empty` and `full` are snapshots: by the time you look at the
//! answer, another process may already have changed it. Use them for
//! reports, never to decide whether a `get` will block.

mod raw;

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

thread_local! {
    /// Each thread's buffer for serialized items, reused from call to call.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

pub use raw::{Block, DEFAULT_BUFFER_BYTES, MAX_BUFFER_BYTES, MIN_BUFFER_BYTES, RawQueue};

/// A system call under the queue failed (this should not happen; it means
/// the operating system refused memory or a lock).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op} failed: {}", std::io::Error::from_raw_os_error(*.errno))]
pub struct OsError {
    /// The call that failed, e.g. `"mmap"`.
    pub op: &'static str,
    /// The `errno` it returned.
    pub errno: i32,
}

/// Why a queue could not be made with the data space asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreateError {
    /// More than [`MAX_BUFFER_BYTES`] (2 GiB) was asked for: positions in
    /// the ring are counted in 32 bits. (Python's pipe-based queue has no
    /// such size.)
    #[error("a queue's data space can be at most {max} bytes, not {requested}")]
    BufferTooLarge {
        /// The bytes asked for.
        requested: usize,
        /// The most a queue can have.
        max: usize,
    },
    /// A system call failed.
    #[error(transparent)]
    Os(#[from] OsError),
}

/// Why a `put` failed. Every variant hands the item back
/// ([`PutError::into_inner`]).
pub enum PutError<T> {
    /// The queue is full and the call would not wait (longer) (Python:
    /// `queue.Full`).
    Full(T),
    /// This handle was closed in this process (Python: `ValueError`).
    Closed(T),
    /// The serialized item is larger than the queue's whole data space.
    TooBig {
        /// The item.
        item: T,
        /// Its serialized size in bytes.
        size: usize,
        /// The largest item this queue can hold, in bytes.
        capacity: usize,
    },
    /// The item could not be serialized (Python: `PicklingError`).
    Encode {
        /// The item.
        item: T,
        /// What `postcard` said.
        error: postcard::Error,
    },
    /// A system call failed.
    Os {
        /// The item.
        item: T,
        /// The failure.
        error: OsError,
    },
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(item) | PutError::Closed(item) => item,
            PutError::TooBig { item, .. }
            | PutError::Encode { item, .. }
            | PutError::Os { item, .. } => item,
        }
    }

    fn with<U>(self, item: U) -> PutError<U> {
        match self {
            PutError::Full(_) => PutError::Full(item),
            PutError::Closed(_) => PutError::Closed(item),
            PutError::TooBig { size, capacity, .. } => PutError::TooBig {
                item,
                size,
                capacity,
            },
            PutError::Encode { error, .. } => PutError::Encode { item, error },
            PutError::Os { error, .. } => PutError::Os { item, error },
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("Full(..)"),
            PutError::Closed(_) => f.write_str("Closed(..)"),
            PutError::TooBig { size, capacity, .. } => f
                .debug_struct("TooBig")
                .field("size", size)
                .field("capacity", capacity)
                .finish_non_exhaustive(),
            PutError::Encode { error, .. } => f
                .debug_struct("Encode")
                .field("error", error)
                .finish_non_exhaustive(),
            PutError::Os { error, .. } => f
                .debug_struct("Os")
                .field("error", error)
                .finish_non_exhaustive(),
        }
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PutError::Full(_) => f.write_str("the queue is full"),
            PutError::Closed(_) => f.write_str("the queue is closed in this process"),
            PutError::TooBig { size, capacity, .. } => write!(
                f,
                "an item of {size} bytes does not fit in a queue of {capacity} bytes"
            ),
            PutError::Encode { error, .. } => write!(f, "could not serialize the item: {error}"),
            PutError::Os { error, .. } => error.fmt(f),
        }
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why a `get` failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// The queue stayed empty and the call would not wait (longer) (Python:
    /// `queue.Empty`).
    #[error("the queue is empty")]
    Empty,
    /// This handle was closed in this process (Python: `ValueError`).
    #[error("the queue is closed in this process")]
    Closed,
    /// The bytes taken off the queue are not a valid item of this type
    /// (a producer used another type). The item is gone from the queue.
    #[error("could not deserialize the item: {0}")]
    Decode(postcard::Error),
    /// A system call failed.
    #[error(transparent)]
    Os(#[from] OsError),
}

/// `task_done` was called more times than items were put (Python:
/// `ValueError: task_done() called too many times`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("task_done() called more times than there were items")]
pub struct TaskDoneError;

/// A first-in, first-out queue between processes and threads (Python:
/// `multiprocessing.Queue`). See the [module docs](self) for how it works.
pub struct Queue<T> {
    raw: RawQueue,
    _items: PhantomData<fn(T) -> T>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            raw: self.raw.clone(),
            _items: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("qsize", &self.qsize())
            .field("maxsize", &self.maxsize())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Queue<T> {
    /// An unbounded queue (Python: `Queue()`), with a data space of
    /// [`DEFAULT_BUFFER_BYTES`] (1 GiB of address space, used as needed).
    pub fn new() -> Result<Self, OsError> {
        Self::with_maxsize(0)
    }

    /// A queue that holds at most `maxsize` items (Python:
    /// `Queue(maxsize)`); 0 means no limit.
    pub fn with_maxsize(maxsize: usize) -> Result<Self, OsError> {
        Ok(Self::from_raw(RawQueue::with_capacity(
            maxsize,
            DEFAULT_BUFFER_BYTES,
        )?))
    }

    /// A queue of at most `maxsize` items (0: no limit) whose serialized
    /// items share a data space of `buffer_bytes` bytes, rounded up to the
    /// next power of two and to at least [`MIN_BUFFER_BYTES`] (1 MiB), as
    /// [`RawQueue::new`] does; asking for more than [`MAX_BUFFER_BYTES`]
    /// (2 GiB) is [`CreateError::BufferTooLarge`]. When the items fill the
    /// data space the queue counts as full for the next item that does not
    /// fit.
    pub fn with_buffer(maxsize: usize, buffer_bytes: usize) -> Result<Self, CreateError> {
        Ok(Self::from_raw(RawQueue::new(maxsize, buffer_bytes)?))
    }

    fn from_raw(raw: RawQueue) -> Self {
        Queue {
            raw,
            _items: PhantomData,
        }
    }

    /// Number of items in the queue at this moment (Python: `qsize()`).
    /// A snapshot: other processes may change it right after.
    pub fn qsize(&self) -> usize {
        self.raw.qsize()
    }

    /// Whether the queue is empty at this moment (Python: `empty()`).
    /// A snapshot, like [`Queue::qsize`].
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue holds `maxsize` items at this moment (Python:
    /// `full()`); always false without a `maxsize`. A snapshot. It counts
    /// items only: a queue whose memory region is full refuses the next
    /// item that does not fit even when this says false.
    pub fn full(&self) -> bool {
        self.maxsize() > 0 && self.qsize() >= self.maxsize()
    }

    /// The item limit given at creation; 0 means none (Python: the
    /// `maxsize` argument).
    pub fn maxsize(&self) -> usize {
        self.raw.maxsize()
    }

    /// Bytes the queued items take at this moment (a snapshot; no Python
    /// equivalent). Shows how far an unbounded queue has grown.
    pub fn bytes_used(&self) -> usize {
        self.raw.bytes_used()
    }

    /// Close this queue in this process (Python: `close()`): further `put`
    /// and `get` through any handle of this process fail with `Closed`.
    /// Other processes are not affected, and items already put stay there.
    pub fn close(&self) {
        self.raw.close()
    }

    /// Whether [`Queue::close`] was called in this process.
    pub fn is_closed(&self) -> bool {
        self.raw.is_closed()
    }

    /// The byte layer under this queue.
    pub fn raw(&self) -> &RawQueue {
        &self.raw
    }
}

impl<T: Serialize> Queue<T> {
    fn put_with(&self, item: T, block: Block) -> Result<(), PutError<T>> {
        // Serialize into this thread's scratch buffer (no allocation per
        // item once it has grown), then copy the bytes into the queue.
        let mut bytes = SCRATCH.take();
        bytes.clear();
        match postcard::to_extend(&item, bytes) {
            Ok(bytes) => {
                let result = self.raw.put_bytes(&bytes, block).map_err(|e| e.with(item));
                SCRATCH.set(bytes);
                result
            }
            Err(error) => Err(PutError::Encode { item, error }),
        }
    }

    /// Put an item, waiting for room if the queue is full (Python:
    /// `put(item)`).
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.put_with(item, Block::Forever)
    }

    /// Put an item, waiting at most `timeout` for room; `Full` after that
    /// (Python: `put(item, timeout=t)`).
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.put_with(item, Block::For(timeout))
    }

    /// Put an item only if there is room right now; `Full` otherwise
    /// (Python: `put_nowait(item)`).
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        self.put_with(item, Block::No)
    }
}

impl<T: DeserializeOwned> Queue<T> {
    fn get_with(&self, block: Block) -> Result<T, GetError> {
        let mut bytes = SCRATCH.take();
        let result = self
            .raw
            .get_bytes(&mut bytes, block)
            .and_then(|()| postcard::from_bytes(&bytes).map_err(GetError::Decode));
        SCRATCH.set(bytes);
        result
    }

    /// Take the oldest item, waiting until there is one (Python: `get()`).
    pub fn get(&self) -> Result<T, GetError> {
        self.get_with(Block::Forever)
    }

    /// Take the oldest item, waiting at most `timeout`; `Empty` after that
    /// (Python: `get(timeout=t)`).
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.get_with(Block::For(timeout))
    }

    /// Take the oldest item if there is one right now; `Empty` otherwise
    /// (Python: `get_nowait()`).
    pub fn get_nowait(&self) -> Result<T, GetError> {
        self.get_with(Block::No)
    }
}

/// A [`Queue`] that also counts unfinished tasks (Python:
/// `multiprocessing.JoinableQueue`): every `put` adds one, every
/// [`task_done`](JoinableQueue::task_done) removes one, and
/// [`join`](JoinableQueue::join) waits until none are left.
pub struct JoinableQueue<T> {
    queue: Queue<T>,
}

impl<T> Clone for JoinableQueue<T> {
    fn clone(&self) -> Self {
        JoinableQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for JoinableQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinableQueue")
            .field("qsize", &self.qsize())
            .field("maxsize", &self.maxsize())
            .field("unfinished_tasks", &self.unfinished_tasks())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> JoinableQueue<T> {
    /// An unbounded joinable queue (Python: `JoinableQueue()`).
    pub fn new() -> Result<Self, OsError> {
        Queue::new().map(|queue| JoinableQueue { queue })
    }

    /// A joinable queue of at most `maxsize` items (Python:
    /// `JoinableQueue(maxsize)`); 0 means no limit.
    pub fn with_maxsize(maxsize: usize) -> Result<Self, OsError> {
        Queue::with_maxsize(maxsize).map(|queue| JoinableQueue { queue })
    }

    /// Like [`Queue::with_buffer`].
    pub fn with_buffer(maxsize: usize, buffer_bytes: usize) -> Result<Self, CreateError> {
        Queue::with_buffer(maxsize, buffer_bytes).map(|queue| JoinableQueue { queue })
    }

    /// Say that one item taken with `get` is fully handled (Python:
    /// `task_done()`). Fails with [`TaskDoneError`] if every item put has
    /// already been marked done.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.queue.raw.task_done()
    }

    /// Wait until every item ever put has been marked done (Python:
    /// `join()`). Waits forever if a consumer died holding an item; see
    /// [`JoinableQueue::join_timeout`].
    pub fn join(&self) {
        self.queue.raw.join_for(None);
    }

    /// Like [`JoinableQueue::join`], but give up after `timeout`; true if
    /// every item was done (Python has no such method).
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.queue.raw.join_for(Some(timeout))
    }

    /// Items put and not yet marked done, at this moment (a snapshot; in
    /// Python the hidden `_unfinished_tasks` semaphore).
    pub fn unfinished_tasks(&self) -> usize {
        self.queue.raw.unfinished_tasks()
    }

    /// See [`Queue::qsize`].
    pub fn qsize(&self) -> usize {
        self.queue.qsize()
    }

    /// See [`Queue::empty`].
    pub fn empty(&self) -> bool {
        self.queue.empty()
    }

    /// See [`Queue::full`].
    pub fn full(&self) -> bool {
        self.queue.full()
    }

    /// See [`Queue::maxsize`].
    pub fn maxsize(&self) -> usize {
        self.queue.maxsize()
    }

    /// See [`Queue::bytes_used`].
    pub fn bytes_used(&self) -> usize {
        self.queue.bytes_used()
    }

    /// See [`Queue::close`].
    pub fn close(&self) {
        self.queue.close()
    }

    /// See [`Queue::is_closed`].
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }

    /// The byte layer under this queue.
    pub fn raw(&self) -> &RawQueue {
        self.queue.raw()
    }
}

impl<T: Serialize> JoinableQueue<T> {
    /// See [`Queue::put`]; also counts one more unfinished task.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.queue.put(item)
    }

    /// See [`Queue::put_timeout`].
    pub fn put_timeout(&self, item: T, timeout: Duration) -> Result<(), PutError<T>> {
        self.queue.put_timeout(item, timeout)
    }

    /// See [`Queue::put_nowait`].
    pub fn put_nowait(&self, item: T) -> Result<(), PutError<T>> {
        self.queue.put_nowait(item)
    }
}

impl<T: DeserializeOwned> JoinableQueue<T> {
    /// See [`Queue::get`]; call [`JoinableQueue::task_done`] once the item
    /// is handled.
    pub fn get(&self) -> Result<T, GetError> {
        self.queue.get()
    }

    /// See [`Queue::get_timeout`].
    pub fn get_timeout(&self, timeout: Duration) -> Result<T, GetError> {
        self.queue.get_timeout(timeout)
    }

    /// See [`Queue::get_nowait`].
    pub fn get_nowait(&self) -> Result<T, GetError> {
        self.queue.get_nowait()
    }
}

/// The plainest queue: unbounded, blocking `put` and `get` only (Python:
/// `multiprocessing.SimpleQueue`).
pub struct SimpleQueue<T> {
    queue: Queue<T>,
}

impl<T> Clone for SimpleQueue<T> {
    fn clone(&self) -> Self {
        SimpleQueue {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for SimpleQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimpleQueue")
            .field("empty", &self.empty())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> SimpleQueue<T> {
    /// A new queue (Python: `SimpleQueue()`).
    pub fn new() -> Result<Self, OsError> {
        Queue::new().map(|queue| SimpleQueue { queue })
    }

    /// Whether the queue is empty at this moment (Python: `empty()`); a
    /// snapshot.
    pub fn empty(&self) -> bool {
        self.queue.empty()
    }

    /// See [`Queue::close`].
    pub fn close(&self) {
        self.queue.close()
    }

    /// See [`Queue::is_closed`].
    pub fn is_closed(&self) -> bool {
        self.queue.is_closed()
    }
}

impl<T: Serialize> SimpleQueue<T> {
    /// Put an item (Python: `put(item)`); never waits for room.
    pub fn put(&self, item: T) -> Result<(), PutError<T>> {
        self.queue.put(item)
    }
}

impl<T: DeserializeOwned> SimpleQueue<T> {
    /// Take the oldest item, waiting until there is one (Python: `get()`).
    pub fn get(&self) -> Result<T, GetError> {
        self.queue.get()
    }
}
