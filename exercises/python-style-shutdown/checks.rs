//! Checks for "Python's shutdown, in Rust". Threads are synchronised with
//! channels, flags and the state of the thread in `shutdown`: nothing here
//! waits for luck.

mod support;
use support::{current_tid, is_waiting, kernel_names_waits, wait_until};

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use exercise::Kitchen;

/// How the checks see the thread that calls `shutdown`.
struct Caller {
    tid: i32,
    /// Set just before `shutdown` is called.
    calling: AtomicBool,
    /// Set by the check once it has looked at what finished in time.
    returned: AtomicBool,
    /// Set when a worker waited 5 s and `shutdown` had neither returned
    /// nor blocked.
    gave_up: AtomicBool,
}

impl Caller {
    fn new() -> Arc<Caller> {
        kernel_names_waits(); // tried here, not in a worker
        Arc::new(Caller {
            tid: current_tid(),
            calling: AtomicBool::new(false),
            returned: AtomicBool::new(false),
            gave_up: AtomicBool::new(false),
        })
    }

    /// Waits until `shutdown` is blocked waiting (as in `join`) or has
    /// returned. A `shutdown` that does not wait returns first, so whatever
    /// comes after this in a worker happens after it returned: every time,
    /// not by luck.
    fn wait_for_shutdown_to_wait(&self) {
        let ok = wait_until(Duration::from_secs(5), || {
            self.returned.load(Ordering::SeqCst)
                || (self.calling.load(Ordering::SeqCst) && is_waiting(self.tid))
        });
        if !ok {
            self.gave_up.store(true, Ordering::SeqCst);
        }
    }

    /// Calls `shutdown`, and `look` as soon as it returns.
    fn shutdown<T>(&self, kitchen: Kitchen, look: impl FnOnce() -> T) -> (usize, T) {
        self.calling.store(true, Ordering::SeqCst);
        let waited = kitchen.shutdown();
        let seen = look();
        self.returned.store(true, Ordering::SeqCst);
        assert!(
            !self.gave_up.load(Ordering::SeqCst),
            "shutdown neither returned nor blocked waiting for the threads within 5 s: \
             does it spin or sleep instead of joining?"
        );
        (waited, seen)
    }
}

#[test]
fn shutdown_waits_for_every_non_daemon_thread() {
    let _verdict = support::Verdict::on_return();
    let caller = Caller::new();
    let done = Arc::new(AtomicUsize::new(0));
    let mut kitchen = Kitchen::new();
    for _ in 0..3 {
        let (done, caller) = (done.clone(), caller.clone());
        // Each worker finishes only once shutdown waits for it (or returned).
        kitchen.spawn(false, move || {
            caller.wait_for_shutdown_to_wait();
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let (_, finished) = caller.shutdown(kitchen, || done.load(Ordering::SeqCst));
    assert_eq!(
        finished, 3,
        "shutdown returned before every non-daemon thread had finished"
    );
}

#[test]
fn shutdown_does_not_wait_for_daemon_threads() {
    let _verdict = support::Verdict::on_return();
    let (_keep_open, never) = crossbeam_channel::bounded::<()>(0);
    let mut kitchen = Kitchen::new();
    // This daemon waits for a message that never comes.
    kitchen.spawn(true, move || {
        let _ = never.recv();
    });
    // The check's time limit turns a shutdown that waits for it into a failure.
    kitchen.shutdown();
}

#[test]
fn shutdown_counts_the_threads_it_waited_for() {
    let _verdict = support::Verdict::on_return();
    let (_keep_open, never) = crossbeam_channel::bounded::<()>(0);
    let mut kitchen = Kitchen::new();
    for _ in 0..4 {
        kitchen.spawn(false, || {});
    }
    for _ in 0..2 {
        let never = never.clone();
        kitchen.spawn(true, move || {
            let _ = never.recv();
        });
    }
    assert_eq!(kitchen.shutdown(), 4);
    assert_eq!(Kitchen::new().shutdown(), 0);
}

/// Set in a worker thread: dropped when the thread ends, after its work
/// returned. It counts the end only once `shutdown` waits (as `join` waits
/// for the thread to end) or has returned.
struct EndOfThread {
    caller: Arc<Caller>,
    ended: Arc<AtomicUsize>,
}

impl Drop for EndOfThread {
    fn drop(&mut self) {
        self.caller.wait_for_shutdown_to_wait();
        self.ended.fetch_add(1, Ordering::SeqCst);
    }
}

thread_local! {
    static END: RefCell<Option<EndOfThread>> = const { RefCell::new(None) };
}

#[test]
fn no_non_daemon_thread_is_left_running() {
    let _verdict = support::Verdict::on_return();
    let caller = Caller::new();
    let ended = Arc::new(AtomicUsize::new(0));
    let mut kitchen = Kitchen::new();
    for _ in 0..5 {
        let (caller, ended) = (caller.clone(), ended.clone());
        kitchen.spawn(false, move || {
            END.with(|end| *end.borrow_mut() = Some(EndOfThread { caller, ended }));
        });
    }
    let (_, ended) = caller.shutdown(kitchen, || ended.load(Ordering::SeqCst));
    let left = 5 - ended.min(5);
    assert_eq!(
        left, 0,
        "{left} non-daemon thread(s) still running after shutdown returned: \
         waiting for their work to finish is not enough, join them"
    );
}
