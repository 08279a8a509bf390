//! Checks for "The rack's API, the Python way". Each test is one
//! requirement. The other side of the rack is always another process.

mod support;
use support::panic_text;

use std::sync::mpsc;
use std::time::Duration;

use exercise::{drain, fill, mark_done};
use washup::queue::TaskDoneError;
use washup::{JoinableQueue, Process, Queue};

fn dishes(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("plate-{i}")).collect()
}

/// Runs `f` in a child process and waits for it, at most 5 s. A panic in
/// the child fails the check with the child's panic message.
fn in_child(what: &str, f: impl FnOnce() + 'static) {
    let why: Queue<String> = Queue::new().expect("a queue");
    let w = why.clone();
    let mut child = Process::new(move || {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            let _ = w.put(panic_text(&*payload));
            std::panic::resume_unwind(payload);
        }
    })
    .name(what);
    child.start().expect("start a child process");
    let ended = child.join_timeout(Duration::from_secs(5)).expect("join");
    if !ended {
        let _ = child.kill();
        let _ = child.join();
        panic!(
            "{what} did not return within 5 s: does it wait for the rack instead of giving up at once?"
        );
    }
    if child.exitcode() != Some(0) {
        let message = why.get_nowait().unwrap_or_default();
        panic!("{what} panicked in the other process: {message}");
    }
}

/// Runs `f` on a thread and waits for it, at most 5 s.
fn within<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not return within 5 s: does it wait instead of giving up at once?")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked (see above)"),
    }
}

/// A child process fills `rack` with `stack`; returns what fill handed back.
fn fill_in_child(rack: &JoinableQueue<String>, stack: Vec<String>) -> Vec<String> {
    let back: Queue<Vec<String>> = Queue::new().expect("a queue");
    let (r, b) = (rack.clone(), back.clone());
    in_child("fill", move || {
        b.put(fill(&r, stack)).expect("report");
    });
    back.get_nowait().expect("fill's result")
}

fn take_all(rack: &JoinableQueue<String>) -> Vec<String> {
    std::iter::from_fn(|| rack.get_nowait().ok()).collect()
}

#[test]
fn fill_puts_dishes_until_the_rack_is_full() {
    let _verdict = support::Verdict::on_return();
    let rack = JoinableQueue::with_maxsize(3).expect("a rack");
    let stack = dishes(5);
    let _ = fill_in_child(&rack, stack.clone());
    assert_eq!(
        take_all(&rack),
        stack[..3],
        "the rack (3 places) should hold the first three dishes, in order"
    );
}

#[test]
fn fill_gives_back_the_dishes_that_found_no_place() {
    let _verdict = support::Verdict::on_return();
    let rack = JoinableQueue::with_maxsize(3).expect("a rack");
    let stack = dishes(5);
    let left = fill_in_child(&rack, stack.clone());
    assert_eq!(
        left,
        stack[3..],
        "5 dishes, 3 places: fill should return the last two, in order"
    );
    // One place already taken by the washer in this process.
    let rack = JoinableQueue::with_maxsize(2).expect("a rack");
    rack.put("salad".to_string()).expect("put");
    let left = fill_in_child(&rack, dishes(4));
    assert_eq!(
        left,
        dishes(4)[1..],
        "1 place free: only the first dish fits"
    );
}

#[test]
fn fill_on_an_unbounded_rack_puts_everything() {
    let _verdict = support::Verdict::on_return();
    let rack = JoinableQueue::new().expect("a rack");
    let stack = dishes(100);
    let left = fill_in_child(&rack, stack.clone());
    assert!(
        left.is_empty(),
        "nothing should be handed back, got {} dishes",
        left.len()
    );
    assert_eq!(take_all(&rack), stack, "every dish on the rack, in order");
}

#[test]
fn drain_takes_every_dish_without_waiting() {
    let _verdict = support::Verdict::on_return();
    let rack: JoinableQueue<String> = JoinableQueue::new().expect("a rack");
    let r = rack.clone();
    in_child("the washer", move || {
        for dish in dishes(4) {
            r.put(dish).expect("put");
        }
    });
    let r = rack.clone();
    let got = within("drain", move || drain(&r));
    assert_eq!(
        got,
        dishes(4),
        "drain should return the four dishes the washer put, in order"
    );
    let r = rack.clone();
    let again = within("drain on an empty rack", move || drain(&r));
    assert!(
        again.is_empty(),
        "an empty rack gives nothing, got {again:?}"
    );
}

#[test]
fn drain_marks_each_dish_done() {
    let _verdict = support::Verdict::on_return();
    let rack: JoinableQueue<String> = JoinableQueue::new().expect("a rack");
    let ready: Queue<u8> = Queue::new().expect("a queue");
    let joined: Queue<bool> = Queue::new().expect("a queue");
    let (r, go, j) = (rack.clone(), ready.clone(), joined.clone());
    let mut washer = Process::new(move || {
        for dish in dishes(4) {
            r.put(dish).expect("put");
        }
        go.put(1).expect("say ready");
        j.put(r.join_timeout(Duration::from_secs(5)))
            .expect("report");
    })
    .name("washer");
    washer.start().expect("start the washer");
    ready
        .get_timeout(Duration::from_secs(5))
        .expect("the washer is ready");
    let r = rack.clone();
    let got = within("drain", move || drain(&r));
    washer.join().expect("join the washer");
    assert_eq!(got.len(), 4, "drain should take the four dishes");
    assert_eq!(
        joined.get_nowait().ok(),
        Some(true),
        "the washer's join() in the other process did not return: {} dish(es) not marked done",
        rack.unfinished_tasks()
    );
}

#[test]
fn task_done_too_often_is_an_error() {
    let _verdict = support::Verdict::on_return();
    let rack: JoinableQueue<String> = JoinableQueue::new().expect("a rack");
    rack.put("salad".to_string()).expect("put");
    rack.put("bread".to_string()).expect("put");
    let said: Queue<String> = Queue::new().expect("a queue");
    let (r, s) = (rack.clone(), said.clone());
    in_child("the dryer", move || {
        let _ = (r.get_nowait(), r.get_nowait());
        s.put(format!("{:?}", mark_done(&r, 2))).expect("report");
    });
    assert_eq!(
        said.get_nowait().ok().as_deref(),
        Some("Ok(())"),
        "two dishes taken, mark_done(2) should be Ok"
    );
    assert!(
        rack.join_timeout(Duration::from_secs(1)),
        "mark_done(2) returned, yet {} dish(es) are still not done",
        rack.unfinished_tasks()
    );
    let r = rack.clone();
    let too_many = within("mark_done", move || mark_done(&r, 1));
    assert_eq!(
        too_many,
        Err(TaskDoneError),
        "every dish is done: one more task_done is an error"
    );
    rack.put("entree".to_string()).expect("put");
    let r = rack.clone();
    let partly = within("mark_done", move || mark_done(&r, 3));
    assert_eq!(
        partly,
        Err(TaskDoneError),
        "one dish unfinished: the second of three task_done calls is an error"
    );
    assert_eq!(
        rack.unfinished_tasks(),
        0,
        "the first task_done should still count"
    );
}
