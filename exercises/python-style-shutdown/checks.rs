//! Checks for "Python's shutdown, in Rust". Threads are synchronised with
//! channels and barriers: nothing here waits for luck.

mod support;
use support::{threads_left_above, threads_now};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

use exercise::Kitchen;

#[test]
fn shutdown_waits_for_every_non_daemon_thread() {
    let done = Arc::new(AtomicUsize::new(0));
    // The workers can finish only when the towel giver arrives at the
    // barrier too. It arrives a little after `shutdown` has been called: a
    // correct `shutdown` passes whatever the timing (it waits), and the
    // delay makes a `shutdown` that does not wait fail every time, instead
    // of passing when the workers happen to be quick.
    let towel = Arc::new(Barrier::new(4));
    let mut kitchen = Kitchen::new();
    for _ in 0..3 {
        let (done, towel) = (done.clone(), towel.clone());
        kitchen.spawn(false, move || {
            towel.wait();
            done.fetch_add(1, Ordering::SeqCst);
        });
    }
    let towel_giver = {
        let towel = towel.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            towel.wait();
        })
    };
    kitchen.shutdown();
    assert_eq!(
        done.load(Ordering::SeqCst),
        3,
        "shutdown returned before every non-daemon thread had finished"
    );
    towel_giver.join().expect("towel giver");
}

#[test]
fn shutdown_does_not_wait_for_daemon_threads() {
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

#[test]
fn no_non_daemon_thread_is_left_running() {
    let before = threads_now();
    let mut kitchen = Kitchen::new();
    let (go, wait) = crossbeam_channel::unbounded::<()>();
    for _ in 0..5 {
        let wait = wait.clone();
        kitchen.spawn(false, move || {
            let _ = wait.recv();
        });
    }
    for _ in 0..5 {
        go.send(()).expect("workers are waiting");
    }
    kitchen.shutdown();
    let left = threads_left_above(before);
    assert_eq!(
        left, 0,
        "{left} non-daemon thread(s) still running after shutdown"
    );
}
