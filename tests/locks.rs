//! The claims of the Locks chapter, checked: the examples `locks`,
//! `deadlock` and `locks-rack` over many runs, and every method of
//! `washup::sync::JoinableQueue`.
//!
//! No test sleeps to let another thread catch up. Threads are synchronised
//! with channels and barriers; every wait that could hang has an upper
//! bound (`LIMIT`) that turns a hang into a failure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use washup::sync::{Empty, Full, JoinableQueue, TaskDoneError};
use washup::thread::native_id;
use washup_tests::{Finished, run_example};

/// Upper bound for anything a test waits for.
const LIMIT: Duration = Duration::from_secs(30);

/// How late a timed-out call may return and still pass. Generous: the
/// machine may be busy; what matters is that the call does return.
const LATE: Duration = Duration::from_secs(2);

fn ok(finished: &Finished) -> &str {
    assert_eq!(finished.code, Some(0), "{}", finished.shown());
    &finished.output
}

/// `(counted, expected)` from a tally run of the `locks` example.
fn tally(show: &str) -> (usize, usize) {
    let finished = run_example("locks", &["--show", show]);
    let output = ok(&finished);
    let line = output
        .lines()
        .find(|line| line.starts_with("The tally says "))
        .unwrap_or_else(|| panic!("no tally line in:\n{output}"));
    let numbers: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().expect("a number"))
        .collect();
    let [counted, expected] = numbers[..] else {
        panic!("unexpected tally line: {line}");
    };
    if counted < expected {
        let lost = format!("Lost updates: {} dishes", expected - counted);
        assert!(output.contains(&lost), "{output}");
    } else {
        assert!(!output.contains("Lost updates"), "{output}");
    }
    (counted, expected)
}

#[test]
fn the_mutex_tally_is_exact_every_time() {
    for _ in 0..30 {
        let (counted, expected) = tally("mutex");
        assert_eq!(counted, expected);
        assert_eq!(expected, 4 * 100_000, "the page's defaults");
    }
}

#[test]
fn the_fetch_add_tally_is_exact_every_time() {
    for _ in 0..30 {
        let (counted, expected) = tally("fetch-add");
        assert_eq!(counted, expected);
    }
}

/// The racy tally varies, so the test checks only what is always true:
/// lost updates can make it smaller, never larger.
#[test]
fn the_load_store_tally_never_counts_too_many() {
    for _ in 0..30 {
        let (counted, expected) = tally("load-store");
        assert!(counted <= expected, "{counted} > {expected}");
        assert!(counted > 0);
    }
}

#[test]
fn the_forced_race_loses_a_dish_every_time() {
    for _ in 0..100 {
        let finished = run_example("locks", &["--show", "forced-race"]);
        let output = ok(&finished);
        assert_eq!(
            output
                .lines()
                .filter(|l| l.ends_with("read 0 and wrote 1"))
                .count(),
            2,
            "{output}"
        );
        assert!(
            output.ends_with("2 dishes dried; the tally says 1\n"),
            "{output}"
        );
    }
}

#[test]
fn a_panic_while_holding_the_lock_poisons_it_and_the_count_survives() {
    let finished = run_example("locks", &["--show", "poison"]);
    let output = ok(&finished);
    assert!(
        output.contains("dryer 1 panicked: dropped the salad dish"),
        "{output}"
    );
    assert!(
        output.contains("join() says dryer 1 panicked: true"),
        "{output}"
    );
    assert!(output.contains("the tally is poisoned"), "{output}");
    assert!(
        output.contains("the count inside is still there: 1"),
        "{output}"
    );
}

