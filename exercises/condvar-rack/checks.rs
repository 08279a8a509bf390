//! Checks for "A rack from a Mutex and a Condvar". Threads meet through the
//! rack itself and channels; nothing waits for luck. Whether a thread is
//! blocked (not spinning, not sleeping) and how much CPU it used come from
//! /proc.

mod support;
use support::{current_tid, is_waiting, kernel_names_waits, thread_cpu_time, wait_until};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use exercise::{Rack, TooManyTaskDone};

fn assert_sync<T: Sync>() {}

#[test]
fn items_come_out_first_in_first_out() {
    let _verdict = support::Verdict::on_return();
    assert_sync::<Rack<String>>();
    let rack = Rack::new();
    for dish in ["salad", "bread", "entree"] {
        rack.put(dish.to_string());
    }
    let out: Vec<String> = (0..3).map(|_| rack.get()).collect();
    assert_eq!(out, ["salad", "bread", "entree"]);
}

#[test]
fn get_waits_for_a_put_from_another_thread() {
    let _verdict = support::Verdict::on_return();
    let rack = Arc::new(Rack::new());
    let (started, is_started) = crossbeam_channel::bounded(0);
    let dryer = {
        let rack = rack.clone();
        thread::spawn(move || {
            started.send(()).expect("test is listening");
            rack.get()
        })
    };
    is_started.recv().expect("dryer started");
    // The dryer is in (or about to be in) get on an empty rack. Only this
    // put can end its wait; the check's time limit catches a lost wake-up.
    rack.put("soup".to_string());
    assert_eq!(dryer.join().expect("dryer"), "soup");
}

#[test]
fn join_waits_until_every_item_is_done() {
    let _verdict = support::Verdict::on_return();
    let rack = Arc::new(Rack::new());
    let done = Arc::new(AtomicUsize::new(0));
    for i in 0..50 {
        rack.put(i);
    }
    let dryers: Vec<_> = (0..3)
        .map(|_| {
            let (rack, done) = (rack.clone(), done.clone());
            thread::spawn(move || {
                loop {
                    let item = rack.get();
                    if item < 0 {
                        return;
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                    rack.task_done().expect("one task_done per get");
                }
            })
        })
        .collect();
    rack.join();
    assert_eq!(
        done.load(Ordering::SeqCst),
        50,
        "join returned before every task_done"
    );
    for _ in 0..3 {
        rack.put(-1);
    }
    for dryer in dryers {
        dryer.join().expect("dryer");
    }
}

#[test]
fn too_many_task_done_is_an_error() {
    let _verdict = support::Verdict::on_return();
    let rack = Rack::new();
    assert_eq!(rack.task_done(), Err(TooManyTaskDone));
    rack.put(1);
    let _ = rack.get();
    assert_eq!(rack.task_done(), Ok(()));
    assert_eq!(rack.task_done(), Err(TooManyTaskDone));
    rack.join(); // nothing unfinished: returns at once
}

#[test]
fn many_washers_and_dryers_lose_nothing() {
    let _verdict = support::Verdict::on_return();
    const WASHERS: usize = 4;
    const EACH: usize = 5_000;
    let rack = Arc::new(Rack::new());
    let (report, reports) = crossbeam_channel::unbounded();
    let dryers: Vec<_> = (0..4)
        .map(|_| {
            let (rack, report) = (rack.clone(), report.clone());
            thread::spawn(move || {
                loop {
                    let item: usize = rack.get();
                    if item == usize::MAX {
                        return;
                    }
                    report.send(item).expect("test is listening");
                    rack.task_done().expect("one task_done per get");
                }
            })
        })
        .collect();
    let washers: Vec<_> = (0..WASHERS)
        .map(|w| {
            let rack = rack.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    rack.put(w * EACH + i);
                }
            })
        })
        .collect();
    for washer in washers {
        washer.join().expect("washer");
    }
    rack.join();
    for _ in 0..4 {
        rack.put(usize::MAX);
    }
    for dryer in dryers {
        dryer.join().expect("dryer");
    }
    drop(report);
    let mut all: Vec<usize> = reports.iter().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..WASHERS * EACH).collect::<Vec<_>>(),
        "an item was lost or doubled"
    );
}

#[test]
fn a_waiting_get_uses_no_cpu() {
    let _verdict = support::Verdict::on_return();
    kernel_names_waits();
    let rack = Arc::new(Rack::<String>::new());
    let (tid, the_tid) = crossbeam_channel::bounded(1);
    let getter = {
        let rack = rack.clone();
        thread::spawn(move || {
            tid.send(current_tid()).expect("test is listening");
            rack.get()
        })
    };
    let tid = the_tid.recv().expect("the getter's thread id");
    // A get that waits on a Condvar blocks at once; one that spins or
    // sleeps in a loop never does. Either way, after this it is in get.
    let blocked = wait_until(Duration::from_secs(2), || is_waiting(tid));
    // Measure the getter's CPU time over half a second with the rack empty
    // (a fixed window: this measures, it does not synchronise).
    let before = thread_cpu_time(tid);
    let started = Instant::now();
    thread::sleep(Duration::from_millis(500));
    let used = thread_cpu_time(tid).saturating_sub(before);
    let window = started.elapsed();
    // The rack was empty all along: get can only return what comes now.
    rack.put("soup".to_string());
    assert_eq!(
        getter.join().expect("the getter panicked"),
        "soup",
        "get returned something that was never put"
    );
    assert!(
        used < window / 5,
        "get used {} ms of CPU in {} ms waiting on an empty rack: it spins instead of waiting on a Condvar",
        used.as_millis(),
        window.as_millis()
    );
    assert!(
        blocked,
        "get on an empty rack never blocked: it should wait on a Condvar (not spin, not sleep in a loop)"
    );
}

#[test]
fn two_joins_both_wake_when_the_last_task_is_done() {
    let _verdict = support::Verdict::on_return();
    kernel_names_waits();
    let rack = Arc::new(Rack::new());
    for round in 0..3 {
        rack.put(round);
        let _ = rack.get();
        let (tids, the_tids) = crossbeam_channel::unbounded();
        let (returned, came_back) = crossbeam_channel::unbounded();
        for _ in 0..2 {
            let (rack, tids, returned) = (rack.clone(), tids.clone(), returned.clone());
            thread::spawn(move || {
                tids.send(current_tid()).expect("test is listening");
                rack.join();
                let _ = returned.send(());
            });
        }
        let joiners: Vec<i32> = (0..2)
            .map(|_| the_tids.recv().expect("a joiner's thread id"))
            .collect();
        // Both are blocked in join: the item is not done yet.
        let both = wait_until(Duration::from_secs(5), || {
            joiners.iter().all(|&tid| is_waiting(tid))
        });
        assert!(
            both,
            "two threads in join on an unfinished item should both block (wait on a Condvar)"
        );
        assert!(
            came_back.is_empty(),
            "join returned while an item was not done"
        );
        rack.task_done().expect("one task_done for the one item");
        for woke in 0..2 {
            // Either wakes in microseconds; 5 s only turns "never" into a clear failure.
            assert!(
                came_back.recv_timeout(Duration::from_secs(5)).is_ok(),
                "{woke} of the 2 threads in join woke up when the last task was done: \
                 task_done must wake every waiter (notify_all), not one"
            );
        }
    }
}
