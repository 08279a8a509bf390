//! Exercise: Python's shutdown, in Rust (chapter "Daemon threads") — reference solution.

use std::thread::{self, JoinHandle};

/// Helper threads, some of which (the non-daemon ones) `shutdown` waits for.
#[derive(Default)]
pub struct Kitchen {
    non_daemon: Vec<JoinHandle<()>>,
}

impl Kitchen {
    /// A kitchen with no helpers yet.
    pub fn new() -> Kitchen {
        Kitchen::default()
    }

    /// Starts `work` on a new thread; `shutdown` waits for it unless `daemon`.
    pub fn spawn(&mut self, daemon: bool, work: impl FnOnce() + Send + 'static) {
        let handle = thread::spawn(work);
        if !daemon {
            self.non_daemon.push(handle);
        }
        // A daemon's handle is dropped here: the thread is detached.
    }

    /// Waits for every non-daemon thread; returns how many it waited for.
    pub fn shutdown(self) -> usize {
        let count = self.non_daemon.len();
        for handle in self.non_daemon {
            let _ = handle.join();
        }
        count
    }
}