#[test]
fn readers_share_a_rwlock_and_keep_the_writer_out() {
    for _ in 0..30 {
        let finished = run_example("locks", &["--show", "rwlock"]);
        let output = ok(&finished);
        assert!(
            output.contains("the washer may not write while they read"),
            "{output}"
        );
        assert!(
            output.contains(r#"["salad", "bread", "entree"]"#),
            "{output}"
        );
    }
}

#[test]
fn opposite_lock_orders_deadlock_every_time_and_try_lock_reports_it() {
    for _ in 0..100 {
        let finished = run_example("deadlock", &[]);
        let output = ok(&finished);
        assert!(output.contains("dryer 1: holds the towel, reaches for the rack: taken"));
        assert!(output.contains("dryer 2: holds the rack, reaches for the towel: taken"));
        assert!(output.contains("Deadlock!"), "{output}");
    }
}

#[test]
fn opposite_lock_orders_with_lock_hang_and_the_watchdog_says_so() {
    for _ in 0..3 {
        let finished = run_example("deadlock", &["--reach", "lock"]);
        assert_eq!(finished.code, Some(1), "{}", finished.shown());
        assert!(finished.output.contains("no dryer finished within 1 s"));
        assert!(finished.output.contains("Deadlock!"));
    }
}

/// A hang here would be caught by the harness's 60 s limit per run.
#[test]
fn one_lock_order_never_deadlocks() {
    for _ in 0..100 {
        let finished = run_example("deadlock", &["--order", "same"]);
        let output = ok(&finished);
        assert!(output.contains("no deadlock"), "{output}");
        assert!(!output.contains("Deadlock!"), "{output}");
    }
}

#[test]
fn the_condvar_rack_dries_every_dish_once_before_join_returns() {
    for (dryers, rack) in [("1", "1"), ("2", "2"), ("3", "1"), ("4", "0")] {
        for _ in 0..20 {
            let finished = run_example("locks-rack", &["--dryers", dryers, "--rack", rack]);
            let output = ok(&finished);
            assert!(
                output.contains("join() returned; unfinished tasks: 0"),
                "{output}"
            );
            assert!(
                output.contains("every dish dried exactly once: true"),
                "{output}"
            );
            assert!(
                output.contains(&format!(
                    "{dryers} dryer{} stopped",
                    if dryers == "1" { "" } else { "s" }
                )),
                "{output}"
            );
        }
    }
}

#[test]
fn the_condvar_rack_refuses_zero_dryers() {
    let finished = run_example("locks-rack", &["--dryers", "0"]);
    assert_eq!(finished.code, Some(2), "{}", finished.shown());
}

/// Bad flags get clap's message and exit status 2, never a panic or an
/// abort (too many threads to start) or a near-endless run.
#[test]
fn out_of_range_flags_exit_with_status_2_and_say_why() {
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "locks",
            &["--dryers", "100000", "--dishes", "0"],
            "100000 is not in 1..=64",
        ),
        (
            "locks",
            &["--dishes", "100000000000"],
            "100000000000 is not in 0..=10000000",
        ),
        (
            "locks-rack",
            &["--dryers", "60000"],
            "60000 is not in 1..=64",
        ),
        (
            "deadlock",
            &["--order", "same", "--dishes", "100000000000"],
            "100000000000 is not in 0..=10000000",
        ),
    ];
    for (example, args, says) in cases {
        let finished = run_example(example, args);
        assert_eq!(
            finished.code,
            Some(2),
            "{example} {args:?}:\n{}",
            finished.output
        );
        assert!(
            finished.output.starts_with("error: ") && finished.output.contains(says),
            "{example} {args:?} should say {says:?}:\n{}",
            finished.output
        );
    }
}

// ---- washup::sync::JoinableQueue, in this process ----

#[test]
fn put_and_get_are_first_in_first_out() {
    let rack = JoinableQueue::new();
    assert!(rack.empty());
    for dish in ["salad", "bread", "entree"] {
        rack.put(dish);
    }
    assert_eq!(rack.qsize(), 3);
    assert!(!rack.full(), "an unbounded queue is never full");
    assert_eq!(rack.maxsize(), 0);
    assert_eq!(rack.get(), "salad");
    assert_eq!(rack.get_nowait(), Ok("bread"));
    assert_eq!(rack.get_timeout(LIMIT), Ok("entree"));
    assert_eq!(rack.get_nowait(), Err(Empty));
    assert!(rack.empty());
}

#[test]
fn nowait_calls_fail_at_once_and_hand_the_item_back() {
    let rack = JoinableQueue::with_maxsize(1);
    assert_eq!(rack.get_nowait(), Err(Empty));
    assert_eq!(rack.put_nowait("salad"), Ok(()));
    assert!(rack.full());
    let Err(full) = rack.put_nowait("bread") else {
        panic!("a full queue took a second dish");
    };
    assert_eq!(full.to_string(), "the queue is full");
    assert_eq!(full.into_inner(), "bread");
    assert_eq!(rack.qsize(), 1);
    assert_eq!(rack.unfinished_tasks(), 1, "the refused put is not counted");
}

