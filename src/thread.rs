//! Threads: the little that `std::thread` lacks for the lesson.
//!
//! Rust's standard library already has nearly everything Python's
//! `threading` module offers: [`std::thread::spawn`] starts a thread,
//! [`std::thread::Builder`] names it, [`JoinHandle::join`](std::thread::JoinHandle::join)
//! waits for it and hands back its return value, and
//! [`std::thread::scope`] makes every thread started inside it finish before
//! the scope ends. This module adds only two things the lesson needs:
//!
//! - **Join with a timeout.** Python's `thread.join(timeout=1.0)` waits at
//!   most one second. A std [`JoinHandle`](std::thread::JoinHandle) can only
//!   wait forever (it calls `pthread_join`, which has no timeout), or be
//!   polled with `is_finished`. [`Handle::join_timeout`] waits at most a
//!   given time and is woken the moment the thread ends.
//! - **Python's default names.** A thread Python starts without a name is
//!   called `Thread-1`, `Thread-2`, ... in the order they were created.
//!   [`spawn`] does the same; a std thread has no name unless you give one.
//!
//! # How the timeout works, and what it costs
//!
//! [`spawn`] creates a zero-capacity `crossbeam-channel` next to the thread.
//! The thread owns the sending side and never sends anything: it only
//! *drops* the sender when its closure ends, whether by returning or by
//! panicking (unwinding drops it too). Dropping the last sender wakes a
//! receiver blocked in `recv_timeout` with "disconnected", so
//! [`Handle::join_timeout`] is a single `recv_timeout` on the receiving side:
//! no polling, no sleeping, and it wakes as soon as the closure is done.
//! Then the ordinary std `join` collects the return value (it may wait a
//! moment more while the thread runs its thread-local destructors).
//!
//! The price is one small heap allocation per thread (the channel) and one
//! extra wake-up when the thread ends, a few microseconds next to the tens
//! of microseconds that starting a thread costs (see the benchmark
//! `cargo bench -p washup-tests --bench threads`). A `Mutex` + `Condvar` pair
//! would work as well; the channel is shorter because "the other side is
//! gone" is built in.

use std::any::Any;
use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

/// Why joining a thread through a [`Handle`] failed.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The thread's closure panicked (Python: the thread's exception is
    /// printed by `threading.excepthook` and `join` returns normally; Rust
    /// hands the panic to whoever joins).
    #[error("thread {name} panicked: {message}")]
    Panicked {
        /// The thread's name.
        name: String,
        /// The panic message, when it was a string.
        message: String,
    },
    /// The thread was already joined and its result taken (Python allows
    /// joining many times because `join` returns nothing; here the result
    /// can be handed out only once).
    #[error("thread {name} was already joined")]
    AlreadyJoined {
        /// The thread's name.
        name: String,
    },
    /// The thread tried to join itself through its own handle, which would
    /// wait for ever (Python: `RuntimeError: cannot join current thread`).
    /// Checked before any waiting, by [`Handle::join`] and
    /// [`Handle::join_timeout`] alike.
    #[error("thread {name} cannot join itself")]
    JoinsItself {
        /// The thread's name.
        name: String,
    },
}

/// The number the next default name will use (Python numbers threads from 1).
static NEXT_NUMBER: AtomicU64 = AtomicU64::new(1);

/// The next Python-style default thread name: `Thread-1`, `Thread-2`, ...
/// numbered in the order of the calls, across the whole process (Python: the
/// name `threading.Thread()` gives a thread when you pass none).
///
/// Use it with std's builder to get Python's names on plain std threads:
/// `std::thread::Builder::new().name(washup::thread::default_name())`.
pub fn default_name() -> String {
    let number = NEXT_NUMBER.fetch_add(1, Ordering::Relaxed);
    format!("Thread-{number}")
}

/// The operating system's id of the calling thread (Python:
/// `threading.get_native_id()`). On Linux this is the thread's `tid`, the
/// number `ps -L` and `top -H` show; the main thread's tid equals the
/// process id.
pub fn native_id() -> i32 {
    nix::unistd::gettid().as_raw()
}

/// The calling thread's name, or `"<unnamed>"` (Python:
/// `threading.current_thread().name`). Rust names the main thread `main`;
/// Python calls it `MainThread`.
pub fn current_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_string()
}

/// Starts `f` on a new thread named like Python would name it (`Thread-N`,
/// see [`default_name`]) and returns a [`Handle`] that can also join with a
/// timeout (Python: `t = threading.Thread(target=f); t.start()`).
///
/// Fails only when the operating system refuses to create a thread.
pub fn spawn<F, T>(f: F) -> io::Result<Handle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_named(default_name(), f)
}

