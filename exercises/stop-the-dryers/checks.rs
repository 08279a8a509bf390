//! Checks for "Stop the dryers cleanly". Each test is one requirement.
//!
//! The dryers handed to `dry_all` are the checks' own closures: they record
//! which dish they dried on which thread, and some of them synchronise (a
//! gate all dryers must reach, a guard that sees when a dryer's thread is
//! done). Nothing here waits for luck.

mod support;
use support::{current_tid, is_waiting_on, my_exit_address, wait_until};

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use exercise::dry_all;

fn dishes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("dish-{i:04}")).collect()
}

/// What the checks' dryers saw: one entry per call, in the order of the calls.
#[derive(Default)]
struct Seen {
    /// (dryer, thread it ran on, dish).
    calls: Mutex<Vec<(usize, ThreadId, String)>>,
    /// When set, every dryer's first call waits here until this many
    /// threads are drying at the same time.
    gate: Option<Gate>,
    /// How many dryers were dropped (their thread let go of them).
    ended: AtomicUsize,
    /// Set by the check right after it looked at `ended`.
    returned: AtomicBool,
}

struct Gate {
    needed: usize,
    inside: Mutex<(HashSet<ThreadId>, bool)>, // (threads drying now, open)
    opened: Condvar,
    /// The most threads that were ever drying at once, if the gate gave up.
    gave_up_at: Mutex<Option<usize>>,
}

impl Gate {
    fn new(needed: usize) -> Gate {
        Gate {
            needed,
            inside: Mutex::new((HashSet::new(), false)),
            opened: Condvar::new(),
            gave_up_at: Mutex::new(None),
        }
    }

    /// Waits until `needed` different threads are in here at the same time
    /// (at most 5 s: then it opens anyway, and the check fails).
    fn pass(&self) {
        let mut inside = self.inside.lock().unwrap();
        if inside.1 {
            return;
        }
        inside.0.insert(thread::current().id());
        if inside.0.len() >= self.needed {
            inside.1 = true;
            self.opened.notify_all();
            return;
        }
        let (mut inside, timeout) = self
            .opened
            .wait_timeout_while(inside, Duration::from_secs(5), |i| !i.1)
            .unwrap();
        if timeout.timed_out() && !inside.1 {
            *self.gave_up_at.lock().unwrap() = Some(inside.0.len());
            inside.1 = true;
            self.opened.notify_all();
        }
    }
}

/// Held by each dryer. When the dryer is dropped on a thread of its own,
/// that thread's *end* is counted in `ended` (by a thread-local value
/// whose destructor runs when the thread exits, after its closure has
/// returned): at once if the caller of `dry_all` is joining this very
/// thread then (blocked on the address the kernel clears when the thread
/// ends, as `JoinHandle::join` is, also inside `std::thread::scope`), or
/// else after 2 s or once `dry_all` returned, whichever comes first. So a
/// dryer thread that `dry_all` does not join, such as one that hands its
/// dishes back over a channel (before or after dropping its dryer), is
/// counted too late, whatever the timing.
struct EndGuard {
    seen: Arc<Seen>,
    caller: ThreadId,
    caller_tid: i32,
}

/// The end of a dryer's thread: counted when the thread exits.
struct ThreadEnd {
    seen: Arc<Seen>,
    caller_tid: i32,
}

thread_local! {
    static THREAD_ENDS: std::cell::RefCell<Vec<ThreadEnd>> = const {
        std::cell::RefCell::new(Vec::new())
    };
}

impl Drop for ThreadEnd {
    fn drop(&mut self) {
        let seen = &self.seen;
        let exit = my_exit_address();
        wait_until(Duration::from_secs(2), || {
            seen.returned.load(Ordering::SeqCst)
                || exit.is_some_and(|at| is_waiting_on(self.caller_tid, at))
        });
        seen.ended.fetch_add(1, Ordering::SeqCst);
    }
}

impl Drop for EndGuard {
    fn drop(&mut self) {
        if thread::current().id() == self.caller {
            // Dropped by the caller itself: nothing runs on for it.
            self.seen.ended.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let end = ThreadEnd {
            seen: self.seen.clone(),
            caller_tid: self.caller_tid,
        };
        // The thread-local's destructor runs when this thread exits.
        let _ = THREAD_ENDS.try_with(|ends| ends.borrow_mut().push(end));
    }
}

struct Run {
    stack: Vec<String>,
    lists: Vec<Vec<String>>,
    seen: Arc<Seen>,
    caller: ThreadId,
    /// How many dryers had ended when `dry_all` returned.
    ended_on_return: usize,
}

impl Run {
    fn calls(&self) -> Vec<(usize, ThreadId, String)> {
        self.seen.calls.lock().unwrap().clone()
    }

    /// The dishes dryer `k` was called with, in order.
    fn dried_by(&self, k: usize) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|(dryer, _, _)| *dryer == k)
            .map(|(_, _, dish)| dish)
            .collect()
    }
}

