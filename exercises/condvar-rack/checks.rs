//! Checks for "A rack from a Mutex and a Condvar". Threads meet through the
//! rack itself and channels; nothing waits for luck.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use exercise::{Rack, TooManyTaskDone};

fn assert_sync<T: Sync>() {}

#[test]
fn items_come_out_first_in_first_out() {
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