/// Starts `f` on a new thread called `name` (Python:
/// `threading.Thread(target=f, name=name).start()`). Like Python's, a name
/// is only a label: several threads may share one.
///
/// Fails only when the operating system refuses to create a thread.
pub fn spawn_named<F, T>(name: impl Into<String>, f: F) -> io::Result<Handle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let name = name.into();
    // Zero capacity: nothing is ever sent; only the drop of `done` matters.
    let (done, finished) = crossbeam_channel::bounded::<()>(0);
    let inner = thread::Builder::new().name(name.clone()).spawn(move || {
        // Dropped when this closure ends, by return or by panic.
        let _done: Sender<()> = done;
        f()
    })?;
    Ok(Handle {
        name,
        thread: inner.thread().clone(),
        inner: Some(inner),
        finished,
    })
}

/// A started thread that can be joined with a timeout (Python: a started
/// `threading.Thread`). Made by [`spawn`] or [`spawn_named`].
///
/// Dropping a `Handle` without joining detaches the thread, as with std: it
/// keeps running, and it is stopped with the rest of the process when `main`
/// returns.
pub struct Handle<T> {
    name: String,
    thread: thread::Thread,
    inner: Option<thread::JoinHandle<T>>,
    finished: Receiver<()>,
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("name", &self.name)
            .field("joined", &self.inner.is_none())
            .finish_non_exhaustive()
    }
}

impl<T> Handle<T> {
    /// The thread's name (Python: `thread.name`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The std handle of the thread, e.g. for its [`id`](thread::Thread::id)
    /// or to [`unpark`](thread::Thread::unpark) it (Python has no equivalent
    /// of parking).
    pub fn thread(&self) -> &thread::Thread {
        &self.thread
    }

    /// Whether the thread's closure has ended, by returning or by panicking
    /// (Python: `not thread.is_alive()`). Never blocks.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.finished.try_recv(),
            Err(TryRecvError::Disconnected) | Ok(())
        )
    }

    /// Waits until the thread ends and returns what its closure returned
    /// (Python: `thread.join()`, which returns nothing).
    ///
    /// # Errors
    ///
    /// [`JoinError::Panicked`] if the closure panicked,
    /// [`JoinError::AlreadyJoined`] if a [`join_timeout`](Self::join_timeout)
    /// already took the result, [`JoinError::JoinsItself`] when called on
    /// the thread's own handle (std's `JoinHandle::join` panics there).
    pub fn join(mut self) -> Result<T, JoinError> {
        self.not_itself()?;
        self.take_result()
    }

    /// Waits at most `timeout` for the thread to end (Python:
    /// `thread.join(timeout)` followed by `thread.is_alive()`).
    ///
    /// Returns `Ok(Some(value))` when the thread ended in time, and
    /// `Ok(None)` when it is still running after `timeout`; you may call it
    /// again later. Wakes as soon as the thread ends, without polling.
    ///
    /// # Errors
    ///
    /// [`JoinError::Panicked`] if the closure panicked,
    /// [`JoinError::AlreadyJoined`] if an earlier call already returned the
    /// value, [`JoinError::JoinsItself`] at once (without waiting) when
    /// called on the thread's own handle.
    pub fn join_timeout(&mut self, timeout: Duration) -> Result<Option<T>, JoinError> {
        self.not_itself()?;
        if self.inner.is_none() {
            return Err(JoinError::AlreadyJoined {
                name: self.name.clone(),
            });
        }
        match self.finished.recv_timeout(timeout) {
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) | Ok(()) => self.take_result().map(Some),
        }
    }

    /// Refuses a join from the thread itself: it would wait for its own end.
    fn not_itself(&self) -> Result<(), JoinError> {
        if thread::current().id() == self.thread.id() {
            return Err(JoinError::JoinsItself {
                name: self.name.clone(),
            });
        }
        Ok(())
    }

    fn take_result(&mut self) -> Result<T, JoinError> {
        let Some(inner) = self.inner.take() else {
            return Err(JoinError::AlreadyJoined {
                name: self.name.clone(),
            });
        };
        inner.join().map_err(|payload| JoinError::Panicked {
            name: self.name.clone(),
            message: panic_message(payload.as_ref()),
        })
    }
}

/// The text of a panic payload (`panic!("...")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(a panic value that is not text)".to_string()
    }
}
