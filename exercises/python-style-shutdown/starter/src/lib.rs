//! Exercise: Python's shutdown, in Rust (chapter "Daemon threads").

/// Helper threads, some of which (the non-daemon ones) `shutdown` waits for.
pub struct Kitchen {
    // What do you need to remember about the threads you start?
}

impl Kitchen {
    /// A kitchen with no helpers yet.
    pub fn new() -> Kitchen {
        Kitchen {}
    }

    /// Starts `work` on a new thread; `shutdown` waits for it unless `daemon`.
    pub fn spawn(&mut self, daemon: bool, work: impl FnOnce() + Send + 'static) {
        let _ = (daemon, work);
        todo!("start a thread")
    }

    /// Waits for every non-daemon thread; returns how many it waited for.
    pub fn shutdown(self) -> usize {
        todo!("wait for the non-daemon threads")
    }
}

impl Default for Kitchen {
    fn default() -> Self {
        Kitchen::new()
    }
}