fn run_with(n: usize, dryers: usize, gate: Option<Gate>) -> Run {
    let stack = dishes(n);
    let refs: Vec<&str> = stack.iter().map(String::as_str).collect();
    let seen = Arc::new(Seen {
        gate,
        ..Seen::default()
    });
    let caller = thread::current().id();
    let caller_tid = current_tid();
    let team: Vec<_> = (0..dryers)
        .map(|k| {
            let seen = seen.clone();
            let guard = EndGuard {
                seen: seen.clone(),
                caller,
                caller_tid,
            };
            move |dish: &str| {
                let _hold = &guard;
                if let Some(gate) = &seen.gate {
                    gate.pass();
                }
                seen.calls
                    .lock()
                    .unwrap()
                    .push((k, thread::current().id(), dish.to_string()));
            }
        })
        .collect();
    let lists = dry_all(&refs, team);
    let ended_on_return = seen.ended.load(Ordering::SeqCst);
    seen.returned.store(true, Ordering::SeqCst);
    Run {
        stack,
        lists,
        seen,
        caller,
        ended_on_return,
    }
}

fn run(n: usize, dryers: usize) -> Run {
    run_with(n, dryers, None)
}

#[test]
fn every_dish_is_dried_exactly_once() {
    let _verdict = support::Verdict::on_return();
    let run = run(200, 3);
    let mut dried: Vec<String> = run.calls().into_iter().map(|(_, _, d)| d).collect();
    dried.sort();
    assert_eq!(
        dried.len(),
        run.stack.len(),
        "{} dishes washed, but the dryers were called {} times",
        run.stack.len(),
        dried.len()
    );
    assert_eq!(dried, run.stack, "some dish was dried twice or never");
    let mut returned: Vec<String> = run.lists.into_iter().flatten().collect();
    returned.sort();
    assert_eq!(
        returned, run.stack,
        "the lists returned do not hold every dish exactly once"
    );
}

#[test]
fn there_is_one_list_per_dryer() {
    let _verdict = support::Verdict::on_return();
    for dryers in [1, 2, 5] {
        let run = run(10 * dryers, dryers);
        assert_eq!(
            run.lists.len(),
            dryers,
            "asked for {dryers} dryers, got {} lists",
            run.lists.len()
        );
        for (k, list) in run.lists.iter().enumerate() {
            let dried = run.dried_by(k);
            assert_eq!(
                list, &dried,
                "list {k} should be what dryer {k} dried, in order: it dried {dried:?}, the list says {list:?}"
            );
        }
    }
}

#[test]
fn each_dryer_dries_in_washing_order() {
    let _verdict = support::Verdict::on_return();
    let run = run(500, 4);
    for k in 0..4 {
        let dried = run.dried_by(k);
        let mut sorted = dried.clone();
        sorted.sort();
        assert_eq!(dried, sorted, "dryer {k} dried out of washing order");
    }
    for (k, list) in run.lists.iter().enumerate() {
        let mut sorted = list.clone();
        sorted.sort();
        assert_eq!(list, &sorted, "list {k} is out of washing order");
    }
}

#[test]
fn it_returns_when_the_washer_is_done() {
    let _verdict = support::Verdict::on_return();
    // The time limit of the check turns a dryer waiting forever into a failure.
    let run = run(3, 2);
    assert_eq!(run.lists.iter().map(Vec::len).sum::<usize>(), 3);
    let run = run_with(0, 2, None);
    assert!(
        run.lists.iter().all(Vec::is_empty),
        "no dishes, nothing dried"
    );
}

#[test]
fn no_dryer_is_left_running() {
    let _verdict = support::Verdict::on_return();
    let run = run(50, 4);
    let running = 4 - run.ended_on_return.min(4);
    assert_eq!(
        running, 0,
        "dry_all returned while {running} dryer thread(s) were still running (they still held their dryer): join every dryer before returning"
    );
}

#[test]
fn many_dryers_dry_at_once_on_their_own_threads() {
    let _verdict = support::Verdict::on_return();
    const DRYERS: usize = 8;
    let run = run_with(20_000, DRYERS, Some(Gate::new(DRYERS)));
    let gave_up = *run.seen.gate.as_ref().unwrap().gave_up_at.lock().unwrap();
    if let Some(most) = gave_up {
        panic!(
            "{DRYERS} dryers should be drying at the same time, on {DRYERS} threads, but only {most} thread(s) were"
        );
    }
    let calls = run.calls();
    let mut thread_of: Vec<HashSet<ThreadId>> = vec![HashSet::new(); DRYERS];
    for (k, thread, _) in &calls {
        assert_ne!(
            *thread, run.caller,
            "dryer {k} dried a dish on the thread that called dry_all"
        );
        thread_of[*k].insert(*thread);
    }
    for (k, threads) in thread_of.iter().enumerate() {
        assert_eq!(
            threads.len(),
            1,
            "dryer {k} should dry on one thread of its own; it dried on {}",
            threads.len()
        );
    }
    let all: HashSet<ThreadId> = thread_of.iter().flatten().copied().collect();
    assert_eq!(
        all.len(),
        DRYERS,
        "{DRYERS} dryers should run on {DRYERS} threads, one each; they ran on {}",
        all.len()
    );
    assert_eq!(calls.len(), run.stack.len(), "every dish dried once");
    assert_eq!(run.lists.len(), DRYERS);
    assert_eq!(
        run.lists.iter().map(Vec::len).sum::<usize>(),
        run.stack.len()
    );
}
