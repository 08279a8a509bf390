//! # Washing Up
//!
//! The small toolkit that the book *Washing Up: processes, queues, threads
//! and locks in Rust* builds, chapter by chapter. Each type mirrors a piece
//! of Python's `multiprocessing` or `threading` module and says so in its
//! documentation.

pub mod process;
pub use process::{Process, ProcessError};
pub mod queue;
pub use queue::{JoinableQueue, Queue, SimpleQueue};