#[test]
fn task_done_too_often_is_an_error() {
    let rack = JoinableQueue::new();
    assert_eq!(rack.task_done(), Err(TaskDoneError));
    rack.put(1);
    rack.put(2);
    assert_eq!(rack.unfinished_tasks(), 2);
    rack.get();
    rack.get();
    assert_eq!(rack.task_done(), Ok(()));
    assert_eq!(rack.task_done(), Ok(()));
    assert_eq!(rack.unfinished_tasks(), 0);
    assert_eq!(rack.task_done(), Err(TaskDoneError));
    assert_eq!(
        rack.unfinished_tasks(),
        0,
        "the failed call changed nothing"
    );
    assert!(rack.join_timeout(Duration::ZERO));
}

#[test]
fn get_timeout_on_an_empty_queue_waits_the_timeout_then_fails() {
    let rack: JoinableQueue<u8> = JoinableQueue::new();
    for timeout in [
        Duration::ZERO,
        Duration::from_millis(50),
        Duration::from_millis(200),
    ] {
        let start = Instant::now();
        assert_eq!(rack.get_timeout(timeout), Err(Empty));
        let took = start.elapsed();
        assert!(took >= timeout, "gave up early: {took:?} < {timeout:?}");
        assert!(took < timeout + LATE, "gave up late: {took:?}");
    }
}

#[test]
fn put_timeout_on_a_full_queue_waits_the_timeout_then_fails() {
    let rack = JoinableQueue::with_maxsize(1);
    rack.put("salad");
    for timeout in [
        Duration::ZERO,
        Duration::from_millis(50),
        Duration::from_millis(200),
    ] {
        let start = Instant::now();
        let refused: Result<(), Full<&str>> = rack.put_timeout("bread", timeout);
        let took = start.elapsed();
        assert_eq!(refused.map_err(Full::into_inner), Err("bread"));
        assert!(took >= timeout, "gave up early: {took:?} < {timeout:?}");
        assert!(took < timeout + LATE, "gave up late: {took:?}");
    }
    // A timeout too long to represent means "no limit", like put().
    assert_eq!(rack.get(), "salad");
    assert_eq!(rack.put_timeout("bread", Duration::MAX), Ok(()));
}

#[test]
fn join_timeout_waits_then_reports() {
    let rack = JoinableQueue::new();
    rack.put("salad");
    let start = Instant::now();
    assert!(!rack.join_timeout(Duration::from_millis(100)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100) && took < Duration::from_millis(100) + LATE);
    rack.get();
    rack.task_done().expect("one get, one task_done");
    assert!(rack.join_timeout(Duration::ZERO));
    rack.join(); // returns at once: nothing unfinished
}

/// The scheduler state of thread `tid` of this process, as Linux shows it
/// in `/proc/self/task/TID/stat` (`R` running, `S` asleep, ...), or `None`
/// once the thread has ended.
fn thread_state(tid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    // The state follows the command name, which is in parentheses.
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}

/// Returns once thread `tid` is asleep in the kernel; fails the test if it
/// ends first, or is not asleep within `LIMIT`. The threads below report
/// their tid right before one queue call, so "asleep" means blocked inside
/// that call: the kernel's bookkeeping, not a guess from elapsed time.
fn wait_until_blocked(tid: i32, what: &str) {
    let start = Instant::now();
    loop {
        match thread_state(tid) {
            Some('S') => return,
            None => panic!("{what} ended instead of blocking"),
            Some(_) => {}
        }
        assert!(start.elapsed() < LIMIT, "{what} never blocked");
        thread::yield_now();
    }
}

/// A blocked `get` wakes up for a `put` from another thread, and a blocked
/// `put` wakes up for a `get`.
#[test]
fn blocked_calls_wake_up_for_the_other_side() {
    let rack = Arc::new(JoinableQueue::with_maxsize(1));
    let (at_get, getter_tid) = mpsc::channel();
    let getter = {
        let rack = Arc::clone(&rack);
        thread::spawn(move || {
            at_get.send(native_id()).expect("test listens");
            rack.get_timeout(LIMIT)
        })
    };
    let tid = getter_tid.recv_timeout(LIMIT).expect("getter started");
    wait_until_blocked(tid, "get on an empty rack");
    assert!(rack.empty() && !getter.is_finished());
    rack.put("salad");
    assert_eq!(getter.join().expect("getter"), Ok("salad"));

    rack.put("bread"); // full now
    let (at_put, putter_tid) = mpsc::channel();
    let (put_done, wait_put) = mpsc::channel();
    let putter = {
        let rack = Arc::clone(&rack);
        thread::spawn(move || {
            at_put.send(native_id()).expect("test listens");
            rack.put("entree");
            put_done.send(()).expect("test listens");
        })
    };
    let tid = putter_tid.recv_timeout(LIMIT).expect("putter started");
    wait_until_blocked(tid, "put on a full rack");
    // Blocked in put: it has not returned, and the dish is not on the rack.
    assert_eq!(wait_put.try_recv(), Err(mpsc::TryRecvError::Empty));
    assert!(rack.full() && rack.qsize() == 1, "{rack:?}");
    assert_eq!(rack.get(), "bread");
    wait_put.recv_timeout(LIMIT).expect("putter woke up");
    putter.join().expect("putter");
    assert_eq!(rack.get(), "entree");
}

