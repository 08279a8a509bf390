//! # Washing Up
//!
//! The small toolkit that the book *Washing Up: processes, queues, threads
//! and locks in Rust* builds, chapter by chapter. Each type mirrors a piece
//! of Python's `multiprocessing` or `threading` module and says so in its
//! documentation.
//!
//! | Module | Python | Chapter |
//! | --- | --- | --- |
//! | [`process`] | `multiprocessing.Process`, `current_process()` | Processes, Daemon processes |
//! | [`queue`] | `multiprocessing.Queue`, `JoinableQueue`, `SimpleQueue` | The dish rack, Washing dishes, When the washer is faster |
//! | [`thread`] | `threading.Thread` (names, `join(timeout)`) | Threads, Daemon threads |
//! | [`sync`] | `queue.Queue` built from `threading.Lock` and `Condition` | Locks |
//! | [`neighbour`] | `subprocess.run(...)`, a blocking wait for another process's answer | Threads, Threads or processes? |
//! | [`cli`] | — (the examples' shared flags: `--dishes N`, `--names a,b,c`; quiet under `head`) | every chapter |
//! | [`timeline`] | — (records and draws a run's timeline as SVG) | Washing dishes |

#![warn(missing_docs)]

pub mod cli;
pub mod neighbour;
pub mod process;
pub mod queue;
pub mod sync;
pub mod thread;
pub mod timeline;

pub use process::{Process, ProcessError};
pub use queue::{JoinableQueue, Queue, SimpleQueue};