/// Many washers and dryers, a small rack: nothing lost, nothing twice, and
/// `join` never returns before the last dish is handled.
#[test]
fn join_never_returns_early_and_nothing_is_lost() {
    const WASHERS: usize = 3;
    const DRYERS: usize = 3;
    const EACH: usize = 300;
    for _ in 0..50 {
        let rack = Arc::new(JoinableQueue::with_maxsize(2));
        let handled = Arc::new(AtomicUsize::new(0));
        let (dried, all_dried) = mpsc::channel();
        let dryers: Vec<_> = (0..DRYERS)
            .map(|_| {
                let (rack, handled, dried) =
                    (Arc::clone(&rack), Arc::clone(&handled), dried.clone());
                thread::spawn(move || {
                    while let Some(dish) = rack.get() {
                        dried.send(dish).expect("test listens");
                        handled.fetch_add(1, Ordering::SeqCst);
                        rack.task_done().expect("one task_done per get");
                    }
                })
            })
            .collect();
        drop(dried);
        let start = Arc::new(Barrier::new(WASHERS));
        let washers: Vec<_> = (0..WASHERS)
            .map(|w| {
                let (rack, start) = (Arc::clone(&rack), Arc::clone(&start));
                thread::spawn(move || {
                    start.wait();
                    for i in 0..EACH {
                        rack.put(Some(w * EACH + i));
                    }
                })
            })
            .collect();
        for washer in washers {
            washer.join().expect("washer");
        }
        rack.join();
        assert_eq!(
            handled.load(Ordering::SeqCst),
            WASHERS * EACH,
            "join returned early"
        );
        for _ in 0..DRYERS {
            rack.put(None);
        }
        for dryer in dryers {
            dryer.join().expect("dryer");
        }
        let mut seen: Vec<usize> = all_dried.iter().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..WASHERS * EACH).collect::<Vec<_>>());
    }
}

/// A dryer that panics holding a dish does not poison the queue (its lock
/// is never held while your code runs); its dish stays unfinished, so
/// `join` waits for it, as in Python.
#[test]
fn a_panicking_consumer_leaves_the_queue_usable_and_its_dish_unfinished() {
    let rack = Arc::new(JoinableQueue::new());
    rack.put("salad");
    let dryer = {
        let rack = Arc::clone(&rack);
        thread::spawn(move || {
            let dish = rack.get();
            panic!("dropped the {dish} dish");
        })
    };
    assert!(dryer.join().is_err(), "the dryer panicked");
    rack.put("bread");
    assert_eq!(rack.get_nowait(), Ok("bread"));
    rack.task_done().expect("bread is done");
    assert_eq!(
        rack.unfinished_tasks(),
        1,
        "the salad dish is still unfinished"
    );
    assert!(!rack.join_timeout(Duration::from_millis(50)));
    rack.task_done()
        .expect("someone else finishes the salad dish");
    rack.join();
}

#[test]
fn debug_shows_the_counts() {
    let rack = JoinableQueue::with_maxsize(4);
    rack.put(String::from("salad"));
    assert_eq!(
        format!("{rack:?}"),
        "JoinableQueue { maxsize: 4, qsize: 1, unfinished_tasks: 1 }"
    );
    assert_eq!(format!("{:?}", Full(1)), "Full(..)");
    assert_eq!(Empty.to_string(), "the queue is empty");
    assert!(TaskDoneError.to_string().contains("task_done()"));
    let default: JoinableQueue<u8> = JoinableQueue::default();
    assert_eq!(default.maxsize(), 0);
}
